using SigstoreBuild.Crypto;
using SigstoreBuild.EndToEnd.Tests.Infrastructure;
using SigstoreBuild.LocalStack;
using SigstoreBuild.NuGet;

namespace SigstoreBuild.EndToEnd.Tests;

/// <summary>
/// Signing with a key at dotnet pack (SigstoreSigningKeyPath, the password in SIGSTORE_PRIVATE_KEY_PASSWORD, no OIDC token
/// at all), through the packed SigstoreBuild and a local Sigstore instance; the package verified by `sigstore
/// verify-package --key`, sigstore-js and a consumer pinning the key with SigstoreTrustedKey.
/// </summary>
[TestClass]
public sealed class KeySigningPackTests
{
    private const string PackageName = "Contoso.Greetings.1.0.0.nupkg";
    private const string Password = "correct horse battery staple";
    private static LocalSigstore s_sigstore = null!;

    public TestContext TestContext { get; set; } = null!;

    [ClassInitialize]
    public static async Task StartSigstore(TestContext context)
    {
        E2E.RequirePackage();
        s_sigstore = await LocalSigstore.StartAsync(Path.Combine(E2E.Root, "sigstore-keys"), 0, context.CancellationToken);
    }

    [ClassCleanup]
    public static async Task StopSigstore()
    {
        if (s_sigstore is not null)
        {
            await s_sigstore.DisposeAsync();
        }
    }

    [TestMethod]
    public async Task PackWithAKey_EmbedsAKeySignedBundle_ThatVerifyPackageAndAConsumerPinningTheKeyAccept()
    {
        var testDirectory = Path.Combine(E2E.Root, TestContext.TestName!);
        var (privateKey, publicKey, hint) = WriteKeyPair(testDirectory, "publisher", SigningKeyAlgorithm.EcdsaP256, Password);
        var (_, otherPublicKey, _) = WriteKeyPair(testDirectory, "other", SigningKeyAlgorithm.Ed25519, null);

        // The publisher: no identity token in the environment, only the key's password.
        var library = E2E.CopySample("Library", TestContext.TestName!);
        var feed = Path.Combine(testDirectory, "greetings-feed");
        var pack = DotNet.Run(library, new Dictionary<string, string> { ["SIGSTORE_PRIVATE_KEY_PASSWORD"] = Password },
            DotNet.BuildArguments("pack", "-o", feed, "-p:SigstoreRequireSigning=true", $"-p:SigstoreSigningKeyPath={privateKey}",
                $"-p:SigstoreTrustedRootPath={s_sigstore.TrustedRootPath}", $"-p:SigstoreSigningConfigPath={s_sigstore.SigningConfigPath}"));
        Assert.IsTrue(pack.Succeeded, pack.ToString());
        Assert.Contains($"signed {PackageName} as key {hint}", pack.Output);
        Assert.Contains($"signed {PackageName} SBOM as key {hint}", pack.Output);
        Assert.DoesNotContain(Password, pack.Output);

        var package = Path.Combine(feed, PackageName);
        var inspection = PackageInspector.Inspect(package);
        Assert.IsNotNull(inspection.EmbeddedSbomBundle, "the SBOM is signed with the key too");
        var bundle = E2E.EmbeddedBundleOf(package);
        Assert.AreEqual(hint, bundle.VerificationMaterial!.PublicKey?.Hint);
        Assert.IsNull(bundle.VerificationMaterial.Certificate);
        Assert.IsNull(bundle.VerificationMaterial.X509CertificateChain);

        var sigstore = E2E.InstallCli();
        var verified = DotNet.RunProgram(sigstore, testDirectory, DotNet.RootEnvironment(), "verify-package", package, "--key", publicKey, "--trusted-root", s_sigstore.TrustedRootPath);
        Assert.IsTrue(verified.Succeeded, verified.ToString());
        Assert.Contains("Contoso.Greetings", verified.Output);
        var otherKey = DotNet.RunProgram(sigstore, testDirectory, DotNet.RootEnvironment(), "verify-package", package, "--key", otherPublicKey, "--trusted-root", s_sigstore.TrustedRootPath);
        Assert.AreEqual(1, otherKey.ExitCode, otherKey.ToString());
        Assert.MatchesRegex(@"error SSB\d{4}", otherKey.Output);

        // Consumers: one pins the publisher's key, the other another key.
        foreach (var (name, trusted, expected) in new[] { ("trusting-the-key", publicKey, (string?)null), ("trusting-another-key", otherPublicKey, "error SSB5119") })
        {
            const string Identity = "<SigstoreTrustedIdentity Include=\"Contoso.%2A\" Issuer=\"$(ContosoSignerIssuer)\" Subject=\"$(ContosoSigner)\" />";
            var consumer = E2E.CopyConsumer($"{TestContext.TestName}-{name}", feed,
                policy => policy.Replace(Identity, "<SigstoreTrustedKey Include=\"Contoso.%2A\" PublicKey=\"contoso.pub\" />", StringComparison.Ordinal));
            File.Copy(trusted, Path.Combine(consumer, "contoso.pub"));
            var build = E2E.BuildConsumer(consumer, $"-p:SigstoreTrustedRootPath={s_sigstore.TrustedRootPath}");
            if (expected is null)
            {
                Assert.IsTrue(build.Succeeded, build.ToString());
                Assert.Contains("Sigstore: verified 1 package", build.Output);
            }
            else
            {
                Assert.IsFalse(build.Succeeded, build.ToString());
                Assert.Contains(expected, build.Output);
            }
        }

        // sigstore-js accepts the key-signed bundle too (last: it may be NOT RUN without Node.js).
        var digest = Convert.ToHexStringLower(inspection.PackageDigest);
        var js = await SigstoreJs.VerifyWithKeyAsync(E2E.ExtractBundle(package), s_sigstore.TrustedRootPath, publicKey, "sha256:" + digest);
        Assert.AreEqual(0, js.ExitCode, "sigstore-js rejected the key-signed bundle: " + js.Output);
    }

