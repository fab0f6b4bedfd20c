using System.Security.Cryptography;
using SigstoreBuild.Bundles;
using SigstoreBuild.Diagnostics;
using SigstoreBuild.NuGet.Verification;
using SigstoreBuild.Trust;
using SigstoreBuild.Verification;

namespace SigstoreBuild.NuGet.Restore;

/// <summary>
/// <see cref="IAttestationVerifier"/> on the project's <see cref="SigstoreVerifier"/>, requiring one of the identities the
/// package policy accepts. With none (a package allowed unsigned that happens to carry a bundle) the certificate is checked
/// cryptographically only, and the restore verifier then pins the signer through the lock (trust on first use).
/// Identities with <see cref="TrustedIdentity.RequireProvenanceConsistency"/> also require the provenance to agree with the
/// certificate: a signer that any such identity names must pass that check, even if another identity names it too
/// (and one that sets <see cref="TrustedIdentity.UnsafeAllowUncorroboratedProvenance"/> only what that leaves of it).
/// </summary>
public sealed class SigstoreAttestationVerifier(SigstoreVerifier verifier, IReadOnlyList<TrustedIdentity> acceptable) : IAttestationVerifier
{
    public byte[] Verify(Bundle bundle, HashAlgorithmName digestAlgorithm, byte[] digest, PackageVerificationPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(bundle);
        ArgumentNullException.ThrowIfNull(policy);
        var forDigest = VerificationPolicy.ForDigest(digestAlgorithm, digest);
        if (acceptable.Count == 0)
        {
            verifier.Verify(bundle, Provenance(forDigest.UnsafeWithoutIdentity(), policy.RequireProvenanceConsistency, policy.UnsafeAllowUncorroboratedProvenance));
            return Payload(bundle);
        }

        // Strictest first: full provenance consistency, then consistency that allows an uncorroborating certificate, then
        // none. A later group is tried only when no identity of the earlier one names the signer.
        int Strictness(TrustedIdentity i) =>
            !(policy.RequireProvenanceConsistency || i.RequireProvenanceConsistency) ? 2
            : policy.UnsafeAllowUncorroboratedProvenance || i.UnsafeAllowUncorroboratedProvenance ? 1
            : 0;
        var groups = acceptable.GroupBy(Strictness).OrderBy(g => g.Key).ToList();
        for (var i = 0; ; i++)
        {
            var group = groups[i];
            var check = forDigest.RequireIdentity([.. group.Select(ToCertificateIdentity)]);
            try
            {
                // The verifier checks the identity before the provenance, so SSB342x here means this group named the signer.
                verifier.Verify(bundle, Provenance(check, group.Key < 2, group.Key == 1));
                return Payload(bundle);
            }
            catch (VerificationException ex) when (i < groups.Count - 1 && IsIdentityMismatch(ex.Code))
            {
                // Not named by this group: a laxer identity may still name it.
            }
        }
    }

    private static VerificationPolicy Provenance(VerificationPolicy policy, bool required, bool allowUncorroborated) =>
        !required ? policy
        : allowUncorroborated ? policy.RequireProvenanceConsistency().UnsafeAllowUncorroboratedProvenance()
        : policy.RequireProvenanceConsistency();

    private static bool IsIdentityMismatch(string code) => code is PolicyCodes.SubjectAlternativeNameMismatch or PolicyCodes.IssuerMismatch or PolicyCodes.ExtensionMismatch;

    private static byte[] Payload(Bundle bundle) =>
        bundle.DsseEnvelope?.Payload ?? throw new SigstoreException(RestoreCodes.SignatureInvalid, "The bundle has no DSSE payload.");

    /// <summary>The production restore verifier for a trusted_root.json.</summary>
    public static IPackageSignatureVerifier ForTrustedRoot(string trustedRootPath)
    {
        var verifier = new SigstoreVerifier(TrustedRoot.Load(trustedRootPath), VerifierOptions.PublicGood);
        return new SigstorePackageSignatureVerifier(identities => new SigstoreAttestationVerifier(verifier, identities), RestoreRun.FingerprintFile(trustedRootPath));
    }

    private static CertificateIdentity ToCertificateIdentity(TrustedIdentity identity)
    {
        var certificateIdentity = identity.Subject is not null
            ? CertificateIdentity.Exact(identity.Subject, identity.Issuer)
            : CertificateIdentity.Regex(identity.SubjectRegex!, identity.Issuer);
        foreach (var (oid, value) in identity.ExtensionPins)
        {
            certificateIdentity = certificateIdentity.WithExtension(oid, value);
        }

        return certificateIdentity;
    }
}
