using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using NuGet.Packaging.Core;
using NuGet.Versioning;
using SigstoreBuild.Bundles;
using SigstoreBuild.Diagnostics;
using SigstoreBuild.NuGet.Verification;

namespace SigstoreBuild.NuGet.Restore;

/// <summary>
/// The production <see cref="IPackageSignatureVerifier"/>: the package library's <see cref="PackageVerifier"/> (strict
/// archive, content hash, subject <c>pkg:nuget/id@version</c>) over an <see cref="IAttestationVerifier"/> built on the
/// Sigstore verifier for the identities the policy accepts, then the signer read from the verified leaf certificate.
/// </summary>
public sealed class SigstorePackageSignatureVerifier(Func<IReadOnlyList<TrustedIdentity>, IAttestationVerifier> attestationVerifierFactory, string trustRootFingerprint) : IPackageSignatureVerifier
{
    // A release signs many packages with one certificate: parse each signer once (keyed by the leaf's SHA-256).
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, SignerIdentity> _signers = new(StringComparer.Ordinal);

    public string TrustRootFingerprint { get; } = trustRootFingerprint;

    public SignerIdentity Verify(PackageSubject subject, ReadOnlyMemory<byte> bundleJson, IReadOnlyList<TrustedIdentity> acceptable)
    {
        ArgumentNullException.ThrowIfNull(subject);
        var bundle = BundleSerializer.Parse(bundleJson.Span);
        var expected = new PackageIdentity(subject.Id, NuGetVersion.Parse(subject.Version));
        PackageVerificationResult result;
        try
        {
            var verifier = new PackageVerifier(attestationVerifierFactory(acceptable));
            var policy = new PackageVerificationPolicy { ExpectedIdentity = expected };
            result = subject.Inspection is { } inspection ? verifier.Verify(inspection, bundle, policy) : verifier.Verify(subject.NupkgPath, bundle, policy);
        }
        catch (VerificationException ex) when (ex.Code is PolicyCodes.SubjectAlternativeNameMismatch or PolicyCodes.IssuerMismatch or PolicyCodes.ExtensionMismatch)
        {
            // The verifier checks the identity last, after chain, signature, log and times: everything else verified.
            throw new UntrustedSignerException(ReadSigner(bundle), ex);
        }

        if (!CryptographicOperations.FixedTimeEquals(result.Package.ContentHashSha512, subject.ContentHash))
        {
            // The .nupkg changed between our integrity check and verification.
            throw new SigstoreException(RestoreCodes.ContentHashMismatch, $"The .nupkg '{subject.NupkgPath}' changed while it was being verified.");
        }

        return ReadSigner(bundle);
    }

    private SignerIdentity ReadSigner(Bundle bundle)
    {
        var leaf = bundle.VerificationMaterial?.Certificate?.RawBytes ?? bundle.VerificationMaterial?.X509CertificateChain?.Certificates?.FirstOrDefault()?.RawBytes
            ?? throw new SigstoreException(RestoreCodes.SignatureInvalid, "The bundle is signed with a key, not a Fulcio certificate, so it names no signer identity a package policy could check.");
        var key = Convert.ToBase64String(SHA256.HashData(leaf));
        if (_signers.TryGetValue(key, out var known))
        {
            return known;
        }

        var signer = FulcioIdentity.Read(leaf);
        if (_signers.Count < 1024)
        {
            _signers[key] = signer;
        }

        return signer;
    }
}

/// <summary>The bundle verified except for the signer, whom none of the acceptable identities names (SSB5105).</summary>
public sealed class UntrustedSignerException(SignerIdentity signer, Exception inner)
    : SigstoreException(RestoreCodes.IdentityNotTrusted, $"it is signed by {signer}, which the policy does not trust ({inner.Message}). If this signer is legitimate, add it as a SigstoreTrustedIdentity.", inner)
{
    public SignerIdentity Signer { get; } = signer;
}

/// <summary>Reads the signer identity from a Fulcio certificate: SAN (URI, email or 1.7 other name), issuer (1.8, else 1.1), and 1.9-1.23.</summary>
public static class FulcioIdentity
{
    private const string Prefix = "1.3.6.1.4.1.57264.1.";

    public static SignerIdentity Read(byte[] certificateDer)
    {
        using var certificate = X509CertificateLoader.LoadCertificate(certificateDer);
        string? issuer = null;
        string? legacyIssuer = null;
        string? subject = null;
        var extensions = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var extension in certificate.Extensions)
        {
            var oid = extension.Oid?.Value;
            if (oid == "2.5.29.17")
            {
                subject = ReadSan(extension.RawData);
            }
            else if (oid == Prefix + "1")
            {
                legacyIssuer = Encoding.UTF8.GetString(extension.RawData);
            }
            else if (oid is not null && oid.StartsWith(Prefix, StringComparison.Ordinal) && int.TryParse(oid.AsSpan(Prefix.Length), out var arc) && arc >= 8 && arc <= 23)
            {
                var value = new AsnReader(extension.RawData, AsnEncodingRules.DER).ReadCharacterString(UniversalTagNumber.UTF8String);
                if (arc == 8)
                {
                    issuer = value;
                }
                else
                {
                    extensions[oid] = value;
                }
            }
        }

        return new SignerIdentity(
            issuer ?? legacyIssuer ?? throw new SigstoreException(RestoreCodes.SignatureInvalid, "The signing certificate has no OIDC issuer extension, so no policy can match it."),
            subject ?? throw new SigstoreException(RestoreCodes.SignatureInvalid, "The signing certificate has no subject alternative name, so no policy can match it."),
            extensions);
    }

    private static string? ReadSan(byte[] raw)
    {
        var names = new AsnReader(raw, AsnEncodingRules.DER).ReadSequence();
        while (names.HasData)
        {
            var tag = names.PeekTag();
            if (tag.TagClass == TagClass.ContextSpecific && tag.TagValue is 1 or 6)
            {
                return names.ReadCharacterString(UniversalTagNumber.IA5String, tag);
            }

            if (tag.TagClass == TagClass.ContextSpecific && tag.TagValue == 0)
            {
                var other = names.ReadSequence(tag);
                var typeId = other.ReadObjectIdentifier();
                var explicitValue = other.ReadSequence(new Asn1Tag(TagClass.ContextSpecific, 0, isConstructed: true));
                if (typeId == Prefix + "7")
                {
                    return explicitValue.ReadCharacterString(UniversalTagNumber.UTF8String);
                }

                continue;
            }

            names.ReadEncodedValue();
        }

        return null;
    }
}
