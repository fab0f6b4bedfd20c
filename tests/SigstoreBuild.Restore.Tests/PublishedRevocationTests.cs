using System.Text.Json.Nodes;
using SigstoreBuild.Identity;
using SigstoreBuild.LocalStack;
using SigstoreBuild.NuGet;
using SigstoreBuild.NuGet.Attestations;
using SigstoreBuild.NuGet.Restore;
using SigstoreBuild.Restore.Tests.Infrastructure;
using SigstoreBuild.Signing;

namespace SigstoreBuild.Restore.Tests;

/// <summary>
/// Published, signed revocation documents at restore, with real signatures from the local instance and a real HTTP
/// server on loopback: the publisher trusted for Contoso.* signs two packages and publishes a document revoking one;
/// the consumer names its URL. The document applies only where its signer is trusted, a tampered or unreachable one
/// fails closed (a warning in audit mode), a fresh cached copy serves a warm build, and an older document is refused.
/// </summary>
[TestClass]
public sealed class PublishedRevocationTests
{
    private const string Publisher = "publisher@example.com";
    private const string Intruder = "intruder@example.com";
    private static LocalSigstore s_sigstore = null!;
    private static string s_root = null!;
    private static TestFeed s_feed = null!;
    private static string s_badDigest = null!;

    public TestContext TestContext { get; set; } = null!;

    private static string Issuer => s_sigstore.Services.Oidc.Issuer;

    [ClassInitialize]
    public static async Task StartAsync(TestContext context)
    {
        s_root = Directory.CreateTempSubdirectory("ssb-restore-published-").FullName;
        s_sigstore = await LocalSigstore.StartAsync(Path.Combine(s_root, "instance"), 0, context.CancellationToken);
        s_feed = new TestFeed();
        s_badDigest = await PublishAsync("Contoso.Bad", context.CancellationToken);
        await PublishAsync("Contoso.Good", context.CancellationToken);
    }

    [ClassCleanup]
    public static async Task StopAsync()
    {
        s_feed.Dispose();
        await s_sigstore.DisposeAsync();
        Directory.Delete(s_root, recursive: true);
    }

    [TestMethod]
    public async Task ThePublishersDocument_RevokesItsPackage_KeepsTheOther_AndACachedCopyServesAWarmBuild()
    {
        using var server = new LoopbackServer();
        var url = await ServeAsync(server, "/revocations.json", Document(s_badDigest), Publisher);
        var state = NewState();

        var result = await RunAsync(state, url);

        Assert.IsFalse(result.Succeeded, Describe(result));
        var diagnostic = result.Diagnostics.Single();
        Assert.AreEqual(RestoreCodes.Revoked, diagnostic.Code);
        Assert.AreEqual("Contoso.Bad", diagnostic.PackageId);
        StringAssert.Contains(diagnostic.Message, "published by the publisher");
        Assert.AreEqual(PackageStatus.Verified, result.Packages.Single(p => p.Id == "Contoso.Good").Status);
        Assert.AreEqual(2, server.Requests.Count, "the document and its bundle");

        // Warm: the source is gone, but the copy fetched within the hour is used and nothing is fetched.
        server.Routes.Clear();
        var warm = await RunAsync(state, url);
        Assert.AreEqual(RestoreCodes.Revoked, warm.Diagnostics.Single().Code, Describe(warm));
        Assert.AreEqual(2, server.Requests.Count, "no fetch on a warm build");

        // Another trust root (the same content, other bytes: another fingerprint) does not trust that copy.
        var otherRoot = Path.Combine(s_root, Guid.NewGuid().ToString("N") + ".trusted_root.json");
        await File.WriteAllTextAsync(otherRoot, await File.ReadAllTextAsync(s_sigstore.TrustedRootPath, TestContext.CancellationToken) + "\n", TestContext.CancellationToken);
        var otherTrust = await RunAsync(state, url, trustedRoot: otherRoot);
        Assert.IsTrue(otherTrust.Diagnostics.Any(d => d.Code == RestoreCodes.RevocationSourceUnavailable && d.PackageId is null), Describe(otherTrust));

        // Stale: the copy is older than the freshness allows, and the source is gone: fail closed.
        var stale = await RunAsync(state, url, freshness: TimeSpan.Zero);
        Assert.IsFalse(stale.Succeeded, Describe(stale));
        Assert.IsTrue(stale.Diagnostics.Any(d => d.Code == RestoreCodes.RevocationSourceUnavailable && d.PackageId is null), Describe(stale));

        // A copy that claims to be fetched in the future is never fresh (a clock set back, or an edited cache).
        var cacheFile = Directory.GetFiles(Path.Combine(state, "revocations"), "*.json").Single();
        var cached = JsonNode.Parse(await File.ReadAllTextAsync(cacheFile, TestContext.CancellationToken))!;
        cached["fetched"] = DateTimeOffset.UtcNow.AddDays(1).UtcDateTime.ToString("o", System.Globalization.CultureInfo.InvariantCulture);
        await File.WriteAllTextAsync(cacheFile, cached.ToJsonString(), TestContext.CancellationToken);
        var future = await RunAsync(state, url);
        Assert.IsTrue(future.Diagnostics.Any(d => d.Code == RestoreCodes.RevocationSourceUnavailable && d.PackageId is null), Describe(future));
    }

