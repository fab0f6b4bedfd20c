using System.Security.Cryptography;
using SigstoreBuild.Bundles;
using SigstoreBuild.Crypto;
using SigstoreBuild.Verification;

namespace SigstoreBuild.NuGet.Verification;

/// <summary>
/// The production <see cref="IAttestationVerifier"/>: the project's <see cref="SigstoreVerifier"/>, requiring one of the
/// signer identities (an identity may require consistent provenance for its own signers,
/// <see cref="CertificateIdentity.RequireProvenanceConsistency"/>). Stateless: share one instance freely.
/// </summary>
public sealed class SigstoreAttestationVerifier : IAttestationVerifier
{
    private readonly SigstoreVerifier _verifier;
    private readonly CertificateIdentity[] _identities;

    public SigstoreAttestationVerifier(SigstoreVerifier verifier, params CertificateIdentity[] anyOfIdentities)
    {
        ArgumentNullException.ThrowIfNull(verifier);
        ArgumentNullException.ThrowIfNull(anyOfIdentities);
        if (anyOfIdentities.Length == 0)
        {
            throw new ArgumentException("At least one trusted signer identity is required.", nameof(anyOfIdentities));
        }

        _verifier = verifier;
        _identities = anyOfIdentities;
    }

    private readonly VerificationKey? _key;

    private SigstoreAttestationVerifier(SigstoreVerifier verifier, VerificationKey? key = null)
    {
        _verifier = verifier;
        _identities = [];
        _key = key;
    }

    /// <summary>Key-based bundles: the signature (and the log entry's verifier) must be this public key.</summary>
    public static SigstoreAttestationVerifier ForKey(SigstoreVerifier verifier, VerificationKey key)
    {
        ArgumentNullException.ThrowIfNull(verifier);
        ArgumentNullException.ThrowIfNull(key);
        return new SigstoreAttestationVerifier(verifier, key);
    }

    /// <summary>
    /// UNSAFE: accepts any signer the trusted CA certified (the result warns SSB3550). The caller must check the
    /// result's identity itself, as restore does for a package allowed unsigned by pinning the signer in the lock.
    /// </summary>
    public static SigstoreAttestationVerifier UnsafeForAnySigner(SigstoreVerifier verifier)
    {
        ArgumentNullException.ThrowIfNull(verifier);
        return new SigstoreAttestationVerifier(verifier);
    }

    public VerificationResult Verify(Bundle bundle, HashAlgorithmName digestAlgorithm, byte[] digest, PackageVerificationPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(bundle);
        ArgumentNullException.ThrowIfNull(policy);
        var verification = VerificationPolicy.ForDigest(digestAlgorithm, digest);
        verification = _key is not null ? verification.WithKey(_key)
            : _identities.Length == 0 ? verification.UnsafeWithoutIdentity()
            : verification.RequireIdentity(_identities);
        verification = policy.RequireProvenanceConsistency ? verification.RequireProvenanceConsistency() : verification;
        verification = policy.UnsafeAllowUncorroboratedProvenance ? verification.UnsafeAllowUncorroboratedProvenance() : verification;
        verification = policy.Revocations is { } revocations ? verification.RejectRevoked(revocations) : verification;
        return _verifier.Verify(bundle, verification);
    }
}
