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
internal sealed class SigstorePackageSignatureVerifier(SigstoreVerifier verifier, string trustRootFingerprint) : IPackageSignatureVerifier, IRevocationDocumentVerifier
{
    public PublishedRevocationList VerifyRevocations(byte[] document, byte[] bundleJson, string source) => PublishedRevocationList.Verify(document, bundleJson, verifier, source);

    public string TrustRootFingerprint { get; } = trustRootFingerprint;

    /// <summary>The production restore verifier for a trusted_root.json.</summary>
    public static IPackageSignatureVerifier ForTrustedRoot(string trustedRootPath) =>
        new SigstorePackageSignatureVerifier(new SigstoreVerifier(TrustedRoot.Load(trustedRootPath), VerifierOptions.PublicGood), RestoreRun.FingerprintFile(trustedRootPath));

    public SignerIdentity Verify(PackageLocation package, ReadOnlyMemory<byte> bundleJson, IReadOnlyList<TrustedIdentity> acceptable) =>
        Verify(package, bundleJson, acceptable, null);

    public SignerIdentity Verify(PackageLocation package, ReadOnlyMemory<byte> bundleJson, IReadOnlyList<TrustedIdentity> acceptable, RevocationList? revocations)
    {
        ArgumentNullException.ThrowIfNull(package);
        ArgumentNullException.ThrowIfNull(acceptable);
        var bundle = BundleSerializer.Parse(bundleJson.Span);
        if (bundle.VerificationMaterial?.PublicKey is { } keyHint)
        {
            return VerifyWithTrustedKeys(package, bundle, keyHint.Hint, [.. acceptable.Where(i => i.PublicKey is not null)], revocations);
        }

        // A certificate-signed bundle: when only keys are trusted, the certificate is checked cryptographically and the
        // restore verifier then rejects its signer as not trusted (SSB5105), naming it.
        var identities = acceptable.Where(i => i.PublicKey is null).ToList();
        PackageVerificationResult result;
        try
        {
            var attestations = identities.Count == 0
                ? SigstoreAttestationVerifier.UnsafeForAnySigner(verifier)
                : new SigstoreAttestationVerifier(verifier, [.. identities.Select(i => i.ToCertificateIdentity())]);
            result = VerifyPackage(package, bundle, attestations, revocations);
        }
        catch (VerificationException ex) when (ex.Signer is { } signer)
        {
            throw new UntrustedSignerException(SignerIdentity.From(signer), ex);
        }

        return SignerIdentity.From(result.Verification.Identity
            ?? throw new SigstoreException(RestoreCodes.SignatureInvalid, "The bundle has no signing certificate and names no key."));
    }

    /// <summary>
    /// A key-signed bundle verifies only with a key the policy trusts for the package (no key in the bundle is trusted:
    /// it names its key by a hint alone). The signer is then <c>key:sha256:&lt;hex&gt;</c> of the key that verified it.
    /// </summary>
    private SignerIdentity VerifyWithTrustedKeys(PackageLocation package, Bundle bundle, string? hint, IReadOnlyList<TrustedIdentity> keys, RevocationList? revocations)
    {
        if (keys.Count == 0)
        {
            throw new SigstoreException(RestoreCodes.KeyNotTrusted,
                $"it is signed with a key (hint {hint ?? "none"}), and no SigstoreTrustedKey for this package ID names a key. If the publisher signs with a key, add <SigstoreTrustedKey Include=\"{package.Id}\" PublicKey=\"path/to/publisher.pub\" /> with the public key they publish.");
        }

        VerificationException? hinted = null;
        foreach (var trusted in keys)
        {
            var key = trusted.PublicKey!;
            try
            {
                var result = VerifyPackage(package, bundle, SigstoreAttestationVerifier.ForKey(verifier, key), revocations);
                return SignerIdentity.ForKey(result.Verification.KeySha256 ?? Convert.ToHexStringLower(SHA256.HashData(key.SubjectPublicKeyInfo)));
            }
            catch (VerificationException ex)
            {
                // The key the bundle names failed for another reason than being the wrong key: that is the finding.
                if (hint is not null && string.Equals(hint, Convert.ToBase64String(SHA256.HashData(key.SubjectPublicKeyInfo)), StringComparison.Ordinal))
                {
                    hinted = ex;
                }
            }
        }

        if (hinted is not null)
        {
            throw hinted;
        }

        throw new SigstoreException(RestoreCodes.KeyNotTrusted,
            $"it is signed with a key (hint {hint ?? "none"}) that is not the trusted key{(keys.Count == 1 ? "" : "s")} {string.Join(", ", keys.Select(k => k.Subject))}. Do not use the package unless the publisher announced a new key; then update the SigstoreTrustedKey's PublicKey.");
    }

    private PackageVerificationResult VerifyPackage(PackageLocation package, Bundle bundle, SigstoreAttestationVerifier attestations, RevocationList? revocations)
    {
        var expected = new PackageIdentity(package.Id, NuGetVersion.Parse(package.Version));
        var packages = new PackageVerifier(attestations);
        var policy = new PackageVerificationPolicy { ExpectedIdentity = expected, Revocations = revocations };
        var result = package.Inspection is { } inspection ? packages.Verify(inspection, bundle, policy) : packages.Verify(package.NupkgPath, bundle, policy);
        if (!CryptographicOperations.FixedTimeEquals(result.Package.ContentHashSha512, package.ContentHash))
        {
            // The .nupkg changed between our integrity check and verification (R-05).
            throw new SigstoreException(RestoreCodes.ContentHashMismatch, $"The .nupkg '{package.NupkgPath}' changed while it was being verified.");
        }

        return result;
    }
}

/// <summary>The bundle verified except for the signer, whom none of the acceptable identities names (SSB5105).</summary>
internal sealed class UntrustedSignerException(SignerIdentity signer, Exception inner)
    : SigstoreException(RestoreCodes.IdentityNotTrusted, $"it is signed by {signer}, which the policy does not trust ({inner.Message}). If this signer is legitimate, add it as a SigstoreTrustedIdentity.", inner)
{
    public SignerIdentity Signer { get; } = signer;
}
