using System.Text.Json.Nodes;
using SigstoreBuild.Identity;
using SigstoreBuild.LocalStack;
using SigstoreBuild.LocalStack.Oidc;
using SigstoreBuild.NuGet;
using SigstoreBuild.NuGet.Attestations;
using SigstoreBuild.NuGet.Provenance;
using SigstoreBuild.NuGet.Restore;
using SigstoreBuild.Restore.Tests.Infrastructure;
using SigstoreBuild.Signing;

namespace SigstoreBuild.Restore.Tests;

/// <summary>
/// <c>RequireProvenanceConsistency</c> on a trusted identity (D-06), through the real restore verifier: packages signed by
/// the local Sigstore instance with a GitHub Actions certificate and SigstoreBuild's SLSA provenance, honest or lying about
/// the commit or the builder.
/// </summary>
[TestClass]
public sealed class ProvenanceConsistencyTests
{
    private const string Workflow = "https://github.com/octo-org/octo-repo/.github/workflows/release.yml@refs/heads/main";
    private const string OtherWorkflow = "https://github.com/octo-org/octo-repo/.github/workflows/other.yml@refs/heads/main";
    private static LocalSigstore s_sigstore = null!;
    private static string s_root = null!;

    public TestContext TestContext { get; set; } = null!;

    [ClassInitialize]
    public static async Task StartAsync(TestContext context)
    {
        s_root = Directory.CreateTempSubdirectory("ssb-restore-provenance-").FullName;
        s_sigstore = await LocalSigstore.StartAsync(Path.Combine(s_root, "instance"), 0, context.CancellationToken);
    }

    [ClassCleanup]
    public static async Task StopAsync()
    {
        await s_sigstore.DisposeAsync();
        Directory.Delete(s_root, recursive: true);
    }

    private static string Issuer => s_sigstore.Services.Oidc.Issuer;

    [TestMethod]
    public async Task ConsistentProvenance_Verifies()
    {
        using var feed = new TestFeed();
        await PublishAsync(feed, "Contoso.Lib", lie: null);
        var result = await RunAsync(feed, Policy(Strict(Workflow)));
        Assert.IsTrue(result.Succeeded, Describe(result));
        Assert.AreEqual(1, result.Verified);
    }

    [TestMethod]
    [DataRow("commit", "SSB3422")]
    [DataRow("builder", "SSB3421")]
    public async Task ContradictingProvenance_FailsOnlyWhereRequired_EvenAfterALaxVerificationWasCached(string lie, string code)
    {
        using var feed = new TestFeed();
        await PublishAsync(feed, "Contoso.Lib", lie);

        var lax = await RunAsync(feed, Policy(Lax(Workflow)));
        Assert.IsTrue(lax.Succeeded, "the signature itself is fine: " + Describe(lax));

        // Same cache file: the policy hash changes with the flag, so the earlier verification is not reused.
        var strict = await RunAsync(feed, Policy(Strict(Workflow)));
        Assert.IsFalse(strict.Succeeded, Describe(strict));
        Assert.HasCount(1, strict.Diagnostics, Describe(strict));
        Assert.AreEqual(RestoreCodes.SignatureInvalid, strict.Diagnostics[0].Code);
        StringAssert.Contains(strict.Diagnostics[0].Message, code + ":");
    }

    [TestMethod]
    public async Task MixedIdentities_TheCheckBindsOnlyTheSignersItNames()
    {
        using var feed = new TestFeed();
        await PublishAsync(feed, "Contoso.Lib", lie: "commit");

        // The signer is named only by the lax identity: accepted without the check.
        var laxSigner = await RunAsync(feed, Policy(Strict(OtherWorkflow), Lax(Workflow)));
        Assert.IsTrue(laxSigner.Succeeded, Describe(laxSigner));

        // Named by a strict identity too: the check applies.
        var strictSigner = await RunAsync(feed, Policy(Strict(Workflow), Lax(Workflow)));
        Assert.IsFalse(strictSigner.Succeeded, Describe(strictSigner));
        StringAssert.Contains(strictSigner.Diagnostics[0].Message, "SSB3422:");
    }

