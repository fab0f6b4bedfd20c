using System.Text.Json;
using SigstoreBuild.Diagnostics;
using SigstoreBuild.IO;
using SigstoreBuild.Trust;

namespace SigstoreBuild.Tuf;

/// <summary>Which Sigstore instance the trust material describes.</summary>
internal enum SigstoreInstance
{
    PublicGood,
    Staging,
    Custom,
}

/// <summary>Where the bytes in <see cref="TrustMaterialBytes"/> came from.</summary>
public enum TrustMaterialSource
{
    /// <summary>Verified through TUF against the mirror during this call.</summary>
    Tuf,

    /// <summary>Verified through TUF from the local cache, without contacting the mirror (offline).</summary>
    TufCache,

    /// <summary>The trust material embedded in this library (offline, no cache yet).</summary>
    Embedded,

    /// <summary>Explicit trusted_root.json / signing_config.json files.</summary>
    Files,
}

/// <summary>
/// How to obtain trust material: a preset (<see cref="PublicGood"/>, <see cref="Staging"/>), a custom TUF mirror with its
/// initial root (<see cref="Custom"/>), a TUF cache initialised earlier (<see cref="FromTufCache"/>), or explicit files
/// (<see cref="FromFiles"/>). Immutable; e.g. <c>TrustConfiguration.PublicGood with { Offline = true }</c>.
/// </summary>
public sealed record TrustConfiguration
{
    internal SigstoreInstance Instance { get; init; }

    /// <summary>TUF settings; null when explicit files are used.</summary>
    public TufOptions? Tuf { get; init; }

    public string? TrustedRootPath { get; init; }

    public string? SigningConfigPath { get; init; }

    /// <summary>Never contact the mirror: use the cache, or the embedded seed for the presets, while not expired.</summary>
    public bool Offline { get; init; }

    public static TrustConfiguration PublicGood => new() { Instance = SigstoreInstance.PublicGood, Tuf = TufOptions.PublicGood };

    public static TrustConfiguration Staging => new() { Instance = SigstoreInstance.Staging, Tuf = TufOptions.Staging };

    public static TrustConfiguration Custom(Uri mirror, ReadOnlyMemory<byte> initialRoot)
        => new() { Instance = SigstoreInstance.Custom, Tuf = TufOptions.Custom(mirror, initialRoot) };

    /// <summary>A custom instance trusted from the root.json file at <paramref name="initialRootPath"/>.</summary>
    public static TrustConfiguration CustomFromFile(Uri mirror, string initialRootPath)
        => new() { Instance = SigstoreInstance.Custom, Tuf = TufOptions.CustomFromFile(mirror, initialRootPath) };

    public static TrustConfiguration FromTufCache(string cacheDirectory)
        => new() { Instance = SigstoreInstance.Custom, Tuf = TufOptions.FromCache(cacheDirectory) };

    public static TrustConfiguration FromFiles(string trustedRootPath, string? signingConfigPath = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(trustedRootPath);
        return new() { Instance = SigstoreInstance.Custom, TrustedRootPath = trustedRootPath, SigningConfigPath = signingConfigPath };
    }

    /// <summary>How the front end that made this configuration names its settings, for the hints in trust errors.</summary>
    internal TrustSettingNames SettingNames { get; init; } = TrustSettingNames.CommandLine;

    internal TrustConfiguration WithSettingNames(TrustSettingNames names)
        => this with { SettingNames = names, Tuf = Tuf is null ? null : Tuf with { SettingNames = names } };

    /// <summary>Applies a cache directory to the TUF settings (CLI --cache-dir, MSBuild SigstoreTufCachePath).</summary>
    public TrustConfiguration WithCacheDirectory(string? cacheDirectory)
        => string.IsNullOrEmpty(cacheDirectory) || Tuf is null ? this : this with { Tuf = Tuf with { CacheDirectory = cacheDirectory } };
}

/// <summary>The raw trust material for the verifier and signer, and how it was obtained.</summary>
public sealed record TrustMaterialBytes
{
    public required byte[] TrustedRootJson { get; init; }

    /// <summary>The signing_config.v0.2.json target (or file); null when the repository does not publish one.</summary>
    public byte[]? SigningConfigJson { get; init; }

    public required TrustMaterialSource Source { get; init; }

    /// <summary>True when the bytes came from the local TUF cache without contacting the mirror.</summary>
    public bool FromCache { get; init; }

    /// <summary>True when offline mode was used; the CLI says so.</summary>
    public bool Offline { get; init; }

