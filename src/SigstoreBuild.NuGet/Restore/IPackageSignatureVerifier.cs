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
}
