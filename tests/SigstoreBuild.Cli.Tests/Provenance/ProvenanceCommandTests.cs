using System.Text.Json.Nodes;
using SigstoreBuild.Cli.Tests.Infrastructure;
using NuGet.Packaging;
using NuGet.Versioning;
using SigstoreBuild.Attestations;
using SigstoreBuild.LocalStack;
using SigstoreBuild.LocalStack.Oidc;
using SigstoreBuild.NuGet;
using SigstoreBuild.NuGet.Attestations;
using SigstoreBuild.NuGet.Provenance;

namespace SigstoreBuild.Cli.Tests.Provenance;

/// <summary>
/// SLSA provenance as SigstoreBuild writes it, signed with a GitHub Actions identity by the local Sigstore instance, then
/// <c>verify --predicate-type … --provenance-consistency</c>, sigstore-js and <c>inspect</c>.
/// </summary>
[TestClass]
public sealed class ProvenanceCommandTests
{
    private const string Workflow = "https://github.com/octo-org/octo-repo/.github/workflows/release.yml@refs/heads/main";
    private static LocalSigstore s_sigstore = null!;
    private static string s_root = null!;

    public TestContext TestContext { get; set; } = null!;

    [ClassInitialize]
    public static async Task StartAsync(TestContext context)
    {
        s_root = Directory.CreateTempSubdirectory("ssb-cli-provenance-").FullName;
        s_sigstore = await LocalSigstore.StartAsync(Path.Combine(s_root, "instance"), 0, context.CancellationToken);
    }

    [ClassCleanup]
    public static async Task StopAsync()
    {
        await s_sigstore.DisposeAsync();
        Directory.Delete(s_root, recursive: true);
    }

    /// <summary>The environment of the GitHub Actions job whose token <see cref="GitHubToken"/> mints (LocalStack's default claims).</summary>
    private static Dictionary<string, string> GitHubEnvironment() => new(StringComparer.Ordinal)
    {
        ["GITHUB_ACTIONS"] = "true", ["GITHUB_SERVER_URL"] = "https://github.com", ["GITHUB_REPOSITORY"] = "octo-org/octo-repo",
        ["GITHUB_REPOSITORY_ID"] = "123456789", ["GITHUB_REPOSITORY_OWNER_ID"] = "987654321",
        ["GITHUB_WORKFLOW_REF"] = "octo-org/octo-repo/.github/workflows/release.yml@refs/heads/main", ["GITHUB_REF"] = "refs/heads/main",
        ["GITHUB_SHA"] = "0123456789abcdef0123456789abcdef01234567", ["GITHUB_EVENT_NAME"] = "push", ["GITHUB_RUN_ID"] = "1000",
        ["GITHUB_RUN_ATTEMPT"] = "1", ["RUNNER_ENVIRONMENT"] = "github-hosted",
    };

    private static string GitHubToken() => s_sigstore.MintToken(new TokenRequest
    {
        Subject = "repo:octo-org/octo-repo:ref:refs/heads/main",
        Claims = TokenRequest.GitHubActionsClaims(),
    });

    private static JsonObject Predicate(Action<JsonObject>? tamper = null)
    {
        var env = GitHubEnvironment();
        var inputs = new ProvenanceInputs { Project = "Contoso.Greetings.csproj", Configuration = "Release", TargetFrameworks = ["net10.0"], SdkVersion = "10.0.401" };
        var predicate = new ProvenanceBuilder(inputs, BuildPlatform.Detect(n => env.GetValueOrDefault(n)), BuildHost.Current).Build("pack", DateTimeOffset.UtcNow);
        tamper?.Invoke(predicate);
        return predicate;
    }

    /// <summary>Writes a package-like artifact and signs an SLSA statement about it; returns (artifact, bundle).</summary>
    private async Task<(string Artifact, string Bundle)> SignAsync(JsonObject predicate, string token)
    {
        var dir = Directory.CreateDirectory(Path.Combine(s_root, TestContext.TestName + "-" + Guid.NewGuid().ToString("N")[..6])).FullName;
        var artifact = Path.Combine(dir, "Contoso.Greetings.1.0.0.nupkg");
        await File.WriteAllTextAsync(artifact, "pretend package " + Guid.NewGuid());
        var bundle = await SignStatementAsync(PackageStatements.FileSubject("pkg:nuget/Contoso.Greetings@1.0.0", artifact), predicate, token, artifact + ".sigstore.json");
        return (artifact, bundle);
    }

