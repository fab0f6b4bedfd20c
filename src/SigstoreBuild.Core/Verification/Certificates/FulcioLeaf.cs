using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Text;
using SigstoreBuild.Diagnostics;

namespace SigstoreBuild.Verification.Certificates;

/// <summary>
/// A Fulcio signing certificate whose profile has been checked: code-signing EKU, digitalSignature KU, not a CA,
/// no unknown critical or duplicated extensions, exactly one SAN, an unambiguous OIDC issuer.
/// </summary>
internal sealed class FulcioLeaf
{
    private const string KeyUsageOid = "2.5.29.15";
    private const string SubjectAltNameOid = "2.5.29.17";
    private const string BasicConstraintsOid = CertificateProfile.BasicConstraintsOid;
    private const string ExtendedKeyUsageOid = "2.5.29.37";
    private const string CodeSigningOid = "1.3.6.1.5.5.7.3.3";

    private VerifiedIdentity? _identity;

    private FulcioLeaf(ParsedCertificate certificate, SubjectAlternativeName san, string issuer, IReadOnlyDictionary<string, string> extensions)
    {
        Certificate = certificate;
        SubjectAlternativeName = san;
        Issuer = issuer;
        Extensions = extensions;
    }

    public ParsedCertificate Certificate { get; }

    public SubjectAlternativeName SubjectAlternativeName { get; }

    /// <summary>The OIDC issuer: extension 1.8, else the legacy 1.1.</summary>
    public string Issuer { get; }

    /// <summary>Every Fulcio extension (1.1-1.23) by OID, decoded to its string value.</summary>
    public IReadOnlyDictionary<string, string> Extensions { get; }

    /// <summary>The signer as a verification result reports it (extensions by name).</summary>
    public VerifiedIdentity Identity => _identity ??= new VerifiedIdentity(
        SubjectAlternativeName.Kind,
        SubjectAlternativeName.Value,
        Issuer,
        Extensions.ToDictionary(e => FulcioExtensions.NameOf(e.Key)!, e => e.Value, StringComparer.Ordinal),
        Convert.ToHexStringLower(SHA256.HashData(Certificate.RawData)));

    public static FulcioLeaf Parse(byte[] der) => FromCertificate(ParsedCertificate.Parse(der));

    public static FulcioLeaf FromCertificate(ParsedCertificate certificate)
    {
        if (certificate.Version != 3)
        {
            throw Fail(CertificateCodes.Malformed, "The signing certificate is not an X.509 v3 certificate.");
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var extension in certificate.Extensions)
        {
            if (!seen.Add(extension.Oid))
            {
                throw Fail(CertificateCodes.DuplicateExtension, $"The signing certificate repeats extension {extension.Oid}.");
            }

            if (extension.Critical && extension.Oid is not (KeyUsageOid or SubjectAltNameOid or BasicConstraintsOid or ExtendedKeyUsageOid))
            {
                throw Fail(CertificateCodes.UnknownCriticalExtension, $"The signing certificate has an unknown critical extension {extension.Oid}.");
            }
        }

        try
        {
            CheckUsage(certificate);
            var san = ReadSubjectAlternativeName(certificate);
            var (issuer, extensions) = ReadFulcioExtensions(certificate);
            return new FulcioLeaf(certificate, san, issuer, extensions);
        }
        catch (AsnContentException ex)
        {
            throw Fail(CertificateCodes.Malformed, $"The signing certificate has a malformed extension: {ex.Message}");
        }
    }

    private static void CheckUsage(ParsedCertificate certificate)
    {
        var ku = certificate.FindExtension(KeyUsageOid)
            ?? throw Fail(CertificateCodes.MissingDigitalSignatureUsage, "The signing certificate has no key usage extension.");
        var bits = CertificateProfile.ReadKeyUsage(ku.Value);
        if ((bits & CertificateProfile.DigitalSignature) == 0)
        {
            throw Fail(CertificateCodes.MissingDigitalSignatureUsage, "The signing certificate's key usage lacks digitalSignature.");
        }

        var eku = certificate.FindExtension(ExtendedKeyUsageOid)
            ?? throw Fail(CertificateCodes.MissingCodeSigningUsage, "The signing certificate has no extended key usage extension.");
        if (!CertificateProfile.ReadExtendedKeyUsage(eku.Value).Contains(CodeSigningOid))
        {
            throw Fail(CertificateCodes.MissingCodeSigningUsage, "The signing certificate's extended key usage lacks codeSigning.");
        }

        if (certificate.FindExtension(BasicConstraintsOid) is { } bc && CertificateProfile.ReadBasicConstraints(bc.Value).IsCa)
        {
            throw Fail(CertificateCodes.LeafIsCertificateAuthority, "The signing certificate is a CA certificate.");
        }
    }

