using System.Buffers.Binary;
using System.Formats.Asn1;
using SigstoreBuild.Diagnostics;
using SigstoreBuild.Trust;

namespace SigstoreBuild.Verification.Certificates;

/// <summary>An SCT whose signature verified against a trusted CT log key valid at the SCT's timestamp.</summary>
internal sealed record VerifiedSct(TransparencyLog Log, DateTimeOffset Timestamp);

/// <summary>
/// RFC 6962 embedded SCTs (§3.3): each SCT signs the precertificate, i.e. the leaf's TBSCertificate without the SCT
/// list extension, together with the SHA-256 of the issuing CA's public key.
/// </summary>
internal static class EmbeddedSctVerifier
{
    private const int MaxScts = 32;
    private const ulong MaxUnixMilliseconds = 253_402_300_799_999; // 9999-12-31T23:59:59.999Z

    /// <summary>
    /// Verifies every embedded SCT and returns those that verify. SCTs from logs the trusted root does not list, or
    /// whose signature does not verify, are not returned: they simply do not count towards the threshold.
    /// A malformed SCT list is an error.
    /// </summary>
    public static IReadOnlyList<VerifiedSct> Verify(ParsedCertificate leaf, IssuerKey issuer, TrustedRoot trust)
    {
        var extension = leaf.FindExtension(FulcioExtensions.EmbeddedSctList);
        if (extension is null)
        {
            return [];
        }

        List<RawSct> scts;
        byte[] precertificateTbs;
        try
        {
            scts = ParseList(extension.Value);
            precertificateTbs = RemoveExtension(leaf.Tbs, FulcioExtensions.EmbeddedSctList);
        }
        catch (AsnContentException ex)
        {
            throw new VerificationException(CertificateCodes.MalformedSct, $"The signing certificate's SCT list is malformed: {ex.Message} The certificate cannot be trusted.", ex);
        }

        var verified = new List<VerifiedSct>();
        foreach (var sct in scts)
        {
            var log = trust.FindCertificateTransparencyLog(sct.LogId);
            if (log is null)
            {
                continue;
            }

            var timestamp = DateTimeOffset.FromUnixTimeMilliseconds((long)Math.Min(sct.Timestamp, MaxUnixMilliseconds));
            if (!log.ValidFor.Contains(timestamp) || !AlgorithmsMatchKey(sct, log))
            {
                continue;
            }

            var signed = SignedData(sct, issuer.KeyHash, precertificateTbs);
            if (log.Key.VerifyData(signed, sct.Signature))
            {
                verified.Add(new VerifiedSct(log, timestamp));
            }
        }

        return verified;
    }

    /// <summary>Number of distinct CT logs among <paramref name="scts"/>: thresholds count logs, not SCTs.</summary>
    public static int DistinctLogs(IReadOnlyList<VerifiedSct> scts) =>
        scts.Select(s => Convert.ToHexString(s.Log.LogId)).Distinct(StringComparer.Ordinal).Count();

    private static bool AlgorithmsMatchKey(RawSct sct, TransparencyLog log)
    {
        // TLS HashAlgorithm sha256(4); SignatureAlgorithm rsa(1), ecdsa(3), ed25519(7).
        if (log.Key.IsEd25519)
        {
            return sct.SignatureAlgorithm == 7;
        }

        return sct.HashAlgorithm == 4 && log.Key.HashAlgorithm == System.Security.Cryptography.HashAlgorithmName.SHA256
            && ((log.Key.IsEcdsa && sct.SignatureAlgorithm == 3) || (log.Key.IsRsa && sct.SignatureAlgorithm == 1));
    }

    internal static byte[] SignedData(RawSct sct, byte[] issuerKeyHash, byte[] tbs)
    {
        // digitally-signed struct { version; signature_type = certificate_timestamp(0); timestamp;
        //   entry_type = precert_entry(1); PreCert { issuer_key_hash[32]; opaque tbs<1..2^24-1> }; extensions<0..2^16-1> }
        var buffer = new byte[1 + 1 + 8 + 2 + 32 + 3 + tbs.Length + 2 + sct.Extensions.Length];
        var span = buffer.AsSpan();
        span[0] = sct.Version;
        span[1] = 0;
        BinaryPrimitives.WriteUInt64BigEndian(span[2..], sct.Timestamp);
        BinaryPrimitives.WriteUInt16BigEndian(span[10..], 1);
        issuerKeyHash.CopyTo(span[12..]);
        span[44] = (byte)(tbs.Length >> 16);
        span[45] = (byte)(tbs.Length >> 8);
        span[46] = (byte)tbs.Length;
        tbs.CopyTo(span[47..]);
        var offset = 47 + tbs.Length;
        BinaryPrimitives.WriteUInt16BigEndian(span[offset..], (ushort)sct.Extensions.Length);
        sct.Extensions.CopyTo(span[(offset + 2)..]);
        return buffer;
    }

