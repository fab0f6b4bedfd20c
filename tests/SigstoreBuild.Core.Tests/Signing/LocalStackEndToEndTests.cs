using SigstoreBuild.Bundles;
using SigstoreBuild.Identity;
using SigstoreBuild.LocalStack;
using SigstoreBuild.Signing;

namespace SigstoreBuild.Tests.Signing;

/// <summary>Signing against the project's local Sigstore instance (real Fulcio/Rekor/TSA wire formats, in process).</summary>
[TestClass]
public sealed class LocalStackEndToEndTests
{
    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    [DataRow(false, "alice@example.com")]
    [DataRow(true, "alice@example.com")]
    [DataRow(false, null)]
    public async Task SignsAgainstLocalInstance(bool rekorV2, string? email)
    {
        using var data = new TempDirectory();
        await using var sigstore = await LocalSigstore.StartAsync(Path.Combine(data.Path, "instance"), 0, TestContext.CancellationToken);
        var token = email is null ? sigstore.MintGitHubActionsToken() : sigstore.MintToken(email);
        var trust = StaticSigningTrustProvider.Load(sigstore.TrustedRootPath, rekorV2 ? sigstore.SigningConfigRekorV2Path : sigstore.SigningConfigPath);
        var verifier = new RecordingVerifier(new SigstoreBundleVerifier());
        using var session = new SigningSession(trust, ExplicitTokenProvider.FromToken(token), verifier, SigningTestSupport.Options());
        var requests = Enumerable.Range(0, 3).Select(i => new SigningRequest(data.File($"a{i}.bin", $"artifact {i}"), data.File($"a{i}.sigstore.json"))).ToList();
        requests.Add(new SigningRequest(data.File("p.nupkg", "package"), data.File("p.sigstore.json")) { PredicateType = "https://slsa.dev/provenance/v1" });

        var results = await session.SignFilesAsync(requests, TestContext.CancellationToken);

        Assert.AreEqual(1, session.CertificateRequests);
        Assert.HasCount(requests.Count, verifier.Calls, "Every bundle went through the real verifier before it was written.");
        foreach (var r in results)
        {
            var bundle = BundleSerializer.Load(r.BundlePath);
            Assert.AreEqual(rekorV2 ? "0.0.2" : "0.0.1", bundle.VerificationMaterial!.TlogEntries![0].KindVersion!.Version);
        }
    }
}
