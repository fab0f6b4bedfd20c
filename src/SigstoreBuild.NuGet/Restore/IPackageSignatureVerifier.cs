namespace SigstoreBuild.NuGet.Restore;

/// <summary>
/// Verifies a Sigstore bundle for a package: trust root, certificate, transparency log, timestamps, signature, and that
/// the signed subject is this package's content hash. Returns the verified signer, or throws a
/// <see cref="Diagnostics.SigstoreException"/> with the verifier's code. The identity decision (which signer is trusted for
/// which package) is the caller's; <paramref name="acceptable"/> lets the verifier enforce it too.
/// </summary>
public interface IPackageSignatureVerifier
{
    /// <summary>Identifies the trust root in use (e.g. SHA-256 of trusted_root.json); part of the verification cache key.</summary>
    string TrustRootFingerprint { get; }

    SignerIdentity Verify(PackageLocation package, ReadOnlyMemory<byte> bundleJson, IReadOnlyList<TrustedIdentity> acceptable);

    /// <summary>
    /// As <see cref="Verify(PackageLocation, ReadOnlyMemory{byte}, IReadOnlyList{TrustedIdentity})"/>, and a signature that
    /// <paramref name="revocations"/> names fails (SSB3490). A verifier that cannot judge revocations refuses to verify
    /// when there are any, rather than ignore them.
    /// </summary>
    SignerIdentity Verify(PackageLocation package, ReadOnlyMemory<byte> bundleJson, IReadOnlyList<TrustedIdentity> acceptable, SigstoreBuild.Verification.RevocationList? revocations) =>
        revocations is null || revocations.Entries.Count == 0
            ? Verify(package, bundleJson, acceptable)
            : throw new Diagnostics.SigstoreException(RestoreCodes.Revoked, $"The package verifier {GetType().Name} cannot check revocations, so nothing is verified while revocations are configured.");
}
