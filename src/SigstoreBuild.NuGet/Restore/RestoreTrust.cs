using System.Security.Cryptography;
using SigstoreBuild.Diagnostics;
using SigstoreBuild.Trust;
using SigstoreBuild.Tuf;
using SigstoreBuild.Verification;

namespace SigstoreBuild.NuGet.Restore;

/// <summary>
/// The production <see cref="IPackageSignatureVerifier"/>: the trust material is obtained (TUF, cache, embedded or file)
/// on first use only, once, and one <see cref="SigstoreVerifier"/> serves every package, so its per-certificate work is
/// shared. A failure to obtain it is SSB5114 for each package that needed it, never a pass.
/// </summary>
public sealed class TrustRootPackageSignatureVerifier : IPackageSignatureVerifier, IRevocationDocumentVerifier
{
    private readonly Lazy<(SigstorePackageSignatureVerifier Verifier, IReadOnlyList<VerificationWarning> Warnings)> _loaded;
    private readonly ITrustRootProvider _provider;

    public TrustRootPackageSignatureVerifier(ITrustRootProvider provider, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(provider);
        _provider = provider;
        _loaded = new(() => Load(provider, timeProvider), LazyThreadSafetyMode.ExecutionAndPublication);
    }

    public static TrustRootPackageSignatureVerifier Create(TrustConfiguration configuration) => new(new TrustRootProvider(configuration));

    /// <summary>True once the trust material was asked for (tests: a build without bundles never loads it).</summary>
    public bool IsLoaded => _loaded.IsValueCreated;

    /// <summary>Warnings of the trust source (e.g. offline with the embedded root); empty until loaded.</summary>
    public IReadOnlyList<VerificationWarning> Warnings => _loaded.IsValueCreated ? _loaded.Value.Warnings : [];

    public string TrustRootFingerprint => _loaded.Value.Verifier.TrustRootFingerprint;

    /// <summary>
    /// <see cref="TrustRootFingerprint"/> without parsing anything when a trusted_root.json file is configured (the hash
    /// of the bytes the load would read); otherwise the trust material is obtained as for verification (TUF refresh).
    /// </summary>
    /// <summary>
    /// The fingerprint of <paramref name="verifier"/>'s trust root, cheaply where a file names it (see
    /// <see cref="PeekFingerprint()"/>); null when there is no verifier or the trust root cannot be obtained.
    /// </summary>
    internal static string? PeekFingerprint(IPackageSignatureVerifier? verifier)
    {
        try
        {
            return verifier switch
            {
                null => null,
                TrustRootPackageSignatureVerifier trustRoot => trustRoot.PeekFingerprint(),
                var other => other.TrustRootFingerprint,
            };
        }
        catch (SigstoreException)
        {
            return null;
        }
    }

    internal string PeekFingerprint() =>
        !_loaded.IsValueCreated && _provider is TrustRootProvider { Configuration.TrustedRootPath: { } path }
            ? RestoreRun.FingerprintFile(path)
            : TrustRootFingerprint;

    public SignerIdentity Verify(PackageLocation package, ReadOnlyMemory<byte> bundleJson, IReadOnlyList<TrustedIdentity> acceptable) =>
        _loaded.Value.Verifier.Verify(package, bundleJson, acceptable, null);

    public SignerIdentity Verify(PackageLocation package, ReadOnlyMemory<byte> bundleJson, IReadOnlyList<TrustedIdentity> acceptable, RevocationList? revocations) =>
        _loaded.Value.Verifier.Verify(package, bundleJson, acceptable, revocations);

    PublishedRevocationList IRevocationDocumentVerifier.VerifyRevocations(byte[] document, byte[] bundleJson, string source) =>
        _loaded.Value.Verifier.VerifyRevocations(document, bundleJson, source);

    private static (SigstorePackageSignatureVerifier, IReadOnlyList<VerificationWarning>) Load(ITrustRootProvider provider, TimeProvider? timeProvider)
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
            throw new SigstoreException(RestoreCodes.TrustRootUnavailable, $"the Sigstore trust root could not be obtained ({ex.Code}: {ex.Message})", ex); // the inner hint names the settings as the front end spells them
        }

        var verifier = new SigstoreVerifier(root, VerifierOptions.PublicGood, timeProvider);
        var fingerprint = Convert.ToHexStringLower(SHA256.HashData(material.TrustedRootJson));
        return (new SigstorePackageSignatureVerifier(verifier, fingerprint), material.Warnings);
    }
}