    [TestMethod]
    public void PublishWithAKey_RelativeToTheProject_SignsThePublishedOutput()
    {
        var project = E2E.CopySample("ConsoleApp", TestContext.TestName!);
        var (_, _, hint) = WriteKeyPair(Path.Combine(project, "keys"), "release", SigningKeyAlgorithm.EcdsaP384, null);
        var publish = DotNet.Run(project, null, DotNet.BuildArguments("publish", "-p:SigstoreRequireSigning=true", "-p:SigstoreSigningKeyPath=keys/release.key",
            $"-p:SigstoreTrustedRootPath={s_sigstore.TrustedRootPath}", $"-p:SigstoreSigningConfigPath={s_sigstore.SigningConfigPath}"));
        Assert.IsTrue(publish.Succeeded, publish.ToString());
        Assert.Contains($"as key {hint}", publish.Output);

        var bundle = SigstoreBuild.Bundles.BundleSerializer.Load(Path.Combine(project, "bin", "Release", "net10.0", "linux-x64", "publish") + ".sigstore.json");
        Assert.AreEqual(hint, bundle.VerificationMaterial!.PublicKey?.Hint);
        Assert.IsNull(bundle.VerificationMaterial.Certificate);
    }

    [TestMethod]
    public void PackWithAKey_WrongPasswordOrMissingFile_FailsWithItsCode_AndNeverLogsThePassword()
    {
        var testDirectory = Path.Combine(E2E.Root, TestContext.TestName!);
        var (privateKey, _, _) = WriteKeyPair(testDirectory, "publisher", SigningKeyAlgorithm.EcdsaP256, Password);
        var library = E2E.CopySample("Library", TestContext.TestName!);
        foreach (var (keyPath, password, code) in new[]
        {
            (privateKey, "not the password", "error SSB2052"),
            (privateKey, "", "error SSB2051"),
            (Path.Combine(testDirectory, "missing.key"), Password, "error SSB2050"),
        })
        {
            var pack = DotNet.Run(library, new Dictionary<string, string> { ["SIGSTORE_PRIVATE_KEY_PASSWORD"] = password },
                DotNet.BuildArguments("pack", "-o", "out", $"-p:SigstoreSigningKeyPath={keyPath}",
                    $"-p:SigstoreTrustedRootPath={s_sigstore.TrustedRootPath}", $"-p:SigstoreSigningConfigPath={s_sigstore.SigningConfigPath}"));
            Assert.IsFalse(pack.Succeeded, pack.ToString());
            Assert.Contains(code, pack.Output);
            if (password.Length > 0)
            {
                Assert.DoesNotContain(password, pack.Output);
            }
        }
    }

    private static (string PrivateKey, string PublicKey, string Hint) WriteKeyPair(string directory, string name, SigningKeyAlgorithm algorithm, string? password)
    {
        Directory.CreateDirectory(directory);
        using var key = SigningKey.Generate(algorithm);
        var privateKey = Path.Combine(directory, name + ".key");
        var publicKey = Path.Combine(directory, name + ".pub");
        File.WriteAllText(privateKey, key.ExportPrivateKeyPem(password));
        File.WriteAllText(publicKey, key.PublicKeyPem);
        return (privateKey, publicKey, key.Hint);
    }
}
