using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using SigstoreBuild.LocalStack.Pki;

namespace SigstoreBuild.LocalStack.Transparency;

/// <summary>
/// Rekor v2 (rekor-tiles) semantics: hashedrekord 0.0.2 and dsse 0.0.2 entries, responses as protobuf-specs
/// TransparencyLogEntry JSON with an inclusion proof and a C2SP checkpoint, integratedTime 0 and no SET. The log ID is
/// the full C2SP checkpoint key ID. Identical requests are deduplicated (the existing entry is returned).
/// </summary>
public sealed class RekorV2Log
{
    public RekorV2Log(TransparencyLog log)
    {
        Log = log;
    }

    public TransparencyLog Log { get; }

    public byte[] LogId => Log.Signer.KeyId;

    public (LogRecord Record, bool Existed) Append(JsonNode? request)
    {
        var (body, artifact) = Canonicalize(request);
        if (body.Length > ushort.MaxValue)
        {
            throw RekorV1Log.Invalid($"the entry has {body.Length} bytes, more than a tlog-tiles entry bundle can hold ({ushort.MaxValue})");
        }

        return Log.Append(body, artifact);
    }

    public static (byte[] Body, string? ArtifactDigest) Canonicalize(JsonNode? request)
    {
        if (request is not JsonObject obj)
        {
            throw RekorV1Log.Invalid("the request body is not a JSON object");
        }

        if (Field(obj, "hashedRekordRequestV002", "hashed_rekord_request_v002", "hashedRekordRequestV0_0_2") is JsonObject hashed)
        {
            return CanonicalizeHashedRekord(hashed);
        }

        if (Field(obj, "dsseRequestV002", "dsse_request_v002", "dsseRequestV0_0_2") is JsonObject dsse)
        {
            return (CanonicalizeDsse(dsse), null);
        }

        throw RekorV1Log.Invalid("the request holds neither 'hashedRekordRequestV002' nor 'dsseRequestV002'");
    }

    /// <summary>The protobuf-specs TransparencyLogEntry JSON for <paramref name="record"/>.</summary>
    public JsonObject ToTransparencyLogEntry(LogRecord record)
    {
        var proof = Log.Prove(record.Index);
        var body = JsonNode.Parse(record.Body)!;
        var index = record.Index.ToString(CultureInfo.InvariantCulture);
        return new JsonObject
        {
            ["logIndex"] = index,
            ["logId"] = new JsonObject { ["keyId"] = Convert.ToBase64String(LogId) },
            ["kindVersion"] = new JsonObject { ["kind"] = body["kind"]!.GetValue<string>(), ["version"] = body["apiVersion"]!.GetValue<string>() },
            ["integratedTime"] = "0",
            ["inclusionProof"] = new JsonObject
            {
                ["logIndex"] = index,
                ["rootHash"] = Convert.ToBase64String(proof.RootHash),
                ["treeSize"] = proof.TreeSize.ToString(CultureInfo.InvariantCulture),
                ["hashes"] = new JsonArray(proof.Hashes.Select(h => (JsonNode)Convert.ToBase64String(h)).ToArray()),
                ["checkpoint"] = new JsonObject { ["envelope"] = proof.Checkpoint },
            },
            ["canonicalizedBody"] = Convert.ToBase64String(record.Body),
        };
    }

    private static (byte[], string?) CanonicalizeHashedRekord(JsonObject request)
    {
        var digest = Bytes(request, "digest");
        var signature = Field(request, "signature") as JsonObject ?? throw RekorV1Log.Invalid("'signature' is missing");
        var content = Bytes(signature, "content");
        var (verifier, spki, keyDetails) = ReadVerifier(Field(signature, "verifier") as JsonObject);
        var (hash, algorithm, length) = HashFor(keyDetails);
        if (digest.Length != length)
        {
            throw RekorV1Log.Invalid($"the digest has {digest.Length} bytes but {keyDetails} needs {length}");
        }

        if (!SignatureCheck.VerifyDigest(spki, digest, hash, content))
        {
            throw RekorV1Log.Invalid("the signature does not verify over the digest with the given verifier");
        }

        var body = new JsonObject
        {
            ["apiVersion"] = "0.0.2",
            ["kind"] = "hashedrekord",
            ["spec"] = new JsonObject
            {
                ["hashedRekordV002"] = new JsonObject
                {
                    ["data"] = new JsonObject { ["algorithm"] = algorithm, ["digest"] = Convert.ToBase64String(digest) },
                    ["signature"] = new JsonObject { ["content"] = Convert.ToBase64String(content), ["verifier"] = verifier },
                },
            },
        };
        return (RekorCanonicalJson.Serialize(body), $"{algorithm switch { "SHA2_384" => "sha384", "SHA2_512" => "sha512", _ => "sha256" }}:{Convert.ToHexStringLower(digest)}");
    }

