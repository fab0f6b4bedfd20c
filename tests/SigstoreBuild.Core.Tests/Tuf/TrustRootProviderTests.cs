using System.Text;
using SigstoreBuild.Diagnostics;
using SigstoreBuild.Tuf;

namespace SigstoreBuild.Tests.Tuf;

/// <summary>Trust configuration: TUF online, offline from the cache or the embedded seed, explicit files.</summary>
[TestClass]
public sealed class TrustRootProviderTests : TufTestBase
{
    private static readonly byte[] TrustedRoot = Encoding.UTF8.GetBytes("{\"mediaType\":\"application/vnd.dev.sigstore.trustedroot+json;version=0.1\"}");
    private static readonly byte[] SigningConfig = Encoding.UTF8.GetBytes("{\"mediaType\":\"application/vnd.dev.sigstore.signingconfig.v0.2+json\"}");

    private TrustConfiguration Configuration(bool offline = false) => new()
    {
        Instance = SigstoreInstance.Custom,
        Tuf = Options(),
        Offline = offline,
    };

    private void PublishTrustTargets()
    {
        Repo.AddTarget(TrustRootProvider.TrustedRootTarget, TrustedRoot);
        Repo.AddTarget(TrustRootProvider.SigningConfigTarget, SigningConfig);
        Repo.PublishAll();
    }

    [TestMethod]
    public async Task Online_YieldsTheVerifiedTargets()
    {
        PublishTrustTargets();

        TrustMaterialBytes trust = await new TrustRootProvider(Configuration()).GetAsync(TestContext.CancellationToken);

        CollectionAssert.AreEqual(TrustedRoot, trust.TrustedRootJson);
        CollectionAssert.AreEqual(SigningConfig, trust.SigningConfigJson);
        Assert.AreEqual(TrustMaterialSource.Tuf, trust.Source);
        Assert.IsFalse(trust.Offline);
        Assert.IsFalse(trust.FromCache);
        Assert.AreEqual(2L, trust.TufState!.TargetsVersion);
    }

    [TestMethod]
    public async Task Online_WithoutSigningConfig_YieldsNull()
    {
        Repo.AddTarget(TrustRootProvider.TrustedRootTarget, TrustedRoot);
        Repo.PublishAll();

        TrustMaterialBytes trust = await new TrustRootProvider(Configuration()).GetAsync(TestContext.CancellationToken);

        Assert.IsNull(trust.SigningConfigJson);
    }

    [TestMethod]
    public async Task Online_TrustedRootNotJson_IsRefused()
    {
        Repo.AddTarget(TrustRootProvider.TrustedRootTarget, Encoding.UTF8.GetBytes("not json"));
        Repo.PublishAll();

        SigstoreException ex = await Assert.ThrowsAsync<SigstoreException>(() => new TrustRootProvider(Configuration()).GetAsync(TestContext.CancellationToken));
        Assert.AreEqual(TufCodes.InvalidTrustFile, ex.Code);
    }

    [TestMethod]
    public async Task Offline_WithWarmCache_MakesNoRequestAndSaysSo()
    {
        PublishTrustTargets();
        await new TrustRootProvider(Configuration()).GetAsync(TestContext.CancellationToken);
        Repo.ClearRequests();
        Repo.Time.Now += TimeSpan.FromDays(3);

        TrustMaterialBytes trust = await new TrustRootProvider(Configuration(offline: true)).GetAsync(TestContext.CancellationToken);

        Assert.IsEmpty(Repo.RequestList());
        CollectionAssert.AreEqual(TrustedRoot, trust.TrustedRootJson);
        Assert.AreEqual(TrustMaterialSource.TufCache, trust.Source);
        Assert.IsTrue(trust.Offline);
        Assert.IsTrue(trust.FromCache);
        Assert.IsTrue(trust.Warnings.Any(w => w.Code == TufCodes.OfflineTrustUsed));
    }

    [TestMethod]
    public async Task Offline_WithExpiredTimestampOnly_StillWorks()
    {
        Repo.Timestamp["expires"] = RepositorySimulator.Expiry(Repo.Time.Now + TimeSpan.FromDays(1));
        PublishTrustTargets();
        await new TrustRootProvider(Configuration()).GetAsync(TestContext.CancellationToken);
        Repo.Time.Now += TimeSpan.FromDays(2);

        TrustMaterialBytes trust = await new TrustRootProvider(Configuration(offline: true)).GetAsync(TestContext.CancellationToken);

        Assert.AreEqual(TrustMaterialSource.TufCache, trust.Source);
    }

    [TestMethod]
    public async Task Offline_WithExpiredCache_IsRefused()
    {
        PublishTrustTargets();
        await new TrustRootProvider(Configuration()).GetAsync(TestContext.CancellationToken);
        Repo.Time.Now += TimeSpan.FromDays(8);
        Repo.ClearRequests();

        SigstoreException ex = await Assert.ThrowsAsync<SigstoreException>(() => new TrustRootProvider(Configuration(offline: true)).GetAsync(TestContext.CancellationToken));
        Assert.AreEqual(TufCodes.OfflineUnavailable, ex.Code);
        Assert.IsEmpty(Repo.RequestList());
    }

