using System.Security.Cryptography;
using SigstoreBuild.Diagnostics;
using SigstoreBuild.Trust;
using SigstoreBuild.Tuf;
using SigstoreBuild.Verification;

namespace SigstoreBuild.NuGet.Restore;

/// <summary>
/// The trust settings of dependency verification as MSBuild properties or CLI options give them: an explicit
/// trusted_root.json wins, then a custom TUF mirror with its initial root, then the instance (public-good by default).
/// </summary>
public sealed record RestoreTrustSettings
{
    public static readonly string[] Instances = ["public-good", "staging", "custom"];

    /// <summary>SigstoreInstance: public-good (default), staging or custom.</summary>
    public string? Instance { get; init; }

    /// <summary>SigstoreTrustedRootPath: a trusted_root.json; no TUF then.</summary>
    public string? TrustedRootPath { get; init; }

    /// <summary>SigstoreTufUrl: the metadata URL of a custom TUF mirror (needs <see cref="TufRootPath"/>).</summary>
    public string? TufUrl { get; init; }

    /// <summary>SigstoreTufRootPath: the initial root.json trusted for <see cref="TufUrl"/>.</summary>
    public string? TufRootPath { get; init; }

    /// <summary>SigstoreTufCachePath: the TUF cache directory.</summary>
    public string? TufCachePath { get; init; }

    /// <summary>SigstoreOffline: never contact the mirror (TUF cache, else the embedded root of the presets).</summary>
    public bool Offline { get; init; }

    /// <summary>
    /// Checks the settings without any I/O beyond "does this file exist", so a build that turns out to need no trust root
    /// (every package allowed unsigned, no bundle found) never contacts a TUF mirror. Throws SSB5116 naming the property.
    /// </summary>
    public TrustConfiguration ToConfiguration()
    {
        TrustConfiguration configuration;
        var instance = string.IsNullOrWhiteSpace(Instance) ? null : Instance.Trim().ToLowerInvariant();
        if (instance is not null && !Instances.Contains(instance, StringComparer.Ordinal))
        {
            throw Invalid($"SigstoreInstance is '{Instance}'. Use one of: {string.Join(", ", Instances)}.");
        }

        if (!string.IsNullOrWhiteSpace(TrustedRootPath))
        {
            RequireFile(TrustedRootPath, "SigstoreTrustedRootPath", "a Sigstore trusted_root.json");
            configuration = TrustConfiguration.FromFiles(Path.GetFullPath(TrustedRootPath));
        }
        else if (!string.IsNullOrWhiteSpace(TufUrl))
        {
            if (!Uri.TryCreate(TufUrl, UriKind.Absolute, out var mirror) || (mirror.Scheme != Uri.UriSchemeHttps && mirror.Scheme != Uri.UriSchemeHttp))
            {
                throw Invalid($"SigstoreTufUrl '{TufUrl}' is not an absolute http(s) URL. Set it to the metadata URL of the TUF mirror.");
            }

            if (string.IsNullOrWhiteSpace(TufRootPath))
            {
                throw Invalid("SigstoreTufUrl is set but SigstoreTufRootPath is not. Set it to the root.json you trust for that mirror.");
            }

            RequireFile(TufRootPath, "SigstoreTufRootPath", "the root.json trusted for SigstoreTufUrl");
            configuration = TrustConfiguration.Custom(mirror, File.ReadAllBytes(TufRootPath));
        }
        else
        {
            configuration = instance switch
            {
                "staging" => TrustConfiguration.Staging,
                "custom" => throw Invalid("SigstoreInstance is 'custom' but neither SigstoreTrustedRootPath nor SigstoreTufUrl (with SigstoreTufRootPath) is set. Set one of them."),
                _ => TrustConfiguration.PublicGood,
            };
        }

        configuration = configuration.WithCacheDirectory(string.IsNullOrWhiteSpace(TufCachePath) ? null : Path.GetFullPath(TufCachePath));
        return Offline ? configuration with { Offline = true } : configuration;
    }

    private static void RequireFile(string path, string property, string what)
    {
        if (!File.Exists(path))
        {
            throw Invalid($"{property} is '{path}', which does not exist. Set it to {what}, or remove it to use the instance's trust root from TUF.");
        }
    }

    private static SigstoreException Invalid(string message) => new(RestoreCodes.TrustConfigurationInvalid, message);
}

/// <summary>
/// The production <see cref="IPackageSignatureVerifier"/>: the trust material is obtained (TUF, cache, embedded or file)
/// on first use only, once, and one <see cref="SigstoreVerifier"/> serves every package, so its per-certificate work is
/// shared. A failure to obtain it is SSB5114 for each package that needed it, never a pass.
/// </summary>
public sealed class TrustRootPackageSignatureVerifier : IPackageSignatureVerifier
{
    private readonly Lazy<(SigstorePackageSignatureVerifier Verifier, IReadOnlyList<TufWarning> Warnings)> _loaded;

    public TrustRootPackageSignatureVerifier(ITrustRootProvider provider, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(provider);
        _loaded = new(() => Load(provider, timeProvider), LazyThreadSafetyMode.ExecutionAndPublication);
    }

    public static TrustRootPackageSignatureVerifier Create(TrustConfiguration configuration) => new(new TrustRootProvider(configuration));

    /// <summary>True once the trust material was asked for (tests: a build without bundles never loads it).</summary>
    public bool IsLoaded => _loaded.IsValueCreated;

    /// <summary>Warnings of the trust source (e.g. offline with the embedded root); empty until loaded.</summary>
    public IReadOnlyList<TufWarning> Warnings => _loaded.IsValueCreated ? _loaded.Value.Warnings : [];

    public string TrustRootFingerprint => _loaded.Value.Verifier.TrustRootFingerprint;

    public SignerIdentity Verify(PackageLocation package, ReadOnlyMemory<byte> bundleJson, IReadOnlyList<TrustedIdentity> acceptable) =>
        _loaded.Value.Verifier.Verify(package, bundleJson, acceptable);

    private static (SigstorePackageSignatureVerifier, IReadOnlyList<TufWarning>) Load(ITrustRootProvider provider, TimeProvider? timeProvider)
    {
        TrustMaterialBytes material;
        TrustedRoot root;
        try
        {
            // Once per build, before any package is verified: blocking here keeps IPackageSignatureVerifier synchronous.
            material = provider.GetAsync(CancellationToken.None).GetAwaiter().GetResult();
            root = TrustedRoot.Parse(material.TrustedRootJson);
        }
        catch (SigstoreException ex)
        {
            throw new SigstoreException(RestoreCodes.TrustRootUnavailable, $"the Sigstore trust root could not be obtained ({ex.Code}: {ex.Message}) Check the network or SigstoreTufCachePath, or set SigstoreTrustedRootPath.", ex);
        }

        var verifier = new SigstoreVerifier(root, VerifierOptions.PublicGood, timeProvider);
        var fingerprint = Convert.ToHexStringLower(SHA256.HashData(material.TrustedRootJson));
        return (new SigstorePackageSignatureVerifier(verifier, fingerprint), material.Warnings);
    }
}
