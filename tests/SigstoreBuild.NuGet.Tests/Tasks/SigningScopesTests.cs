using SigstoreBuild.Tasks;
using SigstoreBuild.Tasks.Signing;

namespace SigstoreBuild.NuGet.Tests.Tasks;

/// <summary>Which MSBuild nodes share a signing session: those of one job, with the same settings, and no others.</summary>
[TestClass]
public sealed class SigningScopesTests
{
    private static readonly SignerSettings Settings = SignerSettings.Create(TrustProperties.Create(null, null, null, null, null, null, null, forSigning: true), null, false);

    [TestMethod]
    public void NoPerJobSecret_NoSharing()
    {
        // Job ids alone are public: a key made only of them could be guessed by any process on the machine.
        Assert.IsNull(SigningScopes.For(Settings, new Env(("GITHUB_RUN_ID", "1"), ("GITHUB_JOB", "pack"), ("CI_JOB_ID", "7"))));
    }

    [TestMethod]
    [DataRow("SIGSTORE_ID_TOKEN")]
    [DataRow("ACTIONS_ID_TOKEN_REQUEST_TOKEN")]
    [DataRow("SYSTEM_ACCESSTOKEN")]
    [DataRow("BUILDKITE_AGENT_ACCESS_TOKEN")]
    [DataRow("CIRCLE_OIDC_TOKEN_V2")]
    [DataRow("CIRCLE_OIDC_TOKEN")]
    public void EachProvidersSecret_DecidesTheScope(string variable)
    {
        var a = SigningScopes.For(Settings, new Env((variable, "secret-a")))!;
        Assert.IsNotNull(a);
        Assert.AreEqual(a.Name, SigningScopes.For(Settings, new Env((variable, "secret-a")))!.Name, "the nodes of one job meet");
        Assert.AreNotEqual(a.Name, SigningScopes.For(Settings, new Env((variable, "secret-b")))!.Name, "another job does not");
        Assert.DoesNotContain("secret", a.SocketPath);
    }

    [TestMethod]
    public void OtherSettings_OtherScope()
    {
        var env = new Env(("SIGSTORE_ID_TOKEN", "t"));
        var staging = SignerSettings.Create(TrustProperties.Create("staging", null, null, null, null, null, null, forSigning: true), null, false);
        Assert.AreNotEqual(SigningScopes.For(Settings, env)!.Name, SigningScopes.For(staging, env)!.Name);
    }

    [TestMethod]
    public void SharingOnAndOff_AreDifferentSignersInANode()
    {
        // A project with SigstoreShareSigningSession=false must not get the shared signer another project created.
        var off = SignerSettings.Create(TrustProperties.Create(null, null, null, null, null, null, null, forSigning: true), null, false, shareAcrossNodes: false);
        Assert.IsTrue(Settings.ShareAcrossNodes);
        Assert.AreNotEqual(Settings.CacheKey, off.CacheKey);
    }

    [TestMethod]
    public void EachSigningKey_IsADifferentSignerInANode()
    {
        // A project signing with a key must not get the keyless signer, nor another project's key.
        var trust = TrustProperties.Create(null, null, null, null, null, null, null, forSigning: true);
        var keyA = SignerSettings.Create(trust, null, false, signingKeyPath: "a.key");
        var keyB = SignerSettings.Create(trust, null, false, signingKeyPath: "b.key");
        Assert.AreEqual(Path.GetFullPath("a.key"), keyA.SigningKeyPath);
        Assert.IsNull(Settings.SigningKeyPath);
        Assert.AreNotEqual(Settings.CacheKey, keyA.CacheKey);
        Assert.AreNotEqual(keyA.CacheKey, keyB.CacheKey);
    }

    [TestMethod]
    public void SessionDirectory_FromTheEnvironment_OrPerUser()
    {
        Assert.AreEqual("/run/ssb-test", SigningScopes.For(Settings, new Env(("SIGSTORE_ID_TOKEN", "t"), ("SIGSTORE_SESSION_DIR", "/run/ssb-test")))!.Directory);
        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        var directory = SigningScopes.For(Settings, new Env(("SIGSTORE_ID_TOKEN", "t")))!.Directory;
        Assert.IsTrue(directory.StartsWith(home, StringComparison.Ordinal) || directory.EndsWith("sigstorebuild", StringComparison.Ordinal), directory);
    }

    private sealed class Env(params (string Name, string Value)[] values) : ITaskEnvironment
    {
        public string? Get(string name) => values.FirstOrDefault(v => v.Name == name).Value;
    }
}