    /// <summary>The TUF state behind the bytes, when TUF was used.</summary>
    public TufTrustState? TufState { get; init; }

    public IReadOnlyList<VerificationWarning> Warnings { get; init; } = [];

    /// <summary>How the settings that produced these bytes are named, for hints raised later (e.g. no signing config).</summary>
    internal TrustSettingNames SettingNames { get; init; } = TrustSettingNames.CommandLine;
}

/// <summary>Pluggable source of trust material (tests, the MSBuild task cache).</summary>
public interface ITrustRootProvider
{
    Task<TrustMaterialBytes> GetAsync(CancellationToken cancellationToken = default);
}

/// <summary>
/// Obtains <c>trusted_root.json</c> and <c>signing_config.v0.2.json</c> as configured:
/// <code>
/// TrustMaterialBytes trust = await new TrustRootProvider(TrustConfiguration.PublicGood).GetAsync(ct);
/// </code>
/// </summary>
public sealed class TrustRootProvider : ITrustRootProvider
{
    public const string TrustedRootTarget = "trusted_root.json";
    public const string SigningConfigTarget = "signing_config.v0.2.json";

    public TrustRootProvider(TrustConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        Configuration = configuration;
    }

    public TrustConfiguration Configuration { get; }

    public async Task<TrustMaterialBytes> GetAsync(CancellationToken cancellationToken = default)
    {
        var names = Configuration.SettingNames;
        if (Configuration.TrustedRootPath is not null)
        {
            return FromFiles(Configuration.TrustedRootPath, Configuration.SigningConfigPath) with { SettingNames = names };
        }

        TufOptions tuf = Configuration.Tuf
            ?? throw new SigstoreException(TufCodes.InvalidOptions, $"The trust configuration names neither a TUF repository nor a trusted_root.json file. Choose an instance, or {names.Set(names.TrustedRootPath, "trusted_root.json")}.");
        var material = Configuration.Offline
            ? await GetOfflineAsync(tuf with { Offline = true }, cancellationToken).ConfigureAwait(false)
            : await GetOnlineAsync(tuf with { Offline = false }, cancellationToken).ConfigureAwait(false);
        return material with { SettingNames = names };
    }

    private static async Task<TrustMaterialBytes> GetOnlineAsync(TufOptions tuf, CancellationToken cancellationToken)
    {
        using TufClient client = await TufClient.CreateAsync(tuf, cancellationToken).ConfigureAwait(false);
        TufTrustState state = await client.RefreshAsync(cancellationToken).ConfigureAwait(false);
        (byte[] trustedRoot, byte[]? signingConfig) = await GetTargetsAsync(client, cancellationToken).ConfigureAwait(false);
        return new TrustMaterialBytes
        {
            TrustedRootJson = trustedRoot,
            SigningConfigJson = signingConfig,
            Source = TrustMaterialSource.Tuf,
            TufState = client.State ?? state,
            Warnings = state.Warnings,
        };
    }

    private async Task<TrustMaterialBytes> GetOfflineAsync(TufOptions tuf, CancellationToken cancellationToken)
    {
        TufClient? client = null;
        try
        {
            client = await TufClient.CreateAsync(tuf, cancellationToken).ConfigureAwait(false);
            TufTrustState state = await client.RefreshAsync(cancellationToken).ConfigureAwait(false);
            (byte[] trustedRoot, byte[]? signingConfig) = await GetTargetsAsync(client, cancellationToken).ConfigureAwait(false);
            return new TrustMaterialBytes
            {
                TrustedRootJson = trustedRoot,
                SigningConfigJson = signingConfig,
                Source = TrustMaterialSource.TufCache,
                FromCache = true,
                Offline = true,
                TufState = state,
                Warnings = state.Warnings,
            };
        }
        catch (SigstoreException ex) when (ex.Code == TufCodes.Expired)
        {
            throw new SigstoreException(TufCodes.OfflineUnavailable, $"Offline mode refused: the cached TUF metadata has expired ({ex.Message}) {RefreshHint(tuf)}", ex);
        }
        catch (SigstoreException ex) when (ex.Code == TufCodes.OfflineUnavailable && Configuration.Instance != SigstoreInstance.Custom)
        {
            return FromEmbedded(tuf, ex);
        }
        finally
        {
            client?.Dispose();
        }
    }

