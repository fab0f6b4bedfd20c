using System.Reflection;
using SigstoreBuild.Diagnostics;
using SigstoreBuild.Tasks;
using SigstoreBuild.Tuf;

namespace SigstoreBuild.NuGet.Tests.Tasks;

/// <summary>The MSBuild trust properties: validation codes and the mapping to a TUF or file trust configuration.</summary>
[TestClass]
public sealed class TrustSettingsTests
{
    private static string s_dir = null!;
    private static string s_file = null!;

    [ClassInitialize]
    public static void Init(TestContext context)
    {
        s_dir = Directory.CreateTempSubdirectory("ssb-trust-settings-").FullName;
        s_file = Path.Combine(s_dir, "file.json");
        File.WriteAllText(s_file, "{}");
    }

    [ClassCleanup]
    public static void Cleanup() => Directory.Delete(s_dir, recursive: true);

    private static TrustProperties Create(string? instance = null, string? root = null, string? config = null, string? url = null, string? tufRoot = null, string? cache = null, string? offline = null, bool forSigning = true) =>
        TrustProperties.Create(instance, root, config, url, tufRoot, cache, offline, forSigning);

    [TestMethod]
    [DataRow(null, "https://tuf-repo-cdn.sigstore.dev/")]
    [DataRow("", "https://tuf-repo-cdn.sigstore.dev/")]
    [DataRow("public-good", "https://tuf-repo-cdn.sigstore.dev/")]
    [DataRow("Staging", "https://tuf-repo-cdn.sigstage.dev/")]
    public void PublicInstances_UseTufWithTheirEmbeddedRoot(string? instance, string mirror)
    {
        var configuration = Create(instance).Configuration;
        Assert.IsNull(configuration.TrustedRootPath);
        Assert.AreEqual(new Uri(mirror), configuration.Tuf!.MetadataUri);
        Assert.IsFalse(configuration.Tuf.InitialRoot.IsEmpty);
        Assert.IsFalse(configuration.Offline);
    }

    [TestMethod]
    public void CustomMirror_CacheAndOffline_AreApplied()
    {
        var cache = Path.Combine(s_dir, "cache");
        var settings = Create(url: "http://127.0.0.1:1234/metadata", tufRoot: s_file, cache: cache, offline: "true");
        Assert.AreEqual("custom", settings.Instance);
        var configuration = settings.Configuration;
        Assert.AreEqual(SigstoreInstance.Custom, configuration.Instance);
        Assert.AreEqual(new Uri("http://127.0.0.1:1234/metadata"), configuration.Tuf!.MetadataUri);
        CollectionAssert.AreEqual(File.ReadAllBytes(s_file), configuration.Tuf.InitialRoot.ToArray());
        Assert.AreEqual(cache, configuration.Tuf.CacheDirectory);
        Assert.IsTrue(configuration.Offline);
    }