    [TestMethod]
    public async Task APublishedFileSource_KeepsNoStamp_SoItsNextVersionIsSeen()
    {
        // The policy file can name a vendored document and bundle that are no MSBuild input: only a missing stamp runs the next check.
        var document = Path.Combine(s_root, Guid.NewGuid().ToString("N") + ".json");
        await File.WriteAllTextAsync(document, Document("sha256:" + new string('0', 64)), TestContext.CancellationToken);
        await SignAsync(document, document + ".sigstore.json", Publisher, TestContext.CancellationToken);
        var state = NewState();
        var stamp = Path.Combine(state, "verified.stamp");

        var result = await RunAsync(state, document, bundle: document + ".sigstore.json", stampFile: stamp);

        Assert.IsTrue(result.Succeeded, Describe(result));
        Assert.IsFalse(File.Exists(stamp));
        Assert.IsTrue((await RunAsync(NewState(), url: null, stampFile: stamp)).Succeeded);
        Assert.IsTrue(File.Exists(stamp), "without a published source the stamp is kept");
    }

    [TestMethod]
    public async Task PlainHttpToAnotherHost_IsRefused_BeforeAnyRequest()
    {
        var result = await RunAsync(NewState(), "http://revocations.example/revocations.json");
        var finding = result.Diagnostics.Single(d => d.Code == RestoreCodes.RevocationSourceUnavailable);
        StringAssert.Contains(finding.Message, "plain HTTP");
        Assert.IsFalse(result.Succeeded, Describe(result));
    }

    [TestMethod]
    public async Task ANewlyPublishedDocument_ReJudgesVerdictsTheCacheHad()
    {
        using var server = new LoopbackServer();
        var url = await ServeAsync(server, "/revocations.json", """{ "revocations": [] }""", Publisher);
        var state = NewState();
        var before = await RunAsync(state, url);
        Assert.IsTrue(before.Succeeded, Describe(before));
        Assert.AreEqual(2, before.Verified);

        await ServeAsync(server, "/revocations.json", Document(s_badDigest), Publisher);
        var after = await RunAsync(state, url, freshness: TimeSpan.Zero);

        Assert.AreEqual(RestoreCodes.Revoked, after.Diagnostics.Single().Code, Describe(after));
        Assert.IsFalse(after.Packages.Single(p => p.Id == "Contoso.Good").FromCache, "the published document is part of the policy hash");
    }

    [TestMethod]
    public async Task WithoutThePublishedSource_BothPackagesVerify()
    {
        var result = await RunAsync(NewState(), url: null);
        Assert.IsTrue(result.Succeeded, Describe(result));
        Assert.AreEqual(2, result.Verified);
    }

    [TestMethod]
    public async Task ADocumentSignedByAnIdentityTrustedForNoPackage_IsRefused_AndRevokesNothing()
    {
        using var server = new LoopbackServer();
        var url = await ServeAsync(server, "/revocations.json", Document(s_badDigest), Intruder);

        var result = await RunAsync(NewState(), url);

        Assert.IsFalse(result.Succeeded, Describe(result));
        var diagnostic = result.Diagnostics.Single();
        Assert.AreEqual(RestoreCodes.RevocationSourceSignerNotTrusted, diagnostic.Code);
        StringAssert.Contains(diagnostic.Message, Intruder);
        Assert.AreEqual(PackageStatus.Verified, result.Packages.Single(p => p.Id == "Contoso.Bad").Status, "someone else's document revokes nothing");

        var audit = await RunAsync(NewState(), url, mode: "audit");
        Assert.IsTrue(audit.Succeeded, Describe(audit));
        Assert.AreEqual(RestoreCodes.ToAuditWarning(RestoreCodes.RevocationSourceSignerNotTrusted), audit.Diagnostics.Single().Code);
    }

