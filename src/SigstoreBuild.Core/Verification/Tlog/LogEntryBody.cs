using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using SigstoreBuild.Diagnostics;
using SigstoreBuild.Serialization;

namespace SigstoreBuild.Verification.Tlog;

/// <summary>
/// Parses an entry's canonicalized body strictly and checks that it records exactly this bundle's signature, signer and
/// digest (threat model T-01, T-06). Only allowlisted (kind, apiVersion) pairs are understood.
/// </summary>
internal static class LogEntryBody
{
    private static readonly JsonDocumentOptions Options = new() { MaxDepth = 16, AllowDuplicateProperties = false };

    /// <summary>
    /// Fails closed unless (kind, version) is an allowlisted Rekor entry type that fits the content. Returns true for Rekor
    /// v2 entry types.
    /// </summary>
    public static bool CheckKind(string? kind, string? version, bool isDsse)
    {
        (bool Known, bool ForDsse, bool ForMessage, bool RekorV2) rule = (kind, version) switch
        {
            ("hashedrekord", "0.0.1") => (true, false, true, false),
            ("dsse", "0.0.1") => (true, true, false, false),
            ("intoto", "0.0.2") => (true, true, false, false),
            // Rekor v2 logs DSSE envelopes either as dsse 0.0.2 or as a hashedrekord over the PAE (rekor-v2-spec §6.1.4).
            ("hashedrekord", "0.0.2") => (true, true, true, true),
            ("dsse", "0.0.2") => (true, true, false, true),
            _ => default,
        };

        if (!rule.Known)
        {
            throw new VerificationException(TlogCodes.UnsupportedEntryKind,
                $"Transparency log entries of kind '{kind}' version '{version}' are not supported. Supported: hashedrekord 0.0.1/0.0.2, dsse 0.0.1/0.0.2, intoto 0.0.2.");
        }

        if (isDsse ? !rule.ForDsse : !rule.ForMessage)
        {
            throw new VerificationException(TlogCodes.UnsupportedEntryKind,
                $"A {kind} {version} log entry cannot attest a bundle with {(isDsse ? "a DSSE envelope" : "a message signature")}. The entry belongs to another kind of signature.");
        }

        return rule.RekorV2;
    }

    public static void Bind(ReadOnlyMemory<byte> body, string kind, string version, SignedContent content)
    {
        JsonDocument document;
        try
        {
            document = UntrustedJson.Parse(body, Options);
        }
        catch (JsonException ex)
        {
            throw Malformed($"it is not valid JSON ({ex.Message})", ex);
        }

        using (document)
        {
            var root = document.RootElement;
            ExpectProperties(root, "body", "apiVersion", "kind", "spec");
            if (!string.Equals(String(root, "kind"), kind, StringComparison.Ordinal)
                || !string.Equals(String(root, "apiVersion"), version, StringComparison.Ordinal))
            {
                throw Malformed($"its kind and apiVersion ({String(root, "kind")} {String(root, "apiVersion")}) disagree with the entry's kindVersion ({kind} {version})");
            }

            var spec = Object(root, "spec");
            switch (kind, version)
            {
                case ("hashedrekord", "0.0.1"):
                    BindHashedRekordV001(spec, content);
                    break;
                case ("hashedrekord", "0.0.2"):
                    BindHashedRekordV002(Object(spec, "hashedRekordV002"), content);
                    break;
                case ("dsse", "0.0.1"):
                    BindDsseV001(spec, content);
                    break;
                case ("intoto", "0.0.2"):
                    BindIntotoV002(Object(spec, "content"), content);
                    break;
                case ("dsse", "0.0.2"):
                    BindDsseV002(Object(spec, "dsseV002"), content);
                    break;
                default:
                    throw new VerificationException(TlogCodes.UnsupportedEntryKind, $"Unsupported log entry kind '{kind}' version '{version}'.");
            }
        }
    }

