using SigstoreBuild.NuGet.Restore;
using SigstoreBuild.Restore.Tests.Infrastructure;

namespace SigstoreBuild.Restore.Tests;

[TestClass]
public sealed class RestoreVerifierTests
{
    private static readonly string Release = TestSigner.Workflow("lib");

    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    public async Task TrustedSignature_Verifies()
    {
        using var env = new Env();
        env.Publish("Contoso.Lib", "1.0.0", Release);
        var result = await env.RunAsync(TrustContoso(Release), TestContext.CancellationToken);
        Assert.IsTrue(result.Succeeded, Describe(result));
        Assert.AreEqual(1, result.Verified);
        Assert.AreEqual(Release, result.Packages[0].Signer!.Subject);
    }

    [TestMethod]
    public async Task OtherIdentity_FailsInEnforceAndWarnsInAudit()
    {
        using var env = new Env();
        env.Publish("Contoso.Lib", "1.0.0", TestSigner.Workflow("attacker"));
        var enforce = await env.RunAsync(TrustContoso(Release), TestContext.CancellationToken);
        Assert.IsFalse(enforce.Succeeded);
        Assert.AreEqual(RestoreCodes.IdentityNotTrusted, Single(enforce).Code);
        Assert.AreEqual(DiagnosticSeverity.Error, Single(enforce).Severity);

        var audit = await env.RunAsync(TrustContoso(Release), TestContext.CancellationToken, mode: VerificationMode.Audit);
        Assert.IsTrue(audit.Succeeded);
        Assert.AreEqual("SSB5605", Single(audit).Code);
        Assert.AreEqual(DiagnosticSeverity.Warning, Single(audit).Severity);
    }

    [TestMethod]
    public async Task Unsigned_FailsUnlessAllowedExplicitly()
    {
        using var env = new Env();
        env.Feed.AddPackage("Contoso.Lib", "1.0.0");
        var required = await env.RunAsync(TrustContoso(Release), TestContext.CancellationToken);
        Assert.AreEqual(RestoreCodes.Unsigned, Single(required).Code);
        Assert.IsFalse(required.Succeeded);

        var allowed = await env.RunAsync(new TrustPolicy([], [PackageIdPattern.Parse("Contoso.Lib")], []), TestContext.CancellationToken);
        Assert.IsTrue(allowed.Succeeded, Describe(allowed));
        Assert.AreEqual(1, allowed.Unsigned);
    }

    [TestMethod]
    public async Task NoPolicyForAPackage_Fails()
    {
        using var env = new Env();
        env.Feed.AddPackage("Fabrikam.Lib", "1.0.0");
        var result = await env.RunAsync(TrustContoso(Release), TestContext.CancellationToken);
        Assert.AreEqual(RestoreCodes.NoPolicy, Single(result).Code);
    }

    [TestMethod]
    public async Task BundleForOtherContent_Fails()
    {
        using var env = new Env();
        var otherHash = System.Security.Cryptography.SHA512.HashData("something else"u8);
        env.Feed.AddPackage("Contoso.Lib", "1.0.0");
        File.WriteAllBytes(Path.Combine(env.Feed.Feed, "Contoso.Lib.1.0.0.nupkg.sigstore.json"), env.Signer.Sign("Contoso.Lib", "1.0.0", otherHash, Release));
        var result = await env.RunAsync(TrustContoso(Release), TestContext.CancellationToken);
        Assert.AreEqual(RestoreCodes.SignatureInvalid, Single(result).Code);
    }

