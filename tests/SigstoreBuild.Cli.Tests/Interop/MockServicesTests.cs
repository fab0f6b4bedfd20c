using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using SigstoreBuild.Cli.Tests.Infrastructure;

namespace SigstoreBuild.Cli.Tests.Interop;

/// <summary>
/// Signs against sigstore-js's own mocked Fulcio, Rekor v1 and TSA (@sigstore/mock, served by tests/interop/mock-server.mjs)
/// and verifies the bundles with sigstore-js and with our verifier: our client speaks another implementation's wire formats.
/// </summary>
[TestClass]
public sealed class MockServicesTests
{
    private const string Issuer = "https://issuer.mock.test";
    private const string Subject = "https://mock.test/signer";

    private static Process? s_server;
    private static string s_root = null!;
    private static string s_trustedRoot = null!;
    private static string s_signingConfig = null!;

    public TestContext TestContext { get; set; } = null!;

    [ClassInitialize]
    public static async Task StartAsync(TestContext context)
    {
        s_root = Directory.CreateTempSubdirectory("ssb-mock-").FullName;
        if (!Directory.Exists(Path.Combine(SigstoreJs.InteropDirectory, "node_modules", "@sigstore", "mock")))
        {
            return; // each test reports it through RequireInstalled
        }

        var services = Directory.CreateDirectory(Path.Combine(s_root, "services")).FullName;
        var start = new ProcessStartInfo("node")
        {
            WorkingDirectory = SigstoreJs.InteropDirectory,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add("mock-server.mjs");
        start.ArgumentList.Add(services);
        s_server = Process.Start(start)!;
        var stderr = s_server.StandardError.ReadToEndAsync(context.CancellationToken);
        var baseUrl = await s_server.StandardOutput.ReadLineAsync(context.CancellationToken);
        if (baseUrl is null || !baseUrl.StartsWith("http://127.0.0.1:", StringComparison.Ordinal))
        {
            await s_server.WaitForExitAsync(context.CancellationToken);
            Assert.Fail($"mock-server.mjs did not start: {await stderr}");
        }

        s_trustedRoot = Path.Combine(services, "trusted_root.json");
        s_signingConfig = Path.Combine(services, "signing_config.json");
    }

    [ClassCleanup]
    public static async Task StopAsync()
    {
        if (s_server is { } server)
        {
            server.StandardInput.Close(); // the server exits when its stdin closes
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try
            {
                await server.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                server.Kill();
            }

            server.Dispose();
        }

        Directory.Delete(s_root, recursive: true);
    }

    [TestMethod]
    public async Task MessageSignature_FromTheMockServices_VerifiesWithSigstoreJsAndOurVerifier()
    {
        SigstoreJs.RequireInstalled("mock");
        var dir = NewDirectory();
        var artifact = Write(dir, "artifact.txt", "signed against @sigstore/mock");
        var bundle = Path.Combine(dir, "artifact.txt.sigstore.json");

        var sign = await CliRunner.RunAsync("sign-bundle", "--identity-token", MintToken(), "--bundle", bundle,
            "--trusted-root", s_trustedRoot, "--signing-config", s_signingConfig, artifact);
        Assert.AreEqual(0, sign.ExitCode, sign.ToString());
        AssertHasTlogEntryAndTimestamp(bundle, "hashedrekord");

        await AssertBothVerifiersAcceptAsync(bundle, artifact);
        await AssertBothVerifiersRejectAsync(bundle, artifact, Subject + "/mallory", "another identity");

        File.AppendAllText(artifact, "!");
        await AssertBothVerifiersRejectAsync(bundle, artifact, Subject, "a changed artifact");
    }

    [TestMethod]
    public async Task InTotoAttestation_FromTheMockServices_VerifiesWithSigstoreJsAndOurVerifier()
    {
        SigstoreJs.RequireInstalled("mock");
        var dir = NewDirectory();
        var artifact = Write(dir, "app.dll", "pretend assembly");
        var sha = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(artifact)));
        var statement = Write(dir, "statement.json",
            $$$"""{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"app.dll","digest":{"sha256":"{{{sha}}}"}}],"predicateType":"https://example.com/mock/v1","predicate":{"note":"ok"}}""");
        var bundle = Path.Combine(dir, "statement.sigstore.json");

        var sign = await CliRunner.RunAsync("sign-bundle", "--in-toto", "--identity-token", MintToken(), "--bundle", bundle,
            "--trusted-root", s_trustedRoot, "--signing-config", s_signingConfig, statement);
        Assert.AreEqual(0, sign.ExitCode, sign.ToString());
        AssertHasTlogEntryAndTimestamp(bundle, "dsse");

        await AssertBothVerifiersAcceptAsync(bundle, artifact);
        await AssertBothVerifiersRejectAsync(bundle, artifact, Subject + "/mallory", "another identity");

