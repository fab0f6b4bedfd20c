using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using SigstoreBuild.Cli.Tests.Infrastructure;
using SigstoreBuild.LocalStack;

namespace SigstoreBuild.Cli.Tests.Signing;

/// <summary>
/// Key-based signing (<c>generate-key-pair</c>, <c>sign --key</c>, <c>attest --key</c>) against the local Sigstore
/// instance: real keys, a real Rekor and TSA on loopback; the bundles verified by <c>verify-bundle --key</c>,
/// <c>verify --key</c> and sigstore-js.
/// </summary>
[TestClass]
public sealed class KeySigningTests
{
    private const string PasswordVariable = "SIGSTORE_PRIVATE_KEY_PASSWORD";
    private const string PredicateType = "https://example.com/key-test/v1";
    private static LocalSigstore s_sigstore = null!;
    private static string s_root = null!;

    public TestContext TestContext { get; set; } = null!;

    [ClassInitialize]
    public static async Task StartAsync(TestContext context)
    {
        s_root = Directory.CreateTempSubdirectory("ssb-cli-keys-").FullName;
        s_sigstore = await LocalSigstore.StartAsync(Path.Combine(s_root, "instance"), 0, context.CancellationToken);
    }

    [ClassCleanup]
    public static async Task StopAsync()
    {
        await s_sigstore.DisposeAsync();
        Directory.Delete(s_root, recursive: true);
    }

    [TestMethod]
    public async Task GenerateKeyPair_WritesPkcs8PemFilesWithAnOwnerOnlyPrivateKey()
    {
        var prefix = Path.Combine(NewDirectory(), "release");

        var run = await WithPasswordAsync(null, () => CliRunner.RunAsync("generate-key-pair", "--output-key-prefix", prefix));

        Assert.AreEqual(0, run.ExitCode, run.ToString());
        StringAssert.Contains(run.Error, "warning SSB2503", "an unencrypted private key is worth a warning");
        StringAssert.Contains(run.Error, PasswordVariable);
        var privatePem = File.ReadAllText(prefix + ".key");
        var publicPem = File.ReadAllText(prefix + ".pub");
        StringAssert.StartsWith(privatePem, "-----BEGIN PRIVATE KEY-----");
        StringAssert.StartsWith(publicPem, "-----BEGIN PUBLIC KEY-----");
        using var key = ECDsa.Create();
        key.ImportFromPem(privatePem);
        Assert.AreEqual(256, key.KeySize, "ecdsa-p256 is the default");
        CollectionAssert.AreEqual(key.ExportSubjectPublicKeyInfo(), PemBody(publicPem), "the .pub file is the private key's public half");
        if (!OperatingSystem.IsWindows())
        {
            Assert.AreEqual(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(prefix + ".key"));
        }

        Assert.IsEmpty(Directory.GetFiles(Path.GetDirectoryName(prefix)!, "*.tmp", new EnumerationOptions { AttributesToSkip = 0 }), "no temporary file is left behind");

        var json = await WithPasswordAsync(null, () => CliRunner.RunAsync("generate-key-pair", "--output-key-prefix", prefix + "-2", "--output", "json"));
        Assert.AreEqual(0, json.ExitCode, json.ToString());
        var printed = JsonNode.Parse(json.Output)!;
        Assert.AreEqual(prefix + "-2.pub", printed["publicKey"]?.GetValue<string>());
        Assert.AreEqual(Convert.ToBase64String(SHA256.HashData(PemBody(File.ReadAllText(prefix + "-2.pub")))), printed["hint"]?.GetValue<string>());
    }

    [TestMethod]
    public async Task GenerateKeyPair_RefusesToOverwriteEitherFile()
    {
        var prefix = Path.Combine(NewDirectory(), "release");
        Assert.AreEqual(0, (await WithPasswordAsync(null, () => CliRunner.RunAsync("generate-key-pair", "--output-key-prefix", prefix))).ExitCode);
        var privateBefore = File.ReadAllText(prefix + ".key");
        var publicBefore = File.ReadAllText(prefix + ".pub");

        var again = await WithPasswordAsync(null, () => CliRunner.RunAsync("generate-key-pair", "--output-key-prefix", prefix, "--algorithm", "ecdsa-p384"));
        File.Delete(prefix + ".key");
        var publicOnly = await WithPasswordAsync(null, () => CliRunner.RunAsync("generate-key-pair", "--output-key-prefix", prefix));

        Assert.AreEqual(1, again.ExitCode, again.ToString());
        StringAssert.Contains(again.Error, "error SSB2054");
        Assert.AreEqual(1, publicOnly.ExitCode, publicOnly.ToString());
        StringAssert.Contains(publicOnly.Error, "error SSB2054");
        Assert.AreEqual(publicBefore, File.ReadAllText(prefix + ".pub"), "the existing public key is kept");
        Assert.IsFalse(File.Exists(prefix + ".key"), "no private key is written when its public key cannot be");
        Assert.AreNotEqual(string.Empty, privateBefore);
    }