    [TestMethod]
    public async Task Offline_TamperedCachedTarget_IsRefused()
    {
        PublishTrustTargets();
        await new TrustRootProvider(Configuration()).GetAsync(TestContext.CancellationToken);
        File.WriteAllText(Path.Combine(CacheDirectory, "targets", TrustRootProvider.TrustedRootTarget), "{\"evil\":true}");

        SigstoreException ex = await Assert.ThrowsAsync<SigstoreException>(() => new TrustRootProvider(Configuration(offline: true)).GetAsync(TestContext.CancellationToken));
        Assert.AreEqual(TufCodes.OfflineUnavailable, ex.Code);
    }

    [TestMethod]
    public async Task Offline_CustomWithoutCache_IsRefused()
    {
        SigstoreException ex = await Assert.ThrowsAsync<SigstoreException>(() => new TrustRootProvider(Configuration(offline: true)).GetAsync(TestContext.CancellationToken));
        Assert.AreEqual(TufCodes.OfflineUnavailable, ex.Code);
        Assert.IsEmpty(Repo.RequestList());
    }

    [TestMethod]
    [DataRow(true)]
    [DataRow(false)]
    public async Task Offline_PresetWithoutCache_UsesTheEmbeddedSeedWhileValid(bool publicGood)
    {
        TrustConfiguration preset = publicGood ? TrustConfiguration.PublicGood : TrustConfiguration.Staging;
        byte[] embeddedRoot = publicGood ? EmbeddedTrust.PublicGoodRoot : EmbeddedTrust.StagingRoot;
        DateTimeOffset expires = RootMetadata.Parse(embeddedRoot).Expires;
        var clock = new ManualTimeProvider(expires - TimeSpan.FromDays(1));
        TrustConfiguration configuration = preset with { Offline = true, Tuf = preset.Tuf! with { CacheDirectory = CacheDirectory, TimeProvider = clock } };

        TrustMaterialBytes trust = await new TrustRootProvider(configuration).GetAsync(TestContext.CancellationToken);

        Assert.AreEqual(TrustMaterialSource.Embedded, trust.Source);
        Assert.IsTrue(trust.Offline);
        CollectionAssert.AreEqual(publicGood ? EmbeddedTrust.PublicGoodTrustedRoot : EmbeddedTrust.StagingTrustedRoot, trust.TrustedRootJson);
        Assert.IsNotNull(trust.SigningConfigJson);

        clock.Now = expires + TimeSpan.FromDays(1);
        SigstoreException ex = await Assert.ThrowsAsync<SigstoreException>(() => new TrustRootProvider(configuration).GetAsync(TestContext.CancellationToken));
        Assert.AreEqual(TufCodes.OfflineUnavailable, ex.Code);
    }

    [TestMethod]
    [DataRow(true)]
    [DataRow(false)]
    public async Task Offline_PresetWithoutCache_ExpiredEmbeddedSeed_SaysHowToRefresh(bool publicGood)
    {
        TrustConfiguration preset = publicGood ? TrustConfiguration.PublicGood : TrustConfiguration.Staging;
        RootMetadata root = RootMetadata.Parse(publicGood ? EmbeddedTrust.PublicGoodRoot : EmbeddedTrust.StagingRoot);
        var clock = new ManualTimeProvider(root.Expires + TimeSpan.FromDays(1));
        TrustConfiguration configuration = preset with { Offline = true, Tuf = preset.Tuf! with { CacheDirectory = CacheDirectory, TimeProvider = clock } };

        SigstoreException ex = await Assert.ThrowsAsync<SigstoreException>(() => new TrustRootProvider(configuration).GetAsync(TestContext.CancellationToken));

        Assert.AreEqual(TufCodes.OfflineUnavailable, ex.Code);
        StringAssert.Contains(ex.Message, $"TUF root v{root.Version}) expired at {root.Expires:u}");
        StringAssert.Contains(ex.Message, "update SigstoreBuild");
        StringAssert.Contains(ex.Message, "without --offline"); // the CLI's options by default
        StringAssert.Contains(ex.Message, "pass --cache-dir DIR");

        // Inside a build the same error names the MSBuild properties instead.
        SigstoreException msbuild = await Assert.ThrowsAsync<SigstoreException>(() => new TrustRootProvider(configuration.WithSettingNames(TrustSettingNames.MSBuild("SSB0401", "SSB0402"))).GetAsync(TestContext.CancellationToken));
        StringAssert.Contains(msbuild.Message, "with SigstoreOffline=false");
        StringAssert.Contains(msbuild.Message, "set SigstoreTufCachePath=DIR");
        Assert.DoesNotContain("--offline", msbuild.Message);
        string cache = Path.GetFullPath(CacheDirectory);
        StringAssert.Contains(ex.Message, $"`sigstore trust-root update --cache-dir \"{cache}\"`");

        // The hinted command works as written: `trust-root update --cache-dir` resumes from the mirror recorded there.
        TufOptions resumed = TufOptions.FromCache(cache);
        Assert.AreEqual(preset.Tuf!.ResolveMetadataUri(), resumed.ResolveMetadataUri());
    }

