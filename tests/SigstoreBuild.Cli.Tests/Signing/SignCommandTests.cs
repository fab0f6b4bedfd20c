using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using SigstoreBuild.Cli.Tests.Infrastructure;
using SigstoreBuild.LocalStack;
using SigstoreBuild.LocalStack.Faults;
using SigstoreBuild.LocalStack.Oidc;

namespace SigstoreBuild.Cli.Tests.Signing;

/// <summary>
/// <c>sigstore sign-bundle</c>, <c>sign</c> and <c>attest</c> against the local Sigstore instance (real HTTP on loopback),
/// then verified by our <c>verify-bundle</c> and by sigstore-js.
/// </summary>
[TestClass]
public sealed class SignCommandTests
{
    private const string Email = "builder@example.com";
    private static LocalSigstore s_sigstore = null!;
    private static string s_root = null!;

    public TestContext TestContext { get; set; } = null!;

    [ClassInitialize]
    public static async Task StartAsync(TestContext context)
    {
        s_root = Directory.CreateTempSubdirectory("ssb-cli-sign-").FullName;
        s_sigstore = await LocalSigstore.StartAsync(Path.Combine(s_root, "instance"), 0, context.CancellationToken);
    }

    [ClassCleanup]
    public static async Task StopAsync()
    {
        await s_sigstore.DisposeAsync();
        Directory.Delete(s_root, recursive: true);
    }