    [TestMethod]
    public async Task TamperedPackageFolder_FailsAndCannotBeSuppressed()
    {
        using var env = new Env();
        env.Publish("Contoso.Lib", "1.0.0", Release);
        File.AppendAllText(Path.Combine(env.Feed.PackageDirectory("Contoso.Lib", "1.0.0"), "build", "Contoso.Lib.targets"), "<!-- evil -->");
        var policy = TrustContoso(Release).Merge(new TrustPolicy([], [], [new Suppression(null, PackageIdPattern.Parse("Contoso.*"))]));
        var result = await env.RunAsync(policy, TestContext.CancellationToken);
        Assert.AreEqual(RestoreCodes.ExtractedFileTampered, Single(result).Code);
        Assert.IsFalse(result.Succeeded);
    }

    [TestMethod]
    public async Task Suppression_ByPackageTurnsAnErrorIntoAnAcceptedOne()
    {
        using var env = new Env();
        env.Feed.AddPackage("Contoso.Legacy", "1.0.0");
        var policy = TrustContoso(Release).Merge(new TrustPolicy([], [], [new Suppression("SSB5103", PackageIdPattern.Parse("Contoso.Legacy"))]));
        var result = await env.RunAsync(policy, TestContext.CancellationToken);
        Assert.IsTrue(result.Succeeded);
        Assert.IsTrue(Single(result).Suppressed);
    }

    [TestMethod]
    public async Task Lock_RecordsFirstSignerAndFailsOnAnotherUntilUpdated()
    {
        using var env = new Env();
        var both = new TrustPolicy([PolicyTests.Identity("Contoso.*", Release), PolicyTests.Identity("Contoso.*", TestSigner.Workflow("fork"))], [], []);
        env.Publish("Contoso.Lib", "1.0.0", Release);
        Assert.IsTrue((await env.RunAsync(both, TestContext.CancellationToken)).Succeeded);
        Assert.AreEqual(Release, SigstoreLockFile.Load(env.Feed.LockFile).Find("Contoso.Lib")!.Subject);

        env.Publish("Contoso.Lib", "1.1.0", TestSigner.Workflow("fork"));
        var changed = await env.RunAsync(both, TestContext.CancellationToken);
        Assert.AreEqual(RestoreCodes.LockIdentityChanged, Single(changed).Code);

        var updated = await env.RunAsync(both, TestContext.CancellationToken, lockUpdate: true);
        Assert.IsTrue(updated.Succeeded, Describe(updated));
        Assert.AreEqual(RestoreCodes.LockUpdated, Single(updated).Code);
        Assert.AreEqual(TestSigner.Workflow("fork"), SigstoreLockFile.Load(env.Feed.LockFile).Find("Contoso.Lib")!.Subject);
    }

    [TestMethod]
    public async Task Lock_RepositoryIdChangeWithSameSubjectFails()
    {
        using var env = new Env();
        env.Publish("Contoso.Lib", "1.0.0", Release, repositoryId: "1001");
        Assert.IsTrue((await env.RunAsync(TrustContoso(Release), TestContext.CancellationToken)).Succeeded);
        env.Publish("Contoso.Lib", "1.0.1", Release, repositoryId: "6666");
        Assert.AreEqual(RestoreCodes.LockIdentityChanged, Single(await env.RunAsync(TrustContoso(Release), TestContext.CancellationToken)).Code);
    }

    [TestMethod]
    public async Task Lock_UnsignedAfterSignedFailsEvenWhenUnsignedIsAllowed()
    {
        using var env = new Env();
        var policy = new TrustPolicy([], [PackageIdPattern.Parse("*")], []);
        env.Publish("Contoso.Lib", "1.0.0", Release);
        var first = await env.RunAsync(policy, TestContext.CancellationToken);
        Assert.AreEqual(1, first.Verified, Describe(first));
        env.Feed.AddPackage("Contoso.Lib", "2.0.0");
        Assert.AreEqual(RestoreCodes.LockUnsignedAfterSigned, Single(await env.RunAsync(policy, TestContext.CancellationToken)).Code);
    }