    private static void BindHashedRekordV001(JsonElement spec, SignedContent content)
    {
        var hash = Object(Object(spec, "data"), "hash");
        var algorithm = HexAlgorithm(String(hash, "algorithm"));
        var digest = Hex(String(hash, "value"));
        var signature = Object(spec, "signature");
        CompareSignature(Base64(String(signature, "content")), content);
        ComparePemSigner(String(Object(signature, "publicKey"), "content"), content);
        CompareArtifactDigest(algorithm, digest, content);
    }

    private static void BindHashedRekordV002(JsonElement spec, SignedContent content)
    {
        var data = Object(spec, "data");
        var algorithm = ProtoAlgorithm(String(data, "algorithm"));
        var digest = Base64(String(data, "digest"));
        var signature = Object(spec, "signature");
        CompareSignature(Base64(String(signature, "content")), content);
        CompareDerVerifier(Object(signature, "verifier"), content);
        if (content.IsDsse)
        {
            // hashedrekord over DSSE: the digest is H(PAE(payloadType, payload)).
            var pae = Attestations.DssePae.Encode(content.Envelope!.PayloadType ?? string.Empty, content.Envelope.Payload ?? []);
            if (!CryptographicOperations.FixedTimeEquals(Hash(algorithm, pae), digest))
            {
                throw new VerificationException(TlogCodes.DigestMismatch,
                    "The log entry's digest is not the hash of this DSSE envelope's PAE. The entry records another envelope.");
            }
        }
        else
        {
            CompareArtifactDigest(algorithm, digest, content);
        }
    }

    private static void BindDsseV001(JsonElement spec, SignedContent content)
    {
        // envelopeHash is Rekor's SHA-256 over the envelope bytes as the client submitted them (no canonical form), so it
        // cannot be recomputed; payloadHash, signature and verifier bind the entry.
        var envelopeHash = Object(spec, "envelopeHash");
        if (HexAlgorithm(String(envelopeHash, "algorithm")) != HashAlgorithmName.SHA256 || Hex(String(envelopeHash, "value")).Length != 32)
        {
            throw Malformed("its envelopeHash is not a SHA-256 hash");
        }

        ComparePayloadHash(Object(spec, "payloadHash"), content);
        var signatures = Array(spec, "signatures");
        if (signatures.GetArrayLength() != 1)
        {
            throw new VerificationException(TlogCodes.SignatureMismatch, "The DSSE log entry must record exactly one signature, like the bundle's envelope.");
        }

        var entry = signatures[0];
        CompareSignature(Base64(String(entry, "signature")), content);
        ComparePemSigner(String(entry, "verifier"), content);
    }

    private static void BindIntotoV002(JsonElement specContent, SignedContent content)
    {
        ComparePayloadHash(Object(specContent, "payloadHash"), content);
        var envelope = Object(specContent, "envelope");
        var dsse = content.Envelope!;
        if (envelope.TryGetProperty("payloadType", out var payloadType)
            && (payloadType.ValueKind != JsonValueKind.String || !string.Equals(payloadType.GetString(), dsse.PayloadType, StringComparison.Ordinal)))
        {
            throw new VerificationException(TlogCodes.DigestMismatch, "The in-toto log entry's payloadType differs from the bundle's envelope.");
        }

        // Rekor stores the envelope's base64 strings base64-encoded again.
        if (envelope.TryGetProperty("payload", out var payload)
            && (payload.ValueKind != JsonValueKind.String || !DoubleBase64(payload.GetString()!).AsSpan().SequenceEqual(dsse.Payload)))
        {
            throw new VerificationException(TlogCodes.DigestMismatch, "The in-toto log entry's payload differs from the bundle's envelope.");
        }

        var signatures = Array(envelope, "signatures");
        if (signatures.GetArrayLength() != 1)
        {
            throw new VerificationException(TlogCodes.SignatureMismatch, "The in-toto log entry must record exactly one signature, like the bundle's envelope.");
        }

        var entry = signatures[0];
        CompareSignature(DoubleBase64(String(entry, "sig")), content);
        ComparePemSigner(String(entry, "publicKey"), content);
    }

