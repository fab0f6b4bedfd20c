using SigstoreBuild.Verification;

namespace SigstoreBuild.NuGet.Restore;

/// <summary>
/// Who signed a package, as read from a verified Fulcio certificate: the OIDC issuer (OID 1.8), the SAN, and the
/// values of the other Fulcio extensions by OID.
/// </summary>
public sealed record SignerIdentity(string Issuer, string Subject, IReadOnlyDictionary<string, string> Extensions)
{
    /// <summary>The signer a verification reported, with the extensions a policy can pin (1.9-1.23).</summary>
    internal static SignerIdentity From(VerifiedIdentity identity)
    {
        var extensions = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var extension in SignerExtensions.All)
        {
            if (identity.Extensions.TryGetValue(FulcioExtensions.NameOf(extension.Oid)!, out var value))
            {
                extensions[extension.Oid] = value;
            }
        }

        return new SignerIdentity(identity.Issuer, identity.SubjectAlternativeName, extensions);
    }

    /// <summary>The <see cref="Issuer"/> of a key signer: not a URL, so no OIDC issuer can be mistaken for it.</summary>
    internal const string KeyIssuer = "key";

    /// <summary>A bundle signed with a key: the subject is <c>key:sha256:&lt;hex of the SubjectPublicKeyInfo&gt;</c>.</summary>
    internal static SignerIdentity ForKey(string keySha256Hex) =>
        new(KeyIssuer, "key:sha256:" + keySha256Hex.ToLowerInvariant(), new Dictionary<string, string>(StringComparer.Ordinal));

    internal bool IsKey => string.Equals(Issuer, KeyIssuer, StringComparison.Ordinal);

    public string? Extension(string oid) => Extensions.TryGetValue(oid, out var value) ? value : null;

    public string? SourceRepositoryIdentifier => Extension(SignerExtensions.SourceRepositoryIdentifier.Oid);

    public string? OwnerIdentifier => Extension(SignerExtensions.OwnerIdentifier.Oid);

    public string? SourceRepositoryUri => Extension(SignerExtensions.SourceRepositoryUri.Oid);

    public override string ToString() => IsKey ? Subject : $"{Subject} (issuer {Issuer})";
}

/// <summary>A Fulcio certificate extension that a trust policy can pin, by its policy name.</summary>
internal sealed record SignerExtension(string Name, string Oid);

/// <summary>The Fulcio extensions (fulcio docs/oid-info.md, 1.9-1.23) a policy may pin exactly.</summary>
internal static class SignerExtensions
{
    public static readonly SignerExtension BuildSignerUri = new("BuildSignerUri", "1.3.6.1.4.1.57264.1.9");
    public static readonly SignerExtension BuildSignerDigest = new("BuildSignerDigest", "1.3.6.1.4.1.57264.1.10");
    public static readonly SignerExtension RunnerEnvironment = new("RunnerEnvironment", "1.3.6.1.4.1.57264.1.11");
    public static readonly SignerExtension SourceRepositoryUri = new("SourceRepositoryUri", "1.3.6.1.4.1.57264.1.12");
    public static readonly SignerExtension SourceRepositoryDigest = new("SourceRepositoryDigest", "1.3.6.1.4.1.57264.1.13");
    public static readonly SignerExtension SourceRepositoryRef = new("SourceRepositoryRef", "1.3.6.1.4.1.57264.1.14");
    public static readonly SignerExtension SourceRepositoryIdentifier = new("SourceRepositoryIdentifier", "1.3.6.1.4.1.57264.1.15");
    public static readonly SignerExtension OwnerUri = new("OwnerUri", "1.3.6.1.4.1.57264.1.16");
    public static readonly SignerExtension OwnerIdentifier = new("OwnerIdentifier", "1.3.6.1.4.1.57264.1.17");
    public static readonly SignerExtension BuildConfigUri = new("BuildConfigUri", "1.3.6.1.4.1.57264.1.18");
    public static readonly SignerExtension BuildConfigDigest = new("BuildConfigDigest", "1.3.6.1.4.1.57264.1.19");
    public static readonly SignerExtension BuildTrigger = new("BuildTrigger", "1.3.6.1.4.1.57264.1.20");
    public static readonly SignerExtension RunInvocationUri = new("RunInvocationUri", "1.3.6.1.4.1.57264.1.21");
    public static readonly SignerExtension SourceRepositoryVisibility = new("SourceRepositoryVisibility", "1.3.6.1.4.1.57264.1.22");
    public static readonly SignerExtension DeploymentEnvironment = new("DeploymentEnvironment", "1.3.6.1.4.1.57264.1.23");

    public static IReadOnlyList<SignerExtension> All { get; } =
    [
        BuildSignerUri, BuildSignerDigest, RunnerEnvironment, SourceRepositoryUri, SourceRepositoryDigest,
        SourceRepositoryRef, SourceRepositoryIdentifier, OwnerUri, OwnerIdentifier, BuildConfigUri, BuildConfigDigest,
        BuildTrigger, RunInvocationUri, SourceRepositoryVisibility, DeploymentEnvironment,
    ];

    /// <summary>By policy name (case-insensitive), also accepting the "SourceRepositoryOwner*" spelling of the OID names.</summary>
    public static SignerExtension? Find(string name)
    {
        var normalized = name.Replace("SourceRepositoryOwner", "Owner", StringComparison.OrdinalIgnoreCase);
        return All.FirstOrDefault(e => string.Equals(e.Name, normalized, StringComparison.OrdinalIgnoreCase));
    }
}