    [TestMethod]
    public async Task EmailSignedProvenance_FailsTheCheck_UnlessTheIdentityAllowsItUnsafely_ThenEveryRunWarns()
    {
        const string email = "dev@example.com";
        using var feed = new TestFeed();
        await PublishAsync(feed, "Contoso.Lib", lie: null, s_sigstore.MintToken(email));

        var strict = await RunAsync(feed, Policy(Strict(email)));
        Assert.IsFalse(strict.Succeeded, Describe(strict));
        Assert.AreEqual(RestoreCodes.SignatureInvalid, strict.Diagnostics.Single().Code, Describe(strict));
        StringAssert.Contains(strict.Diagnostics[0].Message, "SSB3424:");

        var unsafeIdentity = new TrustedIdentity(PackageIdPattern.Parse("Contoso.*"), Issuer, email, null, requireProvenanceConsistency: true, unsafeAllowUncorroboratedProvenance: true);
        for (var run = 0; run < 2; run++)
        {
            // The second run comes from the cache, and still warns.
            var allowed = await RunAsync(feed, Policy(unsafeIdentity));
            Assert.IsTrue(allowed.Succeeded, Describe(allowed));
            Assert.AreEqual(RestoreCodes.UnsafeUncorroboratedProvenance, allowed.Diagnostics.Single().Code, Describe(allowed));
        }

        // A strict identity that names the same signer keeps the check.
        Assert.IsFalse((await RunAsync(feed, Policy(Strict(email), unsafeIdentity))).Succeeded);
    }

    private static TrustedIdentity Strict(string subject) => new(PackageIdPattern.Parse("Contoso.*"), Issuer, subject, null, requireProvenanceConsistency: true);

    private static TrustedIdentity Lax(string subject) => new(PackageIdPattern.Parse("Contoso.*"), Issuer, subject, null);

    private static TrustPolicy Policy(params TrustedIdentity[] identities) => new(identities, [], []);

    private Task<RestoreVerificationResult> RunAsync(TestFeed feed, TrustPolicy policy) =>
        new RestoreVerifier(new RestoreVerificationOptions
        {
            AssetsFilePath = feed.AssetsFile,
            Policy = policy,
            Mode = VerificationMode.Enforce,
            LockFilePath = feed.LockFile,
            CacheFilePath = feed.CacheFile,
            Verifier = SigstorePackageSignatureVerifier.ForTrustedRoot(s_sigstore.TrustedRootPath),
            Sources = [new SidecarBundleSource()],
        }).VerifyAsync(TestContext.CancellationToken);

    /// <summary>Adds the package to the feed and signs SigstoreBuild's provenance for it as a GitHub Actions job would.</summary>
    private async Task PublishAsync(TestFeed feed, string id, string? lie, string? token = null)
    {
        feed.AddPackage(id, "1.0.0");
        var nupkg = Path.Combine(feed.Feed, $"{id}.1.0.0.nupkg");
        var environment = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["GITHUB_ACTIONS"] = "true", ["GITHUB_SERVER_URL"] = "https://github.com", ["GITHUB_REPOSITORY"] = "octo-org/octo-repo",
            ["GITHUB_REPOSITORY_ID"] = "123456789", ["GITHUB_REPOSITORY_OWNER_ID"] = "987654321",
            ["GITHUB_WORKFLOW_REF"] = "octo-org/octo-repo/.github/workflows/release.yml@refs/heads/main", ["GITHUB_REF"] = "refs/heads/main",
            ["GITHUB_SHA"] = "0123456789abcdef0123456789abcdef01234567", ["GITHUB_EVENT_NAME"] = "push", ["GITHUB_RUN_ID"] = "1000",
            ["GITHUB_RUN_ATTEMPT"] = "1", ["RUNNER_ENVIRONMENT"] = "github-hosted",
        };
        var inputs = new ProvenanceInputs { Project = id + ".csproj", Configuration = "Release", TargetFrameworks = ["net10.0"], SdkVersion = "10.0.401" };
        JsonObject predicate = new ProvenanceBuilder(inputs, BuildPlatform.Detect(n => environment.GetValueOrDefault(n)), BuildHost.Current).Build("pack", DateTimeOffset.UtcNow);
        switch (lie)
        {
            case "commit": predicate["buildDefinition"]!["resolvedDependencies"]![0]!["digest"]!["gitCommit"] = new string('e', 40); break;
            case "builder": predicate["runDetails"]!["builder"]!["id"] = OtherWorkflow; break;
        }

        token ??= s_sigstore.MintToken(new TokenRequest { Subject = "repo:octo-org/octo-repo:ref:refs/heads/main", Claims = TokenRequest.GitHubActionsClaims() });
        using var signer = new SessionAttestationSigner(new SigningSession(
            StaticSigningTrustProvider.Load(s_sigstore.TrustedRootPath, s_sigstore.SigningConfigPath),
            ExplicitTokenProvider.FromToken(token),
            new SigstoreBundleVerifier()));
        var package = PackageInspector.Inspect(nupkg);
        var statement = PackageStatements.ForPackages([package], new SlsaBuildContext { Project = id, BuilderId = Workflow, Step = "pack" }, predicate);
        await signer.SignAsync(statement, nupkg + ".sigstore.json", TestContext.CancellationToken);
    }

    private static string Describe(RestoreVerificationResult result) => result.Summary + " " + string.Join(" | ", result.Diagnostics);
}