    [TestMethod]
    public async Task EmbeddedSeed_MatchesTheSharedConformanceFiles()
    {
        string tuf = SharedFiles.RequireTufDirectory();
        string trust = Path.GetDirectoryName(tuf)!;
        CollectionAssert.AreEqual(File.ReadAllBytes(Path.Combine(trust, "production.trusted_root.json")), EmbeddedTrust.PublicGoodTrustedRoot);
        CollectionAssert.AreEqual(File.ReadAllBytes(Path.Combine(trust, "staging.trusted_root.json")), EmbeddedTrust.StagingTrustedRoot);
        CollectionAssert.AreEqual(File.ReadAllBytes(Path.Combine(tuf, "production-signing_config.v0.2.json")), EmbeddedTrust.PublicGoodSigningConfig);
        CollectionAssert.AreEqual(File.ReadAllBytes(Path.Combine(tuf, "staging-signing_config.v0.2.json")), EmbeddedTrust.StagingSigningConfig);
        await Task.CompletedTask;
    }

    [TestMethod]
    public async Task Files_AreReadAndChecked()
    {
        string trustedRoot = Path.Combine(TempDirectory, "trusted_root.json");
        string signingConfig = Path.Combine(TempDirectory, "signing_config.json");
        File.WriteAllBytes(trustedRoot, TrustedRoot);
        File.WriteAllBytes(signingConfig, SigningConfig);

        TrustMaterialBytes trust = await new TrustRootProvider(TrustConfiguration.FromFiles(trustedRoot, signingConfig)).GetAsync(TestContext.CancellationToken);
        CollectionAssert.AreEqual(TrustedRoot, trust.TrustedRootJson);
        CollectionAssert.AreEqual(SigningConfig, trust.SigningConfigJson);
        Assert.AreEqual(TrustMaterialSource.Files, trust.Source);

        File.WriteAllText(signingConfig, "[1,2");
        SigstoreException ex = await Assert.ThrowsAsync<SigstoreException>(() => new TrustRootProvider(TrustConfiguration.FromFiles(trustedRoot, signingConfig)).GetAsync(TestContext.CancellationToken));
        Assert.AreEqual(TufCodes.InvalidTrustFile, ex.Code);

        ex = await Assert.ThrowsAsync<SigstoreException>(() => new TrustRootProvider(TrustConfiguration.FromFiles(Path.Combine(TempDirectory, "missing.json"))).GetAsync(TestContext.CancellationToken));
        Assert.AreEqual(TufCodes.InvalidTrustFile, ex.Code);
    }

    [TestMethod]
    public void Custom_WithoutInitialRoot_IsRefused()
    {
        SigstoreException ex = Assert.ThrowsExactly<SigstoreException>(() => TrustConfiguration.Custom(new Uri("https://tuf.example.test/"), ReadOnlyMemory<byte>.Empty));
        Assert.AreEqual(TufCodes.InvalidOptions, ex.Code);
    }

    [TestMethod]
    [DataRow("ftp://mirror.example.test/")]
    [DataRow("https://mirror.example.test/?x=1")]
    public async Task BadMirrorUrl_IsRefused(string url)
    {
        TufOptions options = Options() with { MetadataUri = new Uri(url), TargetsUri = null };

        SigstoreException ex = await Assert.ThrowsAsync<SigstoreException>(() => TufClient.CreateAsync(options, TestContext.CancellationToken));
        Assert.AreEqual(TufCodes.InvalidOptions, ex.Code);
    }

    [TestMethod]
    public async Task PresetOptions_PointAtTheSigstoreMirrors()
    {
        Assert.AreEqual(new Uri("https://tuf-repo-cdn.sigstore.dev/"), TufOptions.PublicGood.ResolveMetadataUri());
        Assert.AreEqual(new Uri("https://tuf-repo-cdn.sigstore.dev/targets/"), TufOptions.PublicGood.ResolveTargetsUri());
        Assert.AreEqual(new Uri("https://tuf-repo-cdn.sigstage.dev/"), TufOptions.Staging.ResolveMetadataUri());
        using TufClient client = await TufClient.CreateAsync(TufOptions.PublicGood with { CacheDirectory = CacheDirectory, Offline = true }, TestContext.CancellationToken);
        Assert.AreEqual(RootMetadata.Parse(EmbeddedTrust.PublicGoodRoot).Version, TufClient.DescribeCache(CacheDirectory).RootVersion);
        Assert.AreEqual(16, TufClient.DescribeCache(CacheDirectory).RootVersion);
    }
}