        // Our verifier also checks the artifact against the statement's subjects.
        File.AppendAllText(artifact, "!");
        var changed = await CliRunner.RunAsync("verify-bundle", "--bundle", bundle, "--certificate-identity", Subject,
            "--certificate-oidc-issuer", Issuer, "--trusted-root", s_trustedRoot, artifact);
        Assert.AreEqual(1, changed.ExitCode, "An artifact that is no subject of the statement must be rejected: " + changed);
    }

    [TestMethod]
    public async Task SigstoreJsSignatures_FromTheMockServices_VerifyWithOurVerifier()
    {
        SigstoreJs.RequireInstalled("mock");
        var dir = NewDirectory();
        var artifact = Write(dir, "artifact.txt", "signed by sigstore-js against @sigstore/mock");
        var (message, dsse) = await SigstoreJs.SignAsync(s_signingConfig, MintToken(), dir, artifact);

        // The mock proves every entry as the only leaf of a tree: proof index 0 and no hashes, both omitted.
        foreach (var bundle in new[] { message, dsse })
        {
            var proof = SigstoreJsSignedBundlesTests.TlogEntry(bundle).GetProperty("inclusionProof");
            Assert.IsFalse(proof.TryGetProperty("logIndex", out _) || proof.TryGetProperty("hashes", out _), "sigstore-js omits the defaults");
            await AssertBothVerifiersAcceptAsync(bundle, artifact);
            await AssertBothVerifiersRejectAsync(bundle, artifact, Subject + "/mallory", "another identity");
        }
    }

    private static async Task AssertBothVerifiersAcceptAsync(string bundle, string artifact)
    {
        var ours = await CliRunner.RunAsync("verify-bundle", "--bundle", bundle, "--certificate-identity", Subject,
            "--certificate-oidc-issuer", Issuer, "--trusted-root", s_trustedRoot, artifact);
        Assert.AreEqual(0, ours.ExitCode, "Our verifier rejected the mock-signed bundle: " + ours);

        var js = await SigstoreJs.VerifyAsync(bundle, s_trustedRoot, Subject, Issuer, artifact);
        Assert.AreEqual(0, js.ExitCode, "sigstore-js rejected the mock-signed bundle: " + js.Output);
    }

    private static async Task AssertBothVerifiersRejectAsync(string bundle, string artifact, string identity, string what)
    {
        var ours = await CliRunner.RunAsync("verify-bundle", "--bundle", bundle, "--certificate-identity", identity,
            "--certificate-oidc-issuer", Issuer, "--trusted-root", s_trustedRoot, artifact);
        Assert.AreEqual(1, ours.ExitCode, $"Our verifier must reject {what}: {ours}");

        var js = await SigstoreJs.VerifyAsync(bundle, s_trustedRoot, identity, Issuer, artifact);
        Assert.AreNotEqual(0, js.ExitCode, $"sigstore-js must reject {what}: {js.Output}");
    }

    private static void AssertHasTlogEntryAndTimestamp(string bundle, string kind)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(bundle));
        var material = doc.RootElement.GetProperty("verificationMaterial");
        var entry = material.GetProperty("tlogEntries")[0];
        Assert.AreEqual(kind, entry.GetProperty("kindVersion").GetProperty("kind").GetString());
        Assert.IsTrue(entry.TryGetProperty("inclusionPromise", out _), "Rekor v1 entries carry a signed entry timestamp.");
        Assert.IsGreaterThan(0, material.GetProperty("timestampVerificationData").GetProperty("rfc3161Timestamps").GetArrayLength());
    }

    /// <summary>The mock Fulcio decodes the token without checking its signature; an HS256 JWT has the right shape.</summary>
    private static string MintToken()
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var header = Base64Url(JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object> { ["alg"] = "HS256", ["typ"] = "JWT" }));
        var payload = Base64Url(JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object>
        {
            ["iss"] = Issuer,
            ["sub"] = Subject,
            ["aud"] = "sigstore",
            ["iat"] = now,
            ["exp"] = now + 600,
        }));
        var signature = Base64Url(HMACSHA256.HashData(RandomNumberGenerator.GetBytes(32), Encoding.ASCII.GetBytes(header + "." + payload)));
        return header + "." + payload + "." + signature;
    }

    private static string Base64Url(byte[] data) => Convert.ToBase64String(data).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private string NewDirectory() => Directory.CreateDirectory(Path.Combine(s_root, TestContext.TestName + "-" + Guid.NewGuid().ToString("N")[..6])).FullName;

    private static string Write(string dir, string name, string content)
    {
        var path = Path.Combine(dir, name);
        File.WriteAllText(path, content, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
        return path;
    }
}
