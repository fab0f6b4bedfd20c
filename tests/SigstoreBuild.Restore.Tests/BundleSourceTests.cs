using System.Text.Json.Nodes;
using SigstoreBuild.NuGet.Restore;
using SigstoreBuild.Restore.Tests.Infrastructure;

namespace SigstoreBuild.Restore.Tests;

[TestClass]
public sealed class BundleSourceTests
{
    private static readonly string Release = TestSigner.Workflow("lib");

    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    public async Task HttpTemplate_FetchesVerifiesAndCachesNextToThePackage()
    {
        using var feed = new TestFeed();
        using var signer = new TestSigner();
        using var server = new LoopbackServer();
        using var http = new HttpClient();
        var hash = feed.AddPackage("Contoso.Lib", "1.0.0");
        server.Routes["/att/contoso.lib/1.0.0.json"] = (200, signer.Sign("Contoso.Lib", "1.0.0", hash, Release));
        var verifier = new TestVerifier(signer.Key);
        var sources = new IBundleSource[] { new SidecarBundleSource(), new PackageFolderCacheBundleSource(), new HttpTemplateBundleSource(http, server.BaseUrl + "att/{lowerId}/{version}.json") };

        var result = await Run(feed, verifier, sources);
        Assert.AreEqual(1, result.Verified, string.Join(" | ", result.Diagnostics));
        Assert.IsTrue(File.Exists(Path.Combine(feed.PackageDirectory("Contoso.Lib", "1.0.0"), "contoso.lib.1.0.0.nupkg.sigstore.json")));

        server.Routes.Clear();
        var second = await Run(feed, verifier, sources);
        Assert.AreEqual(1, second.Verified, "The cached bundle is used when the server no longer has it.");
        Assert.AreEqual(1, server.Requests.Count);
    }

    [TestMethod]
    public async Task HttpServerError_WarnsAndStillFailsClosed()
    {
        using var feed = new TestFeed();
        using var signer = new TestSigner();
        using var server = new LoopbackServer();
        using var http = new HttpClient();
        feed.AddPackage("Contoso.Lib", "1.0.0");
        server.Routes["/att/Contoso.Lib.1.0.0.json"] = (500, "oops"u8.ToArray());
        var result = await Run(feed, new TestVerifier(signer.Key), [new HttpTemplateBundleSource(http, server.BaseUrl + "att/{id}.{version}.json")]);
        CollectionAssert.AreEquivalent(new[] { RestoreCodes.SourceUnavailable, RestoreCodes.Unsigned }, result.Diagnostics.Select(d => d.Code).ToArray());
        Assert.IsFalse(result.Succeeded);
        Assert.AreEqual(3, server.Requests.Count, "5xx is retried a bounded number of times.");
    }

    [TestMethod]
    public void HttpTemplate_WithoutPackagePlaceholderIsRejected()
    {
        using var http = new HttpClient();
        Assert.AreEqual(RestoreCodes.SourceInvalid, Assert.ThrowsExactly<Diagnostics.SigstoreException>(() => new HttpTemplateBundleSource(http, "http://127.0.0.1/bundle.json")).Code);
    }

    [TestMethod]
    public async Task GitHubApi_IsQueriedByDigestForTheNuspecRepository_WithTheToken()
    {
        using var feed = new TestFeed();
        using var signer = new TestSigner();
        using var server = new LoopbackServer();
        using var http = new HttpClient();
        var hash = feed.AddPackage("Contoso.Lib", "1.0.0");
        var wrong = JsonNode.Parse(signer.Sign("Contoso.Lib", "1.0.0", hash, TestSigner.Workflow("other")));
        var right = JsonNode.Parse(signer.Sign("Contoso.Lib", "1.0.0", hash, Release));
        var body = new JsonObject { ["attestations"] = new JsonArray(new JsonObject { ["bundle"] = wrong, ["repository_id"] = 1 }, new JsonObject { ["bundle"] = right, ["repository_id"] = 1 }) };
        server.Routes[$"/repos/contoso/contoso.lib/attestations/sha512:{Convert.ToHexStringLower(hash)}"] = (200, System.Text.Encoding.UTF8.GetBytes(body.ToJsonString()));

        var result = await Run(feed, new TestVerifier(signer.Key), [new GitHubAttestationBundleSource(http, server.BaseUrl, "test-token")]);
        Assert.AreEqual(1, result.Verified, string.Join(" | ", result.Diagnostics));
        Assert.AreEqual(Release, result.Packages[0].Signer!.Subject);
        Assert.IsTrue(server.Requests.TryPeek(out var request));
        Assert.AreEqual("Bearer test-token", request.Authorization);
    }

    [TestMethod]
    public async Task UnsignedAllowedPackages_DoNotQueryNetworkSources()
    {
        using var feed = new TestFeed();
        using var signer = new TestSigner();
        using var server = new LoopbackServer();
        using var http = new HttpClient();
        feed.AddPackage("Microsoft.Thing", "1.0.0");
        var policy = new TrustPolicy([PolicyTests.Identity("Contoso.*", Release)], [PackageIdPattern.Parse("Microsoft.*")], []);
        var result = await Run(feed, new TestVerifier(signer.Key), [new GitHubAttestationBundleSource(http, server.BaseUrl, null)], policy);
        Assert.AreEqual(1, result.Unsigned);
        Assert.IsEmpty(server.Requests);
    }

    [TestMethod]
    [DataRow("https://github.com/contoso/lib", "contoso", "lib")]
    [DataRow("https://github.com/contoso/lib.git", "contoso", "lib")]
    [DataRow("https://gitlab.example/contoso/lib", null, null)]
    [DataRow("https://github.com/contoso", null, null)]
    public void GitHubRepository_IsParsedFromTheNuspecUrl(string url, string? owner, string? repo)
    {
        var parsed = GitHubAttestationBundleSource.ParseGitHubRepository(url);
        Assert.AreEqual(owner, parsed?.Owner);
        Assert.AreEqual(repo, parsed?.Repo);
    }

    private Task<RestoreVerificationResult> Run(TestFeed feed, TestVerifier verifier, IReadOnlyList<IBundleSource> sources, TrustPolicy? policy = null) =>
        new RestoreVerifier(new RestoreVerificationOptions
        {
            AssetsFilePath = feed.AssetsFile,
            Policy = policy ?? new TrustPolicy([PolicyTests.Identity("Contoso.*", Release)], [], []),
            CacheFilePath = feed.CacheFile,
            LockFilePath = feed.LockFile,
            Verifier = verifier,
            Sources = sources,
        }).VerifyAsync(TestContext.CancellationToken);
}
