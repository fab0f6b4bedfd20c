namespace SigstoreBuild.NuGet.Restore;

/// <summary>The package a bundle must be bound to.</summary>
/// <param name="Id">The package ID as restored.</param>
/// <param name="Version">The normalised version.</param>
/// <param name="ContentHash">The NuGet content hash (SHA-512) computed from the .nupkg by us.</param>
/// <param name="NupkgPath">The .nupkg in the package folder (for verifiers that re-read the archive).</param>
public sealed record PackageSubject(string Id, string Version, byte[] ContentHash, string NupkgPath)
{
    /// <summary>The strict inspection that produced <see cref="ContentHash"/> in this run, if any: verifiers reuse it instead of reading the archive again.</summary>
    public PackageInspection? Inspection { get; init; }

    public string Name => $"pkg:nuget/{Id}@{Version}";
}

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

    SignerIdentity Verify(PackageSubject subject, ReadOnlyMemory<byte> bundleJson, IReadOnlyList<TrustedIdentity> acceptable);
}
