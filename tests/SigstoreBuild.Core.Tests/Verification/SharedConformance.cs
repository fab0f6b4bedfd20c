using System.Reflection;
using System.Text.Json;
using SigstoreBuild.Bundles;
using SigstoreBuild.Trust;

namespace SigstoreBuild.Tests.Verification;

/// <summary>The sigstore-conformance cases in <c>&lt;RepoRoot&gt;/../shared/conformance</c>; missing means inconclusive.</summary>
internal static class SharedConformance
{
    public static string Directory
    {
        get
        {
            var repoRoot = typeof(SharedConformance).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
                .FirstOrDefault(a => a.Key == "RepoRoot")?.Value;
            foreach (var candidate in new[] { repoRoot is null ? null : Path.Combine(repoRoot, "..", "shared", "conformance"), "/work/shared/conformance" })
            {
                if (candidate is not null && File.Exists(Path.Combine(candidate, "manifest.jsonl")))
                {
                    return Path.GetFullPath(candidate);
                }
            }

            Assert.Inconclusive("../shared/conformance is missing: the conformance vectors are not available here.");
            return null!;
        }
    }

    public static IReadOnlyList<JsonElement> Cases() =>
        File.ReadAllLines(Path.Combine(Directory, "manifest.jsonl")).Where(l => l.Length > 0).Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToArray();

    public static JsonElement Case(string name) => Cases().Single(c => c.GetProperty("id").GetString() == "conformance/" + name);

    public static Bundle Bundle(JsonElement c) => BundleSerializer.Load(Path.Combine(Directory, c.GetProperty("bundle").GetString()!));

    public static TrustedRoot Trust(JsonElement c) => TrustedRoot.Load(Path.Combine(Directory, c.GetProperty("trusted_root").GetString()!));

    public static byte[] Leaf(Bundle bundle) =>
        bundle.VerificationMaterial!.Certificate?.RawBytes ?? bundle.VerificationMaterial.X509CertificateChain!.Certificates![0].RawBytes!;
}
