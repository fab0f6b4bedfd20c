using SigstoreBuild.Diagnostics;
using SigstoreBuild.Tuf;

namespace SigstoreBuild.Tasks;

/// <summary>
/// The package's trust properties (<c>SigstoreInstance</c>, <c>SigstoreTrustedRootPath</c>, <c>SigstoreSigningConfigPath</c>,
/// <c>SigstoreTufUrl</c>, <c>SigstoreTufRootPath</c>, <c>SigstoreTufCachePath</c>, <c>SigstoreOffline</c>) for the signing
/// and the restore tasks: parsed from MSBuild strings and validated when created (SSB0401/SSB0402) by Core's
/// <see cref="TrustSettings"/>, which the CLI uses too.
/// </summary>
internal sealed record TrustProperties
{
    private static readonly TrustSettingNames Names = TrustSettingNames.MSBuild(TaskCodes.InvalidSetting, TaskCodes.TrustFileMissing);

    private TrustProperties(TrustSettings settings, TrustConfiguration configuration)
    {
        Settings = settings;
        Configuration = configuration;
    }

    public TrustSettings Settings { get; }

    /// <summary>The validated configuration for <see cref="TrustRootProvider"/>.</summary>
    public TrustConfiguration Configuration { get; }

    /// <summary><c>public-good</c>, <c>staging</c> or <c>custom</c>.</summary>
    public string Instance => Settings.ResolvedInstance;

    /// <summary>Equal settings share cached state (one signer, one trust root) per build.</summary>
    public string CacheKey => Settings.CacheKey;

    /// <summary><paramref name="forSigning"/>: explicit files must include the signing config, which names the services.</summary>
    public static TrustProperties Create(string? instance, string? trustedRootPath, string? signingConfigPath, string? tufUrl, string? tufRootPath, string? tufCachePath, string? offline, bool forSigning)
    {
        var settings = new TrustSettings
        {
            Instance = instance,
            TrustedRootPath = trustedRootPath,
            SigningConfigPath = signingConfigPath,
            TufUrl = tufUrl,
            TufRootPath = tufRootPath,
            CacheDirectory = tufCachePath,
            Offline = (offline ?? "").Trim().ToLowerInvariant() switch
            {
                "" or "false" => false,
                "true" => true,
                _ => throw new SigstoreException(TaskCodes.InvalidSetting, $"SigstoreOffline is '{offline}'. Use true or false."),
            },
        };
        return new TrustProperties(settings, settings.ToConfiguration(Names, forSigning));
    }

    /// <summary>One line for the build log: where trust came from.</summary>
    public static string Describe(TrustMaterialBytes material) => material.Source switch
    {
        TrustMaterialSource.Tuf => $"trust root from TUF ({material.TufState?.MetadataUri}, root v{material.TufState?.RootVersion})",
        TrustMaterialSource.TufCache => $"trust root from the TUF cache, offline ({material.TufState?.CacheDirectory})",
        TrustMaterialSource.Embedded => "embedded trust root, offline",
        _ => "trust root from files",
    };
}
