using SigstoreBuild.Diagnostics;
using SigstoreBuild.NuGet.Restore;
using SigstoreBuild.Restore.Tests.Infrastructure;
using SigstoreBuild.Tuf;

namespace SigstoreBuild.Restore.Tests;

/// <summary>Trust settings of a verifying build: coded configuration errors, and a trust root loaded only when a bundle needs it.</summary>
[TestClass]
public sealed class TrustSettingsTests
{
    /// <summary>As <c>sigstore verify-packages</c> reads a project's properties.</summary>
    private static readonly TrustSettingNames Names = TrustSettingNames.MSBuild(RestoreCodes.TrustConfigurationInvalid, RestoreCodes.TrustConfigurationInvalid);

    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    [DataRow("trusted-root", DisplayName = "missing SigstoreTrustedRootPath")]
    [DataRow("instance", DisplayName = "unknown SigstoreInstance")]
    [DataRow("custom", DisplayName = "custom without files or mirror")]
    [DataRow("tuf-url", DisplayName = "relative SigstoreTufUrl")]
    [DataRow("tuf-root", DisplayName = "SigstoreTufUrl without SigstoreTufRootPath")]
    [DataRow("tuf-root-missing", DisplayName = "missing SigstoreTufRootPath")]
    public void InvalidSettings_AreSSB5116NamingTheProperty(string problem)
    {
        var missing = Path.Combine(Path.GetTempPath(), "ssb-missing-" + Guid.NewGuid().ToString("N"), "trusted_root.json");
        var (settings, property) = problem switch
        {
            "trusted-root" => (new TrustSettings { TrustedRootPath = missing }, "SigstoreTrustedRootPath"),
            "instance" => (new TrustSettings { Instance = "production" }, "SigstoreInstance"),
            "custom" => (new TrustSettings { Instance = "custom" }, "SigstoreInstance"),
            "tuf-url" => (new TrustSettings { TufUrl = "tuf/metadata", TufRootPath = missing }, "SigstoreTufUrl"),
            "tuf-root" => (new TrustSettings { TufUrl = "https://tuf.example/" }, "SigstoreTufRootPath"),
            _ => (new TrustSettings { TufUrl = "https://tuf.example/", TufRootPath = missing }, "SigstoreTufRootPath"),
        };

        var ex = Assert.Throws<SigstoreException>(() => settings.ToConfiguration(Names));
        Assert.AreEqual(RestoreCodes.TrustConfigurationInvalid, ex.Code);
        StringAssert.Contains(ex.Message, property);
    }

    [TestMethod]
    public void Defaults_ArePublicGoodThroughTuf_AndExplicitFilesWin()
    {
        var defaults = new TrustSettings().ToConfiguration(Names);
        Assert.AreEqual(SigstoreInstance.PublicGood, defaults.Instance);
        Assert.IsNotNull(defaults.Tuf);
        Assert.IsFalse(defaults.Offline);

        var staging = new TrustSettings { Instance = "Staging", Offline = true, CacheDirectory = "cache" }.ToConfiguration(Names);
        Assert.AreEqual(SigstoreInstance.Staging, staging.Instance);
        Assert.IsTrue(staging.Offline);
        Assert.AreEqual(Path.GetFullPath("cache"), staging.Tuf!.CacheDirectory);

        using var feed = new TestFeed();
        var root = Path.Combine(feed.Root, "trusted_root.json");
        File.WriteAllText(root, "{}");
        var files = new TrustSettings { Instance = "public-good", TrustedRootPath = root }.ToConfiguration(Names);
        Assert.AreEqual(root, files.TrustedRootPath);
        Assert.IsNull(files.Tuf);
    }

    [TestMethod]
    public async Task NoPolicyAndNoMode_NeverBuildsTheVerifier()
    {
        using var feed = new TestFeed();
        feed.AddPackage("Contoso.Lib", "1.0.0");
        var request = new RestoreRunRequest { AssetsFilePath = feed.AssetsFile, StateDirectory = feed.StateDirectory };
        var result = await RestoreRun.ExecuteAsync(request, () => throw new SigstoreException(RestoreCodes.TrustConfigurationInvalid, "must not be resolved"), null, TestContext.CancellationToken);
        Assert.AreEqual(VerificationMode.Off, result.Mode);
        Assert.IsEmpty(result.Diagnostics);
        Assert.IsFalse(Directory.Exists(feed.StateDirectory), "Nothing is written when verification is off.");
    }

    [TestMethod]
    public async Task InvalidSettings_FailTheVerifyingRunWithSSB5116()
    {
        using var feed = new TestFeed();
        feed.AddPackage("Contoso.Lib", "1.0.0");
        var request = new RestoreRunRequest { AssetsFilePath = feed.AssetsFile, StateDirectory = feed.StateDirectory, Mode = "audit", UnsignedAllowed = [new PolicyItem("Contoso.Lib", new Dictionary<string, string>())] };
        var settings = new TrustSettings { TrustedRootPath = Path.Combine(feed.Root, "nope.json") };
        var ex = await Assert.ThrowsAsync<SigstoreException>(() => RestoreRun.ExecuteAsync(request, () => TrustRootPackageSignatureVerifier.Create(settings.ToConfiguration(Names)), null, TestContext.CancellationToken));
        Assert.AreEqual(RestoreCodes.TrustConfigurationInvalid, ex.Code);
    }

