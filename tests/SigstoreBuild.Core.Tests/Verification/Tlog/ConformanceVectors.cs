using System.Reflection;
using System.Security.Cryptography;
using System.Text.Json;
using SigstoreBuild.Bundles;
using SigstoreBuild.Trust;
using SigstoreBuild.Verification;

namespace SigstoreBuild.Tests.Verification.Tlog;

/// <summary>One case of shared/conformance/manifest.jsonl, loaded: bundle, trusted root and the content it must bind to.</summary>
internal sealed class ConformanceCase
{
    public required string Name { get; init; }
    public required Bundle Bundle { get; init; }
    public required byte[] TrustedRootJson { get; init; }
    public required SignedContent Content { get; init; }

    public TrustedRoot Trust => TrustedRoot.Parse(TrustedRootJson);

    public TransparencyLogEntry Entry => Bundle.VerificationMaterial!.TlogEntries![0];

    public byte[] Timestamp => Bundle.VerificationMaterial!.TimestampVerificationData!.Rfc3161Timestamps![0].SignedTimestamp!;
}

/// <summary>Reads the shared conformance vectors; tests are inconclusive (never passed) when they are missing.</summary>
internal static class ConformanceVectors
{
    private static readonly Lazy<string?> SharedDirectory = new(FindShared);
    private static readonly Lazy<Dictionary<string, JsonElement>> Manifest = new(ReadManifest);

    public static string RequireShared()
    {
        var shared = SharedDirectory.Value;
        if (shared is null)
        {
            Assert.Inconclusive("The shared conformance vectors (../shared/conformance next to the repository) are missing.");
        }

        return shared!;
    }

    public static IEnumerable<string> CaseNames => Manifest.Value.Keys;

    /// <summary>Loads a case by its short name (e.g. <c>happy-path-v0.3</c>); null if its bundle does not parse.</summary>
    public static ConformanceCase Load(string name)
    {
        var shared = RequireShared();
        var conformance = Path.Combine(shared, "conformance");
        if (!Manifest.Value.TryGetValue(name, out var row))
        {
            Assert.Inconclusive($"Conformance case '{name}' is not in the manifest.");
        }

        var bundle = BundleSerializer.Parse(File.ReadAllBytes(Path.Combine(conformance, row.GetProperty("bundle").GetString()!)));
        var trustedRoot = File.ReadAllBytes(Path.Combine(conformance, row.GetProperty("trusted_root").GetString()!));
        byte[]? publicKey = null;
        if (row.TryGetProperty("key", out var key) && key.ValueKind == JsonValueKind.String)
        {
            var pem = File.ReadAllText(Path.Combine(conformance, key.GetString()!));
            // Some cases carry a deliberately broken key: then the bundle has no usable key.
            if (PemEncoding.TryFind(pem, out var fields))
            {
                publicKey = Convert.FromBase64String(pem[fields.Base64Data]);
            }
        }

        var material = bundle.VerificationMaterial!;
        var certificate = material.Certificate?.RawBytes ?? material.X509CertificateChain?.Certificates?[0].RawBytes;
        var signature = bundle.MessageSignature?.Signature ?? bundle.DsseEnvelope!.Signatures![0].Sig!;
        byte[]? digest = null;
        if (bundle.MessageSignature is not null)
        {
            digest = SHA256.HashData(File.ReadAllBytes(Path.Combine(conformance, row.GetProperty("artifact").GetString()!)));
        }

        return new ConformanceCase
        {
            Name = name,
            Bundle = bundle,
            TrustedRootJson = trustedRoot,
            Content = new SignedContent
            {
                Signature = signature,
                SignerCertificate = certificate,
                SignerPublicKey = publicKey,
                ArtifactDigest = digest,
                ArtifactDigestAlgorithm = HashAlgorithmName.SHA256,
                Envelope = bundle.DsseEnvelope,
            },
        };
    }

    private static string? FindShared()
    {
        var repoRoot = typeof(ConformanceVectors).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == "RepoRoot")?.Value;
        if (string.IsNullOrEmpty(repoRoot))
        {
            return null;
        }

        var candidate = Path.GetFullPath(Path.Combine(repoRoot, "..", "shared"));
        return File.Exists(Path.Combine(candidate, "conformance", "manifest.jsonl")) ? candidate : null;
    }

    private static Dictionary<string, JsonElement> ReadManifest()
    {
        var result = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        var shared = SharedDirectory.Value;
        if (shared is null)
        {
            return result;
        }

        foreach (var line in File.ReadLines(Path.Combine(shared, "conformance", "manifest.jsonl")))
        {
            if (line.Length == 0)
            {
                continue;
            }

            var row = JsonDocument.Parse(line).RootElement.Clone();
            var id = row.GetProperty("id").GetString()!;
            result[id[(id.LastIndexOf('/') + 1)..]] = row;
        }

        return result;
    }
}