    private static void BindDsseV002(JsonElement spec, SignedContent content)
    {
        var payloadHash = Object(spec, "payloadHash");
        var algorithm = ProtoAlgorithm(String(payloadHash, "algorithm"));
        if (!CryptographicOperations.FixedTimeEquals(Hash(algorithm, content.Envelope!.Payload), Base64(String(payloadHash, "digest"))))
        {
            throw new VerificationException(TlogCodes.DigestMismatch, "The DSSE log entry's payloadHash is not the hash of this envelope's payload.");
        }

        var signatures = Array(spec, "signatures");
        if (signatures.GetArrayLength() != 1)
        {
            throw new VerificationException(TlogCodes.SignatureMismatch, "The DSSE log entry must record exactly one signature, like the bundle's envelope.");
        }

        CompareSignature(Base64(String(signatures[0], "content")), content);
        CompareDerVerifier(Object(signatures[0], "verifier"), content);
    }

    private static void ComparePayloadHash(JsonElement payloadHash, SignedContent content)
    {
        var algorithm = HexAlgorithm(String(payloadHash, "algorithm"));
        if (!CryptographicOperations.FixedTimeEquals(Hash(algorithm, content.Envelope!.Payload), Hex(String(payloadHash, "value"))))
        {
            throw new VerificationException(TlogCodes.DigestMismatch, "The log entry's payloadHash is not the hash of this envelope's payload. The entry records another attestation.");
        }
    }

    private static void CompareSignature(byte[] recorded, SignedContent content)
    {
        if (!recorded.AsSpan().SequenceEqual(content.Signature))
        {
            throw new VerificationException(TlogCodes.SignatureMismatch,
                "The transparency log entry records a different signature than the bundle's. The entry belongs to another signature.");
        }
    }

    private static void CompareArtifactDigest(HashAlgorithmName algorithm, byte[] digest, SignedContent content)
    {
        if (content.ArtifactDigest is null || algorithm != content.ArtifactDigestAlgorithm || !digest.AsSpan().SequenceEqual(content.ArtifactDigest))
        {
            throw new VerificationException(TlogCodes.DigestMismatch,
                $"The transparency log entry records a different artifact digest ({algorithm.Name}) than the artifact being verified. The entry belongs to another artifact.");
        }
    }

    /// <summary>Rekor v1: base64 of a PEM CERTIFICATE (keyless) or PUBLIC KEY (key-based).</summary>
    private static void ComparePemSigner(string base64Pem, SignedContent content)
    {
        string pem;
        try
        {
            pem = Encoding.UTF8.GetString(Base64(base64Pem));
        }
        catch (DecoderFallbackException ex)
        {
            throw Malformed("its verifier is not a PEM text", ex);
        }

        if (!PemEncoding.TryFind(pem, out var fields) || pem.AsSpan(fields.Location.End.GetOffset(pem.Length)).Trim().Length != 0)
        {
            throw Malformed("its verifier is not exactly one PEM block");
        }

        var label = pem[fields.Label];
        var der = Convert.FromBase64String(pem[fields.Base64Data]);
        CompareSigner(label switch
        {
            "CERTIFICATE" => true,
            "PUBLIC KEY" => false,
            _ => throw Malformed($"its verifier is a PEM '{label}', not a certificate or public key"),
        }, der, content);
    }