    [TestMethod]
    [DataRow(false)]
    [DataRow(true)]
    public async Task SignBundle_ThenBothVerifiersAccept(bool rekorV2)
    {
        var dir = NewDirectory();
        var artifact = Write(dir, "artifact.txt", "hello from SigstoreBuild");
        var bundle = Path.Combine(dir, "artifact.txt.sigstore.json");

        var sign = await CliRunner.RunAsync("sign-bundle", "--identity-token", s_sigstore.MintToken(Email), "--bundle", bundle,
            "--trusted-root", s_sigstore.TrustedRootPath, "--signing-config", rekorV2 ? s_sigstore.SigningConfigRekorV2Path : s_sigstore.SigningConfigPath, artifact);
        Assert.AreEqual(0, sign.ExitCode, sign.ToString());
        Assert.IsTrue(File.Exists(bundle));

        var verify = await CliRunner.RunAsync("verify-bundle", "--bundle", bundle, "--certificate-identity", Email,
            "--certificate-oidc-issuer", s_sigstore.BaseUrl, "--trusted-root", s_sigstore.TrustedRootPath, artifact);
        Assert.AreEqual(0, verify.ExitCode, verify.ToString());

        var digest = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(artifact)));
        var byDigest = await CliRunner.RunAsync("verify-bundle", "--bundle", bundle, "--certificate-identity", Email,
            "--certificate-oidc-issuer", s_sigstore.BaseUrl, "--trusted-root", s_sigstore.TrustedRootPath, digest);
        Assert.AreEqual(0, byDigest.ExitCode, byDigest.ToString());

        var otherIdentity = await CliRunner.RunAsync("verify-bundle", "--bundle", bundle, "--certificate-identity", "mallory@example.com",
            "--certificate-oidc-issuer", s_sigstore.BaseUrl, "--trusted-root", s_sigstore.TrustedRootPath, artifact);
        Assert.AreEqual(1, otherIdentity.ExitCode, otherIdentity.ToString());

        var js = await SigstoreJs.VerifyAsync(bundle, s_sigstore.TrustedRootPath, Email, s_sigstore.BaseUrl, artifact);
        Assert.AreEqual(0, js.ExitCode, "sigstore-js rejected our bundle: " + js.Output);

        File.AppendAllText(artifact, "!");
        var tampered = await SigstoreJs.VerifyAsync(bundle, s_sigstore.TrustedRootPath, Email, s_sigstore.BaseUrl, artifact);
        Assert.AreNotEqual(0, tampered.ExitCode, "sigstore-js must reject a changed artifact: " + tampered.Output);
    }

    [TestMethod]
    public async Task SignBundleInToto_ProducesADsseAttestationBothVerifiersAccept()
    {
        var dir = NewDirectory();
        var artifact = Write(dir, "app.dll", "pretend assembly");
        var sha = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(artifact)));
        var statement = Write(dir, "statement.json",
            $$$"""{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"app.dll","digest":{"sha256":"{{{sha}}}"}}],"predicateType":"https://example.com/test/v1","predicate":{"note":"ok"}}""");
        var bundle = Path.Combine(dir, "statement.sigstore.json");

        var sign = await CliRunner.RunAsync("sign-bundle", "--in-toto", "--identity-token", s_sigstore.MintToken(Email), "--bundle", bundle,
            "--trusted-root", s_sigstore.TrustedRootPath, "--signing-config", s_sigstore.SigningConfigPath, statement);
        Assert.AreEqual(0, sign.ExitCode, sign.ToString());

        var verify = await CliRunner.RunAsync("verify", "sha256:" + sha, "--bundle", bundle, "--certificate-identity", Email,
            "--certificate-oidc-issuer", s_sigstore.BaseUrl, "--trusted-root", s_sigstore.TrustedRootPath, "--predicate-type", "https://example.com/test/v1", "--output", "json");
        Assert.AreEqual(0, verify.ExitCode, verify.ToString());
        StringAssert.Contains(verify.Output, "https://example.com/test/v1");

        var wrongType = await CliRunner.RunAsync("verify", "sha256:" + sha, "--bundle", bundle, "--certificate-identity", Email,
            "--certificate-oidc-issuer", s_sigstore.BaseUrl, "--trusted-root", s_sigstore.TrustedRootPath, "--predicate-type", "https://slsa.dev/provenance/v1");
        Assert.AreEqual(1, wrongType.ExitCode, wrongType.ToString());

        var js = await SigstoreJs.VerifyAsync(bundle, s_sigstore.TrustedRootPath, Email, s_sigstore.BaseUrl, artifact);
        Assert.AreEqual(0, js.ExitCode, "sigstore-js rejected our DSSE bundle: " + js.Output);
    }

    [TestMethod]
    public async Task Sign_ManyFiles_OneCertificateAndOneBundleEach()
    {
        var dir = NewDirectory();
        var tokenFile = Write(dir, "token.jwt", s_sigstore.MintToken(Email));
        var files = Enumerable.Range(0, 5).Select(i => Write(dir, $"f{i}.bin", $"file {i}")).ToArray();
        var before = s_sigstore.Faults.RequestCount(SigstoreService.Fulcio);

        var run = await CliRunner.RunAsync(["sign", .. files, "--oidc-provider", "env", "--identity-token-file", tokenFile,
            "--trusted-root", s_sigstore.TrustedRootPath, "--signing-config", s_sigstore.SigningConfigPath]);

        Assert.AreEqual(0, run.ExitCode, run.ToString());
        Assert.AreEqual(1, s_sigstore.Faults.RequestCount(SigstoreService.Fulcio) - before, "One certificate serves the whole batch.");
        foreach (var file in files)
        {
            var verify = await CliRunner.RunAsync("verify", file, "--certificate-identity", Email, "--certificate-oidc-issuer", s_sigstore.BaseUrl, "--trusted-root", s_sigstore.TrustedRootPath);
            Assert.AreEqual(0, verify.ExitCode, verify.ToString());
        }
    }

    [TestMethod]
    public async Task SignBundle_WithABadToken_FailsWithACodeLeavesNothingAndNeverEchoesTheToken()
    {
        var dir = NewDirectory();
        var artifact = Write(dir, "artifact.txt", "content");
        var bundle = Path.Combine(dir, "artifact.txt.sigstore.json");
        var sentinel = s_sigstore.MintToken(new TokenRequest { Subject = Email, Audience = "not-sigstore" });

        var run = await CliRunner.RunAsync("sign-bundle", "--identity-token", sentinel, "--bundle", bundle,
            "--trusted-root", s_sigstore.TrustedRootPath, "--signing-config", s_sigstore.SigningConfigPath, artifact);

        Assert.AreEqual(1, run.ExitCode, run.ToString());
        StringAssert.Matches(run.Error, new System.Text.RegularExpressions.Regex(@"error SSB[12]\d{3}: "));
        Assert.DoesNotContain(sentinel, run.Output + run.Error, "The identity token must never be printed.");
        Assert.DoesNotContain(sentinel.Split('.')[1], run.Output + run.Error, "Not even the token's claims segment.");
        Assert.IsFalse(File.Exists(bundle), "No bundle after a failure.");
        Assert.HasCount(1, Directory.GetFiles(dir), "No temporary files left behind.");
    }

    [TestMethod]
    public async Task Verify_ABundleRepeatingItsLogEntryAndTimestamp_CountsEachOnceInTheOkLine()
    {
        var dir = NewDirectory();
        var artifact = Write(dir, "artifact.txt", "evidence counted once");
        var bundle = Path.Combine(dir, "artifact.txt.sigstore.json");
        var sign = await CliRunner.RunAsync("sign-bundle", "--identity-token", s_sigstore.MintToken(Email), "--bundle", bundle,
            "--trusted-root", s_sigstore.TrustedRootPath, "--signing-config", s_sigstore.SigningConfigPath, artifact);
        Assert.AreEqual(0, sign.ExitCode, sign.ToString());
        string[] verify = ["verify", artifact, "--bundle", bundle, "--certificate-identity", Email, "--certificate-oidc-issuer", s_sigstore.BaseUrl, "--trusted-root", s_sigstore.TrustedRootPath];
        var once = await CliRunner.RunAsync(verify);
        StringAssert.Contains(once.Output, "; 1 distinct log entry, 2 distinct verified times" + Environment.NewLine, once.ToString());

        var json = JsonNode.Parse(File.ReadAllText(bundle))!;
        var entries = json["verificationMaterial"]!["tlogEntries"]!.AsArray();
        entries.Add(entries[0]!.DeepClone());
        var tokens = json["verificationMaterial"]!["timestampVerificationData"]!["rfc3161Timestamps"]!.AsArray();
        tokens.Add(tokens[0]!.DeepClone());
        File.WriteAllText(bundle, json.ToJsonString());

        var twice = await CliRunner.RunAsync(verify);
        Assert.AreEqual(0, twice.ExitCode, twice.ToString());
        StringAssert.Contains(twice.Output, "; 1 distinct log entry, 2 distinct verified times (2 repeated in the bundle, counted once)", twice.ToString());
        var conformance = await CliRunner.RunAsync("verify-bundle", "--bundle", bundle, "--certificate-identity", Email,
            "--certificate-oidc-issuer", s_sigstore.BaseUrl, "--trusted-root", s_sigstore.TrustedRootPath, artifact);
        StringAssert.Contains(conformance.Error, "OK: signed by " + Email, conformance.ToString());
        StringAssert.Contains(conformance.Error, "1 distinct log entry, 2 distinct verified times (2 repeated", conformance.ToString());
    }

    private string NewDirectory() => Directory.CreateDirectory(Path.Combine(s_root, TestContext.TestName + "-" + Guid.NewGuid().ToString("N")[..6])).FullName;

    private static string Write(string dir, string name, string content)
    {
        var path = Path.Combine(dir, name);
        File.WriteAllText(path, content, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
        return path;
    }
}