    [TestMethod]
    public async Task EncryptedKey_SignsOnlyWithTheRightPassword()
    {
        var dir = NewDirectory();
        var prefix = Path.Combine(dir, "secret");
        var generate = await WithPasswordAsync("correct horse", () => CliRunner.RunAsync("generate-key-pair", "--output-key-prefix", prefix));
        Assert.AreEqual(0, generate.ExitCode, generate.ToString());
        Assert.DoesNotContain("SSB2503", generate.Error, "an encrypted key needs no warning");
        StringAssert.StartsWith(File.ReadAllText(prefix + ".key"), "-----BEGIN ENCRYPTED PRIVATE KEY-----");
        Assert.DoesNotContain("correct horse", generate.Output + generate.Error, "the password is never printed");
        var artifact = Write(dir, "artifact.txt", "signed with an encrypted key");

        var missing = await WithPasswordAsync(null, () => Sign(prefix + ".key", artifact));
        var wrong = await WithPasswordAsync("battery staple", () => Sign(prefix + ".key", artifact));
        Assert.IsFalse(File.Exists(artifact + ".sigstore.json"), "no bundle without the password");
        var right = await WithPasswordAsync("correct horse", () => Sign(prefix + ".key", artifact));

        Assert.AreEqual(1, missing.ExitCode, missing.ToString());
        StringAssert.Contains(missing.Error, "error SSB2051");
        StringAssert.Contains(missing.Error, PasswordVariable);
        Assert.AreEqual(1, wrong.ExitCode, wrong.ToString());
        StringAssert.Contains(wrong.Error, "error SSB2052");
        StringAssert.Contains(wrong.Error, PasswordVariable);
        Assert.DoesNotContain("battery staple", wrong.Output + wrong.Error);
        Assert.AreEqual(0, right.ExitCode, right.ToString());
        var verify = await CliRunner.RunAsync("verify-bundle", "--bundle", artifact + ".sigstore.json", "--key", prefix + ".pub", "--trusted-root", s_sigstore.TrustedRootPath, artifact);
        Assert.AreEqual(0, verify.ExitCode, verify.ToString());
    }

