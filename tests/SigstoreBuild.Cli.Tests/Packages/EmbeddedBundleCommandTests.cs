using System.Diagnostics;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using NuGet.Packaging;
using NuGet.Packaging.Signing;
using NuGet.Versioning;
using SigstoreBuild.Cli.Tests.Infrastructure;
using SigstoreBuild.Diagnostics;
using SigstoreBuild.LocalStack;
using SigstoreBuild.NuGet;
using SigstoreBuild.NuGet.Attestations;

namespace SigstoreBuild.Cli.Tests.Packages;

/// <summary>
/// A package whose bundle is embedded (signed through the local Sigstore instance for the package digest, as dotnet pack
/// does): <c>verify-package</c> needs no <c>--bundle</c>, <c>inspect</c> and <c>extract-bundle</c> read it, sigstore-js
/// verifies the extracted bundle, a copy with an entry changed, added or removed fails, and an author signature added
/// afterwards leaves both signatures valid (<c>dotnet nuget verify --all</c>).
/// </summary>
[TestClass]
public sealed class EmbeddedBundleCommandTests
{
    private const string Email = "embedder@example.com";
    private const string Id = "Contoso.Embedded";
    private const string Version = "3.1.0";
    private static LocalSigstore s_sigstore = null!;
    private static string s_root = null!;
    private static string s_package = null!;

    public TestContext TestContext { get; set; } = null!;

    [ClassInitialize]
    public static async Task StartAsync(TestContext context)
    {
        s_root = Directory.CreateTempSubdirectory("ssb-cli-embedded-").FullName;
        s_sigstore = await LocalSigstore.StartAsync(Path.Combine(s_root, "instance"), 0, context.CancellationToken);
        s_package = Path.Combine(s_root, "signed", $"{Id}.{Version}.nupkg");
        WritePackage(s_package);
        await SignAndEmbedAsync(s_package);
    }

    [ClassCleanup]
    public static async Task StopAsync()
    {
        await s_sigstore.DisposeAsync();
        Directory.Delete(s_root, recursive: true);
    }

    private static Task<CliRun> VerifyAsync(string package, params string[] more) =>
        CliRunner.RunAsync(["verify-package", package, "--trusted-root", s_sigstore.TrustedRootPath, "--certificate-oidc-issuer", s_sigstore.BaseUrl, "--certificate-identity", Email, .. more]);

    [TestMethod]
    public async Task EmbeddedBundle_VerifiesWithoutABundleFile()
    {
        Assert.IsFalse(File.Exists(s_package + ".sigstore.json"), "no sidecar in this test");

        var run = await VerifyAsync(s_package);

        Assert.AreEqual(0, run.ExitCode, run.ToString());
        StringAssert.StartsWith(run.Output, $"Verified OK: pkg:nuget/{Id}@{Version}, signed by {Email}");
        StringAssert.Contains(run.Output, "; bundle: embedded (.sigstore/bundle.sigstore.json)");
        var json = await VerifyAsync(s_package, "--output", "json");
        using var document = JsonDocument.Parse(json.Output);
        Assert.AreEqual(Convert.ToHexStringLower(PackageInspector.Inspect(s_package).PackageDigest), document.RootElement.GetProperty("packageDigest").GetString());
    }

    [TestMethod]
    [DataRow("changed")]
    [DataRow("added")]
    [DataRow("removed")]
    public async Task CopyWithAnEntryChanged_Fails(string change)
    {
        var copy = Copy(s_package);
        using (var zip = ZipFile.Open(copy, ZipArchiveMode.Update))
        {
            switch (change)
            {
                case "changed":
                    zip.GetEntry("lib/net10.0/content.txt")!.Delete();
                    using (var writer = new StreamWriter(zip.CreateEntry("lib/net10.0/content.txt").Open()))
                    {
                        writer.Write("the content, changed");
                    }

                    break;
                case "added":
                    using (var writer = new StreamWriter(zip.CreateEntry("tools/init.ps1").Open()))
                    {
                        writer.Write("added after signing");
                    }

                    break;
                case "removed":
                    zip.GetEntry("lib/net10.0/other.txt")!.Delete();
                    break;
            }
        }

        var run = await VerifyAsync(copy);

        Assert.AreEqual(1, run.ExitCode, run.ToString());
        StringAssert.StartsWith(run.Error, "error SSB3414: ", "no subject has the package's digest");
    }