    [TestMethod]
    public async Task MissingBundleDirectory_IsSSB5115()
    {
        using var feed = new TestFeed();
        feed.AddPackage("Contoso.Lib", "1.0.0");
        var missing = Path.Combine(feed.Root, "attestations");
        var request = new RestoreRunRequest { AssetsFilePath = feed.AssetsFile, StateDirectory = feed.StateDirectory, BundleDirectories = [missing], UnsignedAllowed = [new PolicyItem("Contoso.Lib", new Dictionary<string, string>())] };
        var ex = await Assert.ThrowsAsync<SigstoreException>(() => RestoreRun.ExecuteAsync(request, verifier: null, null, TestContext.CancellationToken));
        Assert.AreEqual(RestoreCodes.SourceInvalid, ex.Code);
        StringAssert.Contains(ex.Message, missing);
    }

    [TestMethod]
    public async Task UnsignedOnly_NeverLoadsTheTrustRoot()
    {
        using var feed = new TestFeed();
        feed.AddPackage("Contoso.Lib", "1.0.0");
        var provider = new FailingProvider();
        var verifier = new TrustRootPackageSignatureVerifier(provider);
        var request = new RestoreRunRequest { AssetsFilePath = feed.AssetsFile, StateDirectory = feed.StateDirectory, UnsignedAllowed = [new PolicyItem("Contoso.Lib", new Dictionary<string, string>())] };
        var result = await RestoreRun.ExecuteAsync(request, verifier, null, TestContext.CancellationToken);
        Assert.IsTrue(result.Succeeded, string.Join("\n", result.Diagnostics));
        Assert.AreEqual(0, provider.Calls);
        Assert.IsFalse(verifier.IsLoaded);
    }

    [TestMethod]
    [DataRow("enforce", "SSB5114", DiagnosticSeverity.Error)]
    [DataRow("audit", "SSB5614", DiagnosticSeverity.Warning)]
    public async Task TrustRootUnavailable_IsSSB5114PerPackage_LoadedOnce(string mode, string code, DiagnosticSeverity severity)
    {
        using var feed = new TestFeed();
        using var signer = new TestSigner();
        foreach (var id in new[] { "Contoso.A", "Contoso.B" })
        {
            var hash = feed.AddPackage(id, "1.0.0");
            File.WriteAllBytes(Path.Combine(feed.Feed, $"{id}.1.0.0.nupkg.sigstore.json"), signer.Sign(id, "1.0.0", hash, TestSigner.Workflow("lib")));
        }

        var provider = new FailingProvider();
        var request = new RestoreRunRequest
        {
            AssetsFilePath = feed.AssetsFile,
            StateDirectory = feed.StateDirectory,
            Mode = mode,
            TrustedIdentities = [new PolicyItem("Contoso.*", new Dictionary<string, string> { ["Issuer"] = TestSigner.GitHubIssuer, ["Subject"] = TestSigner.Workflow("lib") })],
        };
        var result = await RestoreRun.ExecuteAsync(request, new TrustRootPackageSignatureVerifier(provider), null, TestContext.CancellationToken);
        Assert.AreEqual(mode == "audit", result.Succeeded);
        Assert.HasCount(2, result.Diagnostics);
        Assert.IsTrue(result.Diagnostics.All(d => d.Code == code && d.Severity == severity && d.Message.Contains(TufCodes.OfflineUnavailable, StringComparison.Ordinal)), string.Join("\n", result.Diagnostics));
        Assert.AreEqual(1, provider.Calls, "The trust root is asked for once per run, not per package.");
    }

    [TestMethod]
    public void OfflinePublicGood_UsesTheEmbeddedRoot_WithoutNetwork()
    {
        using var feed = new TestFeed();
        var configuration = new TrustSettings { Offline = true, CacheDirectory = Path.Combine(feed.Root, "tuf") }.ToConfiguration(Names);

        // The embedded root expires (its own metadata says when); a clock inside its validity keeps the test stable.
        configuration = configuration with { Tuf = configuration.Tuf! with { TimeProvider = new FixedTime(new DateTimeOffset(2026, 6, 1, 0, 0, 0, TimeSpan.Zero)) } };
        var verifier = TrustRootPackageSignatureVerifier.Create(configuration);
        var fingerprint = verifier.TrustRootFingerprint;
        var material = new TrustRootProvider(configuration).GetAsync(TestContext.CancellationToken).GetAwaiter().GetResult();
        Assert.AreEqual(TrustMaterialSource.Embedded, material.Source);
        Assert.AreEqual(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(material.TrustedRootJson)), fingerprint);
        Assert.IsTrue(verifier.Warnings.Any(w => w.Code == TufCodes.OfflineTrustUsed), "Offline use of the embedded root is reported.");
    }

    [TestMethod]
    public void OfflineWithAnExpiredEmbeddedRoot_IsSSB5114_NotAPass()
    {
        using var feed = new TestFeed();
        var configuration = new TrustSettings { Offline = true, CacheDirectory = Path.Combine(feed.Root, "tuf") }.ToConfiguration(Names);
        configuration = configuration with { Tuf = configuration.Tuf! with { TimeProvider = new FixedTime(new DateTimeOffset(2040, 1, 1, 0, 0, 0, TimeSpan.Zero)) } };
        var ex = Assert.Throws<SigstoreException>(() => TrustRootPackageSignatureVerifier.Create(configuration).TrustRootFingerprint);
        Assert.AreEqual(RestoreCodes.TrustRootUnavailable, ex.Code);
        StringAssert.Contains(ex.Message, TufCodes.OfflineUnavailable);
    }

    private sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }

    private sealed class FailingProvider : ITrustRootProvider
    {
        private int _calls;

        public int Calls => _calls;

        public Task<TrustMaterialBytes> GetAsync(CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref _calls);
            throw new SigstoreException(TufCodes.OfflineUnavailable, "Offline mode refused: no usable TUF cache.");
        }
    }
}
