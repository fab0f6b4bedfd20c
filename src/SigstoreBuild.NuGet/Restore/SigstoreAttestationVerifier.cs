using System.Security.Cryptography;
using SigstoreBuild.Bundles;
using SigstoreBuild.NuGet.Verification;
using SigstoreBuild.Trust;
using SigstoreBuild.Verification;

namespace SigstoreBuild.NuGet.Restore;

/// <summary>
/// <see cref="IAttestationVerifier"/> on the project's <see cref="SigstoreVerifier"/>, requiring one of the identities the
/// package policy accepts. With none (a package allowed unsigned that happens to carry a bundle) the certificate is checked
/// cryptographically only, and the restore verifier then pins the signer through the lock (trust on first use).
/// </summary>
public sealed class SigstoreAttestationVerifier(SigstoreVerifier verifier, IReadOnlyList<TrustedIdentity> acceptable) : IAttestationVerifier
{
    public byte[] Verify(Bundle bundle, HashAlgorithmName digestAlgorithm, byte[] digest)
    {
        ArgumentNullException.ThrowIfNull(bundle);
        var policy = VerificationPolicy.ForDigest(digestAlgorithm, digest);
        policy = acceptable.Count == 0 ? policy.UnsafeWithoutIdentity() : policy.RequireIdentity([.. acceptable.Select(ToCertificateIdentity)]);
        verifier.Verify(bundle, policy);
        return bundle.DsseEnvelope?.Payload ?? throw new Diagnostics.SigstoreException(RestoreCodes.SignatureInvalid, "The bundle has no DSSE payload.");
    }

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
