using SigstoreBuild.Diagnostics;
using SigstoreBuild.Signing;
using SigstoreBuild.Tasks;
using SigstoreBuild.Tuf;

namespace SigstoreBuild.NuGet.Tests.Tasks;

/// <summary>
/// Trust errors raised inside a build name the MSBuild property to set, never a CLI option; the same errors from the CLI
/// name its options. The trust settings come in through <see cref="TrustProperties"/>, as the tasks read them.
/// </summary>
[TestClass]
public sealed class TrustErrorHintTests
{
    private static string s_dir = null!;

    [ClassInitialize]
    public static void Init(TestContext context) => s_dir = Directory.CreateTempSubdirectory("ssb-trust-hints-").FullName;

    [ClassCleanup]
    public static void Cleanup() => Directory.Delete(s_dir, recursive: true);

    private static string NewDirectory() => Directory.CreateDirectory(Path.Combine(s_dir, Guid.NewGuid().ToString("N"))).FullName;

    private static string Write(string name, byte[] bytes)
    {
        var path = Path.Combine(NewDirectory(), name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static SigstoreException Fail(TrustConfiguration configuration) =>
        Assert.ThrowsExactly<SigstoreException>(() => new TrustRootProvider(configuration).GetAsync().GetAwaiter().GetResult());

    private static void AssertNoOption(string message) =>
        Assert.IsFalse(System.Text.RegularExpressions.Regex.IsMatch(message, @"(^|\s|\()--[a-z]"), "an MSBuild error must not name a CLI option: " + message);

    [TestMethod]
    public void MirrorUnreachable_MSBuild_NamesSigstoreOffline()
    {
        // A custom mirror nobody listens on: the download fails at once.
        var root = Write("root.json", EmbeddedTrust.PublicGoodRoot);
        var trust = TrustProperties.Create(null, null, null, "http://127.0.0.1:1/", root, NewDirectory(), "false", forSigning: false);
        var ex = Fail(trust.Configuration);
        Assert.AreEqual(TufCodes.DownloadFailed, ex.Code);
        Assert.Contains("set SigstoreOffline=true", ex.Message);
        AssertNoOption(ex.Message);

        var cli = new TrustSettings { TufUrl = "http://127.0.0.1:1/", TufRootPath = root, CacheDirectory = NewDirectory() }.ToConfiguration(TrustSettingNames.CommandLine);
        Assert.Contains("pass --offline", Fail(cli).Message);
    }

    [TestMethod]
    public void OfflineWithExpiredEmbeddedRootAndNoCache_MSBuild_NamesTheProperties()
    {
        var trust = TrustProperties.Create(null, null, null, null, null, NewDirectory(), "true", forSigning: false);
        var later = new At(DateTimeOffset.Parse("2099-01-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        var configuration = trust.Configuration with { Tuf = trust.Configuration.Tuf! with { TimeProvider = later } };
        var ex = Fail(configuration);
        Assert.AreEqual(TufCodes.OfflineUnavailable, ex.Code);
        Assert.Contains("with SigstoreOffline=false", ex.Message);
        Assert.Contains("set SigstoreTufCachePath=DIR", ex.Message);
        AssertNoOption(ex.Message.Replace("sigstore trust-root update --cache-dir", "", StringComparison.Ordinal)); // a command that works anywhere
    }

    [TestMethod]
    public void NoSigningConfig_MSBuild_NamesSigstoreSigningConfigPath()
    {
        var root = Write("trusted_root.json", EmbeddedTrust.PublicGoodTrustedRoot);
        var trust = TrustProperties.Create(null, root, null, null, null, null, null, forSigning: false);
        var ex = Assert.ThrowsExactly<SigstoreException>(() => new TrustRootSigningTrustProvider(new TrustRootProvider(trust.Configuration)).GetAsync(CancellationToken.None).GetAwaiter().GetResult());
        Assert.AreEqual(SigningCodes.TrustRootUnavailable, ex.Code);
        Assert.Contains("set SigstoreSigningConfigPath=", ex.Message);
        AssertNoOption(ex.Message);
    }

    [TestMethod]
    public void EveryMSBuildTrustName_IsAPropertyTheTargetsRead()
    {
        var names = TrustSettingNames.MSBuild("SSB0000", "SSB0000");
        var read = MessageHintTests.PropertiesTheTargetsRead();
        foreach (var name in new[] { names.Instance, names.TrustedRootPath, names.SigningConfigPath, names.TufUrl, names.TufRootPath, names.CacheDirectory, names.Offline })
        {
            Assert.Contains(name, read, $"{name} is named in trust errors but the SigstoreBuild targets never read it");
        }
    }

    private sealed class At(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
