using System.Security.Cryptography;
using SigstoreBuild.Bundles;
using SigstoreBuild.Verification;

namespace SigstoreBuild.NuGet.Verification;

/// <summary>The production <see cref="IAttestationVerifier"/>: the project's <see cref="SigstoreVerifier"/> with a signer identity policy.</summary>
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

    /// <summary>The last successful result, for callers that report identity, times and log entries.</summary>
    public VerificationResult? LastResult { get; private set; }

    public byte[] Verify(Bundle bundle, HashAlgorithmName digestAlgorithm, byte[] digest, PackageVerificationPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        var verification = VerificationPolicy.ForDigest(digestAlgorithm, digest).RequireIdentity(_identities);
        verification = policy.RequireProvenanceConsistency ? verification.RequireProvenanceConsistency() : verification;
        verification = policy.UnsafeAllowUncorroboratedProvenance ? verification.UnsafeAllowUncorroboratedProvenance() : verification;
        LastResult = _verifier.Verify(bundle, verification);
        return bundle.DsseEnvelope?.Payload ?? throw new InvalidOperationException("A verified DSSE bundle has a payload.");
    }
}