    internal static List<RawSct> ParseList(byte[] extensionValue)
    {
        // The extension value is an OCTET STRING wrapping the TLS SignedCertificateTimestampList.
        var reader = new AsnReader(extensionValue, AsnEncodingRules.DER);
        var tls = reader.ReadOctetString();
        reader.ThrowIfNotEmpty();

        var span = new ReadOnlySpan<byte>(tls);
        var total = ReadUInt16(ref span);
        if (total != span.Length || total == 0)
        {
            throw new AsnContentException("The SCT list length does not match its contents.");
        }

        var result = new List<RawSct>();
        while (!span.IsEmpty)
        {
            if (result.Count == MaxScts)
            {
                throw new AsnContentException($"More than {MaxScts} SCTs.");
            }

            var length = ReadUInt16(ref span);
            var item = Take(ref span, length);
            result.Add(ParseSct(item));
        }

        return result;
    }

    private static RawSct ParseSct(ReadOnlySpan<byte> item)
    {
        var version = Take(ref item, 1)[0];
        if (version != 0)
        {
            throw new AsnContentException($"Unsupported SCT version {version}.");
        }

        var logId = Take(ref item, 32).ToArray();
        var timestamp = BinaryPrimitives.ReadUInt64BigEndian(Take(ref item, 8));
        var extensions = Take(ref item, ReadUInt16(ref item)).ToArray();
        var hash = Take(ref item, 1)[0];
        var signatureAlgorithm = Take(ref item, 1)[0];
        var signature = Take(ref item, ReadUInt16(ref item)).ToArray();
        if (!item.IsEmpty)
        {
            throw new AsnContentException("Trailing bytes after an SCT.");
        }

        return new RawSct(version, logId, timestamp, extensions, hash, signatureAlgorithm, signature);
    }

    private static int ReadUInt16(ref ReadOnlySpan<byte> span) => BinaryPrimitives.ReadUInt16BigEndian(Take(ref span, 2));

    private static ReadOnlySpan<byte> Take(ref ReadOnlySpan<byte> span, int count)
    {
        if (span.Length < count)
        {
            throw new AsnContentException("Truncated SCT.");
        }

        var head = span[..count];
        span = span[count..];
        return head;
    }

    /// <summary>Re-encodes a TBSCertificate without one extension, copying every other element byte for byte.</summary>
    internal static byte[] RemoveExtension(ReadOnlyMemory<byte> tbs, string oid)
    {
        var tbsReader = new AsnReader(tbs, AsnEncodingRules.DER).ReadSequence();
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            var extensionsTag = new Asn1Tag(TagClass.ContextSpecific, 3, isConstructed: true);
            while (tbsReader.HasData)
            {
                if (!tbsReader.PeekTag().HasSameClassAndValue(extensionsTag))
                {
                    writer.WriteEncodedValue(tbsReader.ReadEncodedValue().Span);
                    continue;
                }

                var explicitExtensions = tbsReader.ReadSequence(extensionsTag);
                var list = explicitExtensions.ReadSequence();
                using (writer.PushSequence(extensionsTag))
                using (writer.PushSequence())
                {
                    while (list.HasData)
                    {
                        var encoded = list.ReadEncodedValue();
                        var extension = new AsnReader(encoded, AsnEncodingRules.DER).ReadSequence();
                        if (extension.ReadObjectIdentifier() != oid)
                        {
                            writer.WriteEncodedValue(encoded.Span);
                        }
                    }
                }
            }
        }

        return writer.Encode();
    }

    internal sealed record RawSct(byte Version, byte[] LogId, ulong Timestamp, byte[] Extensions, byte HashAlgorithm, byte SignatureAlgorithm, byte[] Signature);
}