    [TestMethod]
    public void CacheInitialisedForAMirror_IsUsedByTheBuildAsByTheCli()
    {
        // 'sigstore trust-root init' records its mirror in the cache; SigstoreTufCachePath pointing there keeps using it.
        var cache = Path.Combine(s_dir, "initialised-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(cache);
        File.WriteAllText(Path.Combine(cache, "mirror.json"), """{"metadataUrl":"http://127.0.0.1:1234/metadata/","targetsUrl":"http://127.0.0.1:1234/targets/"}""");
        var configuration = Create(cache: cache).Configuration;
        Assert.AreEqual(SigstoreInstance.Custom, configuration.Instance);
        Assert.AreEqual(new Uri("http://127.0.0.1:1234/metadata/"), configuration.Tuf!.MetadataUri);

        // An instance named explicitly wins over the recorded mirror.
        Assert.AreEqual(new Uri("https://tuf-repo-cdn.sigstore.dev/"), Create("public-good", cache: cache).Configuration.Tuf!.MetadataUri);
    }

    [TestMethod]
    public void ExplicitFiles_BypassTuf()
    {
        var configuration = Create(root: s_file, config: s_file).Configuration;
        Assert.AreEqual(s_file, configuration.TrustedRootPath);
        Assert.AreEqual(s_file, configuration.SigningConfigPath);
        Assert.IsNull(configuration.Tuf);
    }

    [TestMethod]
    public void VerificationOnly_NeedsNoSigningConfig()
    {
        var configuration = Create(root: s_file, forSigning: false).Configuration;
        Assert.AreEqual(s_file, configuration.TrustedRootPath);
        Assert.IsNull(configuration.SigningConfigPath);
    }

    [TestMethod]
    public void DifferentTrust_DifferentCacheKey()
    {
        Assert.AreEqual(Create().CacheKey, Create("public-good").CacheKey);
        Assert.AreNotEqual(Create().CacheKey, Create(offline: "true").CacheKey);
        Assert.AreNotEqual(Create().CacheKey, Create("staging").CacheKey);
        Assert.AreNotEqual(Create().CacheKey, Create(cache: Path.Combine(s_dir, "other")).CacheKey);
    }

    [TestMethod]
    [DataRow("nowhere", null, null, null, null, "maybe", TaskCodes.InvalidSetting, DisplayName = "unknown instance")]
    [DataRow(null, null, null, null, null, "yes", TaskCodes.InvalidSetting, DisplayName = "SigstoreOffline not a boolean")]
    [DataRow("public-good", null, null, "http://127.0.0.1:1/", "FILE", null, TaskCodes.InvalidSetting, DisplayName = "mirror with a public instance")]
    [DataRow(null, "FILE", "FILE", "http://127.0.0.1:1/", "FILE", null, TaskCodes.InvalidSetting, DisplayName = "files and mirror")]
    [DataRow(null, null, null, "ftp://127.0.0.1/", "FILE", null, TaskCodes.InvalidSetting, DisplayName = "mirror not http(s)")]
    [DataRow(null, null, null, "relative/path", "FILE", null, TaskCodes.InvalidSetting, DisplayName = "mirror not absolute")]
    [DataRow("custom", null, null, null, null, null, TaskCodes.TrustFileMissing, DisplayName = "custom without mirror or files")]
    [DataRow(null, null, null, "http://127.0.0.1:1/", null, null, TaskCodes.TrustFileMissing, DisplayName = "mirror without root")]
    [DataRow(null, null, null, null, "FILE", null, TaskCodes.TrustFileMissing, DisplayName = "root without mirror")]
    [DataRow(null, null, null, "http://127.0.0.1:1/", "MISSING", null, TaskCodes.TrustFileMissing, DisplayName = "tuf root missing")]
    [DataRow(null, "FILE", null, null, null, null, TaskCodes.TrustFileMissing, DisplayName = "trusted root without signing config")]
    [DataRow(null, null, "FILE", null, null, null, TaskCodes.TrustFileMissing, DisplayName = "signing config without trusted root")]
    [DataRow(null, "MISSING", "FILE", null, null, null, TaskCodes.TrustFileMissing, DisplayName = "trusted root missing")]
    public void Misconfiguration_HasItsCode(string? instance, string? root, string? config, string? url, string? tufRoot, string? offline, string code)
    {
        static string? Path_(string? p) => p switch { "FILE" => s_file, "MISSING" => Path.Combine(s_dir, "missing.json"), _ => p };
        var ex = Assert.Throws<SigstoreException>(() => Create(instance, Path_(root), Path_(config), url, Path_(tufRoot), null, offline));
        Assert.AreEqual(code, ex.Code, ex.Message);
    }

    [TestMethod]
    [DataRow(-1, DisplayName = "embedded root still valid")]
    [DataRow(1, DisplayName = "embedded root expired")]
    public async Task OfflinePublicGood_WithoutCache_UsesTheEmbeddedRootOnlyWhileItIsValid(int daysAfterExpiry)
    {
        var settings = Create(cache: Path.Combine(s_dir, "empty-cache-" + Guid.NewGuid().ToString("N")), offline: "true");
        var configuration = settings.Configuration;
        var at = EmbeddedPublicGoodRootExpiry().AddDays(daysAfterExpiry);
        var provider = new TrustRootProvider(configuration with { Tuf = configuration.Tuf! with { TimeProvider = new FixedTime(at) } });
        if (daysAfterExpiry > 0)
        {
            var ex = await Assert.ThrowsAsync<SigstoreException>(() => provider.GetAsync());
            Assert.AreEqual(TufCodes.OfflineUnavailable, ex.Code, ex.Message);
            return;
        }

        var material = await provider.GetAsync();
        Assert.AreEqual(TrustMaterialSource.Embedded, material.Source);
        Assert.IsNotNull(material.SigningConfigJson);
        Assert.AreEqual(TufCodes.OfflineTrustUsed, material.Warnings.Single().Code);
        Assert.AreEqual("embedded trust root, offline", TrustProperties.Describe(material));
    }

    private static DateTimeOffset EmbeddedPublicGoodRootExpiry()
    {
        var repo = typeof(TrustSettingsTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "RepoRoot").Value!;
        using var root = System.Text.Json.JsonDocument.Parse(File.ReadAllBytes(Path.Combine(repo, "src", "SigstoreBuild.Core", "Tuf", "Embedded", "public-good.root.json")));
        return DateTimeOffset.Parse(root.RootElement.GetProperty("signed").GetProperty("expires").GetString()!, System.Globalization.CultureInfo.InvariantCulture);
    }

    private sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }

    [TestMethod]
    public async Task OfflineCustomMirror_WithoutCache_FailsWithTheTufCode()
    {
        var settings = Create(url: "http://127.0.0.1:9/", tufRoot: s_file, cache: Path.Combine(s_dir, "none-" + Guid.NewGuid().ToString("N")), offline: "true");
        var ex = await Assert.ThrowsAsync<SigstoreException>(() => new TrustRootProvider(settings.Configuration).GetAsync());
        Assert.StartsWith("SSB40", ex.Code, ex.Message);
    }
}
