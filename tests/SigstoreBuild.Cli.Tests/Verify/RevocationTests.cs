using System.Security.Cryptography;
using System.Text.Json.Nodes;
using SigstoreBuild.Cli.Tests.Infrastructure;
using SigstoreBuild.LocalStack;

namespace SigstoreBuild.Cli.Tests.Verify;

/// <summary>
/// <c>--revocations</c>: a signature that verifies is still refused (SSB3490) when a revocation names it: its identity
/// within a window of verified time, its digest, its log entry, or its key. Signatures outside the revocation still
/// verify, and a document that cannot be read fails (SSB3491) instead of revoking nothing.
/// </summary>
[TestClass]
public sealed class RevocationTests
{
    private const string Publisher = "publisher@example.com";
    private static LocalSigstore s_sigstore = null!;
    private static string s_root = null!;
    private static string s_file = null!;

    public TestContext TestContext { get; set; } = null!;

    [ClassInitialize]
    public static async Task StartAsync(TestContext context)
    {
        s_root = Directory.CreateTempSubdirectory("ssb-cli-revocation-").FullName;
        s_sigstore = await LocalSigstore.StartAsync(Path.Combine(s_root, "instance"), 0, context.CancellationToken);
        s_file = Path.Combine(s_root, "artifact.txt");
        await File.WriteAllTextAsync(s_file, "released, then revoked", context.CancellationToken);
        var sign = await CliRunner.RunAsync("sign-bundle", "--identity-token", s_sigstore.MintToken(Publisher), "--bundle", s_file + ".sigstore.json",
            "--trusted-root", s_sigstore.TrustedRootPath, "--signing-config", s_sigstore.SigningConfigPath, s_file);
        Assert.AreEqual(0, sign.ExitCode, sign.ToString());
    }

    [ClassCleanup]
    public static async Task StopAsync()
    {
        await s_sigstore.DisposeAsync();
        Directory.Delete(s_root, recursive: true);
    }

    [TestMethod]
    [DataRow(-60, 60, true, DisplayName = "window around the signing: revoked")]
    [DataRow(-600, -300, false, DisplayName = "window that ended before it: still trusted")]
    [DataRow(300, 600, false, DisplayName = "window that starts after it: still trusted")]
    public async Task IdentityWithinAWindowOfVerifiedTime(int fromMinutes, int untilMinutes, bool revoked)
    {
        var now = DateTimeOffset.UtcNow;
        var list = Write(new JsonObject
        {
            ["identity"] = new JsonObject { ["issuer"] = s_sigstore.BaseUrl, ["subject"] = Publisher },
            ["signedFrom"] = Time(now.AddMinutes(fromMinutes)),
            ["signedUntil"] = Time(now.AddMinutes(untilMinutes)),
            ["reason"] = "release workflow hijacked",
        });

        var run = await VerifyAsync("--revocations", list);

        if (revoked)
        {
            AssertRevoked(run, "release workflow hijacked");
        }
        else
        {
            Assert.AreEqual(0, run.ExitCode, run.ToString());
        }
    }

    [TestMethod]
    public async Task IdentityByRegex_AndAnotherIdentityIsNotRevoked()
    {
        AssertRevoked(await VerifyAsync("--revocations", Write(new JsonObject { ["identity"] = new JsonObject { ["issuer"] = s_sigstore.BaseUrl, ["subjectRegex"] = "publisher@.*" } })), "publisher@");
        Assert.AreEqual(0, (await VerifyAsync("--revocations", Write(new JsonObject { ["identity"] = new JsonObject { ["issuer"] = s_sigstore.BaseUrl, ["subject"] = "other@example.com" } }))).ExitCode);
        Assert.AreEqual(0, (await VerifyAsync("--revocations", Write(new JsonObject { ["identity"] = new JsonObject { ["issuer"] = "https://other.example", ["subject"] = Publisher } }))).ExitCode, "another issuer's identity of the same name");
    }

    [TestMethod]
    public async Task IdentityNarrowedByAFulcioExtension_RevokesOnlyThatWorkflowRef()
    {
        // Signed from a GitHub Actions-style identity on refs/heads/main: its certificate carries the ref as an extension.
        var file = Path.Combine(s_root, Guid.NewGuid().ToString("N") + ".txt");
        await File.WriteAllTextAsync(file, "built by a workflow");
        var sign = await CliRunner.RunAsync("sign-bundle", "--identity-token", s_sigstore.MintGitHubActionsToken(reference: "refs/heads/main"), "--bundle", file + ".sigstore.json",
            "--trusted-root", s_sigstore.TrustedRootPath, "--signing-config", s_sigstore.SigningConfigPath, file);
        Assert.AreEqual(0, sign.ExitCode, sign.ToString());

        Task<CliRun> Verify(string reference) => CliRunner.RunAsync("verify", file, "--certificate-identity-regexp", "https://github\\.com/octo-org/.*",
            "--certificate-oidc-issuer", s_sigstore.BaseUrl, "--trusted-root", s_sigstore.TrustedRootPath, "--revocations", Write(new JsonObject
            {
                ["identity"] = new JsonObject
                {
                    ["issuer"] = s_sigstore.BaseUrl,
                    ["subjectRegex"] = "https://github\\.com/octo-org/.*",
                    ["extensions"] = new JsonObject { ["sourceRepositoryRef"] = reference },
                },
            }));

        AssertRevoked(await Verify("refs/heads/main"), "with sourceRepositoryRef 'refs/heads/main'");
        var other = await Verify("refs/heads/compromised-branch");
        Assert.AreEqual(0, other.ExitCode, "a revocation pinned to another ref leaves this signature trusted: " + other);
    }