    [TestMethod]
    public async Task ADocumentSignedByAnIdentityTrustedForOtherPackages_DoesNotReachThisPackage()
    {
        using var server = new LoopbackServer();
        var url = await ServeAsync(server, "/revocations.json", Document(s_badDigest), Intruder);
        var intruderTrustedElsewhere = new PolicyItem("Fabrikam.*", new Dictionary<string, string> { ["Issuer"] = Issuer, ["Subject"] = Intruder });

        var result = await RunAsync(NewState(), url, extraIdentity: intruderTrustedElsewhere);

        Assert.IsTrue(result.Succeeded, Describe(result));
        Assert.AreEqual(2, result.Verified, "the document's signer is trusted for Fabrikam.*, not for Contoso.Bad");
    }

    [TestMethod]
    public async Task ATamperedDocument_FailsClosed()
    {
        using var server = new LoopbackServer();
        var url = await ServeAsync(server, "/revocations.json", Document(s_badDigest), Publisher);
        server.Routes["/revocations.json"] = (200, System.Text.Encoding.UTF8.GetBytes(Document("sha256:" + new string('0', 64))));

        var result = await RunAsync(NewState(), url);

        Assert.IsFalse(result.Succeeded, Describe(result));
        var diagnostic = result.Diagnostics.Single();
        Assert.AreEqual(RestoreCodes.RevocationSourceNotVerified, diagnostic.Code);
        StringAssert.Contains(diagnostic.Message, "SSB3493");
    }

    [TestMethod]
    public async Task AnUnreachableSource_FailsClosedInEnforce_AndWarnsInAudit()
    {
        string url;
        using (var gone = new LoopbackServer())
        {
            url = new Uri(gone.BaseUrl, "revocations.json").ToString();
        }

        var enforce = await RunAsync(NewState(), url);
        Assert.IsFalse(enforce.Succeeded, Describe(enforce));
        var error = enforce.Diagnostics.Single();
        Assert.AreEqual(RestoreCodes.RevocationSourceUnavailable, error.Code);
        Assert.AreEqual(DiagnosticSeverity.Error, error.Severity);
        StringAssert.Contains(error.Message, url);

        var audit = await RunAsync(NewState(), url, mode: "audit");
        Assert.IsTrue(audit.Succeeded, Describe(audit));
        Assert.AreEqual(RestoreCodes.ToAuditWarning(RestoreCodes.RevocationSourceUnavailable), audit.Diagnostics.Single().Code);
        Assert.AreEqual(DiagnosticSeverity.Warning, audit.Diagnostics.Single().Severity);
    }

    [TestMethod]
    public async Task AnOlderDocumentThanOneSeen_IsRefused_AndTheNewerStillApplies()
    {
        using var server = new LoopbackServer();
        var url = await ServeAsync(server, "/revocations.json", Document(s_badDigest, issued: "2026-06-02T00:00:00Z"), Publisher);
        var state = NewState();
        Assert.AreEqual(RestoreCodes.Revoked, (await RunAsync(state, url)).Diagnostics.Single().Code);

        await ServeAsync(server, "/revocations.json", """{ "issued": "2026-06-01T00:00:00Z", "revocations": [] }""", Publisher);
        var replayed = await RunAsync(state, url, freshness: TimeSpan.Zero);

        Assert.IsFalse(replayed.Succeeded, Describe(replayed));
        CollectionAssert.AreEquivalent(new[] { RestoreCodes.RevocationSourceReplayed, RestoreCodes.Revoked }, replayed.Diagnostics.Select(d => d.Code).ToArray(), Describe(replayed));
    }

    [TestMethod]
    public async Task AFileWithBundleMetadata_IsAPublishedSource()
    {
        var document = Path.Combine(s_root, Guid.NewGuid().ToString("N") + ".json");
        await File.WriteAllTextAsync(document, Document(s_badDigest), TestContext.CancellationToken);
        await SignAsync(document, document + ".sigstore.json", Intruder, TestContext.CancellationToken);

        var result = await RunAsync(NewState(), document, bundle: document + ".sigstore.json");

        Assert.AreEqual(RestoreCodes.RevocationSourceSignerNotTrusted, result.Diagnostics.Single().Code, Describe(result));
    }