    [TestMethod]
    public async Task LockedMode_FailsOnNewEntries()
    {
        using var env = new Env();
        env.Publish("Contoso.Lib", "1.0.0", Release);
        var result = await env.RunAsync(TrustContoso(Release), TestContext.CancellationToken, lockedMode: true);
        Assert.AreEqual(RestoreCodes.LockMissingEntry, Single(result).Code);
        Assert.IsFalse(File.Exists(env.Feed.LockFile));
    }

    [TestMethod]
    public async Task WarmRun_DoesNoVerification_AndPolicyOrTrustRootChangeInvalidates()
    {
        using var env = new Env();
        env.Publish("Contoso.Lib", "1.0.0", Release);
        env.Publish("Contoso.Other", "1.0.0", Release);
        await env.RunAsync(TrustContoso(Release), TestContext.CancellationToken);
        Assert.AreEqual(2, env.Verifier.Calls);

        var warm = await env.RunAsync(TrustContoso(Release), TestContext.CancellationToken);
        Assert.AreEqual(2, env.Verifier.Calls, "A warm run must not verify again.");
        Assert.IsTrue(warm.Packages.All(p => p.FromCache));

        await env.RunAsync(TrustContoso(Release).Merge(new TrustPolicy([], [PackageIdPattern.Parse("Microsoft.*")], [])), TestContext.CancellationToken);
        Assert.AreEqual(4, env.Verifier.Calls, "A policy change must re-verify.");

        env.Verifier.TrustRootFingerprint = "test-root-2";
        await env.RunAsync(TrustContoso(Release), TestContext.CancellationToken);
        Assert.AreEqual(6, env.Verifier.Calls, "A trust root change must re-verify.");
    }

    [TestMethod]
    public async Task WarmRun_FromCache_ReportsTheSameAuditWarnings_AndTheSummaryCountsTheCache()
    {
        using var env = new Env();
        env.Publish("Contoso.Lib", "1.0.0", Release);
        env.Publish("Contoso.Evil", "1.0.0", TestSigner.Workflow("attacker"));
        var cold = await env.RunAsync(TrustContoso(Release), TestContext.CancellationToken, mode: VerificationMode.Audit);
        var calls = env.Verifier.Calls;

        var warm = await env.RunAsync(TrustContoso(Release), TestContext.CancellationToken, mode: VerificationMode.Audit);
        Assert.IsTrue(warm.Packages.Single(p => p.Id == "Contoso.Lib").FromCache, Describe(warm));
        Assert.IsTrue(env.Verifier.Calls <= calls + 1, "Only the untrusted signer may be verified again.");
        Assert.AreEqual("SSB5605", Single(warm).Code, Describe(warm));
        CollectionAssert.AreEqual(cold.Diagnostics.Select(d => d.ToString()).ToList(), warm.Diagnostics.Select(d => d.ToString()).ToList());
        Assert.AreEqual("Sigstore: verified 1 package (1 from cache), 0 allowed unsigned, 1 failed (audit), 1 warning in App.csproj", RestoreReport.ToSummaryLine(warm, "App.csproj"));
    }

    [TestMethod]
    public async Task WarmRun_StillChecksTheLockAndIdentity()
    {
        using var env = new Env();
        env.Publish("Contoso.Lib", "1.0.0", Release);
        await env.RunAsync(TrustContoso(Release), TestContext.CancellationToken);
        File.WriteAllText(env.Feed.LockFile, File.ReadAllText(env.Feed.LockFile).Replace(Release, "https://someone/else", StringComparison.Ordinal));
        Assert.AreEqual(RestoreCodes.LockIdentityChanged, Single(await env.RunAsync(TrustContoso(Release), TestContext.CancellationToken)).Code);
    }

