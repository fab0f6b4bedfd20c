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
/// certificate: a signer that any such identity names must pass that check, even if another identity names it too.
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
            var anySigner = forDigest.UnsafeWithoutIdentity();
            verifier.Verify(bundle, policy.RequireProvenanceConsistency ? anySigner.RequireProvenanceConsistency() : anySigner);
            return Payload(bundle);
        }

        var strict = acceptable.Where(i => policy.RequireProvenanceConsistency || i.RequireProvenanceConsistency).ToList();
        var lax = acceptable.Where(i => !policy.RequireProvenanceConsistency && !i.RequireProvenanceConsistency).ToList();
        if (strict.Count > 0)
        {
            try
            {
                // The verifier checks the identity before the provenance, so SSB342x here means a strict identity named the signer.
                verifier.Verify(bundle, forDigest.RequireIdentity([.. strict.Select(ToCertificateIdentity)]).RequireProvenanceConsistency());
                return Payload(bundle);
            }
            catch (VerificationException ex) when (lax.Count > 0 && IsIdentityMismatch(ex.Code))
            {
                // Not one of the strict signers: a lax identity may still name it (verified again below, without the check).
            }
        }

        verifier.Verify(bundle, forDigest.RequireIdentity([.. lax.Select(ToCertificateIdentity)]));
        return Payload(bundle);
    }

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