    [TestMethod]
    public void ThePolicyFile_NamesSources_WhichArePartOfTheHash()
    {
        const string Identity = """ "trustedIdentities": [ { "packages": "Contoso.*", "issuer": "https://issuer.example", "subject": "san" } ] """;
        var plain = TrustPolicyReader.FromJson(System.Text.Encoding.UTF8.GetBytes($"{{ {Identity} }}"), Path.Combine(s_root, "policy.json")).Policy;
        var withSources = TrustPolicyReader.FromJson(System.Text.Encoding.UTF8.GetBytes($$"""{ {{Identity}}, "revocationSources": [ { "url": "https://contoso.example/revocations.json" }, { "file": "r.json", "bundle": "r.json.bundle" } ] }"""), Path.Combine(s_root, "policy.json")).Policy;

        Assert.HasCount(2, withSources.RevocationSources);
        Assert.AreEqual("https://contoso.example/revocations.json.sigstore.json", withSources.RevocationSources[0].BundleLocation);
        Assert.AreEqual(Path.Combine(s_root, "r.json"), withSources.RevocationSources[1].Document);
        Assert.AreEqual(Path.Combine(s_root, "r.json.bundle"), withSources.RevocationSources[1].BundleLocation);
        Assert.AreNotEqual(plain.Hash, withSources.Hash);

        foreach (var bad in new[] { """{ "url": "ftp://x/r.json" }""", """{ "file": "r.json", "url": "https://x/r.json" }""", """{ "url": "https://x/r.json", "sig": "x" }""" })
        {
            var ex = Assert.ThrowsExactly<SigstoreBuild.Diagnostics.SigstoreException>(() => TrustPolicyReader.FromJson(System.Text.Encoding.UTF8.GetBytes($$"""{ "revocationSources": [ {{bad}} ] }"""), "policy.json"));
            Assert.AreEqual(RestoreCodes.PolicyInvalid, ex.Code);
        }
    }

    private static string Document(string digest, string? issued = null)
    {
        var root = new JsonObject();
        if (issued is not null)
        {
            root["issued"] = issued;
        }

        root["revocations"] = new JsonArray { (JsonNode)new JsonObject { ["digest"] = digest, ["reason"] = "published by the publisher" } };
        return root.ToJsonString();
    }

    /// <summary>Signs <paramref name="content"/> as the publisher would ('sigstore sign') and serves it and its bundle.</summary>
    private async Task<string> ServeAsync(LoopbackServer server, string path, string content, string signer)
    {
        var file = Path.Combine(s_root, Guid.NewGuid().ToString("N") + ".json");
        await File.WriteAllTextAsync(file, content, TestContext.CancellationToken);
        await SignAsync(file, file + ".sigstore.json", signer, TestContext.CancellationToken);
        server.Routes[path] = (200, await File.ReadAllBytesAsync(file, TestContext.CancellationToken));
        server.Routes[path + ".sigstore.json"] = (200, await File.ReadAllBytesAsync(file + ".sigstore.json", TestContext.CancellationToken));
        return new Uri(server.BaseUrl, path.TrimStart('/')).ToString();
    }

    private static async Task SignAsync(string file, string bundle, string signer, CancellationToken cancellationToken)
    {
        using var session = new SigningSession(
            StaticSigningTrustProvider.Load(s_sigstore.TrustedRootPath, s_sigstore.SigningConfigPath),
            ExplicitTokenProvider.FromToken(s_sigstore.MintToken(signer)),
            new SigstoreBundleVerifier());
        await session.SignFileAsync(file, bundle, cancellationToken);
    }

    private static string NewState() => Directory.CreateTempSubdirectory("ssb-published-state-").FullName;

    private Task<RestoreVerificationResult> RunAsync(string state, string? url, string? bundle = null, string mode = "enforce", TimeSpan? freshness = null, PolicyItem? extraIdentity = null, string? stampFile = null, string? trustedRoot = null)
    {
        var metadata = new Dictionary<string, string>();
        if (bundle is not null)
        {
            metadata["Bundle"] = bundle;
        }

        var request = new RestoreRunRequest
        {
            AssetsFilePath = s_feed.AssetsFile,
            StateDirectory = state,
            Mode = mode,
            TrustedIdentities = [new PolicyItem("Contoso.*", new Dictionary<string, string> { ["Issuer"] = Issuer, ["Subject"] = Publisher }), .. extraIdentity is null ? Array.Empty<PolicyItem>() : [extraIdentity]],
            Revocations = url is null ? [] : [new PolicyItem(url, metadata)],
            RevocationFreshness = freshness,
            StampFile = stampFile,
            InvalidateOnFailure = false,
        };
        return RestoreRun.ExecuteAsync(request, SigstorePackageSignatureVerifier.ForTrustedRoot(trustedRoot ?? s_sigstore.TrustedRootPath), http: null, TestContext.CancellationToken);
    }

    /// <summary>Packs, signs and embeds the provenance as dotnet pack does; returns the package digest (sha256:hex).</summary>
    private static async Task<string> PublishAsync(string id, CancellationToken cancellationToken) =>
        "sha256:" + await SignedPackages.PublishAsync(s_sigstore, s_feed, id, Publisher, cancellationToken);

    private static string Describe(RestoreVerificationResult result) => result.Summary + " " + string.Join(" | ", result.Diagnostics);
}