    private static async Task<string> SignStatementAsync(InTotoSubject subject, JsonObject predicate, string token, string bundle)
    {
        var statement = Path.Combine(Path.GetDirectoryName(bundle)!, "statement.json");
        await File.WriteAllBytesAsync(statement, new InTotoStatement([subject], SlsaProvenance.PredicateType, predicate).ToJson());
        var sign = await CliRunner.RunAsync("sign-bundle", "--in-toto", "--identity-token", token, "--bundle", bundle,
            "--trusted-root", s_sigstore.TrustedRootPath, "--signing-config", s_sigstore.SigningConfigPath, statement);
        Assert.AreEqual(0, sign.ExitCode, sign.ToString());
        return bundle;
    }

    /// <summary>Makes the predicate contradict the GitHub certificate in one field.</summary>
    private static void Lie(JsonObject predicate, string lie)
    {
        switch (lie)
        {
            case "builder": predicate["runDetails"]!["builder"]!["id"] = "https://github.com/octo-org/octo-repo/.github/workflows/trusted-release.yml@refs/heads/main"; break;
            case "commit": predicate["buildDefinition"]!["resolvedDependencies"]![0]!["digest"]!["gitCommit"] = new string('e', 40); break;
            case "invocation": predicate["runDetails"]!["metadata"]!["invocationId"] = "https://github.com/octo-org/octo-repo/actions/runs/1/attempts/1"; break;
            default: throw new ArgumentOutOfRangeException(nameof(lie), lie, null);
        }
    }

    private static Task<CliRun> VerifyAsync(string artifact, string bundle, string identity, params string[] more) =>
        CliRunner.RunAsync(["verify", artifact, "--bundle", bundle, "--certificate-identity", identity, "--certificate-oidc-issuer", s_sigstore.BaseUrl,
            "--trusted-root", s_sigstore.TrustedRootPath, "--predicate-type", SlsaProvenance.PredicateType, .. more]);

    [TestMethod]
    public async Task GitHubProvenance_VerifiesWithConsistency_AndWithSigstoreJs()
    {
        var (artifact, bundle) = await SignAsync(Predicate(), GitHubToken());

        var verify = await VerifyAsync(artifact, bundle, Workflow, "--provenance-consistency", "--source-repository-uri", "https://github.com/octo-org/octo-repo");
        Assert.AreEqual(0, verify.ExitCode, verify.ToString());
        StringAssert.Contains(verify.Output, SlsaProvenance.PredicateType);
        Assert.DoesNotContain("SSB3560", verify.Error, "a GitHub certificate corroborates the provenance");

        var js = await SigstoreJs.VerifyAsync(bundle, s_sigstore.TrustedRootPath, Workflow, s_sigstore.BaseUrl, artifact);
        Assert.AreEqual(0, js.ExitCode, "sigstore-js rejected our provenance attestation: " + js.Output);
    }

    [TestMethod]
    [DataRow("builder", "SSB3421")]
    [DataRow("commit", "SSB3422")]
    [DataRow("invocation", "SSB3423")]
    public async Task PredicateContradictingTheCertificate_IsRejectedOnlyWithTheCheck(string lie, string code)
    {
        var (artifact, bundle) = await SignAsync(Predicate(p => Lie(p, lie)), GitHubToken());

        var lenient = await VerifyAsync(artifact, bundle, Workflow);
        Assert.AreEqual(0, lenient.ExitCode, "the signature itself is fine: " + lenient);

        var strict = await VerifyAsync(artifact, bundle, Workflow, "--provenance-consistency");
        Assert.AreEqual(1, strict.ExitCode, strict.ToString());
        StringAssert.Contains(strict.Error, $"error {code}");
    }

