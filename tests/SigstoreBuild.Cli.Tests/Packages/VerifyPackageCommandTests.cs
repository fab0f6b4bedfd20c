using System.Diagnostics;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using NuGet.Packaging;
using NuGet.Versioning;
using SigstoreBuild.Cli.Tests.Infrastructure;
using SigstoreBuild.Crypto;
using SigstoreBuild.LocalStack;
using SigstoreBuild.NuGet;
using SigstoreBuild.Signing;

namespace SigstoreBuild.Cli.Tests.Packages;

/// <summary>
/// <c>sigstore verify-package</c> on a package attested through the local Sigstore instance: it verifies, still verifies
/// after <c>dotnet nuget sign</c>, and fails with exact codes when the content, the identity or the bundle is wrong.
/// </summary>
[TestClass]
public sealed class VerifyPackageCommandTests
{
    private const string Email = "packager@example.com";
    private const string Id = "Contoso.Verified";
    private const string Version = "1.2.3";
    private static LocalSigstore s_sigstore = null!;
    private static string s_root = null!;
    private static string s_package = null!;

    public TestContext TestContext { get; set; } = null!;

    [ClassInitialize]
    public static async Task StartAsync(TestContext context)
    {
        s_root = Directory.CreateTempSubdirectory("ssb-cli-package-").FullName;
        s_sigstore = await LocalSigstore.StartAsync(Path.Combine(s_root, "instance"), 0, context.CancellationToken);
        s_package = Path.Combine(s_root, "signed", $"{Id}.{Version}.nupkg");
        WritePackage(s_package, Id, Version, "the package content");
        await AttestAsync(s_package);
    }

    [ClassCleanup]
    public static async Task StopAsync()
    {
        await s_sigstore.DisposeAsync();
        Directory.Delete(s_root, recursive: true);
    }

    private static Task<CliRun> VerifyAsync(string package, params string[] more) =>
        CliRunner.RunAsync(["verify-package", package, "--trusted-root", s_sigstore.TrustedRootPath, "--certificate-oidc-issuer", s_sigstore.BaseUrl, .. more]);