    [TestMethod]
    public async Task Digest_AndLogEntry()
    {
        var digest = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(await File.ReadAllBytesAsync(s_file)));
        AssertRevoked(await VerifyAsync("--revocations", Write(new JsonObject { ["digest"] = digest })), digest);
        Assert.AreEqual(0, (await VerifyAsync("--revocations", Write(new JsonObject { ["digest"] = "sha256:" + new string('0', 64) }))).ExitCode);

        var entry = JsonNode.Parse(await File.ReadAllTextAsync(s_file + ".sigstore.json"))!["verificationMaterial"]!["tlogEntries"]![0]!;
        var logId = Convert.ToHexStringLower(Convert.FromBase64String((string)entry["logId"]!["keyId"]!));
        var index = long.Parse((string)entry["logIndex"]!, System.Globalization.CultureInfo.InvariantCulture);
        AssertRevoked(await VerifyAsync("--revocations", Write(new JsonObject { ["logEntry"] = new JsonObject { ["logId"] = logId, ["logIndex"] = index } })), $"log entry {index}");
        Assert.AreEqual(0, (await VerifyAsync("--revocations", Write(new JsonObject { ["logEntry"] = new JsonObject { ["logId"] = logId, ["logIndex"] = index + 1 } }))).ExitCode);
    }

    [TestMethod]
    public async Task Key()
    {
        var prefix = Path.Combine(s_root, "key-" + Guid.NewGuid().ToString("N"));
        Assert.AreEqual(0, (await CliRunner.RunAsync("generate-key-pair", "--output-key-prefix", prefix)).ExitCode);
        var file = Path.Combine(s_root, Guid.NewGuid().ToString("N") + ".txt");
        await File.WriteAllTextAsync(file, "key-signed");
        var sign = await CliRunner.RunAsync("sign", file, "--key", prefix + ".key", "--trusted-root", s_sigstore.TrustedRootPath, "--signing-config", s_sigstore.SigningConfigPath);
        Assert.AreEqual(0, sign.ExitCode, sign.ToString());
        var spki = PemDecode(await File.ReadAllTextAsync(prefix + ".pub"));
        var list = Write(new JsonObject { ["key"] = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(spki)) });

        var run = await CliRunner.RunAsync("verify", file, "--key", prefix + ".pub", "--trusted-root", s_sigstore.TrustedRootPath, "--revocations", list);

        AssertRevoked(run, "the key sha256:");
    }

    [TestMethod]
    [DataRow("{\"revocations\": [{\"digest\": \"sha256:00\"}]}", "sha256:<64 hex digits>")]
    [DataRow("{\"revocations\": [{\"reason\": \"names nothing\"}]}", "exactly one of")]
    [DataRow("{\"revocations\": [{\"digest\": \"sha256:0000000000000000000000000000000000000000000000000000000000000000\", \"logIndex\": 1}]}", "unknown field 'logIndex'")]
    [DataRow("{\"revocations\": [{\"identity\": {\"issuer\": \"x\", \"subject\": \"y\"}, \"signedFrom\": \"yesterday\"}]}", "RFC 3339")]
    [DataRow("{\"revoked\": []}", "unknown field 'revoked'")]
    [DataRow("not json", "invalid")]
    [DataRow("{\"revocations\": [{\"identity\": {\"issuer\": \"\", \"subject\": \"y\"}}]}", "issuer")]
    [DataRow("{\"revocations\": [{\"logEntry\": {\"logId\": null, \"logIndex\": 1}}]}", "invalid")]
    [DataRow("{\"revocations\": [{\"identity\": {\"issuer\": \"x\", \"subject\": \"y\", \"extensions\": {\"workflowColour\": \"red\"}}}]}", "extensions.workflowColour is not a Fulcio extension")]
    [DataRow("{\"revocations\": [{\"identity\": {\"issuer\": \"x\", \"subject\": \"y\", \"extensions\": {\"issuer\": \"x\"}}}]}", "extensions.issuer is not a Fulcio extension")]
    [DataRow("{\"revocations\": [{\"identity\": {\"issuer\": \"x\", \"subject\": \"y\", \"extensions\": {\"sourceRepositoryRef\": 1}}}]}", "extensions.sourceRepositoryRef is not a Fulcio extension")]
    public async Task AListThatCannotBeRead_FailsInsteadOfRevokingNothing(string content, string why)
    {
        var path = Path.Combine(s_root, Guid.NewGuid().ToString("N") + ".json");
        await File.WriteAllTextAsync(path, content);

        var run = await VerifyAsync("--revocations", path);

        Assert.AreEqual(1, run.ExitCode, run.ToString());
        StringAssert.StartsWith(run.Error, "error SSB3491: ");
        StringAssert.Contains(run.Error, why);
    }

    [TestMethod]
    public async Task APublishedDocument_SignedByTheExpectedIdentity_Applies_AndOneSignedByAnotherIsRefused()
    {
        var digest = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(await File.ReadAllBytesAsync(s_file)));
        using var server = new LoopbackServer();
        Serve(server, "/publisher/revocations.json", await SignPublishedAsync(digest, Publisher));
        Serve(server, "/other/revocations.json", await SignPublishedAsync(digest, "other@example.com"));

        AssertRevoked(await VerifyAsync("--revocations", new Uri(server.BaseUrl, "publisher/revocations.json").ToString()), digest);

        var refused = await VerifyAsync("--revocations", new Uri(server.BaseUrl, "other/revocations.json").ToString());
        Assert.AreEqual(1, refused.ExitCode, refused.ToString());
        StringAssert.StartsWith(refused.Error, "error SSB3494: ");
        StringAssert.Contains(refused.Error, "other@example.com");
    }

    [TestMethod]
    public async Task APublishedDocument_ThatDoesNotVerifyOrCannotBeFetched_Fails()
    {
        var digest = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(await File.ReadAllBytesAsync(s_file)));
        using var server = new LoopbackServer();
        var (document, bundle) = await SignPublishedAsync(digest, Publisher);
        Serve(server, "/tampered.json", (System.Text.Encoding.UTF8.GetBytes("{\"revocations\": []}"), bundle));

        var tampered = await VerifyAsync("--revocations", new Uri(server.BaseUrl, "tampered.json").ToString());
        Assert.AreEqual(1, tampered.ExitCode, tampered.ToString());
        StringAssert.StartsWith(tampered.Error, "error SSB3493: ");

        var missing = await VerifyAsync("--revocations", new Uri(server.BaseUrl, "missing.json").ToString());
        Assert.AreEqual(1, missing.ExitCode, missing.ToString());
        StringAssert.StartsWith(missing.Error, "error SSB3492: ");
        Assert.IsNotEmpty(document);
    }

    /// <summary>Writes a document revoking <paramref name="digest"/> and signs it as its publisher would: 'sigstore sign FILE'.</summary>
    private async Task<(byte[] Document, byte[] Bundle)> SignPublishedAsync(string digest, string signer)
    {
        var path = Write(new JsonObject { ["digest"] = digest, ["reason"] = "published" });
        var token = path + ".token";
        await File.WriteAllTextAsync(token, s_sigstore.MintToken(signer), TestContext.CancellationToken);
        var sign = await CliRunner.RunAsync("sign", path, "--identity-token-file", token, "--trusted-root", s_sigstore.TrustedRootPath, "--signing-config", s_sigstore.SigningConfigPath);
        Assert.AreEqual(0, sign.ExitCode, sign.ToString());
        return (await File.ReadAllBytesAsync(path, TestContext.CancellationToken), await File.ReadAllBytesAsync(path + ".sigstore.json", TestContext.CancellationToken));
    }

    /// <summary>Serves a document at <paramref name="path"/> and its bundle beside it, where 'sigstore sign' puts it.</summary>
    private static void Serve(LoopbackServer server, string path, (byte[] Document, byte[] Bundle) signed)
    {
        server.Routes[path] = (200, signed.Document);
        server.Routes[path + ".sigstore.json"] = (200, signed.Bundle);
    }

    private static void AssertRevoked(CliRun run, string names)
    {
        Assert.AreEqual(1, run.ExitCode, run.ToString());
        StringAssert.StartsWith(run.Error, "error SSB3490: ");
        StringAssert.Contains(run.Error, names);
        StringAssert.Contains(run.Error, "Its verified times: ");
    }

    private static Task<CliRun> VerifyAsync(params string[] more) =>
        CliRunner.RunAsync(["verify", s_file, "--certificate-identity", Publisher, "--certificate-oidc-issuer", s_sigstore.BaseUrl, "--trusted-root", s_sigstore.TrustedRootPath, .. more]);

    private static string Write(JsonObject revocation)
    {
        var path = Path.Combine(s_root, Guid.NewGuid().ToString("N") + ".revocations.json");
        File.WriteAllText(path, new JsonObject { ["revocations"] = new JsonArray { (JsonNode)revocation } }.ToJsonString());
        return path;
    }

    private static string Time(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);

    private static byte[] PemDecode(string pem)
    {
        var fields = System.Security.Cryptography.PemEncoding.Find(pem);
        return Convert.FromBase64String(pem[fields.Base64Data]);
    }
}