    private static byte[] CanonicalizeDsse(JsonObject request)
    {
        var envelope = Field(request, "envelope") as JsonObject ?? throw RekorV1Log.Invalid("'envelope' is missing");
        var payload = Bytes(envelope, "payload");
        var payloadType = Field(envelope, "payloadType", "payload_type")?.GetValue<string>() ?? throw RekorV1Log.Invalid("'payloadType' is missing");
        var pae = SigstoreBuild.Attestations.DssePae.Encode(payloadType, payload);
        var verifiers = (Field(request, "verifiers") as JsonArray ?? throw RekorV1Log.Invalid("'verifiers' is missing"))
            .Select(v => ReadVerifier(v as JsonObject)).ToList();
        var signatures = new JsonArray();
        foreach (var node in Field(envelope, "signatures") as JsonArray ?? throw RekorV1Log.Invalid("the envelope has no signatures"))
        {
            var sig = Bytes(node as JsonObject ?? throw RekorV1Log.Invalid("bad signature"), "sig");
            var match = verifiers.FirstOrDefault(v => SignatureCheck.VerifyMessage(v.Spki, pae, sig));
            if (match.Verifier is null)
            {
                throw RekorV1Log.Invalid("a DSSE signature does not verify over the PAE with any given verifier");
            }

            signatures.Add(new JsonObject { ["content"] = Convert.ToBase64String(sig), ["verifier"] = match.Verifier.DeepClone() });
        }

        if (signatures.Count == 0)
        {
            throw RekorV1Log.Invalid("the envelope has no signatures");
        }

        var body = new JsonObject
        {
            ["apiVersion"] = "0.0.2",
            ["kind"] = "dsse",
            ["spec"] = new JsonObject
            {
                ["dsseV002"] = new JsonObject
                {
                    ["payloadHash"] = new JsonObject { ["algorithm"] = "SHA2_256", ["digest"] = Convert.ToBase64String(SHA256.HashData(payload)) },
                    ["signatures"] = signatures,
                },
            },
        };
        return RekorCanonicalJson.Serialize(body);
    }

    private static (JsonObject Verifier, byte[] Spki, string KeyDetails) ReadVerifier(JsonObject? verifier)
    {
        if (verifier is null)
        {
            throw RekorV1Log.Invalid("'verifier' is missing");
        }

        var keyDetails = Field(verifier, "keyDetails", "key_details")?.GetValue<string>() ?? throw RekorV1Log.Invalid("'keyDetails' is missing");
        var normalized = new JsonObject { ["keyDetails"] = keyDetails };
        byte[] spki;
        if (Field(verifier, "x509Certificate", "x509_certificate") is JsonObject certificate)
        {
            var der = Bytes(certificate, "rawBytes", "raw_bytes");
            try
            {
                spki = SignatureCheck.SpkiFromCertificate(der);
            }
            catch (CryptographicException ex)
            {
                throw RekorV1Log.Invalid($"the certificate cannot be parsed ({ex.Message})");
            }

            normalized["x509Certificate"] = new JsonObject { ["rawBytes"] = Convert.ToBase64String(der) };
        }
        else if (Field(verifier, "publicKey", "public_key") is JsonObject key)
        {
            spki = Bytes(key, "rawBytes", "raw_bytes");
            normalized["publicKey"] = new JsonObject { ["rawBytes"] = Convert.ToBase64String(spki) };
        }
        else
        {
            throw RekorV1Log.Invalid("the verifier has neither 'x509Certificate' nor 'publicKey'");
        }

        return (normalized, spki, keyDetails);
    }

    private static (HashAlgorithmName, string, int) HashFor(string keyDetails) => keyDetails switch
    {
        "PKIX_ECDSA_P256_SHA_256" or "PKIX_RSA_PKCS1V15_2048_SHA256" or "PKIX_RSA_PKCS1V15_3072_SHA256" or "PKIX_RSA_PKCS1V15_4096_SHA256"
            => (HashAlgorithmName.SHA256, "SHA2_256", 32),
        "PKIX_ECDSA_P384_SHA_384" => (HashAlgorithmName.SHA384, "SHA2_384", 48),
        "PKIX_ECDSA_P521_SHA_512" => (HashAlgorithmName.SHA512, "SHA2_512", 64),
        _ => throw RekorV1Log.Invalid($"key details '{keyDetails}' are not supported for hashedrekord"),
    };

    private static JsonNode? Field(JsonObject obj, params string[] names)
    {
        foreach (var name in names)
        {
            if (obj[name] is { } value)
            {
                return value;
            }
        }

        return null;
    }

    private static byte[] Bytes(JsonObject obj, params string[] names)
    {
        var node = Field(obj, names);
        if (node is not JsonValue value || value.GetValueKind() != JsonValueKind.String)
        {
            throw RekorV1Log.Invalid($"'{names[0]}' is missing or not a string");
        }

        try
        {
            return Convert.FromBase64String(value.GetValue<string>());
        }
        catch (FormatException)
        {
            throw RekorV1Log.Invalid($"'{names[0]}' is not base64");
        }
    }
}
