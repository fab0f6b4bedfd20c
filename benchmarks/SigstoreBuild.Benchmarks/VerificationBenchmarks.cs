using System.Reflection;
using BenchmarkDotNet.Attributes;
using SigstoreBuild.Bundles;
using SigstoreBuild.Trust;
using SigstoreBuild.Verification;

namespace SigstoreBuild.Benchmarks;

/// <summary>
/// Warm verification of real sigstore-conformance bundles (shared/conformance): parse the bundle JSON and verify it
/// completely, as sigstore-js's bench does. "Shared" reuses one verifier (per-certificate work cached, as in a
/// restore where many packages share the build's certificate); "Fresh" builds a new verifier every time.
/// </summary>
[MemoryDiagnoser]
public class VerificationBenchmarks
{
    private const string Identity = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
    private const string Issuer = "https://token.actions.githubusercontent.com";

    private byte[] _bundleJson = null!;
    private byte[] _artifact = null!;
    private TrustedRoot _trust = null!;
    private SigstoreVerifier _verifier = null!;

    [Params("happy-path-v0.3", "happy-path-intoto-in-dsse-v3", "rekor2-happy-path")]
    public string Case { get; set; } = null!;

    [GlobalSetup]
    public void Setup()
    {
        var repo = typeof(VerificationBenchmarks).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "RepoRoot").Value!;
        var conformance = Path.GetFullPath(Path.Combine(repo, "..", "shared", "conformance"));
        var caseDir = Path.Combine(conformance, "cases", "conformance", Case);
        _bundleJson = File.ReadAllBytes(Path.Combine(caseDir, "bundle.sigstore.json"));
        _artifact = File.ReadAllBytes(Path.Combine(conformance, "cases", "conformance", "a.txt"));
        var rootPath = File.Exists(Path.Combine(caseDir, "trusted_root.json"))
            ? Path.Combine(caseDir, "trusted_root.json")
            : Path.Combine(conformance, "trust", "production.trusted_root.json");
        _trust = TrustedRoot.Load(rootPath);
        _verifier = new SigstoreVerifier(_trust, VerifierOptions.PublicGood);
        Shared(); // must verify, or the benchmark measures a failure path
    }

    [Benchmark(Baseline = true)]
    public VerificationResult Shared() => _verifier.Verify(BundleSerializer.Parse(_bundleJson), Policy());

    [Benchmark]
    public VerificationResult Fresh() => new SigstoreVerifier(_trust, VerifierOptions.PublicGood).Verify(BundleSerializer.Parse(_bundleJson), Policy());

    private VerificationPolicy Policy() =>
        VerificationPolicy.ForArtifact(_artifact).RequireIdentity(CertificateIdentity.Exact(Identity, Issuer));
}