    /// <summary>The embedded seed is trusted as long as the embedded root it was shipped with has not expired.</summary>
    private TrustMaterialBytes FromEmbedded(TufOptions tuf, SigstoreException cacheFailure)
    {
        bool publicGood = Configuration.Instance == SigstoreInstance.PublicGood;
        RootMetadata root = RootMetadata.Parse(publicGood ? EmbeddedTrust.PublicGoodRoot : EmbeddedTrust.StagingRoot);
        if (root.IsExpired(tuf.TimeProvider.GetUtcNow()))
        {
            throw new SigstoreException(TufCodes.OfflineUnavailable, $"Offline mode refused: there is no usable TUF cache ({cacheFailure.Message}) and the {(publicGood ? "public-good" : "staging")} trust material embedded in this version of SigstoreBuild (TUF root v{root.Version}) expired at {root.Expires:u}. {RefreshHint(tuf, embeddedExpired: true)}", cacheFailure);
        }

        return new TrustMaterialBytes
        {
            TrustedRootJson = publicGood ? EmbeddedTrust.PublicGoodTrustedRoot : EmbeddedTrust.StagingTrustedRoot,
            SigningConfigJson = publicGood ? EmbeddedTrust.PublicGoodSigningConfig : EmbeddedTrust.StagingSigningConfig,
            Source = TrustMaterialSource.Embedded,
            Offline = true,
            Warnings = [new VerificationWarning(TufCodes.OfflineTrustUsed, $"Offline: no usable TUF cache, so the {(publicGood ? "public-good" : "staging")} trust root embedded in this version of SigstoreBuild is used (valid until {root.Expires:u}).")],
        };
    }

    /// <summary>
    /// What a user can do when offline mode has no valid trust material: each way works as written (the cache directory
    /// holds mirror.json once a client was created for it, so <c>trust-root update --cache-dir</c> can resume from it).
    /// </summary>
    internal static string RefreshHint(TufOptions tuf, bool embeddedExpired = false)
    {
        string cache = tuf.ResolveCacheDirectory();
        var names = tuf.SettingNames;
        string update = embeddedExpired ? "update SigstoreBuild (the package or the sigstore tool) to a newer version, which embeds newer trust material; or " : string.Empty;
        return $"To fix it, {update}run once with network access {names.OfflineOff}, "
            + $"or run `sigstore trust-root update --cache-dir \"{cache}\"` with network access, so that the TUF cache {cache} is refreshed; "
            + $"or {names.Set(names.CacheDirectory, "DIR")}, a TUF cache directory (the one holding mirror.json) refreshed on a machine with network access.";
    }

    private static async Task<(byte[] TrustedRoot, byte[]? SigningConfig)> GetTargetsAsync(TufClient client, CancellationToken cancellationToken)
    {
        byte[] trustedRoot = await client.GetTargetBytesAsync(TrustedRootTarget, cancellationToken).ConfigureAwait(false);
        EnsureJson(trustedRoot, TrustedRootTarget);
        byte[]? signingConfig;
        try
        {
            signingConfig = await client.GetTargetBytesAsync(SigningConfigTarget, cancellationToken).ConfigureAwait(false);
            EnsureJson(signingConfig, SigningConfigTarget);
        }
        catch (SigstoreException ex) when (ex.Code == TufCodes.TargetNotFound)
        {
            signingConfig = null;
        }

        return (trustedRoot, signingConfig);
    }

    private static TrustMaterialBytes FromFiles(string trustedRootPath, string? signingConfigPath)
    {
        byte[] trustedRoot = ReadJsonFile(trustedRootPath, TrustDocumentSerializer.TrustedRootFile);
        byte[]? signingConfig = signingConfigPath is null ? null : ReadJsonFile(signingConfigPath, TrustDocumentSerializer.SigningConfigFile);
        return new TrustMaterialBytes { TrustedRootJson = trustedRoot, SigningConfigJson = signingConfig, Source = TrustMaterialSource.Files };
    }

    private static byte[] ReadJsonFile(string path, InputKind kind)
    {
        byte[] data = InputFile.ReadAllBytes(path, kind);
        EnsureJson(data, path);
        return data;
    }

    private static void EnsureJson(byte[] data, string name)
    {
        try
        {
            using JsonDocument document = JsonDocument.Parse(data);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new SigstoreException(TufCodes.InvalidTrustFile, $"{name} is not a JSON object. Check that it is a Sigstore trusted root or signing config.");
            }
        }
        catch (JsonException ex)
        {
            throw new SigstoreException(TufCodes.InvalidTrustFile, $"{name} is not valid JSON ({ex.Message}). Check that it is a Sigstore trusted root or signing config.", ex);
        }
    }
}