    private static SubjectAlternativeName ReadSubjectAlternativeName(ParsedCertificate certificate)
    {
        var extension = certificate.FindExtension(SubjectAltNameOid)
            ?? throw Fail(CertificateCodes.InvalidSubjectAlternativeName, "The signing certificate has no subject alternative name.");
        var names = new AsnReader(extension.Value, AsnEncodingRules.DER);
        var sequence = names.ReadSequence();
        names.ThrowIfNotEmpty();
        if (!sequence.HasData)
        {
            throw Fail(CertificateCodes.InvalidSubjectAlternativeName, "The signing certificate's subject alternative name is empty.");
        }

        var tag = sequence.PeekTag();
        SubjectAlternativeName san;
        if (tag.TagClass == TagClass.ContextSpecific && tag.TagValue == 1 && !tag.IsConstructed)
        {
            san = new SubjectAlternativeName(SubjectAlternativeNameKind.Email, sequence.ReadCharacterString(UniversalTagNumber.IA5String, new Asn1Tag(TagClass.ContextSpecific, 1)));
        }
        else if (tag.TagClass == TagClass.ContextSpecific && tag.TagValue == 6 && !tag.IsConstructed)
        {
            san = new SubjectAlternativeName(SubjectAlternativeNameKind.Uri, sequence.ReadCharacterString(UniversalTagNumber.IA5String, new Asn1Tag(TagClass.ContextSpecific, 6)));
        }
        else if (tag.TagClass == TagClass.ContextSpecific && tag.TagValue == 0 && tag.IsConstructed)
        {
            var otherName = sequence.ReadSequence(new Asn1Tag(TagClass.ContextSpecific, 0, isConstructed: true));
            var typeId = otherName.ReadObjectIdentifier();
            if (typeId != FulcioExtensions.OtherNameSan)
            {
                throw Fail(CertificateCodes.InvalidSubjectAlternativeName, $"The signing certificate's otherName SAN has type {typeId}, not {FulcioExtensions.OtherNameSan}.");
            }

            var value = otherName.ReadSequence(new Asn1Tag(TagClass.ContextSpecific, 0, isConstructed: true));
            san = new SubjectAlternativeName(SubjectAlternativeNameKind.OtherName, value.ReadCharacterString(UniversalTagNumber.UTF8String));
            value.ThrowIfNotEmpty();
            otherName.ThrowIfNotEmpty();
        }
        else
        {
            throw Fail(CertificateCodes.InvalidSubjectAlternativeName, "The signing certificate's subject alternative name is not an email, URI or Fulcio otherName.");
        }

        if (sequence.HasData)
        {
            throw Fail(CertificateCodes.InvalidSubjectAlternativeName, "The signing certificate has more than one subject alternative name.");
        }

        if (san.Value.Length == 0)
        {
            throw Fail(CertificateCodes.InvalidSubjectAlternativeName, "The signing certificate's subject alternative name is empty.");
        }

        return san;
    }

    private static (string Issuer, IReadOnlyDictionary<string, string> Extensions) ReadFulcioExtensions(ParsedCertificate certificate)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var extension in certificate.Extensions)
        {
            if (!FulcioExtensions.IsFulcio(extension.Oid) || FulcioExtensions.NameOf(extension.Oid) is null)
            {
                continue;
            }

            string value;
            if (FulcioExtensions.IsLegacyRaw(extension.Oid))
            {
                value = StrictUtf8(extension.Value, extension.Oid);
            }
            else
            {
                try
                {
                    var reader = new AsnReader(extension.Value, AsnEncodingRules.DER);
                    value = reader.ReadCharacterString(UniversalTagNumber.UTF8String);
                    reader.ThrowIfNotEmpty();
                }
                catch (AsnContentException)
                {
                    throw Fail(CertificateCodes.InvalidExtensionEncoding, $"The signing certificate's extension {extension.Oid} is not a DER UTF8String.");
                }
            }

            values.Add(extension.Oid, value);
        }

        values.TryGetValue(FulcioExtensions.Issuer, out var issuer);
        values.TryGetValue(FulcioExtensions.IssuerV1, out var legacyIssuer);
        if (issuer is not null && legacyIssuer is not null && !string.Equals(issuer, legacyIssuer, StringComparison.Ordinal))
        {
            throw Fail(CertificateCodes.ConflictingIssuer, "The signing certificate names two different OIDC issuers (extensions 1.1 and 1.8).");
        }

        issuer ??= legacyIssuer;
        if (string.IsNullOrEmpty(issuer))
        {
            throw Fail(CertificateCodes.MissingIssuer, "The signing certificate names no OIDC issuer (extension 1.8 or 1.1).");
        }

        return (issuer, values);
    }

    private static string StrictUtf8(byte[] value, string oid)
    {
        try
        {
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(value);
        }
        catch (DecoderFallbackException)
        {
            throw Fail(CertificateCodes.InvalidExtensionEncoding, $"The signing certificate's extension {oid} is not UTF-8.");
        }
    }

    private static VerificationException Fail(string code, string message) =>
        new(code, message + " The certificate does not have a Fulcio signing-certificate profile; it cannot be trusted.");
}
