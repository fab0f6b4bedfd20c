using SigstoreBuild.Diagnostics;
using SigstoreBuild.Tuf;

namespace SigstoreBuild.Cli.Commands;

/// <summary>
/// Picks the trust material: explicit files, else a custom TUF mirror, else the public-good (default) or staging
/// instance through TUF. Offline mode is explicit and reported.
/// </summary>
internal static class TrustResolver
{
    public static TrustConfiguration ToConfiguration(TrustSelection selection)
    {
        TrustConfiguration configuration;
        if (selection.TrustedRootPath is not null)
        {
            RequireFile(selection.TrustedRootPath, "--trusted-root");
            if (selection.SigningConfigPath is not null)
            {
                RequireFile(selection.SigningConfigPath, "--signing-config");
            }

            configuration = TrustConfiguration.FromFiles(selection.TrustedRootPath, selection.SigningConfigPath);
        }
        else if (selection.TufMirror is not null)
        {
            RequireFile(selection.TufRootPath!, "--tuf-root");
            if (!Uri.TryCreate(selection.TufMirror, UriKind.Absolute, out var mirror))
            {
                throw new SigstoreException(SetupCodes.InvalidArgument, $"--tuf-mirror '{selection.TufMirror}' is not an absolute URL.");
            }

            configuration = TrustConfiguration.CustomFromFile(mirror, selection.TufRootPath!);
        }
        else if (!selection.Staging && selection.CacheDirectory is not null && File.Exists(Path.Combine(selection.CacheDirectory, "mirror.json")))
        {
            // A cache set up by 'sigstore trust-root init' remembers its mirror: keep using it.
            configuration = TrustConfiguration.FromTufCache(selection.CacheDirectory);
        }
        else
        {
            configuration = selection.Staging ? TrustConfiguration.Staging : TrustConfiguration.PublicGood;
        }

        configuration = configuration.WithCacheDirectory(selection.CacheDirectory);
        return selection.Offline ? configuration with { Offline = true } : configuration;
    }

    public static async Task<TrustMaterialBytes> GetAsync(TrustSelection selection, CliConsole console, CancellationToken cancellationToken)
    {
        var material = await new TrustRootProvider(ToConfiguration(selection)).GetAsync(cancellationToken).ConfigureAwait(false);
        foreach (var warning in material.Warnings)
        {
            console.Warning(warning.Code, warning.Message);
        }

        if (material.Offline)
        {
            console.Info($"Offline: using the {(material.Source == TrustMaterialSource.Embedded ? "embedded" : "cached")} trust root without contacting the TUF mirror.");
        }

        return material;
    }

    private static void RequireFile(string path, string option)
    {
        if (!Path.Exists(path))
        {
            throw new SigstoreException(SetupCodes.TrustedRootNotFound, $"The file given to {option} ('{path}') does not exist.");
        }
    }
}