    [TestMethod]
    [DataRow("ecdsa-p256", false)]
    [DataRow("ecdsa-p384", false)]
    [DataRow("ecdsa-p256", true)]
    public async Task SignWithKey_VerifiesWithThatKeyOnly(string algorithm, bool rekorV2)
    {
        var dir = NewDirectory();
        var prefix = await GenerateAsync(dir, "signer", algorithm);
        var otherPrefix = await GenerateAsync(dir, "other", algorithm);
        var artifact = Write(dir, "artifact.txt", "key-signed artifact");
        var bundle = artifact + ".sigstore.json";

        var sign = await WithPasswordAsync(null, () => CliRunner.RunAsync("sign", artifact, "--key", prefix + ".key", "--trusted-root", s_sigstore.TrustedRootPath,
            "--signing-config", rekorV2 ? s_sigstore.SigningConfigRekorV2Path : s_sigstore.SigningConfigPath));
        Assert.AreEqual(0, sign.ExitCode, sign.ToString());

        var json = JsonNode.Parse(File.ReadAllText(bundle))!;
        var material = json["verificationMaterial"]!;
        var spki = PemBody(File.ReadAllText(prefix + ".pub"));
        Assert.AreEqual(Convert.ToBase64String(SHA256.HashData(spki)), material["publicKey"]?["hint"]?.GetValue<string>(), "the hint is base64(SHA-256(SPKI)), as sigstore-go and cosign write it");
        Assert.IsNull(material["certificate"], "a key-signed bundle carries no certificate");
        Assert.AreEqual("hashedrekord", material["tlogEntries"]?[0]?["kindVersion"]?["kind"]?.GetValue<string>());
        Assert.AreEqual(algorithm == "ecdsa-p384" ? "SHA2_384" : "SHA2_256", json["messageSignature"]?["messageDigest"]?["algorithm"]?.GetValue<string>());
        Assert.IsNotNull(material["timestampVerificationData"]?["rfc3161Timestamps"]?[0], "the instance's TSA time-stamps the signature, as for keyless signing");

        var verifyBundle = await CliRunner.RunAsync("verify-bundle", "--bundle", bundle, "--key", prefix + ".pub", "--trusted-root", s_sigstore.TrustedRootPath, artifact);
        var verify = await CliRunner.RunAsync("verify", artifact, "--bundle", bundle, "--key", prefix + ".pub", "--trusted-root", s_sigstore.TrustedRootPath);
        var wrongKey = await CliRunner.RunAsync("verify", artifact, "--bundle", bundle, "--key", otherPrefix + ".pub", "--trusted-root", s_sigstore.TrustedRootPath);
        var asKeyless = await CliRunner.RunAsync("verify", artifact, "--bundle", bundle, "--certificate-identity", "someone@example.com",
            "--certificate-oidc-issuer", s_sigstore.BaseUrl, "--trusted-root", s_sigstore.TrustedRootPath);
        File.AppendAllText(artifact, "!");
        var tampered = await CliRunner.RunAsync("verify-bundle", "--bundle", bundle, "--key", prefix + ".pub", "--trusted-root", s_sigstore.TrustedRootPath, artifact);

        Assert.AreEqual(0, verifyBundle.ExitCode, verifyBundle.ToString());
        Assert.AreEqual(0, verify.ExitCode, verify.ToString());
        StringAssert.Contains(verify.Output, "key sha256:" + Convert.ToHexStringLower(SHA256.HashData(spki)));
        Assert.AreEqual(1, wrongKey.ExitCode, wrongKey.ToString());
        StringAssert.Contains(wrongKey.Error, "error SSB3401");
        Assert.AreEqual(1, asKeyless.ExitCode, asKeyless.ToString());
        Assert.AreEqual(1, tampered.ExitCode, tampered.ToString());
        StringAssert.Contains(tampered.Error, "error SSB3");
    }

    [TestMethod]
    public async Task SignWithKey_SignsEveryFileOrNone()
    {
        var dir = NewDirectory();
        var prefix = await GenerateAsync(dir, "signer", "ecdsa-p256");
        var files = Enumerable.Range(0, 3).Select(i => Write(dir, $"f{i}.bin", $"file {i}")).ToArray();
        var missing = Path.Combine(dir, "missing.bin");

        var partial = await WithPasswordAsync(null, () => CliRunner.RunAsync(["sign", .. files, missing, "--key", prefix + ".key", "--trusted-root", s_sigstore.TrustedRootPath, "--signing-config", s_sigstore.SigningConfigPath]));
        Assert.AreEqual(1, partial.ExitCode, partial.ToString());
        StringAssert.Contains(partial.Error, "error SSB2043");
        Assert.IsFalse(files.Any(f => File.Exists(f + ".sigstore.json")), "no bundle is written unless every file was signed");

        var all = await WithPasswordAsync(null, () => CliRunner.RunAsync(["sign", .. files, "--key", prefix + ".key", "--trusted-root", s_sigstore.TrustedRootPath, "--signing-config", s_sigstore.SigningConfigPath]));
        Assert.AreEqual(0, all.ExitCode, all.ToString());
        foreach (var file in files)
        {
            var verify = await CliRunner.RunAsync("verify", file, "--key", prefix + ".pub", "--trusted-root", s_sigstore.TrustedRootPath);
            Assert.AreEqual(0, verify.ExitCode, verify.ToString());
        }
    }

    [TestMethod]
    public async Task SignWithKey_NeedsNoCertificateAuthorityInTheSigningConfig()
    {
        var dir = NewDirectory();
        var prefix = await GenerateAsync(dir, "signer", "ecdsa-p256");
        var artifact = Write(dir, "artifact.txt", "no Fulcio here");
        var config = JsonNode.Parse(File.ReadAllText(s_sigstore.SigningConfigPath))!.AsObject();
        Assert.IsTrue(config.Remove("caUrls"), "the instance's signing config names its Fulcio");
        var noFulcio = Write(dir, "signing_config.json", config.ToJsonString());

        var sign = await WithPasswordAsync(null, () => CliRunner.RunAsync("sign", artifact, "--key", prefix + ".key", "--trusted-root", s_sigstore.TrustedRootPath, "--signing-config", noFulcio));
        var verify = await CliRunner.RunAsync("verify", artifact, "--key", prefix + ".pub", "--trusted-root", s_sigstore.TrustedRootPath);

        Assert.AreEqual(0, sign.ExitCode, sign.ToString());
        Assert.AreEqual(0, verify.ExitCode, verify.ToString());
    }

