using SigstoreBuild.Diagnostics;
using SigstoreBuild.Http;
using SigstoreBuild.IO;

namespace SigstoreBuild.Tuf;

/// <summary>
/// Where a TUF repository lives, which root to start trusting, where to cache, and the client's bounds. Presets:
/// <see cref="PublicGood"/>, <see cref="Staging"/>, <see cref="Custom"/>, <see cref="FromCache"/>. Immutable: derive
/// variants with <c>with { CacheDirectory = ..., Offline = true }</c>.
/// </summary>
public sealed record TufOptions
{
    /// <summary>Overrides the base directory of the default cache (a directory per mirror is created below it).</summary>
    public const string CacheEnvironmentVariable = "SIGSTORE_TUF_CACHE";

    public static Uri PublicGoodMirror { get; } = new("https://tuf-repo-cdn.sigstore.dev/");

    public static Uri StagingMirror { get; } = new("https://tuf-repo-cdn.sigstage.dev/");

    /// <summary>Sigstore public-good instance, starting from the embedded root.</summary>
    public static TufOptions PublicGood => new() { MetadataUri = PublicGoodMirror, InitialRoot = EmbeddedTrust.PublicGoodRoot };

    /// <summary>Sigstore staging instance, starting from the embedded root.</summary>
    public static TufOptions Staging => new() { MetadataUri = StagingMirror, InitialRoot = EmbeddedTrust.StagingRoot };

    /// <summary>Base URL of the metadata (where <c>1.root.json</c> and <c>timestamp.json</c> are).</summary>
    public required Uri MetadataUri { get; init; }

    /// <summary>Base URL of target files; defaults to <c>{MetadataUri}targets/</c>.</summary>
    public Uri? TargetsUri { get; init; }

    /// <summary>
    /// The root.json to trust initially (exact bytes). Used when the cache has no root, or an older one.
    /// Empty means "the cache must already hold a trusted root".
    /// </summary>
    public ReadOnlyMemory<byte> InitialRoot { get; init; }

    /// <summary>The cache directory of this repository; default from <see cref="ResolveCacheDirectory"/>.</summary>
    public string? CacheDirectory { get; init; }

    /// <summary>Use only cached metadata and targets; never contact the mirror.</summary>
    public bool Offline { get; init; }

    /// <summary>Clock for expiry checks (read once at the start of each refresh).</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Timeouts, retries and the message handler for downloads.</summary>
    internal SigstoreHttpOptions Http { get; init; } = SigstoreHttpOptions.Default with { MaxAttempts = 3 };

    /// <summary>Most root versions walked in one refresh (the spec's cap against an endless chain).</summary>
    public int MaxRootRotations { get; init; } = 256;

    /// <summary>Most targets roles visited when searching for one target.</summary>
    public int MaxDelegations { get; init; } = 32;

    public long RootMaxLength { get; init; } = DefaultRootMaxLength;

    public long TimestampMaxLength { get; init; } = 16_384;

    /// <summary>Bound when the timestamp does not declare the snapshot's length.</summary>
    public long SnapshotMaxLength { get; init; } = 2_000_000;

    /// <summary>Bound when the snapshot does not declare a targets role's length.</summary>
    public long TargetsMaxLength { get; init; } = 5_000_000;

    /// <summary>Largest target file accepted even when the signed targets metadata declares more.</summary>
    public long TargetFileMaxLength { get; init; } = 32 * 1024 * 1024;

    internal Func<string, string?>? EnvironmentReader { get; init; }

    /// <summary>How the front end names the trust settings, for the hints in TUF errors.</summary>
    internal TrustSettingNames SettingNames { get; init; } = TrustSettingNames.CommandLine;

    private const long DefaultRootMaxLength = 512_000;

    private static readonly InputKind InitialRootFile = new("initial TUF root", DefaultRootMaxLength, "Pass the root.json of the instance's TUF repository, obtained out of band.") { Code = TufCodes.InvalidInitialRoot };

    /// <summary>A custom instance: any TUF mirror, trusted from the given initial root.json bytes.</summary>
    public static TufOptions Custom(Uri mirror, ReadOnlyMemory<byte> initialRoot)
    {
        ArgumentNullException.ThrowIfNull(mirror);
        if (initialRoot.IsEmpty)
        {
            throw new SigstoreException(TufCodes.InvalidOptions, "A custom TUF mirror needs an initial root.json. Pass the root with --tuf-root.");
        }

        return new TufOptions { MetadataUri = mirror, InitialRoot = initialRoot };
    }

    /// <summary>A custom instance trusted from the root.json file at <paramref name="initialRootPath"/> (read bounded).</summary>
    public static TufOptions CustomFromFile(Uri mirror, string initialRootPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(initialRootPath);
        return Custom(mirror, InputFile.ReadAllBytes(initialRootPath, InitialRootFile));
    }

    /// <summary>Resumes from a cache directory that an earlier run initialised (mirror and root are read from it).</summary>
    public static TufOptions FromCache(string cacheDirectory)
    {
        ArgumentException.ThrowIfNullOrEmpty(cacheDirectory);
        var cache = new TufCache(cacheDirectory);
        (Uri metadata, Uri targets) = cache.ReadMirror()
            ?? throw new SigstoreException(TufCodes.InvalidOptions, $"The directory {cache.Directory} is not an initialised TUF cache (no mirror.json). Run `sigstore trust-root init --tuf-mirror URL --tuf-root ROOT.json --cache-dir {cacheDirectory}` first.");
        return new TufOptions { MetadataUri = metadata, TargetsUri = targets, CacheDirectory = cache.Directory };
    }

    /// <summary>The metadata URL with a trailing slash.</summary>
    public Uri ResolveMetadataUri() => Normalize(MetadataUri, nameof(MetadataUri));

    public Uri ResolveTargetsUri() => TargetsUri is null ? new Uri(ResolveMetadataUri(), "targets/") : Normalize(TargetsUri, nameof(TargetsUri));

    /// <summary><see cref="CacheDirectory"/>, or <c>$SIGSTORE_TUF_CACHE/&lt;url-hash&gt;</c>, or <c>~/.sigstore-dotnet/tuf/&lt;url-hash&gt;</c>.</summary>
    public string ResolveCacheDirectory()
        => Path.GetFullPath(CacheDirectory ?? TufCache.DefaultDirectory(ResolveMetadataUri(), EnvironmentReader));

    internal void Validate()
    {
        if (MaxRootRotations < 1 || MaxDelegations < 1 || RootMaxLength < 1 || TimestampMaxLength < 1 || SnapshotMaxLength < 1 || TargetsMaxLength < 1 || TargetFileMaxLength < 1)
        {
            throw new SigstoreException(TufCodes.InvalidOptions, "TUF limits must be positive.");
        }

        _ = ResolveMetadataUri();
        _ = ResolveTargetsUri();
    }

    private static Uri Normalize(Uri uri, string name)
    {
        if (!uri.IsAbsoluteUri || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp) || !string.IsNullOrEmpty(uri.Query) || !string.IsNullOrEmpty(uri.Fragment))
        {
            throw new SigstoreException(TufCodes.InvalidOptions, $"The TUF {name} \"{uri}\" is not an absolute http(s) URL without query or fragment. Pass a URL such as https://tuf-repo-cdn.sigstore.dev.");
        }

        return uri.AbsoluteUri.EndsWith('/') ? uri : new Uri(uri.AbsoluteUri + "/");
    }
}
