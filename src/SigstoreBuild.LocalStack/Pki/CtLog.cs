using System.Buffers.Binary;
using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace SigstoreBuild.LocalStack.Pki;

/// <summary>
/// A certificate transparency log that only issues SCTs (RFC 6962 §3.2) for precertificates. Its key is ECDSA P-256 and
/// its log ID is SHA-256 of the DER SubjectPublicKeyInfo, as in Sigstore's trusted root.
/// </summary>
public sealed class CtLog
{
    public const string PoisonExtensionOid = "1.3.6.1.4.1.11129.2.4.3";
    public const string SctListExtensionOid = "1.3.6.1.4.1.11129.2.4.2";

    private readonly ECDsa _key;
    private readonly TimeProvider _time;

    public CtLog(ECDsa key, TimeProvider time)
    {
        _key = key;
        _time = time;
        PublicKeySpki = key.ExportSubjectPublicKeyInfo();
        LogId = SHA256.HashData(PublicKeySpki);
    }

    public byte[] PublicKeySpki { get; }

    public byte[] LogId { get; }

    public ECDsa Key => _key;

    /// <summary>
    /// Checks that <paramref name="precertificateDer"/> carries the critical poison extension, strips it, and signs the
    /// resulting TBSCertificate together with the issuer key hash. Returns the TLS-encoded SignedCertificateTimestamp.
    /// </summary>
    public byte[] SignPrecertificate(byte[] precertificateDer, X509Certificate2 issuer)
    {
        var tbs = X509Der.GetTbsCertificate(precertificateDer);
        if (!X509Der.HasExtension(tbs, PoisonExtensionOid))
        {
            throw new ArgumentException("Not a precertificate: the CT poison extension is missing.", nameof(precertificateDer));
        }

        var strippedTbs = X509Der.RemoveExtension(tbs, PoisonExtensionOid);
        var issuerKeyHash = SHA256.HashData(issuer.PublicKey.ExportSubjectPublicKeyInfo());
        var timestamp = (ulong)_time.GetUtcNow().ToUnixTimeMilliseconds();
        var signature = _key.SignData(SignedData(timestamp, issuerKeyHash, strippedTbs), HashAlgorithmName.SHA256,
            DSASignatureFormat.Rfc3279DerSequence);
        return EncodeSct(LogId, timestamp, signature);
    }

    /// <summary>The digitally-signed struct of RFC 6962 §3.2 for a precert_entry (tests may pass CtExtensions).</summary>
    public static byte[] SignedData(ulong timestamp, byte[] issuerKeyHash, byte[] tbsWithoutPoison, byte[]? extensions = null)
    {
        extensions ??= [];
        using var stream = new MemoryStream();
        stream.WriteByte(0); // sct_version v1
        stream.WriteByte(0); // signature_type certificate_timestamp
        Span<byte> u64 = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(u64, timestamp);
        stream.Write(u64);
        stream.WriteByte(0);
        stream.WriteByte(1); // entry_type precert_entry
        stream.Write(issuerKeyHash);
        stream.WriteByte((byte)(tbsWithoutPoison.Length >> 16));
        stream.WriteByte((byte)(tbsWithoutPoison.Length >> 8));
        stream.WriteByte((byte)tbsWithoutPoison.Length);
        stream.Write(tbsWithoutPoison);
        stream.WriteByte((byte)(extensions.Length >> 8));
        stream.WriteByte((byte)extensions.Length); // CtExtensions
        stream.Write(extensions);
        return stream.ToArray();
    }

    public static byte[] EncodeSct(byte[] logId, ulong timestamp, byte[] signature, byte[]? extensions = null)
    {
        extensions ??= [];
        using var stream = new MemoryStream();
        stream.WriteByte(0); // v1
        stream.Write(logId);
        Span<byte> u64 = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(u64, timestamp);
        stream.Write(u64);
        stream.WriteByte((byte)(extensions.Length >> 8));
        stream.WriteByte((byte)extensions.Length); // CtExtensions
        stream.Write(extensions);
        stream.WriteByte(4); // hash sha256
        stream.WriteByte(3); // signature ecdsa
        stream.WriteByte((byte)(signature.Length >> 8));
        stream.WriteByte((byte)signature.Length);
        stream.Write(signature);
        return stream.ToArray();
    }

    /// <summary>The X.509 extension value: an OCTET STRING holding the TLS SignedCertificateTimestampList.</summary>
    public static byte[] EncodeSctListExtensionValue(IReadOnlyList<byte[]> scts)
    {
        using var list = new MemoryStream();
        var total = scts.Sum(s => s.Length + 2);
        list.WriteByte((byte)(total >> 8));
        list.WriteByte((byte)total);
        foreach (var sct in scts)
        {
            list.WriteByte((byte)(sct.Length >> 8));
            list.WriteByte((byte)sct.Length);
            list.Write(sct);
        }

        var writer = new AsnWriter(AsnEncodingRules.DER);
        writer.WriteOctetString(list.ToArray());
        return writer.Encode();
    }
}
