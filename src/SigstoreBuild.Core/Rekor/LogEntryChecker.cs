using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using SigstoreBuild.Bundles;
using SigstoreBuild.Trust;

namespace SigstoreBuild.Rekor;

/// <summary>
/// The signer's own check of a fresh log entry (client-spec §2.1.7, threat model F-05): the entry records this signature,
/// certificate and artifact, comes from a trusted log, carries a valid SET (v1), and its inclusion proof leads to a
/// checkpoint signed by that log. The final full verification repeats all of this as a consumer would.
/// </summary>
internal static class LogEntryChecker
{
    public static void Check(TransparencyLogEntry entry, LogEntryRequest request, TrustedRoot trustedRoot, int majorApiVersion)
    {
        if (entry.LogId?.KeyId is not { Length: > 0 } logId || trustedRoot.FindTransparencyLog(logId) is not { } log)
        {
            throw RekorV1Client.Invalid("it comes from a log that is not in the trusted root");
        }

        if (entry.CanonicalizedBody is not { Length: > 0 } body || entry.KindVersion is null)
        {
            throw RekorV1Client.Invalid("it has no body");
        }

        CheckBody(body, entry.KindVersion, request, majorApiVersion);

        if (majorApiVersion == 1)
        {
            if (entry.InclusionPromise?.SignedEntryTimestamp is not { Length: > 0 } set || !log.Key.VerifyData(CanonicalSetPayload(entry), set))
            {
                throw RekorV1Client.Invalid("its signed entry timestamp is missing or not signed by the log");
            }

            if (!log.ValidFor.Contains(DateTimeOffset.FromUnixTimeSeconds(entry.IntegratedTime)))
            {
                throw RekorV1Client.Invalid("its integrated time is outside the log key's validity");
            }
        }

        var proof = entry.InclusionProof ?? throw RekorV1Client.Invalid("it has no inclusion proof");
        var leafHash = MerkleTree.HashLeaf(body);
        if (proof.RootHash is not { Length: 32 } root || proof.Hashes is null || !MerkleTree.VerifyInclusion(leafHash, proof.LogIndex, proof.TreeSize, proof.Hashes, root))
        {
            throw RekorV1Client.Invalid("its inclusion proof does not lead to the stated root hash");
        }

        CheckCheckpoint(proof, log);
    }

    /// <summary>RFC 8785 JSON of body, integratedTime, logID, logIndex (keys in order) that the SET signs.</summary>
    internal static byte[] CanonicalSetPayload(TransparencyLogEntry entry)
    {
        var json = "{\"body\":\"" + Convert.ToBase64String(entry.CanonicalizedBody!) + "\",\"integratedTime\":" + entry.IntegratedTime
            + ",\"logID\":\"" + Convert.ToHexStringLower(entry.LogId!.KeyId!) + "\",\"logIndex\":" + entry.LogIndex + "}";
        return Encoding.UTF8.GetBytes(json);
    }

    private static void CheckBody(byte[] body, KindVersion kindVersion, LogEntryRequest request, int majorApiVersion)
    {
        try
        {
            using var doc = JsonDocument.Parse(body);
            var root = doc.RootElement;
            var kind = root.GetProperty("kind").GetString();
            var version = root.GetProperty("apiVersion").GetString();
            if (kind != kindVersion.Kind || version != kindVersion.Version)
            {
                throw RekorV1Client.Invalid("its kindVersion does not match its body");
            }

            var expectedKind = request.IsDsse ? "dsse" : "hashedrekord";
            var expectedVersion = majorApiVersion == 2 ? "0.0.2" : "0.0.1";
            if (kind != expectedKind || version != expectedVersion)
            {
                throw RekorV1Client.Invalid($"it is a {kind} {version} entry, not {expectedKind} {expectedVersion}");
            }

            var spec = root.GetProperty("spec");
            bool bound = (majorApiVersion, request.IsDsse) switch
            {
                (1, false) => Same(spec.GetProperty("signature").GetProperty("content"), request.Signature)
                    && SameCertificatePem(spec.GetProperty("signature").GetProperty("publicKey").GetProperty("content"), request)
                    && spec.GetProperty("data").GetProperty("hash").GetProperty("algorithm").GetString() == "sha256"
                    && string.Equals(spec.GetProperty("data").GetProperty("hash").GetProperty("value").GetString(), Convert.ToHexStringLower(request.ArtifactDigest!), StringComparison.OrdinalIgnoreCase),
                (1, true) => spec.GetProperty("signatures").GetArrayLength() == 1
                    && Same(spec.GetProperty("signatures")[0].GetProperty("signature"), request.Signature)
                    && SameCertificatePem(spec.GetProperty("signatures")[0].GetProperty("verifier"), request)
                    && string.Equals(spec.GetProperty("payloadHash").GetProperty("value").GetString(), Convert.ToHexStringLower(request.PayloadHash), StringComparison.OrdinalIgnoreCase),
                (2, false) => spec.GetProperty("hashedRekordV002") is var h
                    && Same(h.GetProperty("data").GetProperty("digest"), request.ArtifactDigest!)
                    && Same(h.GetProperty("signature").GetProperty("content"), request.Signature)
                    && Same(h.GetProperty("signature").GetProperty("verifier").GetProperty("x509Certificate").GetProperty("rawBytes"), request.Certificate.RawData),
                (2, true) => spec.GetProperty("dsseV002") is var d
                    && Same(d.GetProperty("payloadHash").GetProperty("digest"), request.PayloadHash)
                    && d.GetProperty("signatures").GetArrayLength() == 1
                    && Same(d.GetProperty("signatures")[0].GetProperty("content"), request.Signature)
                    && Same(d.GetProperty("signatures")[0].GetProperty("verifier").GetProperty("x509Certificate").GetProperty("rawBytes"), request.Certificate.RawData),
                _ => false,
            };
            if (!bound)
            {
                throw RekorV1Client.Invalid("its body records a different signature, certificate or artifact than the one submitted");
            }
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or FormatException or IndexOutOfRangeException)
        {
            throw RekorV1Client.Invalid("its body is not a well-formed entry of the submitted kind");
        }
    }