    [TestMethod]
    [DataRow(null, null, DisplayName = "consistent")]
    [DataRow("builder", "SSB3421", DisplayName = "another builder")]
    [DataRow("commit", "SSB3422", DisplayName = "another commit")]
    [DataRow("invocation", "SSB3423", DisplayName = "another run")]
    public async Task VerifyPackage_WithProvenanceConsistency_RejectsOnlyAContradictingPackage(string? lie, string? code)
    {
        // A real package (NuGet's PackageBuilder) attested as dotnet pack does: pkg:nuget/id@version with its content hash.
        var dir = Directory.CreateDirectory(Path.Combine(s_root, "package-" + (lie ?? "consistent") + "-" + Guid.NewGuid().ToString("N")[..6])).FullName;
        var package = Path.Combine(dir, "Contoso.Greetings.1.0.0.nupkg");
        var builder = new PackageBuilder { Id = "Contoso.Greetings", Version = NuGetVersion.Parse("1.0.0"), Description = "A test package." };
        builder.Authors.Add("Contoso");
        builder.Files.Add(new PhysicalPackageFile(new MemoryStream("greetings"u8.ToArray())) { TargetPath = "lib/net10.0/greetings.txt" });
        using (var stream = File.Create(package))
        {
            builder.Save(stream);
        }

        await SignStatementAsync(PackageStatements.ForPackage(PackageInspector.Inspect(package)), Predicate(p => { if (lie is not null) { Lie(p, lie); } }), GitHubToken(), package + ".sigstore.json");
        string[] verify = ["verify-package", package, "--certificate-identity", Workflow, "--certificate-oidc-issuer", s_sigstore.BaseUrl,
            "--trusted-root", s_sigstore.TrustedRootPath, "--predicate-type", SlsaProvenance.PredicateType];

        var lenient = await CliRunner.RunAsync(verify);
        Assert.AreEqual(0, lenient.ExitCode, "without the check the signature alone decides: " + lenient);

        var strict = await CliRunner.RunAsync([.. verify, "--provenance-consistency"]);
        if (code is null)
        {
            Assert.AreEqual(0, strict.ExitCode, strict.ToString());
            StringAssert.StartsWith(strict.Output, "Verified OK: pkg:nuget/Contoso.Greetings@1.0.0");
            Assert.DoesNotContain("SSB3560", strict.Error, "a GitHub certificate corroborates the provenance");
        }
        else
        {
            Assert.AreEqual(1, strict.ExitCode, strict.ToString());
            StringAssert.StartsWith(strict.Error, $"error {code}: ");
        }
    }

    [TestMethod]
    public async Task EmailSignedProvenance_FailsTheCheck_UnlessUnsafeAllowed_ThenWarned()
    {
        // An email certificate has no builder, source or invocation extension: nothing the provenance claims is corroborated.
        const string email = "dev@example.com";
        var (artifact, bundle) = await SignAsync(Predicate(), s_sigstore.MintToken(email));
        Assert.AreEqual(0, (await VerifyAsync(artifact, bundle, email)).ExitCode, "the signature alone verifies");

        var strict = await VerifyAsync(artifact, bundle, email, "--provenance-consistency");
        Assert.AreEqual(1, strict.ExitCode, strict.ToString());
        StringAssert.StartsWith(strict.Error, "error SSB3424: ");
        StringAssert.Contains(strict.Error, "--unsafe-allow-uncorroborated-provenance");

        var allowed = await VerifyAsync(artifact, bundle, email, "--provenance-consistency", "--unsafe-allow-uncorroborated-provenance");
        Assert.AreEqual(0, allowed.ExitCode, allowed.ToString());
        StringAssert.Contains(allowed.Error, "warning SSB3560");
        StringAssert.Contains(allowed.Error, "UnsafeAllowUncorroboratedProvenance");
    }

    [TestMethod]
    [DataRow("verify")]
    [DataRow("verify-package")]
    public async Task UnsafeAllowUncorroboratedProvenance_WithoutTheCheck_IsAUsageError(string command)
    {
        var run = await CliRunner.RunAsync(command, Path.Combine(s_root, "missing.nupkg"), "--certificate-identity", Workflow,
            "--certificate-oidc-issuer", s_sigstore.BaseUrl, "--unsafe-allow-uncorroborated-provenance");
        Assert.AreEqual(2, run.ExitCode, run.ToString());
        StringAssert.Contains(run.Error, "--unsafe-allow-uncorroborated-provenance only relaxes --provenance-consistency");
    }