    [TestMethod]
    public async Task ConfiguredBundleDirectory_IsUsed()
    {
        using var env = new Env();
        var hash = env.Feed.AddPackage("Contoso.Lib", "1.0.0");
        var store = Directory.CreateDirectory(Path.Combine(env.Feed.Root, "attestations", "contoso.lib", "1.0.0")).FullName;
        File.WriteAllBytes(Path.Combine(store, "contoso.lib.1.0.0.nupkg.sigstore.json"), env.Signer.Sign("Contoso.Lib", "1.0.0", hash, Release));
        var result = await env.RunAsync(TrustContoso(Release), TestContext.CancellationToken, sources: [new SidecarBundleSource(), new DirectoryBundleSource(Path.Combine(env.Feed.Root, "attestations"))]);
        Assert.AreEqual(1, result.Verified, Describe(result));
        StringAssert.Contains(result.Packages[0].BundleLocation, "attestations");
    }

    [TestMethod]
    public async Task ReportAndMarkdown_NameThePackageAndCode()
    {
        using var env = new Env();
        env.Publish("Contoso.Lib", "1.0.0", TestSigner.Workflow("attacker"));
        var result = await env.RunAsync(TrustContoso(Release), TestContext.CancellationToken);
        var json = RestoreReport.ToJson(result, "App");
        StringAssert.Contains(json, "\"failed\": 1");
        StringAssert.Contains(json, RestoreCodes.IdentityNotTrusted);
        var markdown = RestoreReport.ToMarkdown(result, "App");
        StringAssert.Contains(markdown, "| Contoso.Lib | 1.0.0 | failed (SSB5105) |");
        StringAssert.Contains(result.Summary, "0 verified, 0 unsigned (allowed), 1 failed");
    }

    [TestMethod]
    public void Invalidate_MakesALaterNoRestoreBuildFail()
    {
        using var feed = new TestFeed();
        feed.WriteAssets();
        var props = Path.Combine(feed.Obj, "App.csproj.nuget.g.props");
        var targets = Path.Combine(feed.Obj, "App.csproj.nuget.g.targets");
        File.WriteAllText(props, "<Project><Import Project=\"evil.props\" /></Project>");
        File.WriteAllText(targets, "<Project><Import Project=\"evil.targets\" /></Project>");
        File.WriteAllText(Path.Combine(feed.Obj, "project.nuget.cache"), "{}");

        RestoreOutputs.Invalidate(feed.AssetsFile, feed.StateDirectory, "App.csproj", "1 failed");

        Assert.IsFalse(File.Exists(feed.AssetsFile));
        Assert.IsFalse(File.Exists(Path.Combine(feed.Obj, "project.nuget.cache")));
        Assert.IsTrue(File.Exists(RestoreOutputs.MarkerPath(feed.StateDirectory)));
        Assert.IsFalse(File.ReadAllText(props).Contains("Import", StringComparison.Ordinal));
        StringAssert.Contains(File.ReadAllText(targets), RestoreCodes.PreviousVerificationFailed);
        System.Xml.Linq.XDocument.Load(targets);
    }

    private static TrustPolicy TrustContoso(string subject) => new([PolicyTests.Identity("Contoso.*", subject)], [], []);

    private static RestoreDiagnostic Single(RestoreVerificationResult result)
    {
        Assert.HasCount(1, result.Diagnostics, Describe(result));
        return result.Diagnostics[0];
    }

    private static string Describe(RestoreVerificationResult result) => result.Summary + " " + string.Join(" | ", result.Diagnostics);

