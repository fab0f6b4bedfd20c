using SigstoreBuild.NuGet.Restore;
using SigstoreBuild.Restore.Tests.Infrastructure;

namespace SigstoreBuild.Restore.Tests;

/// <summary>
/// The all-hit shortcut (obj/sigstore/cache.index.json): taken only when nothing it depends on changed. Each guard has a
/// test here that passes through the shortcut first (the index exists, the verification cache is gone, so only the
/// shortcut can answer without verifying) and fails if that guard is removed.
/// </summary>
[TestClass]
public sealed class CacheIndexTests
{
    private static readonly string Release = TestSigner.Workflow("lib");

    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    public async Task AllHitRun_AnswersFromTheIndex_WithoutTheCacheOrAVerification()
    {
        using var env = await Env.WarmAsync(TestContext.CancellationToken);
        var hit = await env.RunAsync(TestContext.CancellationToken);
        Assert.IsTrue(hit.Succeeded, Describe(hit));
        Assert.AreEqual(0, env.Verifier.Calls, "The index answers: no verification, and cache.json is not needed.");
        Assert.AreEqual(2, hit.Verified);
        Assert.IsTrue(hit.Packages.Where(p => p.Status == PackageStatus.Verified).All(p => p.FromCache && p.Signer!.Subject == Release));
        Assert.AreEqual(PackageStatus.UnsignedAllowed, hit.Packages.Single(p => p.Id == "Contoso.Unsigned").Status);
        Assert.IsFalse(File.Exists(env.Feed.CacheFile), "The shortcut must not rewrite the verification cache.");
    }

    [TestMethod]
    [DataRow("truncated")]
    [DataRow("not JSON")]
    [DataRow("another format version")]
    [DataRow("an unknown field")]
    [DataRow("a failed package")]
    [DataRow("a signer index out of range")]
    [DataRow("a stat that is not a number")]
    public async Task DamagedOrForeignIndex_MeansTheFullRun(string damage)
    {
        using var env = await Env.WarmAsync(TestContext.CancellationToken);
        var text = File.ReadAllText(env.Index);
        File.WriteAllText(env.Index, damage switch
        {
            "truncated" => text[..(text.Length / 2)],
            "not JSON" => "\u0000garbage",
            "another format version" => text.Replace("\"version\":2", "\"version\":1", StringComparison.Ordinal),
            "an unknown field" => text.Replace("\"runKey\":", "\"extra\":1,\"runKey\":", StringComparison.Ordinal),
            "a failed package" => text.Replace("\"status\":\"Verified\"", "\"status\":\"Failed\"", StringComparison.Ordinal),
            "a signer index out of range" => text.Replace("\"signer\":0", "\"signer\":7", StringComparison.Ordinal),
            _ => System.Text.RegularExpressions.Regex.Replace(text, "\"stats\":\\[\"([^\"]*)\",-?[0-9]+", "\"stats\":[\"$1\",\"0\"", System.Text.RegularExpressions.RegexOptions.None, TimeSpan.FromSeconds(5)),
        });
        Assert.AreNotEqual(text, File.ReadAllText(env.Index), $"The test did not damage the index ({damage}).");

        var run = await env.RunAsync(TestContext.CancellationToken);
        Assert.IsTrue(run.Succeeded, Describe(run));
        Assert.AreEqual(2, env.Verifier.Calls, $"An index with {damage} must not answer: both signed packages are verified again.");
        Assert.AreEqual(2, run.Verified);
    }

    [TestMethod]
    public async Task ChangedNupkg_IsRehashed()
    {
        using var env = await Env.WarmAsync(TestContext.CancellationToken);
        File.WriteAllBytes(env.Nupkg("Contoso.Lib"), TestFeed.CreateNupkg("Contoso.Lib", "1.0.0", "evil"));
        Assert.AreEqual(RestoreCodes.ContentHashMismatch, Single(await env.RunAsync(TestContext.CancellationToken)).Code);
    }

    [TestMethod]
    public async Task ChangedExtractedFile_IsCompared()
    {
        using var env = await Env.WarmAsync(TestContext.CancellationToken);
        var file = Directory.GetFiles(env.Feed.PackageDirectory("Contoso.Lib", "1.0.0"), "readme.txt", SearchOption.AllDirectories).First();
        File.WriteAllText(file, "evil");
        Assert.AreEqual(RestoreCodes.ExtractedFileTampered, Single(await env.RunAsync(TestContext.CancellationToken)).Code);
    }