    private static bool Same(JsonElement base64, byte[] expected) =>
        base64.GetString() is { } s && Convert.FromBase64String(s).AsSpan().SequenceEqual(expected);

    private static bool SameCertificatePem(JsonElement base64Pem, LogEntryRequest request)
    {
        var pem = Encoding.ASCII.GetString(Convert.FromBase64String(base64Pem.GetString()!));
        return PemEncoding.TryFind(pem, out var fields)
            && pem[fields.Label] is "CERTIFICATE"
            && Convert.FromBase64String(pem[fields.Base64Data]).AsSpan().SequenceEqual(request.Certificate.RawData);
    }

    private static void CheckCheckpoint(InclusionProof proof, TransparencyLog log)
    {
        var envelope = proof.Checkpoint?.Envelope ?? throw RekorV1Client.Invalid("its inclusion proof has no checkpoint");
        var split = envelope.IndexOf("\n\n", StringComparison.Ordinal);
        if (split < 0)
        {
            throw RekorV1Client.Invalid("its checkpoint is not a signed note");
        }

        var text = envelope[..(split + 1)];
        var lines = text.Split('\n');
        if (lines.Length < 4 || lines[0].Length == 0
            || !long.TryParse(lines[1], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var size) || size != proof.TreeSize
            || !TryBase64(lines[2], out var rootHash) || !rootHash.AsSpan().SequenceEqual(proof.RootHash))
        {
            throw RekorV1Client.Invalid("its checkpoint does not commit to the inclusion proof's tree size and root hash");
        }

        var signed = Encoding.UTF8.GetBytes(text);
        foreach (var line in envelope[(split + 2)..].Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            if (!line.StartsWith("\u2014 ", StringComparison.Ordinal))
            {
                continue;
            }

            var parts = line.Split(' ');
            if (parts.Length == 3 && TryBase64(parts[2], out var sig) && sig.Length > 4 && log.Key.VerifyData(signed, sig.AsSpan(4)))
            {
                return;
            }
        }

        throw RekorV1Client.Invalid("its checkpoint is not signed by the log's key");
    }

    private static bool TryBase64(string s, out byte[] bytes)
    {
        try
        {
            bytes = Convert.FromBase64String(s);
            return true;
        }
        catch (FormatException)
        {
            bytes = [];
            return false;
        }
    }
}

/// <summary>RFC 6962 / RFC 9162 Merkle tree hashing and inclusion-proof verification.</summary>
internal static class MerkleTree
{
    public static byte[] HashLeaf(ReadOnlySpan<byte> data)
    {
        var buffer = new byte[data.Length + 1];
        data.CopyTo(buffer.AsSpan(1));
        return SHA256.HashData(buffer);
    }

    public static byte[] HashChildren(ReadOnlySpan<byte> left, ReadOnlySpan<byte> right)
    {
        Span<byte> buffer = stackalloc byte[65];
        buffer[0] = 1;
        left.CopyTo(buffer[1..]);
        right.CopyTo(buffer[33..]);
        return SHA256.HashData(buffer);
    }

    public static bool VerifyInclusion(byte[] leafHash, long index, long treeSize, IReadOnlyList<byte[]> path, ReadOnlySpan<byte> expectedRoot)
    {
        if (index < 0 || index >= treeSize)
        {
            return false;
        }

        long fn = index, sn = treeSize - 1;
        var r = leafHash;
        foreach (var p in path)
        {
            if (p.Length != 32 || sn == 0)
            {
                return false;
            }

            if ((fn & 1) == 1 || fn == sn)
            {
                r = HashChildren(p, r);
                if ((fn & 1) == 0)
                {
                    while ((fn & 1) == 0 && fn != 0)
                    {
                        fn >>= 1;
                        sn >>= 1;
                    }
                }
            }
            else
            {
                r = HashChildren(r, p);
            }

            fn >>= 1;
            sn >>= 1;
        }

        return sn == 0 && r.AsSpan().SequenceEqual(expectedRoot);
    }
}
