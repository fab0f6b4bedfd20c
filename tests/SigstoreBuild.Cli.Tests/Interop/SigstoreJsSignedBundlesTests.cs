using System.Text;
using System.Text.Json;
using SigstoreBuild.Cli.Tests.Infrastructure;
using SigstoreBuild.LocalStack;

namespace SigstoreBuild.Cli.Tests.Interop;

/// <summary>
/// sigstore-js signs against a fresh local instance (its logs empty, so the first entry has index 0 and a one-leaf proof)
/// and our verifier must accept every bundle it writes, as sigstore-js does: proto3 JSON omits the default values.
/// </summary>
[TestClass]
public sealed class SigstoreJsSignedBundlesTests
{
    private const string Email = "js-signer@example.com";
    private static LocalSigstore s_sigstore = null!;
    private static string s_root = null!;

    public TestContext TestContext { get; set; } = null!;

    [ClassInitialize]
    public static async Task StartAsync(TestContext context)
    {
        s_root = Directory.CreateTempSubdirectory("ssb-js-signed-").FullName;
        s_sigstore = await LocalSigstore.StartAsync(Path.Combine(s_root, "instance"), 0, context.CancellationToken);
    }

    [ClassCleanup]
    public static async Task StopAsync()
    {
        await s_sigstore.DisposeAsync();
        Directory.Delete(s_root, recursive: true);
    }

    // Each log of the instance is empty until its test signs: the message signature is its entry 0.
    [TestMethod]
    [DataRow(false)]
    [DataRow(true)]
    public async Task SignedIntoAnEmptyLog_BothVerifiersAccept(bool rekorV2)
    {
        SigstoreJs.RequireInstalled("sign");
        var dir = NewDirectory();
        var artifact = Path.Combine(dir, "artifact.txt");
        File.WriteAllText(artifact, "signed by sigstore-js", new UTF8Encoding(false));
        var (message, dsse) = await SigstoreJs.SignAsync(rekorV2 ? s_sigstore.SigningConfigRekorV2Path : s_sigstore.SigningConfigPath,
            s_sigstore.MintToken(Email), dir, artifact);

        // The shape under test: index 0, tree size 1, no hashes, all omitted by sigstore-js's writer.
        var entry = TlogEntry(message);
        Assert.IsFalse(entry.TryGetProperty("logIndex", out _), "the first entry's logIndex 0 is omitted");
        var proof = entry.GetProperty("inclusionProof");
        Assert.IsFalse(proof.TryGetProperty("logIndex", out _), "the proof's logIndex 0 is omitted");
        Assert.IsFalse(proof.TryGetProperty("hashes", out _), "a one-leaf proof has no hashes");
        Assert.AreEqual("1", proof.GetProperty("treeSize").GetString());
        Assert.IsTrue(TlogEntry(dsse).TryGetProperty("logIndex", out _), "the second entry has index 1");

        foreach (var bundle in new[] { message, dsse })
        {
            var ours = await VerifyAsync(bundle, Email, artifact);
            Assert.AreEqual(0, ours.ExitCode, $"Our verifier rejected {Path.GetFileName(bundle)} from sigstore-js: {ours}");
            var js = await SigstoreJs.VerifyAsync(bundle, s_sigstore.TrustedRootPath, Email, s_sigstore.BaseUrl, artifact);
            Assert.AreEqual(0, js.ExitCode, "sigstore-js rejected its own bundle: " + js.Output);
            Assert.AreEqual(1, (await VerifyAsync(bundle, "mallory@example.com", artifact)).ExitCode, "another identity must be rejected");
        }
    }

    internal static JsonElement TlogEntry(string bundle) =>
        JsonDocument.Parse(File.ReadAllText(bundle)).RootElement.GetProperty("verificationMaterial").GetProperty("tlogEntries")[0];

    private static Task<CliRun> VerifyAsync(string bundle, string identity, string artifact) =>
        CliRunner.RunAsync("verify-bundle", "--bundle", bundle, "--certificate-identity", identity,
            "--certificate-oidc-issuer", s_sigstore.BaseUrl, "--trusted-root", s_sigstore.TrustedRootPath, artifact);

    private string NewDirectory() => Directory.CreateDirectory(Path.Combine(s_root, TestContext.TestName + "-" + Guid.NewGuid().ToString("N")[..6])).FullName;
}
