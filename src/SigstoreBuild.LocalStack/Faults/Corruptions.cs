using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using SigstoreBuild.LocalStack.Transparency;

namespace SigstoreBuild.LocalStack.Faults;

/// <summary>Alterations of otherwise valid responses, applied for the corruption <see cref="FaultKind"/>s.</summary>
internal static class Corruptions
{
    /// <summary>Corrupts a Rekor v1 LogEntry object (hex hashes, checkpoint string).</summary>
    public static void ApplyToRekorV1(FaultKind kind, JsonObject entry, TransparencyLog log)
    {
        var proof = entry["verification"]!["inclusionProof"]!.AsObject();
        switch (kind)
        {
            case FaultKind.CorruptInclusionProof:
                CorruptHashes(proof["hashes"]!.AsArray(), hex: true);
                break;
            case FaultKind.MismatchedBody:
                entry["body"] = Convert.ToBase64String(OtherBody());
                break;
            case FaultKind.UntrustedCheckpointKey:
                proof["checkpoint"] = RogueCheckpoint(proof["checkpoint"]!.GetValue<string>(), log, rogueKey: true);
                break;
            case FaultKind.WrongCheckpointOrigin:
                proof["checkpoint"] = RogueCheckpoint(proof["checkpoint"]!.GetValue<string>(), log, rogueKey: false);
                break;
            case FaultKind.CorruptSignedEntryTimestamp:
                var set = Convert.FromBase64String(entry["verification"]!["signedEntryTimestamp"]!.GetValue<string>());
                set[^1] ^= 0x01;
                entry["verification"]!["signedEntryTimestamp"] = Convert.ToBase64String(set);
                break;
        }
    }

    /// <summary>Corrupts a protobuf-specs TransparencyLogEntry object (base64 hashes, checkpoint envelope).</summary>
    public static void ApplyToTransparencyLogEntry(FaultKind kind, JsonObject entry, TransparencyLog log)
    {
        var proof = entry["inclusionProof"]!.AsObject();
        var checkpoint = proof["checkpoint"]!.AsObject();
        switch (kind)
        {
            case FaultKind.CorruptInclusionProof:
                CorruptHashes(proof["hashes"]!.AsArray(), hex: false);
                break;
            case FaultKind.MismatchedBody:
                entry["canonicalizedBody"] = Convert.ToBase64String(OtherBody());
                break;
            case FaultKind.UntrustedCheckpointKey:
                checkpoint["envelope"] = RogueCheckpoint(checkpoint["envelope"]!.GetValue<string>(), log, rogueKey: true);
                break;
            case FaultKind.WrongCheckpointOrigin:
                checkpoint["envelope"] = RogueCheckpoint(checkpoint["envelope"]!.GetValue<string>(), log, rogueKey: false);
                break;
        }
    }

    private static void CorruptHashes(JsonArray hashes, bool hex)
    {
        if (hashes.Count == 0)
        {
            var bogus = SHA256.HashData("bogus"u8);
            hashes.Add(hex ? Convert.ToHexStringLower(bogus) : Convert.ToBase64String(bogus));
            return;
        }

        var first = hashes[0]!.GetValue<string>();
        var bytes = hex ? Convert.FromHexString(first) : Convert.FromBase64String(first);
        bytes[0] ^= 0x01;
        hashes[0] = hex ? Convert.ToHexStringLower(bytes) : Convert.ToBase64String(bytes);
    }

    private static byte[] OtherBody()
    {
        var digest = SHA256.HashData(RandomNumberGenerator.GetBytes(16));
        return RekorCanonicalJson.Serialize(new JsonObject
        {
            ["apiVersion"] = "0.0.1",
            ["kind"] = "hashedrekord",
            ["spec"] = new JsonObject
            {
                ["data"] = new JsonObject { ["hash"] = new JsonObject { ["algorithm"] = "sha256", ["value"] = Convert.ToHexStringLower(digest) } },
                ["signature"] = new JsonObject { ["content"] = "AAAA", ["publicKey"] = new JsonObject { ["content"] = "AAAA" } },
            },
        });
    }

    /// <summary>Re-signs the checkpoint's note: with a fresh key under the genuine key hint, or with the genuine key over another origin.</summary>
    private static string RogueCheckpoint(string checkpoint, TransparencyLog log, bool rogueKey)
    {
        var lines = checkpoint[..checkpoint.IndexOf("\n\n", StringComparison.Ordinal)].Split('\n');
        var size = long.Parse(lines[1], System.Globalization.CultureInfo.InvariantCulture);
        var root = Convert.FromBase64String(lines[2]);
        if (!rogueKey)
        {
            return log.Signer.SignCheckpoint("evil.example/log", size, root);
        }

        using var rogue = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var text = $"{lines[0]}\n{lines[1]}\n{lines[2]}\n";
        var signature = rogue.SignData(Encoding.UTF8.GetBytes(text), HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        var blob = new byte[4 + signature.Length];
        log.Signer.KeyId.AsSpan(0, 4).CopyTo(blob);
        signature.CopyTo(blob, 4);
        return text + "\n\u2014 " + log.Signer.Name + " " + Convert.ToBase64String(blob) + "\n";
    }
}
