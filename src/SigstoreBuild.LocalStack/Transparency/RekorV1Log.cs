using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using SigstoreBuild.Diagnostics;
using SigstoreBuild.LocalStack.Pki;

namespace SigstoreBuild.LocalStack.Transparency;

/// <summary>
/// Rekor v1 semantics over a <see cref="TransparencyLog"/>: hashedrekord 0.0.1 and dsse 0.0.1 entries, canonicalized
/// bodies (RFC 8785), signed entry timestamps over {body, integratedTime, logID, logIndex}, and 80-hex-digit entry UUIDs
/// (8-byte tree ID + leaf hash).
/// </summary>
public sealed class RekorV1Log
{
    private readonly ECDsa _key;

    public RekorV1Log(TransparencyLog log, ECDsa key, long treeId)
    {
        Log = log;
        _key = key;
        TreeId = treeId;
        LogId = SHA256.HashData(key.ExportSubjectPublicKeyInfo());
    }

    public TransparencyLog Log { get; }

    public long TreeId { get; }

    /// <summary>SHA-256 of the log key's SubjectPublicKeyInfo.</summary>
    public byte[] LogId { get; }

    public ECDsa Key => _key;

    public string TreeIdHex => TreeId.ToString("x16", System.Globalization.CultureInfo.InvariantCulture);

    public string Uuid(LogRecord record) => TreeIdHex + Convert.ToHexStringLower(record.LeafHash);

    /// <summary>Validates and canonicalizes a proposed entry (the JSON body of POST /api/v1/log/entries).</summary>
    public static (byte[] Body, string? ArtifactDigest) Canonicalize(JsonNode? proposed)
    {
        if (proposed is not JsonObject entry)
        {
            throw Invalid("the request body is not a JSON object");
        }

        var kind = Text(entry, "kind");
        var apiVersion = Text(entry, "apiVersion");
        var spec = entry["spec"] as JsonObject ?? throw Invalid("'spec' is missing");
        return (kind, apiVersion) switch
        {
            ("hashedrekord", "0.0.1") => CanonicalizeHashedRekord(spec),
            ("dsse", "0.0.1") => (CanonicalizeDsse(spec), null),
            _ => throw Invalid($"kind '{kind}' version '{apiVersion}' is not supported (hashedrekord 0.0.1 and dsse 0.0.1 are)"),
        };
    }

    /// <summary>Appends a proposed entry. Returns the record and whether an identical entry already existed (HTTP 409).</summary>
    public (LogRecord Record, bool Existed) Append(JsonNode? proposed)
    {
        var (body, artifact) = Canonicalize(proposed);
        return Log.Append(body, artifact);
    }

    /// <summary>The LogEntry object Rekor returns: body, integratedTime, logID, logIndex, verification.</summary>
    public JsonObject ToLogEntry(LogRecord record)
    {
        var proof = Log.Prove(record.Index);
        return new JsonObject
        {
            ["body"] = Convert.ToBase64String(record.Body),
            ["integratedTime"] = record.IntegratedTime,
            ["logID"] = Convert.ToHexStringLower(LogId),
            ["logIndex"] = record.Index,
            ["verification"] = new JsonObject
            {
                ["inclusionProof"] = new JsonObject
                {
                    ["checkpoint"] = proof.Checkpoint,
                    ["hashes"] = new JsonArray(proof.Hashes.Select(h => (JsonNode)Convert.ToHexStringLower(h)).ToArray()),
                    ["logIndex"] = proof.Index,
                    ["rootHash"] = Convert.ToHexStringLower(proof.RootHash),
                    ["treeSize"] = proof.TreeSize,
                },
                ["signedEntryTimestamp"] = Convert.ToBase64String(SignEntryTimestamp(record)),
            },
        };
    }