    [TestMethod]
    public async Task ProvenanceConsistency_OnAPlainSignature_IsSSB3420()
    {
        var dir = Directory.CreateDirectory(Path.Combine(s_root, "plain-" + Guid.NewGuid().ToString("N")[..6])).FullName;
        var artifact = Path.Combine(dir, "a.txt");
        await File.WriteAllTextAsync(artifact, "plain");
        var bundle = artifact + ".sigstore.json";
        var sign = await CliRunner.RunAsync("sign-bundle", "--identity-token", GitHubToken(), "--bundle", bundle,
            "--trusted-root", s_sigstore.TrustedRootPath, "--signing-config", s_sigstore.SigningConfigPath, artifact);
        Assert.AreEqual(0, sign.ExitCode, sign.ToString());

        var verify = await CliRunner.RunAsync("verify", artifact, "--bundle", bundle, "--certificate-identity", Workflow, "--certificate-oidc-issuer", s_sigstore.BaseUrl,
            "--trusted-root", s_sigstore.TrustedRootPath, "--provenance-consistency");
        Assert.AreEqual(1, verify.ExitCode, verify.ToString());
        StringAssert.Contains(verify.Error, "error SSB3420");
    }

    [TestMethod]
    public async Task Inspect_ShowsIdentityTimesSubjectsAndProvenance()
    {
        var (_, bundle) = await SignAsync(Predicate(), GitHubToken());

        var text = await CliRunner.RunAsync("inspect", bundle);
        Assert.AreEqual(0, text.ExitCode, text.ToString());
        foreach (var expected in new[]
        {
            "NOT VERIFIED", $"identity: {Workflow} (uri)", $"issuer: {s_sigstore.BaseUrl}", "sourceRepositoryDigest: 0123456789abcdef0123456789abcdef01234567",
            "log entry ", "RFC 3161 timestamp: 20", "Statement (https://in-toto.io/Statement/v1)", "pkg:nuget/Contoso.Greetings@1.0.0  sha256:", "Provenance (SLSA v1)",
            $"build type: {SlsaProvenance.BuildTypeV1}", $"builder: {Workflow}", "invocationId: https://github.com/octo-org/octo-repo/actions/runs/1000/attempts/1",
            "step: pack", "workflow.path: .github/workflows/release.yml", "dotnet.sdkVersion: 10.0.401",
            "git+https://github.com/octo-org/octo-repo@refs/heads/main  gitCommit:0123456789abcdef0123456789abcdef01234567",
        })
        {
            StringAssert.Contains(text.Output, expected);
        }

        var json = await CliRunner.RunAsync("inspect", bundle, "--output", "json");
        Assert.AreEqual(0, json.ExitCode, json.ToString());
        var report = JsonNode.Parse(json.Output)!;
        Assert.IsFalse((bool)report["verified"]!);
        Assert.AreEqual(Workflow, (string?)report["certificate"]!["subjectAlternativeName"]);
        Assert.AreEqual(Workflow, (string?)report["certificate"]!["extensions"]!["buildSignerUri"]);
        Assert.IsGreaterThanOrEqualTo(1, report["tlogEntries"]!.AsArray().Count);
        Assert.IsNotNull(report["timestamps"]![0]!["time"], "the TSA's time is decoded");
        Assert.AreEqual(SlsaProvenance.PredicateType, (string?)report["statement"]!["predicateType"]);
        Assert.AreEqual(Workflow, (string?)report["statement"]!["predicate"]!["runDetails"]!["builder"]!["id"]);
        Assert.AreEqual("pkg:nuget/Contoso.Greetings@1.0.0", (string?)report["statement"]!["subjects"]![0]!["name"]);
    }

    [TestMethod]
    public async Task Inspect_MissingFile_IsACodedError()
    {
        var run = await CliRunner.RunAsync("inspect", Path.Combine(s_root, "missing.sigstore.json"));
        Assert.AreEqual(1, run.ExitCode, run.ToString());
        StringAssert.Contains(run.Error, "error SSB");
    }
}
