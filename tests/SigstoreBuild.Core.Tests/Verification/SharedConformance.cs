using System.Reflection;
using System.Text.Json;
using SigstoreBuild.Bundles;
using SigstoreBuild.Trust;

namespace SigstoreBuild.Tests.Verification;

/// <summary>
/// The sigstore-conformance cases in <c>&lt;RepoRoot&gt;/../shared/conformance</c> (beside the repository); missing fails
/// the test with the path it expected, rather than passing or skipping silently.
/// </summary>
internal static class SharedConformance
{
    public static string Directory
    {
        get
        {
            var repoRoot = typeof(SharedConformance).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
                .FirstOrDefault(a => a.Key == "RepoRoot")?.Value;
            if (string.IsNullOrEmpty(repoRoot))
            {
                Assert.Fail("The test assembly carries no RepoRoot metadata, so ../shared/conformance cannot be located.");
            }

            var expected = Path.GetFullPath(Path.Combine(repoRoot, "..", "shared", "conformance"));
            if (!File.Exists(Path.Combine(expected, "manifest.jsonl")))
            {
                Assert.Fail($"The sigstore-conformance vectors are missing: expected {Path.Combine(expected, "manifest.jsonl")} "
                    + "(the folder shared/conformance beside the repository root).");
            }

            return expected;
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