    /// <summary>The same entry as a protobuf-specs TransparencyLogEntry (the bundle's form), with promise and proof.</summary>
    public JsonObject ToTransparencyLogEntry(LogRecord record)
    {
        var logEntry = ToLogEntry(record);
        var proof = logEntry["verification"]!["inclusionProof"]!;
        var bodyJson = JsonNode.Parse(record.Body)!;
        return new JsonObject
        {
            ["logIndex"] = record.Index.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["logId"] = new JsonObject { ["keyId"] = Convert.ToBase64String(LogId) },
            ["kindVersion"] = new JsonObject { ["kind"] = bodyJson["kind"]!.GetValue<string>(), ["version"] = bodyJson["apiVersion"]!.GetValue<string>() },
            ["integratedTime"] = record.IntegratedTime.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["inclusionPromise"] = new JsonObject { ["signedEntryTimestamp"] = logEntry["verification"]!["signedEntryTimestamp"]!.GetValue<string>() },
            ["inclusionProof"] = new JsonObject
            {
                ["logIndex"] = record.Index.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["rootHash"] = Convert.ToBase64String(Convert.FromHexString(proof["rootHash"]!.GetValue<string>())),
                ["treeSize"] = proof["treeSize"]!.GetValue<long>().ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["hashes"] = new JsonArray(proof["hashes"]!.AsArray().Select(h => (JsonNode)Convert.ToBase64String(Convert.FromHexString(h!.GetValue<string>()))).ToArray()),
                ["checkpoint"] = new JsonObject { ["envelope"] = proof["checkpoint"]!.GetValue<string>() },
            },
            ["canonicalizedBody"] = Convert.ToBase64String(record.Body),
        };
    }

    /// <summary>The SET: ECDSA over the canonical JSON of {body, integratedTime, logID, logIndex}.</summary>
    public byte[] SignEntryTimestamp(LogRecord record) =>
        _key.SignData(SetPayload(record.Body, record.IntegratedTime, LogId, record.Index), HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);

    public static byte[] SetPayload(byte[] body, long integratedTime, byte[] logId, long logIndex) =>
        RekorCanonicalJson.Serialize(new JsonObject
        {
            ["body"] = Convert.ToBase64String(body),
            ["integratedTime"] = integratedTime,
            ["logID"] = Convert.ToHexStringLower(logId),
            ["logIndex"] = logIndex,
        });

    private static (byte[] Body, string ArtifactDigest) CanonicalizeHashedRekord(JsonObject spec)
    {
        var hash = spec["data"]?["hash"] as JsonObject ?? throw Invalid("'spec.data.hash' is missing");
        var algorithm = Text(hash, "algorithm");
        var value = Text(hash, "value").ToLowerInvariant();
        var (hashName, length) = algorithm switch
        {
            "sha256" => (HashAlgorithmName.SHA256, 32),
            "sha384" => (HashAlgorithmName.SHA384, 48),
            "sha512" => (HashAlgorithmName.SHA512, 64),
            _ => throw Invalid($"hash algorithm '{algorithm}' is not supported"),
        };
        var digest = FromHex(value, "spec.data.hash.value");
        if (digest.Length != length)
        {
            throw Invalid($"the {algorithm} digest has {digest.Length} bytes");
        }

        var signature = spec["signature"] as JsonObject ?? throw Invalid("'spec.signature' is missing");
        var signatureBytes = FromBase64(Text(signature, "content"), "spec.signature.content");
        var keyBytes = FromBase64(Text(signature["publicKey"] as JsonObject ?? throw Invalid("'spec.signature.publicKey' is missing"), "content"),
            "spec.signature.publicKey.content");
        var canonicalKey = CanonicalKeyPem(keyBytes, out var spki);
        if (!SignatureCheck.VerifyDigest(spki, digest, hashName, signatureBytes))
        {
            throw Invalid("the signature does not verify over the digest with the given key");
        }

        var body = new JsonObject
        {
            ["apiVersion"] = "0.0.1",
            ["kind"] = "hashedrekord",
            ["spec"] = new JsonObject
            {
                ["data"] = new JsonObject { ["hash"] = new JsonObject { ["algorithm"] = algorithm, ["value"] = value } },
                ["signature"] = new JsonObject
                {
                    ["content"] = Convert.ToBase64String(signatureBytes),
                    ["publicKey"] = new JsonObject { ["content"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(canonicalKey)) },
                },
            },
        };
        return (RekorCanonicalJson.Serialize(body), $"{algorithm}:{value}");
    }

