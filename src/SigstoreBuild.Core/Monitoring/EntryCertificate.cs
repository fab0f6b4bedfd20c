using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace SigstoreBuild.Monitoring;

/// <summary>
/// The signing certificates and the digest in a Rekor entry body: v1 hashedrekord 0.0.1, dsse 0.0.1 and intoto 0.0.2;
/// v2 (rekor-tiles) hashedrekord 0.0.2 and dsse 0.0.2. Empty for keys and other kinds.
/// </summary>
internal sealed record EntryCertificate(string Kind, byte[] CertificateDer, string? Digest)
{
    public static IReadOnlyList<EntryCertificate> Read(byte[] body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            var kind = root.GetProperty("kind").GetString()!;
            var version = root.TryGetProperty("apiVersion", out var v) ? v.GetString() : null;
            var spec = root.GetProperty("spec");
            return (kind, version) switch
            {
                ("hashedrekord", "0.0.2") => V2(kind, [spec.GetProperty("hashedRekordV002").GetProperty("signature")], spec.GetProperty("hashedRekordV002").GetProperty("data")),
                ("dsse", "0.0.2") => V2(kind, [.. spec.GetProperty("dsseV002").GetProperty("signatures").EnumerateArray()], spec.GetProperty("dsseV002").GetProperty("payloadHash")),
                ("hashedrekord", _) => V1(kind, [spec.GetProperty("signature").GetProperty("publicKey").GetProperty("content").GetString()], spec.GetProperty("data").GetProperty("hash")),
                ("dsse", _) => V1(kind, [.. spec.GetProperty("signatures").EnumerateArray().Select(s => s.GetProperty("verifier").GetString())], spec.GetProperty("payloadHash")),
                ("intoto", _) => V1(kind, [.. spec.GetProperty("content").GetProperty("envelope").GetProperty("signatures").EnumerateArray().Select(s => s.GetProperty("publicKey").GetString())], spec.GetProperty("content").GetProperty("payloadHash")),
                _ => [],
            };
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or FormatException or IndexOutOfRangeException)
        {
            return [];
        }
    }

    /// <summary>v1: base64 PEM certificates (a public key names no identity), digest as algorithm and hex value.</summary>
    private static List<EntryCertificate> V1(string kind, IEnumerable<string?> pems, JsonElement hash)
    {
        var digest = $"{hash.GetProperty("algorithm").GetString()}:{hash.GetProperty("value").GetString()}";
        var found = new List<EntryCertificate>();
        foreach (var encoded in pems.OfType<string>())
        {
            var pem = Encoding.UTF8.GetString(Convert.FromBase64String(encoded));
            if (PemEncoding.TryFind(pem, out var fields) && pem[fields.Label] == "CERTIFICATE")
            {
                found.Add(new EntryCertificate(kind, Convert.FromBase64String(pem[fields.Base64Data]), digest));
            }
        }

        return found;
    }

    /// <summary>v2: certificates as DER in each signature's verifier, digest as an algorithm enum and base64.</summary>
    private static List<EntryCertificate> V2(string kind, IEnumerable<JsonElement> signatures, JsonElement hash)
    {
        var algorithm = hash.GetProperty("algorithm").GetString() switch
        {
            "SHA2_256" => "sha256",
            "SHA2_384" => "sha384",
            "SHA2_512" => "sha512",
            var other => other,
        };
        var digest = $"{algorithm}:{Convert.ToHexStringLower(Convert.FromBase64String(hash.GetProperty("digest").GetString()!))}";
        return [.. signatures
            .Where(s => s.GetProperty("verifier").TryGetProperty("x509Certificate", out _))
            .Select(s => new EntryCertificate(kind, Convert.FromBase64String(s.GetProperty("verifier").GetProperty("x509Certificate").GetProperty("rawBytes").GetString()!), digest))];
    }
}
