using System.Formats.Asn1;
using System.Security.Cryptography;
using SigstoreBuild.Diagnostics;

namespace SigstoreBuild.Verification.Certificates;

/// <summary>One X.509 extension as encoded: OID, criticality and the raw extnValue contents.</summary>
internal sealed record CertificateExtension(string Oid, bool Critical, byte[] Value);

/// <summary>
/// A DER X.509 certificate read field by field (strict DER), keeping the exact TBS bytes and raw names so that
/// signatures, name chaining and RFC 6962 precertificate reconstruction work on what was actually signed.
/// </summary>
internal sealed class ParsedCertificate
{
    private ParsedCertificate()
    {
    }

    public required byte[] RawData { get; init; }
    public required ReadOnlyMemory<byte> Tbs { get; init; }
    public required string SignatureAlgorithm { get; init; }
    public required byte[] Signature { get; init; }
    public required int Version { get; init; }
    public required ReadOnlyMemory<byte> Issuer { get; init; }
    public required ReadOnlyMemory<byte> Subject { get; init; }
    public required DateTimeOffset NotBefore { get; init; }
    public required DateTimeOffset NotAfter { get; init; }
    public required byte[] SubjectPublicKeyInfo { get; init; }
    public required IReadOnlyList<CertificateExtension> Extensions { get; init; }

    public bool IsSelfIssued => Issuer.Span.SequenceEqual(Subject.Span);

    public CertificateExtension? FindExtension(string oid)
    {
        foreach (var extension in Extensions)
        {
            if (extension.Oid == oid)
            {
                return extension;
            }
        }

        return null;
    }

    public bool IsValidAt(DateTimeOffset time) => time >= NotBefore && time <= NotAfter;

    public static ParsedCertificate Parse(byte[] der)
    {
        try
        {
            return ParseCore(der);
        }
        catch (AsnContentException ex)
        {
            throw new VerificationException(CertificateCodes.Malformed, $"The certificate is not valid DER X.509: {ex.Message} Regenerate the bundle.", ex);
        }
        catch (CryptographicException ex)
        {
            throw new VerificationException(CertificateCodes.Malformed, $"The certificate is not valid DER X.509: {ex.Message} Regenerate the bundle.", ex);
        }
    }

    private static ParsedCertificate ParseCore(byte[] der)
    {
        var outer = new AsnReader(der, AsnEncodingRules.DER);
        var certificate = outer.ReadSequence();
        outer.ThrowIfNotEmpty();

        var tbs = certificate.ReadEncodedValue();
        var signatureAlgorithm = ReadAlgorithm(certificate);
        var signature = certificate.ReadBitString(out var unused);
        certificate.ThrowIfNotEmpty();
        if (unused != 0)
        {
            throw new AsnContentException("The signature BIT STRING has unused bits.");
        }

        var tbsReader = new AsnReader(tbs, AsnEncodingRules.DER).ReadSequence();
        var version = 1;
        var versionTag = new Asn1Tag(TagClass.ContextSpecific, 0, isConstructed: true);
        if (tbsReader.PeekTag().HasSameClassAndValue(versionTag))
        {
            var v = tbsReader.ReadSequence(versionTag);
            // A version too large for an int is malformed, not an OverflowException escaping the verifier.
            version = (v.TryReadInt32(out var raw) ? raw : throw new AsnContentException("The certificate version is out of range.")) + 1;
            v.ThrowIfNotEmpty();
        }

        tbsReader.ReadIntegerBytes(); // serial number
        var innerAlgorithm = ReadAlgorithm(tbsReader);
        if (innerAlgorithm != signatureAlgorithm)
        {
            throw new AsnContentException("The inner and outer signature algorithms differ.");
        }

        var issuer = tbsReader.ReadEncodedValue();
        var validity = tbsReader.ReadSequence();
        var notBefore = ReadTime(validity);
        var notAfter = ReadTime(validity);
        validity.ThrowIfNotEmpty();
        var subject = tbsReader.ReadEncodedValue();
        var spki = tbsReader.ReadEncodedValue().ToArray();

        var extensions = new List<CertificateExtension>();
        while (tbsReader.HasData)
        {
            var tag = tbsReader.PeekTag();
            if (tag.TagClass == TagClass.ContextSpecific && tag.TagValue is 1 or 2)
            {
                tbsReader.ReadEncodedValue(); // issuer/subject unique IDs
                continue;
            }

            var explicitExtensions = tbsReader.ReadSequence(new Asn1Tag(TagClass.ContextSpecific, 3, isConstructed: true));
            var list = explicitExtensions.ReadSequence();
            explicitExtensions.ThrowIfNotEmpty();
            while (list.HasData)
            {
                var ext = list.ReadSequence();
                var oid = ext.ReadObjectIdentifier();
                var critical = ext.PeekTag().HasSameClassAndValue(Asn1Tag.Boolean) && ext.ReadBoolean();
                var value = ext.ReadOctetString();
                ext.ThrowIfNotEmpty();
                extensions.Add(new CertificateExtension(oid, critical, value));
            }

            if (tbsReader.HasData)
            {
                throw new AsnContentException("Unexpected data after the extensions.");
            }
        }

        return new ParsedCertificate
        {
            RawData = der,
            Tbs = tbs,
            SignatureAlgorithm = signatureAlgorithm,
            Signature = signature,
            Version = version,
            Issuer = issuer,
            Subject = subject,
            NotBefore = notBefore,
            NotAfter = notAfter,
            SubjectPublicKeyInfo = spki,
            Extensions = extensions,
        };
    }

    private static string ReadAlgorithm(AsnReader reader)
    {
        var algorithm = reader.ReadSequence();
        var oid = algorithm.ReadObjectIdentifier();
        if (algorithm.HasData)
        {
            algorithm.ReadEncodedValue(); // parameters (NULL for RSA); only the OID selects the algorithm
        }

        algorithm.ThrowIfNotEmpty();
        return oid;
    }

    private static DateTimeOffset ReadTime(AsnReader reader) =>
        reader.PeekTag().HasSameClassAndValue(Asn1Tag.UtcTime) ? reader.ReadUtcTime() : reader.ReadGeneralizedTime();
}