    [TestMethod]
    public async Task PackageWithoutAnyBundle_SaysWhereItLooked()
    {
        var lone = Path.Combine(NewDirectory(), "Lone.1.0.0.nupkg");
        WritePackage(lone, "Lone", "1.0.0");

        var verify = await VerifyAsync(lone);
        var extract = await CliRunner.RunAsync("extract-bundle", lone);

        Assert.AreEqual(1, verify.ExitCode, verify.ToString());
        StringAssert.StartsWith(verify.Error, "error SSB0010: ");
        StringAssert.Contains(verify.Error, "--bundle");
        Assert.AreEqual(1, extract.ExitCode, extract.ToString());
        StringAssert.StartsWith(extract.Error, "error SSB5414: ");
        Assert.IsFalse(File.Exists(lone + ".sigstore.json"), "nothing is written on failure");
    }

    [TestMethod]
    public async Task Inspect_ShowsTheEmbeddedBundle()
    {
        var run = await CliRunner.RunAsync("inspect", s_package);

        Assert.AreEqual(0, run.ExitCode, run.ToString());
        StringAssert.StartsWith(run.Output, $"Bundle embedded in {s_package} (.sigstore/bundle.sigstore.json)");
        StringAssert.Contains(run.Output, $"pkg:nuget/{Id}@{Version}");
        StringAssert.Contains(run.Output, Email);
    }

    [TestMethod]
    public async Task ExtractedBundle_IsTheEmbeddedOne_AndSigstoreJsVerifiesIt()
    {
        var output = Path.Combine(NewDirectory(), "extracted.sigstore.json");

        var run = await CliRunner.RunAsync("extract-bundle", s_package, "-o", output);

        Assert.AreEqual(0, run.ExitCode, run.ToString());
        CollectionAssert.AreEqual(EmbeddedBundle.Read(s_package), File.ReadAllBytes(output));
        var digest = Convert.ToHexStringLower(PackageInspector.Inspect(s_package).PackageDigest);
        var (exitCode, log) = await SigstoreJs.VerifyAsync(output, s_sigstore.TrustedRootPath, Email, s_sigstore.BaseUrl, "sha256:" + digest);
        Assert.AreEqual(0, exitCode, "sigstore-js: " + log);
        var mallory = await SigstoreJs.VerifyAsync(output, s_sigstore.TrustedRootPath, "mallory@example.com", s_sigstore.BaseUrl, "sha256:" + digest);
        Assert.AreNotEqual(0, mallory.ExitCode, "sigstore-js checked the identity: " + mallory.Output);
    }

    [TestMethod]
    public async Task AuthorSignedAfterwards_BothSignaturesVerify()
    {
        var dir = NewDirectory();
        var signed = Copy(s_package, dir);
        var (pfx, fingerprint) = AuthorCertificate(dir, "pw");
        var sign = RunDotNet(dir, "nuget", "sign", signed, "--certificate-path", pfx, "--certificate-password", "pw", "--overwrite");
        Assert.AreEqual(0, sign.ExitCode, "dotnet nuget sign: " + sign.Output);
        Assert.IsTrue(PackageInspector.Inspect(signed).IsSigned);

        // NuGet trusts the throwaway author certificate through trustedSigners, as a consumer's nuget.config would.
        var config = Path.Combine(dir, "nuget.config");
        File.WriteAllText(config, $"""
            <configuration>
              <trustedSigners>
                <author name="throwaway"><certificate fingerprint="{fingerprint}" hashAlgorithm="SHA256" allowUntrustedRoot="true" /></author>
              </trustedSigners>
            </configuration>
            """);
        var nugetVerify = RunDotNet(dir, "nuget", "verify", "--all", signed, "--configfile", config);
        var sigstoreVerify = await VerifyAsync(signed);

        Assert.AreEqual(0, nugetVerify.ExitCode, "dotnet nuget verify --all: " + nugetVerify.Output);
        Assert.AreEqual(0, sigstoreVerify.ExitCode, sigstoreVerify.ToString());
        StringAssert.Contains(sigstoreVerify.Output, "(NuGet-signed after the attestation)");
    }

    /// <summary>
    /// What the public gallery does to every upload of an unsigned package: a repository primary signature in
    /// .signature.p7s, made with NuGet's own signing API. The embedded bundle still verifies.
    /// </summary>
    [TestMethod]
    public async Task RepositorySignedAfterwards_TheEmbeddedBundleStillVerifies()
    {
        var signed = Path.Combine(NewDirectory(), Path.GetFileName(s_package));

        await RepositorySignAsync(s_package, signed, TestContext.CancellationToken);

        using (var reader = new PackageArchiveReader(signed))
        {
            var primary = await reader.GetPrimarySignatureAsync(TestContext.CancellationToken);
            Assert.IsNotNull(primary, "no .signature.p7s");
            Assert.AreEqual(SignatureType.Repository, primary.Type);
            Assert.AreEqual(RepositoryServiceIndex, ((RepositoryPrimarySignature)primary).V3ServiceIndexUrl);
            await reader.ValidateIntegrityAsync(primary.SignatureContent, TestContext.CancellationToken);
        }

        await AssertEmbeddedBundleStillVerifiesAsync(signed);
    }

