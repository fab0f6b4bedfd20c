namespace SigstoreBuild.Tuf;

/// <summary>
/// Public trust material shipped inside the assembly: the latest root.json of the public-good and staging TUF
/// repositories (initial trust for the client), and their trusted_root.json and signing_config as an offline seed.
/// </summary>
internal static class EmbeddedTrust
{
    public static byte[] PublicGoodRoot => Read("public-good.root.json");

    public static byte[] StagingRoot => Read("staging.root.json");

    public static byte[] PublicGoodTrustedRoot => Read("public-good.trusted_root.json");

    public static byte[] PublicGoodSigningConfig => Read("public-good.signing_config.v0.2.json");

    public static byte[] StagingTrustedRoot => Read("staging.trusted_root.json");

    public static byte[] StagingSigningConfig => Read("staging.signing_config.v0.2.json");

    private static byte[] Read(string name)
    {
        string resource = "SigstoreBuild.Tuf.Embedded." + name;
        using Stream stream = typeof(EmbeddedTrust).Assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"The embedded resource {resource} is missing from the build.");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
