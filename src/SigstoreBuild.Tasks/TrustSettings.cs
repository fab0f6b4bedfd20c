using SigstoreBuild.Diagnostics;
using SigstoreBuild.Tuf;

namespace SigstoreBuild.Tasks;

/// <summary>
/// The trust properties of the package, validated and mapped to a <see cref="TrustConfiguration"/> in one place for the
/// signing and the restore tasks: explicit files (<c>SigstoreTrustedRootPath</c> [+ <c>SigstoreSigningConfigPath</c>]),
/// else a custom TUF mirror (<c>SigstoreTufUrl</c> + <c>SigstoreTufRootPath</c>), else the public-good (default) or
/// staging instance through TUF; <c>SigstoreTufCachePath</c> and <c>SigstoreOffline</c> apply to every TUF case.
/// </summary>
internal sealed record TrustSettings
{
    public static readonly string[] Instances = ["public-good", "staging", "custom"];

    /// <summary><c>public-good</c>, <c>staging</c> or <c>custom</c>.</summary>
    public required string Instance { get; init; }

    public string? TrustedRootPath { get; init; }

    public string? SigningConfigPath { get; init; }

    public Uri? TufUrl { get; init; }

    public string? TufRootPath { get; init; }

    public string? TufCachePath { get; init; }

    public bool Offline { get; init; }

    /// <summary>True when explicit trust files are used, not TUF.</summary>
    public bool UsesFiles => TrustedRootPath is not null;

    /// <summary>Equal settings share cached state (one signer, one trust root) per build.</summary>
    public string CacheKey => string.Join('|', Instance, TrustedRootPath, SigningConfigPath, TufUrl, TufRootPath, TufCachePath, Offline ? "offline" : "online");