    /// <summary>
    /// Sigstore, then the author's <c>dotnet nuget sign</c>, then the gallery's repository countersignature (NuGet's own
    /// signing API on an author-signed package adds a countersignature to the author's): the embedded bundle still verifies.
    /// </summary>
    [TestMethod]
    public async Task AuthorSignedThenRepositoryCountersigned_TheEmbeddedBundleStillVerifies()
    {
        var dir = NewDirectory();
        var authorSigned = Copy(s_package, dir);
        var (pfx, _) = AuthorCertificate(dir, "pw");
        var sign = RunDotNet(dir, "nuget", "sign", authorSigned, "--certificate-path", pfx, "--certificate-password", "pw", "--overwrite");
        Assert.AreEqual(0, sign.ExitCode, "dotnet nuget sign: " + sign.Output);
        var countersigned = Path.Combine(dir, "countersigned", Path.GetFileName(s_package));
        Directory.CreateDirectory(Path.GetDirectoryName(countersigned)!);

        await RepositorySignAsync(authorSigned, countersigned, TestContext.CancellationToken);

        using (var reader = new PackageArchiveReader(countersigned))
        {
            var primary = await reader.GetPrimarySignatureAsync(TestContext.CancellationToken);
            Assert.IsNotNull(primary, "no .signature.p7s");
            Assert.AreEqual(SignatureType.Author, primary.Type, "the author's signature stays the primary one");
            var countersignature = RepositoryCountersignature.GetRepositoryCountersignature(primary);
            Assert.IsNotNull(countersignature, "no repository countersignature on the author signature");
            Assert.AreEqual(RepositoryServiceIndex, countersignature.V3ServiceIndexUrl);
            await reader.ValidateIntegrityAsync(primary.SignatureContent, TestContext.CancellationToken);
        }

        CollectionAssert.AreNotEqual(File.ReadAllBytes(authorSigned), File.ReadAllBytes(countersigned), "the countersignature changed nothing");
        await AssertEmbeddedBundleStillVerifiesAsync(countersigned);
    }

    private static readonly Uri RepositoryServiceIndex = new("https://feed.contoso.invalid/v3/index.json");

    /// <summary>A repository signature by NuGet.Packaging's SigningUtility, no timestamp: primary, or countersignature on an author-signed package.</summary>
    private static async Task RepositorySignAsync(string input, string output, CancellationToken cancellationToken)
    {
        using var certificate = CodeSigningCertificate("CN=SigstoreBuild embedded test repository");
        using var request = new RepositorySignPackageRequest(certificate, global::NuGet.Common.HashAlgorithmName.SHA256, global::NuGet.Common.HashAlgorithmName.SHA256, RepositoryServiceIndex, ["contoso"]);
        using var options = SigningOptions.CreateFromFilePaths(input, output, overwrite: false, new X509SignatureProvider(timestampProvider: null), global::NuGet.Common.NullLogger.Instance);
        await SigningUtility.SignAsync(options, request, cancellationToken);
    }

    /// <summary>The same bundle as before, verifying for the same package digest (.signature.p7s is outside it).</summary>
    private static async Task AssertEmbeddedBundleStillVerifiesAsync(string package)
    {
        CollectionAssert.AreEqual(EmbeddedBundle.Read(s_package), EmbeddedBundle.Read(package), "the embedded bundle changed");
        Assert.IsTrue(PackageInspector.Inspect(package).IsSigned);
        var run = await VerifyAsync(package);
        Assert.AreEqual(0, run.ExitCode, run.ToString());
        StringAssert.StartsWith(run.Output, $"Verified OK: pkg:nuget/{Id}@{Version} (NuGet-signed after the attestation), signed by {Email}");
        StringAssert.Contains(run.Output, "; bundle: embedded (.sigstore/bundle.sigstore.json)");
        var json = await VerifyAsync(package, "--output", "json");
        Assert.AreEqual(0, json.ExitCode, json.ToString());
        using var document = JsonDocument.Parse(json.Output);
        Assert.AreEqual(Convert.ToHexStringLower(PackageInspector.Inspect(s_package).PackageDigest), document.RootElement.GetProperty("packageDigest").GetString());
    }

