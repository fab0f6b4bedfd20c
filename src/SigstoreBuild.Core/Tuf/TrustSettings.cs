using SigstoreBuild.Diagnostics;

namespace SigstoreBuild.Tuf;

/// <summary>
/// Where trust comes from, as the user gave it (MSBuild properties, CLI options, or a project read by the CLI), validated
/// and mapped to a <see cref="TrustConfiguration"/> in this one place: explicit files (trusted root [+ signing config]),
/// else a custom TUF mirror with its initial root, else a mirror recorded in the cache directory by
/// <c>sigstore trust-root init</c>, else the public-good (default) or staging instance through TUF. The cache directory
/// and offline mode apply to every TUF case. No I/O beyond "does this file exist" until a root file is read.
/// </summary>
public sealed record TrustSettings
{
    public static readonly IReadOnlyList<string> Instances = ["public-good", "staging", "custom"];

    /// <summary><c>public-good</c>, <c>staging</c> or <c>custom</c>; empty means custom when files or a mirror are set, else public-good.</summary>
    public string? Instance { get; init; }

    public string? TrustedRootPath { get; init; }

    public string? SigningConfigPath { get; init; }

    /// <summary>The metadata URL of a custom TUF mirror (with <see cref="TufRootPath"/>).</summary>
    public string? TufUrl { get; init; }

    /// <summary>The root.json trusted initially for <see cref="TufUrl"/>.</summary>
    public string? TufRootPath { get; init; }

    public string? CacheDirectory { get; init; }

    /// <summary>Never contact the mirror: the TUF cache, else the embedded root of the presets while it is valid.</summary>
    public bool Offline { get; init; }

    /// <summary>Equal settings share cached state (one signer, one trust root) per build.</summary>
    public string CacheKey => string.Join('|', ResolvedInstance, Full(TrustedRootPath), Full(SigningConfigPath), Trim(TufUrl), Full(TufRootPath), Full(CacheDirectory), Offline ? "offline" : "online");

    /// <summary><see cref="Instance"/> as it will be used: lower case, defaulted.</summary>
    public string ResolvedInstance => Trim(Instance)?.ToLowerInvariant() ?? (HasFiles || HasMirror ? "custom" : "public-good");

    private bool HasFiles => Trim(TrustedRootPath) is not null || Trim(SigningConfigPath) is not null;

    private bool HasMirror => Trim(TufUrl) is not null || Trim(TufRootPath) is not null;

    /// <summary>
    /// Validates the settings and maps them. Relative paths are taken against the current directory (MSBuild sets it to
    /// the project's). <paramref name="forSigning"/>: explicit files must include the signing config, which names the
    /// services. Errors carry the codes of <paramref name="names"/> and name each setting as the user wrote it.
    /// </summary>
    public TrustConfiguration ToConfiguration(TrustSettingNames names, bool forSigning = false)
    {
        ArgumentNullException.ThrowIfNull(names);
        var instance = ResolvedInstance;
        var (trustedRoot, signingConfig, tufRoot, tufUrl) = (Full(TrustedRootPath), Full(SigningConfigPath), Full(TufRootPath), Trim(TufUrl));
        if (!Instances.Contains(instance, StringComparer.Ordinal))
        {
            throw Invalid(names, $"{names.Instance} is '{Instance}'. Use one of: {string.Join(", ", Instances)}.");
        }

        if (HasFiles && HasMirror)
        {
            throw Invalid(names, $"Both trust files ({names.TrustedRootPath}/{names.SigningConfigPath}) and a TUF mirror ({names.TufUrl}/{names.TufRootPath}) are set. Keep one of them.");
        }

        if (HasMirror && instance != "custom")
        {
            throw Invalid(names, $"{names.TufUrl} and {names.TufRootPath} name a custom instance, but {names.Instance} is '{instance}'. Remove {names.Instance}, or the mirror settings.");
        }

        if (instance == "custom" && !HasFiles && !HasMirror)
        {
            throw Missing(names, $"{names.Instance} is 'custom' but neither its TUF mirror nor its trust files are set. Set {names.TufUrl} and {names.TufRootPath} (the mirror and its initial root.json), or {names.TrustedRootPath}{(forSigning ? $" and {names.SigningConfigPath}" : "")}.");
        }

        if (HasMirror && (tufUrl is null || tufRoot is null))
        {
            throw Missing(names, $"{names.TufUrl} and {names.TufRootPath} go together: set the mirror's URL and the root.json to trust initially.");
        }

        if (HasFiles && (trustedRoot is null || (forSigning && signingConfig is null)))
        {
            throw Missing(names, forSigning
                ? $"Only one of {names.TrustedRootPath} and {names.SigningConfigPath} is set. Set both to the instance's trusted_root.json and signing_config.json, or neither to use TUF."
                : $"{names.SigningConfigPath} is set without {names.TrustedRootPath}. Set {names.TrustedRootPath} to the instance's trusted_root.json.");
        }

        Uri? mirror = null;
        if (tufUrl is not null && (!Uri.TryCreate(tufUrl, UriKind.Absolute, out mirror) || (mirror.Scheme != Uri.UriSchemeHttps && mirror.Scheme != Uri.UriSchemeHttp)))
        {
            throw Invalid(names, $"{names.TufUrl} is '{tufUrl}', not an absolute http(s) URL. Use the URL of the TUF repository's metadata, such as https://tuf.example.com/.");
        }

        foreach (var (name, path) in new[] { (names.TrustedRootPath, trustedRoot), (names.SigningConfigPath, signingConfig), (names.TufRootPath, tufRoot) })
        {
            if (path is not null && !Path.Exists(path))
            {
                throw Missing(names, $"{name} points to '{path}', which does not exist. Fix the path, or remove it to use the instance's trust root from TUF.");
            }
        }

        var cache = Full(CacheDirectory);
        var configuration = trustedRoot is not null
            ? TrustConfiguration.FromFiles(trustedRoot, signingConfig)
            : mirror is not null
                ? TrustConfiguration.CustomFromFile(mirror, tufRoot!)
                : instance == "staging"
                    ? TrustConfiguration.Staging
                    : cache is not null && Trim(Instance) is null && File.Exists(new TufCache(cache).MirrorFile)
                        ? TrustConfiguration.FromTufCache(cache) // a cache set up by 'sigstore trust-root init' remembers its mirror
                        : TrustConfiguration.PublicGood;
        configuration = configuration.WithCacheDirectory(cache).WithSettingNames(names);
        return Offline ? configuration with { Offline = true } : configuration;
    }