    [TestMethod]
    public async Task SignWithKey_ReadsAnOpenSslSec1Key()
    {
        var dir = NewDirectory();
        using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var key = Write(dir, "openssl.key", ecdsa.ExportECPrivateKeyPem());
        var publicKey = Write(dir, "openssl.pub", ecdsa.ExportSubjectPublicKeyInfoPem());
        var artifact = Write(dir, "artifact.txt", "signed with an openssl ecparam key");

        var sign = await WithPasswordAsync(null, () => Sign(key, artifact));
        var verify = await CliRunner.RunAsync("verify", artifact, "--key", publicKey, "--trusted-root", s_sigstore.TrustedRootPath);

        Assert.AreEqual(0, sign.ExitCode, sign.ToString());
        Assert.AreEqual(0, verify.ExitCode, verify.ToString());
    }

    [TestMethod]
    [DataRow("-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=\n-----END PUBLIC KEY-----\n", "not a private key")]
    [DataRow("not a key at all", "not a PEM file")]
    [DataRow("-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n", "cosign's own encrypted format")]
    public async Task SignWithKey_RefusesWhatIsNotAUsablePrivateKey(string content, string why)
    {
        var dir = NewDirectory();
        var key = Write(dir, "bad.key", content);
        var artifact = Write(dir, "artifact.txt", "never signed");

        var sign = await WithPasswordAsync(null, () => Sign(key, artifact));

        Assert.AreEqual(1, sign.ExitCode, sign.ToString());
        StringAssert.Contains(sign.Error, "error SSB2050");
        StringAssert.Contains(sign.Error, why);
        Assert.IsFalse(File.Exists(artifact + ".sigstore.json"));
    }

    [TestMethod]
    public async Task SignWithEd25519Key_IsRefusedBeforeAnythingIsLogged()
    {
        var dir = NewDirectory();
        var prefix = await GenerateAsync(dir, "ed", "ed25519");
        var artifact = Write(dir, "artifact.txt", "needs a digest signature");

        var sign = await WithPasswordAsync(null, () => Sign(prefix + ".key", artifact));

        Assert.AreEqual(1, sign.ExitCode, sign.ToString());
        StringAssert.Contains(sign.Error, "error SSB2053");
        StringAssert.Contains(sign.Error, "attest FILE --key");
        Assert.IsFalse(File.Exists(artifact + ".sigstore.json"));
    }

    [TestMethod]
    [DataRow("ecdsa-p256", false)]
    [DataRow("ecdsa-p384", false)]
    [DataRow("ed25519", false)]
    [DataRow("ed25519", true)]
    public async Task AttestWithKey_VerifiesWithThatKeyOnly(string algorithm, bool rekorV2)
    {
        var dir = NewDirectory();
        var prefix = await GenerateAsync(dir, "attester", algorithm);
        var otherPrefix = await GenerateAsync(dir, "other", algorithm);
        var artifact = Write(dir, "app.dll", "pretend assembly");
        var predicate = Write(dir, "predicate.json", """{"note":"key-signed"}""");
        var bundle = artifact + ".sigstore.json";

        var attest = await WithPasswordAsync(null, () => CliRunner.RunAsync("attest", artifact, "--key", prefix + ".key", "--predicate-type", PredicateType,
            "--predicate", predicate, "--trusted-root", s_sigstore.TrustedRootPath, "--signing-config", rekorV2 ? s_sigstore.SigningConfigRekorV2Path : s_sigstore.SigningConfigPath));
        Assert.AreEqual(0, attest.ExitCode, attest.ToString());

        var json = JsonNode.Parse(File.ReadAllText(bundle))!;
        Assert.AreEqual(rekorV2 ? "0.0.2" : "0.0.1", json["verificationMaterial"]?["tlogEntries"]?[0]?["kindVersion"]?["version"]?.GetValue<string>());
        Assert.AreEqual("dsse", json["verificationMaterial"]?["tlogEntries"]?[0]?["kindVersion"]?["kind"]?.GetValue<string>());
        Assert.IsNotNull(json["verificationMaterial"]?["publicKey"]?["hint"]);
        Assert.IsNotNull(json["dsseEnvelope"]);

        var verify = await CliRunner.RunAsync("verify", artifact, "--bundle", bundle, "--key", prefix + ".pub", "--predicate-type", PredicateType, "--trusted-root", s_sigstore.TrustedRootPath);
        var wrongKey = await CliRunner.RunAsync("verify", artifact, "--bundle", bundle, "--key", otherPrefix + ".pub", "--trusted-root", s_sigstore.TrustedRootPath);
        var otherArtifact = Write(dir, "other.dll", "another assembly");
        var wrongSubject = await CliRunner.RunAsync("verify-bundle", "--bundle", bundle, "--key", prefix + ".pub", "--trusted-root", s_sigstore.TrustedRootPath, otherArtifact);

        Assert.AreEqual(0, verify.ExitCode, verify.ToString());
        Assert.AreEqual(1, wrongKey.ExitCode, wrongKey.ToString());
        Assert.AreEqual(1, wrongSubject.ExitCode, wrongSubject.ToString());
    }