    [TestMethod]
    public void EmbeddingIntoAnAuthorSignedPackage_IsRefused()
    {
        var dir = NewDirectory();
        var package = Path.Combine(dir, "Late.1.0.0.nupkg");
        WritePackage(package, "Late", "1.0.0");
        var (pfx, _) = AuthorCertificate(dir, "pw");
        Assert.AreEqual(0, RunDotNet(dir, "nuget", "sign", package, "--certificate-path", pfx, "--certificate-password", "pw", "--overwrite").ExitCode);
        var before = File.ReadAllBytes(package);

        var ex = Assert.ThrowsExactly<SigstoreException>(() => EmbeddedBundle.Embed(package, EmbeddedBundle.Read(s_package)!));

        Assert.AreEqual("SSB5415", ex.Code);
        CollectionAssert.AreEqual(before, File.ReadAllBytes(package), "the NuGet signature was not touched");
        var nugetVerify = RunDotNet(dir, "nuget", "verify", "--signatures", package);
        Assert.IsFalse(nugetVerify.Output.Contains("NU3008", StringComparison.Ordinal), nugetVerify.Output);
    }

    private string NewDirectory() => Directory.CreateDirectory(Path.Combine(s_root, TestContext.TestName + "-" + Guid.NewGuid().ToString("N")[..6])).FullName;

    private string Copy(string package, string? directory = null)
    {
        var copy = Path.Combine(directory ?? NewDirectory(), Path.GetFileName(package));
        File.Copy(package, copy);
        return copy;
    }

    /// <summary>A real package written by NuGet's own PackageBuilder.</summary>
    private static void WritePackage(string path, string id = Id, string version = Version)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var builder = new PackageBuilder { Id = id, Version = NuGetVersion.Parse(version), Description = "A test package." };
        builder.Authors.Add("Contoso");
        builder.Files.Add(new PhysicalPackageFile(new MemoryStream("the content"u8.ToArray())) { TargetPath = "lib/net10.0/content.txt" });
        builder.Files.Add(new PhysicalPackageFile(new MemoryStream("other content"u8.ToArray())) { TargetPath = "lib/net10.0/other.txt" });
        using var stream = File.Create(path);
        builder.Save(stream);
    }

    /// <summary>What dotnet pack does: sign the package statement (subject digest: the package digest), then embed.</summary>
    private static async Task SignAndEmbedAsync(string package)
    {
        var inspection = PackageInspector.Inspect(package);
        var statement = Path.Combine(Path.GetDirectoryName(package)!, "..", "statement.json");
        var context = new SlsaBuildContext { Project = "Embedded.csproj", BuilderId = "https://sigstorebuild.invalid/tests/cli", Step = "pack" };
        await File.WriteAllBytesAsync(statement, PackageStatements.ForPackages([inspection], context).ToJson());
        var bundle = Path.Combine(s_root, "embedded.sigstore.json");
        var sign = await CliRunner.RunAsync("sign-bundle", "--in-toto", "--identity-token", s_sigstore.MintToken(Email), "--bundle", bundle,
            "--trusted-root", s_sigstore.TrustedRootPath, "--signing-config", s_sigstore.SigningConfigPath, statement);
        Assert.AreEqual(0, sign.ExitCode, sign.ToString());
        EmbeddedBundle.Embed(package, await File.ReadAllBytesAsync(bundle));
        File.Delete(bundle);
    }

    /// <summary>A self-signed code-signing certificate made now, as a PFX, and its SHA-256 fingerprint.</summary>
    private static (string Pfx, string Fingerprint) AuthorCertificate(string directory, string password)
    {
        using var certificate = CodeSigningCertificate("CN=SigstoreBuild embedded test author");
        var pfx = Path.Combine(directory, "author.pfx");
        File.WriteAllBytes(pfx, certificate.Export(X509ContentType.Pfx, password));
        return (pfx, certificate.GetCertHashString(HashAlgorithmName.SHA256));
    }

    /// <summary>A throwaway self-signed RSA certificate with the code-signing EKU, valid from a few minutes ago for an hour.</summary>
    private static X509Certificate2 CodeSigningCertificate(string subject)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyCertSign, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.3")], false));
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddHours(1));
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
        start.Environment["DOTNET_CLI_UI_LANGUAGE"] = "en";
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        return (process.ExitCode, stdout.Result + stderr.Result);
    }
}