    /// <summary>Rekor v2: verifier { x509Certificate { rawBytes } | publicKey { rawBytes }, keyDetails }.</summary>
    private static void CompareDerVerifier(JsonElement verifier, SignedContent content)
    {
        var hasCertificate = verifier.TryGetProperty("x509Certificate", out var certificate);
        var hasKey = verifier.TryGetProperty("publicKey", out var key);
        if (hasCertificate == hasKey)
        {
            throw Malformed("its verifier must have exactly one of x509Certificate and publicKey");
        }

        var der = Base64(String(hasCertificate ? certificate : key, "rawBytes"));
        CompareSigner(hasCertificate, der, content);
    }

    private static void CompareSigner(bool isCertificate, byte[] der, SignedContent content)
    {
        var expected = isCertificate ? content.SignerCertificate : content.SignerPublicKey;
        if (expected is null || !der.AsSpan().SequenceEqual(expected))
        {
            throw new VerificationException(TlogCodes.SignerMismatch,
                $"The transparency log entry records a different signer {(isCertificate ? "certificate" : "public key")} than the bundle's. The entry belongs to another signer.");
        }
    }


    private static byte[] Hash(HashAlgorithmName algorithm, ReadOnlySpan<byte> data) => algorithm.Name switch
    {
        "SHA256" => SHA256.HashData(data),
        "SHA384" => SHA384.HashData(data),
        "SHA512" => SHA512.HashData(data),
        _ => throw Malformed($"it names an unsupported hash algorithm {algorithm.Name}"),
    };

    private static HashAlgorithmName HexAlgorithm(string name) => name switch
    {
        "sha256" => HashAlgorithmName.SHA256,
        "sha384" => HashAlgorithmName.SHA384,
        "sha512" => HashAlgorithmName.SHA512,
        _ => throw Malformed($"it names an unsupported hash algorithm '{name}'"),
    };

    private static HashAlgorithmName ProtoAlgorithm(string name) => name switch
    {
        "SHA2_256" => HashAlgorithmName.SHA256,
        "SHA2_384" => HashAlgorithmName.SHA384,
        "SHA2_512" => HashAlgorithmName.SHA512,
        _ => throw Malformed($"it names an unsupported hash algorithm '{name}'"),
    };

    private static void ExpectProperties(JsonElement element, string what, params string[] names)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw Malformed($"its {what} is not a JSON object");
        }

        foreach (var property in element.EnumerateObject())
        {
            if (System.Array.IndexOf(names, property.Name) < 0)
            {
                throw Malformed($"its {what} has an unexpected property '{property.Name}'");
            }
        }
    }

    private static JsonElement Object(JsonElement parent, string name) =>
        parent.ValueKind == JsonValueKind.Object && parent.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Object
            ? value
            : throw Malformed($"it lacks the object '{name}'");

    private static JsonElement Array(JsonElement parent, string name) =>
        parent.ValueKind == JsonValueKind.Object && parent.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Array
            ? value
            : throw Malformed($"it lacks the array '{name}'");

    private static string String(JsonElement parent, string name) =>
        parent.ValueKind == JsonValueKind.Object && parent.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()!
            : throw Malformed($"it lacks the string '{name}'");

    private static byte[] Base64(string value)
    {
        var buffer = new byte[(value.Length * 3 / 4) + 3];
        return value.Length > 0 && Convert.TryFromBase64String(value, buffer, out var written)
            ? buffer[..written]
            : throw Malformed("it contains invalid base64");
    }

    private static byte[] DoubleBase64(string value)
    {
        try
        {
            return Base64(Encoding.ASCII.GetString(Base64(value)));
        }
        catch (DecoderFallbackException ex)
        {
            throw Malformed("it contains invalid base64", ex);
        }
    }

    private static byte[] Hex(string value)
    {
        try
        {
            return Convert.FromHexString(value);
        }
        catch (FormatException ex)
        {
            throw Malformed("it contains an invalid hex hash", ex);
        }
    }

    private static VerificationException Malformed(string why, Exception? inner = null) =>
        new(TlogCodes.MalformedEntryBody, $"The transparency log entry's canonicalized body is malformed: {why}. Obtain the bundle again from the signer.", inner);
}