    /// <summary>
    /// Validates the properties (relative paths against the current directory, which MSBuild sets to the project's).
    /// <paramref name="forSigning"/>: explicit files must include the signing config, which names the services.
    /// </summary>
    public static TrustSettings Create(string? instance, string? trustedRootPath, string? signingConfigPath, string? tufUrl, string? tufRootPath, string? tufCachePath, string? offline, bool forSigning)
    {
        trustedRootPath = FullPathOrNull(trustedRootPath);
        signingConfigPath = FullPathOrNull(signingConfigPath);
        tufRootPath = FullPathOrNull(tufRootPath);
        tufCachePath = FullPathOrNull(tufCachePath);
        tufUrl = string.IsNullOrWhiteSpace(tufUrl) ? null : tufUrl.Trim();
        var hasFiles = trustedRootPath is not null || signingConfigPath is not null;
        var hasMirror = tufUrl is not null || tufRootPath is not null;

        var resolved = string.IsNullOrWhiteSpace(instance)
            ? (hasFiles || hasMirror ? "custom" : "public-good")
            : instance.Trim().ToLowerInvariant();
        if (!Instances.Contains(resolved, StringComparer.Ordinal))
        {
            throw new SigstoreException(TaskCodes.InvalidSetting, $"SigstoreInstance is '{instance}'. Use one of: {string.Join(", ", Instances)}.");
        }

        var isOffline = (offline ?? "").Trim().ToLowerInvariant() switch
        {
            "" or "false" => false,
            "true" => true,
            _ => throw new SigstoreException(TaskCodes.InvalidSetting, $"SigstoreOffline is '{offline}'. Use true or false."),
        };

        if (hasFiles && hasMirror)
        {
            throw new SigstoreException(TaskCodes.InvalidSetting, "Both trust files (SigstoreTrustedRootPath/SigstoreSigningConfigPath) and a TUF mirror (SigstoreTufUrl/SigstoreTufRootPath) are set. Keep one of them.");
        }

        if (hasMirror && resolved != "custom")
        {
            throw new SigstoreException(TaskCodes.InvalidSetting, $"SigstoreTufUrl and SigstoreTufRootPath name a custom instance, but SigstoreInstance is '{resolved}'. Set SigstoreInstance=custom, or remove them.");
        }

        if (resolved == "custom" && !hasFiles && !hasMirror)
        {
            throw new SigstoreException(TaskCodes.TrustFileMissing, "SigstoreInstance is 'custom' but neither its TUF mirror nor its trust files are set. Set SigstoreTufUrl and SigstoreTufRootPath (the mirror and its initial root.json), or SigstoreTrustedRootPath and SigstoreSigningConfigPath.");
        }

        if (hasMirror && (tufUrl is null || tufRootPath is null))
        {
            throw new SigstoreException(TaskCodes.TrustFileMissing, "SigstoreTufUrl and SigstoreTufRootPath go together: set the mirror's URL and the root.json to trust initially.");
        }

        if (hasFiles && (trustedRootPath is null || (forSigning && signingConfigPath is null)))
        {
            throw new SigstoreException(TaskCodes.TrustFileMissing, forSigning
                ? "Only one of SigstoreTrustedRootPath and SigstoreSigningConfigPath is set. Set both to the instance's trusted_root.json and signing_config.json, or neither to use TUF."
                : "SigstoreSigningConfigPath is set without SigstoreTrustedRootPath. Set SigstoreTrustedRootPath to the instance's trusted_root.json.");
        }

        foreach (var (name, path) in new[] { ("SigstoreTrustedRootPath", trustedRootPath), ("SigstoreSigningConfigPath", signingConfigPath), ("SigstoreTufRootPath", tufRootPath) })
        {
            if (path is not null && !File.Exists(path))
            {
                throw new SigstoreException(TaskCodes.TrustFileMissing, $"{name} points to '{path}', which does not exist. Fix the path or remove the property.");
            }
        }

        Uri? mirror = null;
        if (tufUrl is not null && (!Uri.TryCreate(tufUrl, UriKind.Absolute, out mirror) || (mirror.Scheme != Uri.UriSchemeHttps && mirror.Scheme != Uri.UriSchemeHttp)))
        {
            throw new SigstoreException(TaskCodes.InvalidSetting, $"SigstoreTufUrl is '{tufUrl}', not an absolute http(s) URL. Use the URL of the TUF repository's metadata, such as https://tuf.example.com/.");
        }

        return new TrustSettings
        {
            Instance = resolved,
            TrustedRootPath = trustedRootPath,
            SigningConfigPath = signingConfigPath,
            TufUrl = mirror,
            TufRootPath = tufRootPath,
            TufCachePath = tufCachePath,
            Offline = isOffline,
        };
    }

    /// <summary>The configuration for <see cref="TrustRootProvider"/>.</summary>
    public TrustConfiguration ToConfiguration()
    {
        var configuration = TrustedRootPath is not null
            ? TrustConfiguration.FromFiles(TrustedRootPath, SigningConfigPath)
            : TufUrl is not null
                ? TrustConfiguration.CustomFromFile(TufUrl, TufRootPath!)
                : Instance == "staging" ? TrustConfiguration.Staging : TrustConfiguration.PublicGood;
        configuration = configuration.WithCacheDirectory(TufCachePath);
        return Offline ? configuration with { Offline = true } : configuration;
    }

    /// <summary>One line for the build log: where trust came from.</summary>
    public static string Describe(TrustMaterialBytes material) => material.Source switch
    {
        TrustMaterialSource.Tuf => $"trust root from TUF ({material.TufState?.MetadataUri}, root v{material.TufState?.RootVersion})",
        TrustMaterialSource.TufCache => $"trust root from the TUF cache, offline ({material.TufState?.CacheDirectory})",
        TrustMaterialSource.Embedded => "embedded trust root, offline",
        _ => "trust root from files",
    };

    private static string? FullPathOrNull(string? path) => string.IsNullOrWhiteSpace(path) ? null : Path.GetFullPath(path.Trim());
}