    [TestMethod]
    public async Task SigstoreJs_VerifiesKeySignedBundlesWithThePublicKey()
    {
        var dir = NewDirectory();
        var ecdsa = await GenerateAsync(dir, "ecdsa", "ecdsa-p256");
        var ed25519 = await GenerateAsync(dir, "ed25519", "ed25519");
        var artifact = Write(dir, "artifact.txt", "checked by sigstore-js");
        var subject = Write(dir, "subject.bin", "attested for sigstore-js");

        var sign = await WithPasswordAsync(null, () => Sign(ecdsa + ".key", artifact));
        Assert.AreEqual(0, sign.ExitCode, sign.ToString());
        var attest = await WithPasswordAsync(null, () => CliRunner.RunAsync("attest", subject, "--key", ed25519 + ".key", "--predicate-type", PredicateType,
            "--trusted-root", s_sigstore.TrustedRootPath, "--signing-config", s_sigstore.SigningConfigPath));
        Assert.AreEqual(0, attest.ExitCode, attest.ToString());

        var message = await SigstoreJs.VerifyWithKeyAsync(artifact + ".sigstore.json", s_sigstore.TrustedRootPath, ecdsa + ".pub", artifact);
        var dsse = await SigstoreJs.VerifyWithKeyAsync(subject + ".sigstore.json", s_sigstore.TrustedRootPath, ed25519 + ".pub", subject);
        var wrongKey = await SigstoreJs.VerifyWithKeyAsync(artifact + ".sigstore.json", s_sigstore.TrustedRootPath, ed25519 + ".pub", artifact);

        Assert.AreEqual(0, message.ExitCode, "sigstore-js rejected our key-signed message signature: " + message.Output);
        Assert.AreEqual(0, dsse.ExitCode, "sigstore-js rejected our key-signed Ed25519 attestation: " + dsse.Output);
        Assert.AreNotEqual(0, wrongKey.ExitCode, "sigstore-js must reject the bundle with another key: " + wrongKey.Output);
    }

    private static Task<CliRun> Sign(string key, string artifact) =>
        CliRunner.RunAsync("sign", artifact, "--key", key, "--trusted-root", s_sigstore.TrustedRootPath, "--signing-config", s_sigstore.SigningConfigPath);

    private static async Task<string> GenerateAsync(string dir, string name, string algorithm)
    {
        var prefix = Path.Combine(dir, name);
        var run = await WithPasswordAsync(null, () => CliRunner.RunAsync("generate-key-pair", "--output-key-prefix", prefix, "--algorithm", algorithm));
        Assert.AreEqual(0, run.ExitCode, run.ToString());
        return prefix;
    }

    /// <summary>The CLI runs in this process and reads the password from its environment (tests of this assembly run one at a time).</summary>
    private static async Task<CliRun> WithPasswordAsync(string? password, Func<Task<CliRun>> run)
    {
        var before = Environment.GetEnvironmentVariable(PasswordVariable);
        Environment.SetEnvironmentVariable(PasswordVariable, password);
        try
        {
            return await run();
        }
        finally
        {
            Environment.SetEnvironmentVariable(PasswordVariable, before);
        }
    }

    private static byte[] PemBody(string pem)
    {
        var fields = PemEncoding.Find(pem);
        return Convert.FromBase64String(pem[fields.Base64Data]);
    }

    private string NewDirectory() => Directory.CreateDirectory(Path.Combine(s_root, TestContext.TestName + "-" + Guid.NewGuid().ToString("N")[..6])).FullName;

    private static string Write(string dir, string name, string content)
    {
        var path = Path.Combine(dir, name);
        File.WriteAllText(path, content, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
        return path;
    }
}