    private static byte[] CanonicalizeDsse(JsonObject spec)
    {
        var proposed = spec["proposedContent"] as JsonObject ?? throw Invalid("'spec.proposedContent' is missing");
        var envelopeText = Text(proposed, "envelope");
        JsonObject envelope;
        try
        {
            envelope = JsonNode.Parse(envelopeText)?.AsObject() ?? throw Invalid("the envelope is empty");
        }
        catch (JsonException ex)
        {
            throw Invalid($"the envelope is not JSON ({ex.Message})");
        }

        var payload = FromBase64(Text(envelope, "payload"), "envelope.payload");
        var payloadType = Text(envelope, "payloadType");
        var pae = SigstoreBuild.Attestations.DssePae.Encode(payloadType, payload);
        var verifiers = (proposed["verifiers"] as JsonArray ?? throw Invalid("'spec.proposedContent.verifiers' is missing"))
            .Select(v =>
            {
                var pem = CanonicalKeyPem(FromBase64(v!.GetValue<string>(), "verifiers"), out var spki);
                return (Pem: pem, Spki: spki);
            })
            .ToList();
        var signatures = new List<(string Sig, string Verifier)>();
        foreach (var signatureNode in envelope["signatures"] as JsonArray ?? throw Invalid("the envelope has no signatures"))
        {
            var sig = FromBase64(Text(signatureNode as JsonObject ?? throw Invalid("bad signature"), "sig"), "envelope.signatures.sig");
            var match = verifiers.FirstOrDefault(v => SignatureCheck.VerifyMessage(v.Spki, pae, sig));
            if (match.Pem is null)
            {
                throw Invalid("a DSSE signature does not verify over the PAE with any given verifier");
            }

            signatures.Add((Convert.ToBase64String(sig), Convert.ToBase64String(Encoding.UTF8.GetBytes(match.Pem))));
        }

        if (signatures.Count == 0)
        {
            throw Invalid("the envelope has no signatures");
        }

        var body = new JsonObject
        {
            ["apiVersion"] = "0.0.1",
            ["kind"] = "dsse",
            ["spec"] = new JsonObject
            {
                ["envelopeHash"] = new JsonObject { ["algorithm"] = "sha256", ["value"] = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(envelopeText))) },
                ["payloadHash"] = new JsonObject { ["algorithm"] = "sha256", ["value"] = Convert.ToHexStringLower(SHA256.HashData(payload)) },
                ["signatures"] = new JsonArray(signatures.OrderBy(s => s.Sig, StringComparer.Ordinal)
                    .Select(s => (JsonNode)new JsonObject { ["signature"] = s.Sig, ["verifier"] = s.Verifier }).ToArray()),
            },
        };
        return RekorCanonicalJson.Serialize(body);
    }

    /// <summary>Re-encodes a PEM certificate or key the way Rekor stores it; returns the SPKI for verification.</summary>
    private static string CanonicalKeyPem(byte[] pemOrDer, out byte[] spki)
    {
        try
        {
            var text = Encoding.ASCII.GetString(pemOrDer);
            if (text.Contains("-----BEGIN CERTIFICATE", StringComparison.Ordinal))
            {
                var fields = PemEncoding.Find(text);
                var der = Convert.FromBase64String(text[fields.Base64Data]);
                spki = SignatureCheck.SpkiFromCertificate(der);
                return Pki.Pem.Certificate(der);
            }

            spki = SignatureCheck.SpkiFromPemOrDer(pemOrDer);
            return Pki.Pem.PublicKey(spki);
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or CryptographicException)
        {
            throw Invalid($"the public key or certificate cannot be parsed ({ex.Message})");
        }
    }

    private static string Text(JsonObject obj, string name) =>
        obj[name] is JsonValue value && value.GetValueKind() == JsonValueKind.String ? value.GetValue<string>() : throw Invalid($"'{name}' is missing or not a string");

    private static byte[] FromBase64(string text, string field)
    {
        try
        {
            return Convert.FromBase64String(text);
        }
        catch (FormatException)
        {
            throw Invalid($"'{field}' is not base64");
        }
    }

    private static byte[] FromHex(string text, string field)
    {
        try
        {
            return Convert.FromHexString(text);
        }
        catch (FormatException)
        {
            throw Invalid($"'{field}' is not hex");
        }
    }

    internal static SigstoreException Invalid(string why) =>
        new(LocalStackCodes.LogEntryInvalid, $"The proposed log entry was rejected: {why}. Fix the request and submit it again.");
}