    [TestMethod]
    public async Task FileAddedToAnExtractedFolder_IsFound()
    {
        using var env = await Env.WarmAsync(TestContext.CancellationToken);
        var folder = Path.GetDirectoryName(Directory.GetFiles(env.Feed.PackageDirectory("Contoso.Lib", "1.0.0"), "readme.txt", SearchOption.AllDirectories).First())!;
        File.WriteAllText(Path.Combine(folder, "Evil.dll"), "evil");
        Assert.AreEqual(RestoreCodes.ExtractedFileTampered, Single(await env.RunAsync(TestContext.CancellationToken)).Code);
    }

    [TestMethod]
    public async Task ReplacedBundle_IsVerified()
    {
        using var env = await Env.WarmAsync(TestContext.CancellationToken);
        File.WriteAllBytes(env.Sidecar("Contoso.Lib"), env.Signer.Sign("Contoso.Lib", "1.0.0", new byte[64], Release));
        Assert.AreEqual(RestoreCodes.SignatureInvalid, Single(await env.RunAsync(TestContext.CancellationToken)).Code);
    }

    [TestMethod]
    public async Task BundleAppearingForAnUnsignedPackage_IsVerified()
    {
        using var env = await Env.WarmAsync(TestContext.CancellationToken);
        File.WriteAllBytes(env.Sidecar("Contoso.Unsigned"), env.Signer.Sign("Contoso.Unsigned", "1.0.0", new byte[64], Release));
        Assert.AreEqual(RestoreCodes.SignatureInvalid, Single(await env.RunAsync(TestContext.CancellationToken)).Code);
    }

    [TestMethod]
    public async Task ChangedPolicy_TrustRootOrMode_Reverify()
    {
        using var env = await Env.WarmAsync(TestContext.CancellationToken);
        await env.RunAsync(TestContext.CancellationToken, policy: new TrustPolicy([PolicyTests.Identity("Contoso.*", TestSigner.Workflow("other"))], [PackageIdPattern.Parse("Contoso.Unsigned")], []));
        Assert.AreEqual(2, env.Verifier.Calls, "A policy change must re-verify.");

        using var env2 = await Env.WarmAsync(TestContext.CancellationToken);
        env2.Verifier.TrustRootFingerprint = "test-root-2";
        await env2.RunAsync(TestContext.CancellationToken);
        Assert.AreEqual(2, env2.Verifier.Calls, "A trust root change must re-verify.");

        using var env3 = await Env.WarmAsync(TestContext.CancellationToken);
        var audit = await env3.RunAsync(TestContext.CancellationToken, mode: VerificationMode.Audit);
        Assert.AreEqual(VerificationMode.Audit, audit.Mode);
        Assert.AreEqual(2, env3.Verifier.Calls, "Another mode is another run.");
    }

    [TestMethod]
    public async Task ChangedLock_IsChecked()
    {
        using var env = await Env.WarmAsync(TestContext.CancellationToken);
        File.WriteAllText(env.Feed.LockFile, File.ReadAllText(env.Feed.LockFile).Replace(Release, "https://someone/else", StringComparison.Ordinal));
        var result = await env.RunAsync(TestContext.CancellationToken);
        Assert.IsFalse(result.Succeeded);
        Assert.IsTrue(result.Diagnostics.All(d => d.Code == RestoreCodes.LockIdentityChanged), Describe(result));
    }

    [TestMethod]
    public async Task ChangedAssetsFile_IsRead()
    {
        using var env = await Env.WarmAsync(TestContext.CancellationToken);
        env.Feed.AddPackage("Fabrikam.Lib", "1.0.0");
        Assert.AreEqual(RestoreCodes.NoPolicy, Single(await env.RunAsync(TestContext.CancellationToken)).Code);
    }