    [TestMethod]
    public async Task SignedPackage_VerifiesWithTheSidecarBundle()
    {
        var run = await VerifyAsync(s_package, "--certificate-identity", Email);
        Assert.AreEqual(0, run.ExitCode, run.ToString());
        StringAssert.StartsWith(run.Output, $"Verified OK: pkg:nuget/{Id}@{Version}, signed by {Email}");

        var json = await VerifyAsync(s_package, "--certificate-identity-regexp", @".*@example\.com", "--output", "json");
        Assert.AreEqual(0, json.ExitCode, json.ToString());
        using var document = JsonDocument.Parse(json.Output);
        Assert.AreEqual($"pkg:nuget/{Id}@{Version}", document.RootElement.GetProperty("subject").GetString());
        Assert.IsFalse(document.RootElement.GetProperty("nugetSigned").GetBoolean());
        Assert.AreEqual(Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(s_package))), document.RootElement.GetProperty("sha256").GetString());
    }

    [TestMethod]
    public async Task NuGetSignedCopy_StillVerifies_ThroughTheContentHash()
    {
        var dir = NewDirectory();
        var signed = Path.Combine(dir, Path.GetFileName(s_package));
        File.Copy(s_package, signed);
        var pfx = Path.Combine(dir, "author.pfx");
        File.WriteAllBytes(pfx, AuthorPfx("pw"));
        var sign = RunDotNet(dir, "nuget", "sign", signed, "--certificate-path", pfx, "--certificate-password", "pw", "--overwrite");
        if (sign.ExitCode != 0)
        {
            Assert.Inconclusive("dotnet nuget sign failed: " + sign.Output);
        }

        CollectionAssert.AreNotEqual(File.ReadAllBytes(s_package), File.ReadAllBytes(signed), "dotnet nuget sign changed nothing");
        var run = await VerifyAsync(signed, "--bundle", s_package + ".sigstore.json", "--certificate-identity", Email);
        Assert.AreEqual(0, run.ExitCode, run.ToString());
        StringAssert.Contains(run.Output, "(NuGet-signed after the attestation)");
    }

    [TestMethod]
    public async Task TamperedPackage_Fails()
    {
        var dir = NewDirectory();
        var tampered = Path.Combine(dir, Path.GetFileName(s_package));
        File.Copy(s_package, tampered);
        File.Copy(s_package + ".sigstore.json", tampered + ".sigstore.json");
        using (var zip = ZipFile.Open(tampered, ZipArchiveMode.Update))
        {
            using var writer = new StreamWriter(zip.CreateEntry("lib/net10.0/extra.txt").Open());
            writer.Write("added after signing");
        }

        var run = await VerifyAsync(tampered, "--certificate-identity", Email);
        Assert.AreEqual(1, run.ExitCode, run.ToString());
        StringAssert.StartsWith(run.Error, "error SSB3414: ");
    }

    [TestMethod]
    public async Task AnotherPackage_WithThisBundle_Fails()
    {
        var dir = NewDirectory();
        var other = Path.Combine(dir, $"{Id}.{Version}.nupkg");
        WritePackage(other, Id, Version, "different content, same name");
        var run = await VerifyAsync(other, "--bundle", s_package + ".sigstore.json", "--certificate-identity", Email);
        Assert.AreEqual(1, run.ExitCode, run.ToString());
        StringAssert.StartsWith(run.Error, "error SSB3414: ");
    }

    [TestMethod]
    public async Task AttestationNamingAnotherPackage_WithThisContentHash_Fails()
    {
        var bundle = Path.Combine(NewDirectory(), "renamed.sigstore.json");
        await AttestAsync(s_package, "pkg:nuget/Contoso.Other@9.9.9", bundle);
        var run = await VerifyAsync(s_package, "--bundle", bundle, "--certificate-identity", Email);
        Assert.AreEqual(1, run.ExitCode, run.ToString());
        StringAssert.StartsWith(run.Error, "error SSB5410: ");
    }

    [TestMethod]
    [DataRow("--certificate-identity", "mallory@example.com", null, "SSB3460", DisplayName = "other SAN")]
    [DataRow("--certificate-identity-regexp", @"mallory@.*", null, "SSB3460", DisplayName = "SAN regexp not matching")]
    [DataRow("--certificate-identity", Email, "https://issuer.invalid", "SSB3461", DisplayName = "other issuer")]
    public async Task OtherIdentity_Fails(string option, string value, string? issuer, string code)
    {
        string[] args = ["verify-package", s_package, "--trusted-root", s_sigstore.TrustedRootPath, option, value, "--certificate-oidc-issuer", issuer ?? s_sigstore.BaseUrl];
        var run = await CliRunner.RunAsync(args);
        Assert.AreEqual(1, run.ExitCode, run.ToString());
        StringAssert.StartsWith(run.Error, $"error {code}: ");
    }

    [TestMethod]
    public async Task IdentityRegexThatIsNotOneExpression_IsAUsageErrorNamingThePattern()
    {
        const string breakout = @"packager@example\.com)|(.*";
        foreach (var verb in new[] { "verify-package", "verify" })
        {
            var run = await CliRunner.RunAsync(verb, s_package, "--bundle", s_package + ".sigstore.json", "--trusted-root", s_sigstore.TrustedRootPath, "--certificate-oidc-issuer", s_sigstore.BaseUrl, "--certificate-identity-regexp", breakout);
            Assert.AreEqual(2, run.ExitCode, run.ToString());
            StringAssert.Contains(run.Error, "SSB3463");
            StringAssert.Contains(run.Error, breakout);
        }

        var ok = await VerifyAsync(s_package, "--certificate-identity-regexp", @"packager@example\.com");
        Assert.AreEqual(0, ok.ExitCode, ok.ToString());
    }

    [TestMethod]
    public async Task MissingBundle_Fails_AndUsageErrorsAreReported()
    {
        var dir = NewDirectory();
        var lone = Path.Combine(dir, "Lone.1.0.0.nupkg");
        WritePackage(lone, "Lone", "1.0.0", "no bundle");
        var run = await VerifyAsync(lone, "--certificate-identity", Email);
        Assert.AreEqual(1, run.ExitCode, run.ToString());
        StringAssert.StartsWith(run.Error, "error SSB0010: ");

        var both = await VerifyAsync(s_package, "--certificate-identity", Email, "--certificate-identity-regexp", ".*");
        Assert.AreEqual(2, both.ExitCode, both.ToString());
        var neither = await CliRunner.RunAsync("verify-package", s_package, "--certificate-identity", Email);
        Assert.AreEqual(2, neither.ExitCode, "--certificate-oidc-issuer is required: " + neither);
    }

    [TestMethod]
    public async Task KeySignedPackage_VerifiesWithItsKey_NotWithAnotherOrAnIdentity()
    {
        var dir = NewDirectory();
        var package = Path.Combine(dir, $"{Id}.{Version}.nupkg");
        WritePackage(package, Id, Version, "key-signed content");
        using var key = SigningKey.Generate(SigningKeyAlgorithm.EcdsaP256);
        using var other = SigningKey.Generate(SigningKeyAlgorithm.Ed25519);
        var publicKey = Path.Combine(dir, "release.pub");
        var otherKey = Path.Combine(dir, "other.pub");
        File.WriteAllText(publicKey, key.PublicKeyPem);
        File.WriteAllText(otherKey, other.PublicKeyPem);
        var inspection = PackageInspector.Inspect(package);
        var statement = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object>
        {
            ["_type"] = "https://in-toto.io/Statement/v1",
            ["subject"] = new[] { new Dictionary<string, object> { ["name"] = inspection.SubjectName, ["digest"] = new Dictionary<string, string> { ["sha256"] = Convert.ToHexStringLower(inspection.FileSha256), ["sha512"] = Convert.ToHexStringLower(inspection.ContentHashSha512) } } },
            ["predicateType"] = "https://slsa.dev/provenance/v1",
            ["predicate"] = new Dictionary<string, object>(),
        });
        using (var signer = new KeyAttestationSigner(new KeySigningSession(StaticSigningTrustProvider.Load(s_sigstore.TrustedRootPath, s_sigstore.SigningConfigPath), SigningKey.Load(WritePrivateKey(dir, key), null))))
        {
            await signer.SignAsync(statement, inspection.FileSha256, package + ".sigstore.json", TestContext.CancellationToken);
        }

        var run = await CliRunner.RunAsync("verify-package", package, "--trusted-root", s_sigstore.TrustedRootPath, "--key", publicKey);
        Assert.AreEqual(0, run.ExitCode, run.ToString());
        StringAssert.StartsWith(run.Output, $"Verified OK: pkg:nuget/{Id}@{Version}");

        var wrong = await CliRunner.RunAsync("verify-package", package, "--trusted-root", s_sigstore.TrustedRootPath, "--key", otherKey);
        Assert.AreEqual(1, wrong.ExitCode, wrong.ToString());
        StringAssert.StartsWith(wrong.Error, "error SSB");
        var identity = await VerifyAsync(package, "--certificate-identity", Email);
        Assert.AreEqual(1, identity.ExitCode, "a key-signed bundle names no identity: " + identity);
        var both = await VerifyAsync(package, "--key", publicKey);
        Assert.AreEqual(2, both.ExitCode, "--key and an identity policy together are a usage error: " + both);
    }

    private static string WritePrivateKey(string directory, SigningKey key)
    {
        var path = Path.Combine(directory, "release.key");
        File.WriteAllText(path, key.ExportPrivateKeyPem(password: null));
        return path;
    }

    /// <summary>A real package written by NuGet's own PackageBuilder.</summary>
    private static void WritePackage(string path, string id, string version, string content)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var builder = new PackageBuilder { Id = id, Version = NuGetVersion.Parse(version), Description = "A test package." };
        builder.Authors.Add("Contoso");
        builder.Files.Add(new PhysicalPackageFile(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(content))) { TargetPath = "lib/net10.0/content.txt" });
        using var stream = File.Create(path);
        builder.Save(stream);
    }

    /// <summary>What dotnet pack attests: pkg:nuget/id@version with the file's SHA-256 and NuGet's content hash (SHA-512).</summary>
    private static async Task AttestAsync(string package, string? subjectName = null, string? bundlePath = null)
    {
        var inspection = PackageInspector.Inspect(package);
        var statement = Path.Combine(Path.GetDirectoryName(bundlePath ?? package)!, "statement.json");
        await File.WriteAllTextAsync(statement, JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["_type"] = "https://in-toto.io/Statement/v1",
            ["subject"] = new[]
            {
                new Dictionary<string, object>
                {
                    ["name"] = subjectName ?? inspection.SubjectName,
                    ["digest"] = new Dictionary<string, string>
                    {
                        ["sha256"] = Convert.ToHexStringLower(inspection.FileSha256),
                        ["sha512"] = Convert.ToHexStringLower(inspection.ContentHashSha512),
                    },
                },
            },
            ["predicateType"] = "https://slsa.dev/provenance/v1",
            ["predicate"] = new Dictionary<string, object> { ["buildDefinition"] = new Dictionary<string, object> { ["buildType"] = "https://example.com/test/v1" } },
        }));
        var sign = await CliRunner.RunAsync("sign-bundle", "--in-toto", "--identity-token", s_sigstore.MintToken(Email), "--bundle", bundlePath ?? package + ".sigstore.json",
            "--trusted-root", s_sigstore.TrustedRootPath, "--signing-config", s_sigstore.SigningConfigPath, statement);
        Assert.AreEqual(0, sign.ExitCode, sign.ToString());
    }

    /// <summary>A self-signed code-signing certificate made now; dotnet nuget sign accepts it (an untrusted root is a warning).</summary>
    private static byte[] AuthorPfx(string password)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=SigstoreBuild CLI test author", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyCertSign, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.3")], false));
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddHours(1));
        return certificate.Export(X509ContentType.Pfx, password);
    }

    private static (int ExitCode, string Output) RunDotNet(string directory, params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, output + error.GetAwaiter().GetResult());
    }

    private string NewDirectory() => Directory.CreateDirectory(Path.Combine(s_root, TestContext.TestName + "-" + Guid.NewGuid().ToString("N")[..6])).FullName;
}