    [TestMethod]
    public async Task Packages_AreVerifiedConcurrently_BoundedByTheOption_AndReportedInAssetsOrder()
    {
        using var env = new Env();
        var ids = Enumerable.Range(0, 16).Select(i => $"Contoso.P{i:00}").ToList();
        foreach (var id in ids)
        {
            // Every fourth package is signed by another workflow: its failure must land at its own place, in any run.
            env.Publish(id, "1.0.0", ids.IndexOf(id) % 4 == 3 ? TestSigner.Workflow("other") : Release);
        }

        var verifier = new ConcurrencyProbe(env.Verifier);
        var result = await new RestoreVerifier(new RestoreVerificationOptions
        {
            AssetsFilePath = env.Feed.AssetsFile,
            Policy = new TrustPolicy([PolicyTests.Identity("Contoso.*", Release)], [], []),
            Mode = VerificationMode.Enforce,
            CacheFilePath = env.Feed.CacheFile,
            Verifier = verifier,
            Sources = [new SidecarBundleSource()],
            MaxDegreeOfParallelism = 3,
        }).VerifyAsync(TestContext.CancellationToken);

        Assert.IsGreaterThan(1, verifier.MaxConcurrent, "Independent packages are verified at the same time.");
        Assert.IsLessThanOrEqualTo(3, verifier.MaxConcurrent, "No more at once than MaxDegreeOfParallelism.");
        var assetsOrder = AssetsFile.Load(env.Feed.AssetsFile).Packages.Select(p => p.Id).ToList();
        CollectionAssert.AreEqual(assetsOrder, result.Packages.Select(p => p.Id).ToList(), "Outcomes in the order of the assets file, whatever finished first.");
        var failed = result.Diagnostics.Where(d => d.PackageId is not null).Select(d => d.PackageId).ToList();
        CollectionAssert.AreEqual(failed.OrderBy(id => id, StringComparer.OrdinalIgnoreCase).ToList(), failed, "Diagnostics sorted by package.");
        Assert.HasCount(4, result.Packages.Where(p => p.Status == PackageStatus.Failed).ToList());
    }

    /// <summary>Counts how many verifications overlap (each takes long enough for the others to start).</summary>
    private sealed class ConcurrencyProbe(IPackageSignatureVerifier inner) : IPackageSignatureVerifier
    {
        private int _running;
        private int _max;

        public int MaxConcurrent => Volatile.Read(ref _max);

        public string TrustRootFingerprint => inner.TrustRootFingerprint;

        public SignerIdentity Verify(PackageLocation package, ReadOnlyMemory<byte> bundleJson, IReadOnlyList<TrustedIdentity> acceptable)
        {
            var now = Interlocked.Increment(ref _running);
            int seen;
            while ((seen = Volatile.Read(ref _max)) < now && Interlocked.CompareExchange(ref _max, now, seen) != seen)
            {
            }

            try
            {
                Thread.Sleep(40);
                return inner.Verify(package, bundleJson, acceptable);
            }
            finally
            {
                Interlocked.Decrement(ref _running);
            }
        }
    }

    private sealed class Env : IDisposable
    {
        public Env()
        {
            Verifier = new TestVerifier(Signer.Key);
        }

        public TestFeed Feed { get; } = new();

        public TestSigner Signer { get; } = new();

        public TestVerifier Verifier { get; }

        public void Publish(string id, string version, string subject, string? repositoryId = "1001")
        {
            var hash = Feed.AddPackage(id, version);
            File.WriteAllBytes(Path.Combine(Feed.Feed, $"{id}.{version}.nupkg.sigstore.json"), Signer.Sign(id, version, hash, subject, repositoryId: repositoryId));
        }

        public Task<RestoreVerificationResult> RunAsync(TrustPolicy policy, CancellationToken ct, VerificationMode mode = VerificationMode.Enforce, bool lockUpdate = false, bool lockedMode = false, IReadOnlyList<IBundleSource>? sources = null) =>
            new RestoreVerifier(new RestoreVerificationOptions
            {
                AssetsFilePath = Feed.AssetsFile,
                Policy = policy,
                Mode = mode,
                LockFilePath = Feed.LockFile,
                LockUpdate = lockUpdate,
                LockedMode = lockedMode,
                CacheFilePath = Feed.CacheFile,
                Verifier = Verifier,
                Sources = sources ?? [new SidecarBundleSource(), new PackageFolderCacheBundleSource()],
            }).VerifyAsync(ct);

        public void Dispose()
        {
            Feed.Dispose();
            Signer.Dispose();
        }
    }
}
