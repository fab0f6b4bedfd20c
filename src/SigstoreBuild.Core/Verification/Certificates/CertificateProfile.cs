using System.Formats.Asn1;

namespace SigstoreBuild.Verification.Certificates;

/// <summary>Decoders for the RFC 5280 extensions the profile checks rely on.</summary>
internal static class CertificateProfile
{
    public const string BasicConstraintsOid = "2.5.29.19";

    public const int DigitalSignature = 0x80;
    public const int KeyCertSign = 0x04;

    /// <summary>The first byte of the KeyUsage BIT STRING (digitalSignature = 0x80 ... keyCertSign = 0x04).</summary>
    public static int ReadKeyUsage(byte[] value)
    {
        var reader = new AsnReader(value, AsnEncodingRules.DER);
        var bits = reader.ReadBitString(out _);
        reader.ThrowIfNotEmpty();
        return bits.Length == 0 ? 0 : bits[0];
    }

    public static HashSet<string> ReadExtendedKeyUsage(byte[] value)
    {
        var reader = new AsnReader(value, AsnEncodingRules.DER);
        var sequence = reader.ReadSequence();
        reader.ThrowIfNotEmpty();
        var usages = new HashSet<string>(StringComparer.Ordinal);
        while (sequence.HasData)
        {
            usages.Add(sequence.ReadObjectIdentifier());
        }

        return usages;
    }

    public static (bool IsCa, int? PathLength) ReadBasicConstraints(byte[] value)
    {
        var reader = new AsnReader(value, AsnEncodingRules.DER);
        var sequence = reader.ReadSequence();
        reader.ThrowIfNotEmpty();
        var isCa = sequence.HasData && sequence.PeekTag().HasSameClassAndValue(Asn1Tag.Boolean) && sequence.ReadBoolean();
        int? pathLength = null;
        if (sequence.HasData)
        {
            pathLength = sequence.TryReadInt32(out var n) && n >= 0 ? n : throw new AsnContentException("Invalid pathLenConstraint.");
        }

        sequence.ThrowIfNotEmpty();
        return (isCa, pathLength);
    }
}
