using System.Text.RegularExpressions;
using SigstoreBuild.EndToEnd.Tests.Infrastructure;
using SigstoreBuild.LocalStack;

namespace SigstoreBuild.EndToEnd.Tests;

/// <summary>
/// samples/Consumer as a user copies it: its Directory.Build.props carries both the SigstoreBuild PackageReference and
/// the repository's trust policy. samples/Library is packed and signed through a local Sigstore instance into a folder
/// feed; the consumer restores Contoso.Greetings from it and verifies it at build time, in enforce mode.
/// </summary>
[TestClass]
public sealed partial class ConsumerSampleTests
{
    private const string Signer = "greetings-release@example.com";
    private static LocalSigstore s_sigstore = null!;

    public TestContext TestContext { get; set; } = null!;

    [ClassInitialize]
    public static async Task StartSigstore(TestContext context)
    {
        E2E.RequirePackage();
        s_sigstore = await LocalSigstore.StartAsync(Path.Combine(E2E.Root, "sigstore-consumer"), 0, context.CancellationToken);
    }

    [ClassCleanup]
    public static async Task StopSigstore()
    {
        if (s_sigstore is not null)
        {
            await s_sigstore.DisposeAsync();
        }
    }

    [GeneratedRegex(@"\b(warning|error) SSB\d{4}")]
    private static partial Regex SigstoreDiagnostic();

    [TestMethod]
    public void ConsumerSample_FirstBuildVerifiesItsDependencies_AndAnotherSignerFailsWithSSB5105()
    {
        var testDirectory = Path.Combine(E2E.Root, TestContext.TestName!);

        // The publisher: dotnet pack signs Contoso.Greetings and embeds the bundle; the folder feed is all that is published.
        var library = E2E.CopySample("Library", TestContext.TestName!);
        var feed = Path.Combine(testDirectory, "greetings-feed");
        var pack = DotNet.Run(library, new Dictionary<string, string> { ["SIGSTORE_ID_TOKEN"] = s_sigstore.MintToken(Signer) },
            DotNet.BuildArguments("pack", "-o", feed, "-p:SigstoreRequireSigning=true",
                $"-p:SigstoreTrustedRootPath={s_sigstore.TrustedRootPath}", $"-p:SigstoreSigningConfigPath={s_sigstore.SigningConfigPath}"));
        Assert.IsTrue(pack.Succeeded, pack.ToString());
        Assert.IsTrue(File.Exists(Path.Combine(feed, "Contoso.Greetings.1.0.0.nupkg")), pack.ToString());
        Assert.IsEmpty(Directory.GetFiles(feed, "*.sigstore.json"), "the bundle travels inside the package, nothing beside it");

        // The package consumer's first check, with the sigstore command installed as README.md says.
        var sigstore = E2E.InstallCli();
        var verified = DotNet.RunProgram(sigstore, testDirectory, DotNet.RootEnvironment(), "verify-package", Path.Combine(feed, "Contoso.Greetings.1.0.0.nupkg"),
            "--certificate-identity", Signer, "--certificate-oidc-issuer", s_sigstore.Services.Oidc.Issuer, "--trusted-root", s_sigstore.TrustedRootPath);
        Assert.IsTrue(verified.Succeeded, verified.ToString());
        Assert.Contains("Contoso.Greetings", verified.Output);
        var impostor = DotNet.RunProgram(sigstore, testDirectory, DotNet.RootEnvironment(), "verify-package", Path.Combine(feed, "Contoso.Greetings.1.0.0.nupkg"),
            "--certificate-identity", "someone-else@example.com", "--certificate-oidc-issuer", s_sigstore.Services.Oidc.Issuer, "--trusted-root", s_sigstore.TrustedRootPath);
        Assert.AreEqual(1, impostor.ExitCode, impostor.ToString());
        Assert.MatchesRegex(@"error SSB\d{4}", impostor.Output);

        // The consumer: only these two feeds, its own package folder and no fallback folders, so Contoso.Greetings 1.0.0
        // can only come from the feed above.
        var trusted = Build(E2E.CopyConsumer(TestContext.TestName!, feed), Signer);
        Assert.IsTrue(trusted.Succeeded, trusted.ToString());
        Assert.DoesNotMatchRegex(SigstoreDiagnostic(), trusted.Output, trusted.Output);
        Assert.Contains("Sigstore: verified 1 package, 1 allowed unsigned, 0 warnings in Contoso.Welcome.csproj", trusted.Output);

        var otherSigner = Build(E2E.CopyConsumer(TestContext.TestName! + "-other-signer", feed), "someone-else@example.com");
        Assert.IsFalse(otherSigner.Succeeded, otherSigner.ToString());
        Assert.Contains("error SSB5105", otherSigner.Output);
        Assert.Contains("Contoso.Greetings", otherSigner.Output);
    }

    /// <summary>
    /// A first build of a fresh copy, as the sample's README shows it for the local instance: the signer, its issuer and
    /// the trust root are properties the sample's Directory.Build.props reads; everything else is the sample as is.
    /// </summary>
    private DotNetResult Build(string consumer, string signer) =>
        E2E.BuildConsumer(consumer, $"-p:ContosoSigner={signer}", $"-p:ContosoSignerIssuer={s_sigstore.Services.Oidc.Issuer}", $"-p:SigstoreTrustedRootPath={s_sigstore.TrustedRootPath}");
}