    [TestMethod]
    public async Task RunWithWarnings_OrANetworkSource_WritesNoIndex()
    {
        using var env = new Env();
        env.Publish("Contoso.Lib", "1.0.0", Release);
        await env.RunAsync(TestContext.CancellationToken, policy: new TrustPolicy([PolicyTests.Identity("Contoso.*", TestSigner.Workflow("other"))], [], []), mode: VerificationMode.Audit);
        Assert.IsFalse(File.Exists(env.Index), "Warnings are re-reported on every run, so no shortcut.");

        await env.RunAsync(TestContext.CancellationToken, sources: [new NetworkSource(), new SidecarBundleSource()]);
        Assert.IsFalse(File.Exists(env.Index), "A network source cannot be re-checked by stat.");
        await env.RunAsync(TestContext.CancellationToken);
        Assert.IsTrue(File.Exists(env.Index));
    }

    [TestMethod]
    public async Task RehashAndLockUpdate_BypassTheIndex()
    {
        using var env = await Env.WarmAsync(TestContext.CancellationToken);
        await env.RunAsync(TestContext.CancellationToken, rehash: true);
        Assert.AreEqual(2, env.Verifier.Calls, "Rehash re-reads everything (here: no cache.json, so it verifies).");
    }

    private static RestoreDiagnostic Single(RestoreVerificationResult result)
    {
        Assert.HasCount(1, result.Diagnostics, Describe(result));
        return result.Diagnostics[0];
    }

    private static string Describe(RestoreVerificationResult result) => result.Summary + " " + string.Join(" | ", result.Diagnostics);

    private sealed class NetworkSource : IBundleSource
    {
        public string Name => "network";

        public bool IsLocal => false;

        public Task<IReadOnlyList<BundleCandidate>> FindAsync(PackageLocation package, CancellationToken cancellationToken) => Task.FromResult<IReadOnlyList<BundleCandidate>>([]);
    }

    private sealed class Env : IDisposable
    {
        public Env()
        {
            Verifier = new TestVerifier(Signer.Key);
        }

        public TestFeed Feed { get; } = new();

        public TestSigner Signer { get; } = new();

        public TestVerifier Verifier { get; private set; }

        public string Index => Path.Combine(Feed.StateDirectory, CacheIndex.FileName);

        /// <summary>Two signed packages and one allowed unsigned, verified once (index written), then the verification cache removed.</summary>
        public static async Task<Env> WarmAsync(CancellationToken ct)
        {
            var env = new Env();
            env.Publish("Contoso.Lib", "1.0.0", Release);
            env.Publish("Contoso.Other", "1.0.0", Release);
            env.Feed.AddPackage("Contoso.Unsigned", "1.0.0");
            var cold = await env.RunAsync(ct);
            Assert.IsTrue(cold.Succeeded, Describe(cold));
            Assert.IsTrue(File.Exists(env.Index), "A clean run writes the index.");
            File.Delete(env.Feed.CacheFile);
            env.Verifier = new TestVerifier(env.Signer.Key);
            return env;
        }

        public string Nupkg(string id) => Path.Combine(Feed.PackageDirectory(id, "1.0.0"), $"{id.ToLowerInvariant()}.1.0.0.nupkg");

        public string Sidecar(string id) => Path.Combine(Feed.Feed, $"{id}.1.0.0.nupkg.sigstore.json");

        public void Publish(string id, string version, string subject)
        {
            var hash = Feed.AddPackage(id, version);
            File.WriteAllBytes(Path.Combine(Feed.Feed, $"{id}.{version}.nupkg.sigstore.json"), Signer.Sign(id, version, hash, subject));
        }

        public Task<RestoreVerificationResult> RunAsync(CancellationToken ct, TrustPolicy? policy = null, VerificationMode mode = VerificationMode.Enforce, bool rehash = false, IReadOnlyList<IBundleSource>? sources = null) =>
            new RestoreVerifier(new RestoreVerificationOptions
            {
                AssetsFilePath = Feed.AssetsFile,
                Policy = policy ?? new TrustPolicy([PolicyTests.Identity("Contoso.*", Release)], [PackageIdPattern.Parse("Contoso.Unsigned")], []),
                Mode = mode,
                LockFilePath = Feed.LockFile,
                Rehash = rehash,
                CacheFilePath = Feed.CacheFile,
                Verifier = Verifier,
                Sources = sources ?? [new EmbeddedBundleSource(), new SidecarBundleSource(), new PackageFolderCacheBundleSource()],
            }).VerifyAsync(ct);

        public void Dispose()
        {
            Feed.Dispose();
            Signer.Dispose();
        }
    }
}
