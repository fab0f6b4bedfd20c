using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using SigstoreBuild.Cli.Tests.Infrastructure;
using SigstoreBuild.LocalStack;

namespace SigstoreBuild.Cli.Tests.Interop;

/// <summary>
/// Bundles sigstore-js signs against a local instance: our verifier accepts what sigstore-js accepts (proto3 JSON without
/// its default values, as in the first entry of an empty log) and refuses what it refuses (a proof without checkpoint).
/// </summary>
[TestClass]
public sealed class SigstoreJsSignedBundlesTests
{
    private const string Email = "js-signer@example.com";
    private static string s_root = null!;

    public TestContext TestContext { get; set; } = null!;

    [ClassInitialize]
    public static void Initialize(TestContext context) => s_root = Directory.CreateTempSubdirectory("ssb-js-signed-").FullName;

    [ClassCleanup]
    public static void Cleanup() => Directory.Delete(s_root, recursive: true);

    [TestMethod]
    [DataRow(false)]
    [DataRow(true)]
    public async Task SignedIntoAnEmptyLog_BothVerifiersAccept(bool rekorV2)
    {
        SigstoreJs.RequireInstalled("sign");
        var dir = NewDirectory();
        await using var sigstore = await LocalSigstore.StartAsync(Path.Combine(dir, "instance"), 0, TestContext.CancellationToken);
        var artifact = WriteArtifact(dir);
        var (message, dsse) = await SigstoreJs.SignAsync(rekorV2 ? sigstore.SigningConfigRekorV2Path : sigstore.SigningConfigPath,
            sigstore.MintToken(Email), dir, artifact);

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
            await AssertBothAcceptAsync(sigstore, bundle, artifact);
            Assert.AreEqual(1, (await VerifyAsync(sigstore, bundle, "mallory@example.com", artifact)).ExitCode, "another identity must be rejected");
        }
    }

    [TestMethod]
    public async Task InclusionProofWithoutCheckpoint_BothVerifiersRefuse()
    {
        SigstoreJs.RequireInstalled("sign");
        var dir = NewDirectory();
        await using var sigstore = await LocalSigstore.StartAsync(Path.Combine(dir, "instance"), 0, TestContext.CancellationToken);
        var artifact = WriteArtifact(dir);
        var (message, _) = await SigstoreJs.SignAsync(sigstore.SigningConfigPath, sigstore.MintToken(Email), dir, artifact);

        // sigstore-js's v0.2 message bundle (Rekor v1: SET, proof, checkpoint) read as v0.1, where a SET alone may log an
        // entry: even there the valid SET does not make a proof with an unsigned root hash acceptable.
        var json = JsonNode.Parse(File.ReadAllText(message))!.AsObject();
        json["mediaType"] = "application/vnd.dev.sigstore.bundle+json;version=0.1";
        var twin = Path.Combine(dir, "v01.sigstore.json");
        File.WriteAllText(twin, json.ToJsonString());
        await AssertBothAcceptAsync(sigstore, twin, artifact);

        json["verificationMaterial"]!["tlogEntries"]![0]!["inclusionProof"]!.AsObject().Remove("checkpoint");
        var broken = Path.Combine(dir, "v01-no-checkpoint.sigstore.json");
        File.WriteAllText(broken, json.ToJsonString());
        var ours = await VerifyAsync(sigstore, broken, Email, artifact);
        Assert.AreEqual(1, ours.ExitCode, ours.ToString());
        StringAssert.Contains(ours.Error, "SSB3005", ours.ToString());
        StringAssert.Contains(ours.Error, "no checkpoint", ours.ToString());
        var js = await SigstoreJs.VerifyAsync(broken, sigstore.TrustedRootPath, Email, sigstore.BaseUrl, artifact);
        Assert.AreNotEqual(0, js.ExitCode, "sigstore-js refuses a proof without checkpoint too: " + js.Output);
    }

    private static async Task AssertBothAcceptAsync(LocalSigstore sigstore, string bundle, string artifact)
    {
        var ours = await VerifyAsync(sigstore, bundle, Email, artifact);
        Assert.AreEqual(0, ours.ExitCode, $"Our verifier rejected {Path.GetFileName(bundle)} from sigstore-js: {ours}");
        var js = await SigstoreJs.VerifyAsync(bundle, sigstore.TrustedRootPath, Email, sigstore.BaseUrl, artifact);
        Assert.AreEqual(0, js.ExitCode, $"sigstore-js rejected {Path.GetFileName(bundle)}: {js.Output}");
    }

    internal static JsonElement TlogEntry(string bundle) =>
        JsonDocument.Parse(File.ReadAllText(bundle)).RootElement.GetProperty("verificationMaterial").GetProperty("tlogEntries")[0];

    private static Task<CliRun> VerifyAsync(LocalSigstore sigstore, string bundle, string identity, string artifact) =>
        CliRunner.RunAsync("verify-bundle", "--bundle", bundle, "--certificate-identity", identity,
            "--certificate-oidc-issuer", sigstore.BaseUrl, "--trusted-root", sigstore.TrustedRootPath, artifact);

    private static string WriteArtifact(string dir)
    {
        var artifact = Path.Combine(dir, "artifact.txt");
        File.WriteAllText(artifact, "signed by sigstore-js", new UTF8Encoding(false));
        return artifact;
    }

    private string NewDirectory() => Directory.CreateDirectory(Path.Combine(s_root, TestContext.TestName + "-" + Guid.NewGuid().ToString("N")[..6])).FullName;
}