    private static string? Trim(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    private static string? Full(string? path) => Trim(path) is { } trimmed ? Path.GetFullPath(trimmed) : null;

    private static SigstoreException Invalid(TrustSettingNames names, string message) => new(names.InvalidCode, message);

    private static SigstoreException Missing(TrustSettingNames names, string message) => new(names.MissingFileCode, message);
}

/// <summary>How a front end spells each trust setting, and the codes of its configuration errors.</summary>
public sealed record TrustSettingNames
{
    public required string Instance { get; init; }

    public required string TrustedRootPath { get; init; }

    public required string SigningConfigPath { get; init; }

    public required string TufUrl { get; init; }

    public required string TufRootPath { get; init; }

    /// <summary>The TUF cache directory.</summary>
    public string CacheDirectory { get; init; } = "--cache-dir";

    /// <summary>The switch that keeps trust offline (a boolean property, or an option given alone).</summary>
    public string Offline { get; init; } = "--offline";

    /// <summary>A setting with a wrong value.</summary>
    public required string InvalidCode { get; init; }

    /// <summary>A file that is needed but not set, or set but absent.</summary>
    public required string MissingFileCode { get; init; }

    /// <summary>The SigstoreBuild MSBuild properties.</summary>
    public static TrustSettingNames MSBuild(string invalidCode, string missingFileCode) => new()
    {
        Instance = "SigstoreInstance",
        TrustedRootPath = "SigstoreTrustedRootPath",
        SigningConfigPath = "SigstoreSigningConfigPath",
        TufUrl = "SigstoreTufUrl",
        TufRootPath = "SigstoreTufRootPath",
        CacheDirectory = "SigstoreTufCachePath",
        Offline = "SigstoreOffline",
        InvalidCode = invalidCode,
        MissingFileCode = missingFileCode,
    };

    /// <summary>The <c>sigstore</c> command's options.</summary>
    public static TrustSettingNames CommandLine { get; } = new()
    {
        Instance = "--staging",
        TrustedRootPath = "--trusted-root",
        SigningConfigPath = "--signing-config",
        TufUrl = "--tuf-mirror",
        TufRootPath = "--tuf-root",
        InvalidCode = SetupCodes.InvalidArgument,
        MissingFileCode = SetupCodes.TrustedRootNotFound,
    };

    // Hints in Core's trust errors are phrased through these, so each front end names its own settings.
    private bool IsOption => Offline.StartsWith('-');

    /// <summary>"pass --offline" / "set SigstoreOffline=true"; with a value: "pass --cache-dir DIR" / "set SigstoreTufCachePath=DIR".</summary>
    internal string Set(string name, string? value = null) =>
        IsOption ? $"pass {name}{(value is null ? "" : " " + value)}" : $"set {name}={value ?? "true"}";

    /// <summary>"without --offline" / "with SigstoreOffline=false".</summary>
    internal string OfflineOff => IsOption ? $"without {Offline}" : $"with {Offline}=false";
}
