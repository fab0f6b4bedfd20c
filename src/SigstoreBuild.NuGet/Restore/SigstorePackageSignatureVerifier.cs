using System.Security.Cryptography;
using NuGet.Packaging.Core;
using NuGet.Versioning;
using SigstoreBuild.Bundles;
using SigstoreBuild.Diagnostics;
using SigstoreBuild.NuGet.Verification;
using SigstoreBuild.Trust;
using SigstoreBuild.Verification;

namespace SigstoreBuild.NuGet.Restore;

/// <summary>
/// The production <see cref="IPackageSignatureVerifier"/>: the package library's <see cref="PackageVerifier"/> (strict
/// archive, content hash, subject <c>pkg:nuget/id@version</c>) over the Sigstore verifier, requiring one of the identities
/// the package policy accepts; the signer is the identity the verification reports. With none (a package allowed unsigned
/// that happens to carry a bundle) the certificate is checked cryptographically only, and the restore verifier then pins
/// the signer through the lock (trust on first use).
/// </summary>
internal sealed class SigstorePackageSignatureVerifier(SigstoreVerifier verifier, string trustRootFingerprint) : IPackageSignatureVerifier
{
    public string TrustRootFingerprint { get; } = trustRootFingerprint;

    /// <summary>The production restore verifier for a trusted_root.json.</summary>
    public static IPackageSignatureVerifier ForTrustedRoot(string trustedRootPath) =>
        new SigstorePackageSignatureVerifier(new SigstoreVerifier(TrustedRoot.Load(trustedRootPath), VerifierOptions.PublicGood), RestoreRun.FingerprintFile(trustedRootPath));

    public SignerIdentity Verify(PackageLocation package, ReadOnlyMemory<byte> bundleJson, IReadOnlyList<TrustedIdentity> acceptable)
    {
        ArgumentNullException.ThrowIfNull(package);
        ArgumentNullException.ThrowIfNull(acceptable);
        var bundle = BundleSerializer.Parse(bundleJson.Span);
        var expected = new PackageIdentity(package.Id, NuGetVersion.Parse(package.Version));
        PackageVerificationResult result;
        try
        {
            var attestations = acceptable.Count == 0
                ? SigstoreAttestationVerifier.UnsafeForAnySigner(verifier)
                : new SigstoreAttestationVerifier(verifier, [.. acceptable.Select(i => i.ToCertificateIdentity())]);
            var packages = new PackageVerifier(attestations);
            var policy = new PackageVerificationPolicy { ExpectedIdentity = expected };
            result = package.Inspection is { } inspection ? packages.Verify(inspection, bundle, policy) : packages.Verify(package.NupkgPath, bundle, policy);
        }
        catch (VerificationException ex) when (ex.Signer is { } signer)
        {
            throw new UntrustedSignerException(SignerIdentity.From(signer), ex);
        }

        if (!CryptographicOperations.FixedTimeEquals(result.Package.ContentHashSha512, package.ContentHash))
        {
            // The .nupkg changed between our integrity check and verification.
            throw new SigstoreException(RestoreCodes.ContentHashMismatch, $"The .nupkg '{package.NupkgPath}' changed while it was being verified.");
        }

        return SignerIdentity.From(result.Verification.Identity
            ?? throw new SigstoreException(RestoreCodes.SignatureInvalid, "The bundle is signed with a key, not a Fulcio certificate, so it names no signer identity a package policy could check."));
    }
}

/// <summary>The bundle verified except for the signer, whom none of the acceptable identities names (SSB5105).</summary>
internal sealed class UntrustedSignerException(SignerIdentity signer, Exception inner)
    : SigstoreException(RestoreCodes.IdentityNotTrusted, $"it is signed by {signer}, which the policy does not trust ({inner.Message}). If this signer is legitimate, add it as a SigstoreTrustedIdentity.", inner)
{
    public SignerIdentity Signer { get; } = signer;
}
