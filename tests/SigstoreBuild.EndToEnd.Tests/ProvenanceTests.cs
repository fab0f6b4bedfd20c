using System.Text.Json;
using System.Text.Json.Nodes;
using NuGet.Versioning;
using SigstoreBuild.Bundles;
using SigstoreBuild.EndToEnd.Tests.Infrastructure;
using SigstoreBuild.LocalStack;
using SigstoreBuild.LocalStack.Oidc;
using SigstoreBuild.NuGet;
using SigstoreBuild.NuGet.Provenance;
using SigstoreBuild.NuGet.Tests.Provenance;
using SigstoreBuild.NuGet.Verification;
using SigstoreBuild.Trust;
using SigstoreBuild.Verification;

namespace SigstoreBuild.EndToEnd.Tests;

/// <summary>
/// The SLSA provenance a real dotnet pack / publish writes through the packed SigstoreBuild: schema-valid, listing every
/// restored package, consistent with a (simulated) GitHub Actions certificate, and verifiable by sigstore-js.
/// </summary>
[TestClass]
public sealed class ProvenanceTests
{
    private const string Workflow = "https://github.com/octo-org/octo-repo/.github/workflows/release.yml@refs/heads/main";
    private const string Commit = "0123456789abcdef0123456789abcdef01234567";
    private static LocalSigstore s_sigstore = null!;

    public TestContext TestContext { get; set; } = null!;

    [ClassInitialize]
    public static async Task StartSigstore(TestContext context)
    {
        E2E.RequirePackage();
        s_sigstore = await LocalSigstore.StartAsync(Path.Combine(E2E.Root, "sigstore-provenance"), 0, context.CancellationToken);
    }

    [ClassCleanup]
    public static async Task StopSigstore()
    {
        if (s_sigstore is not null)
        {
            await s_sigstore.DisposeAsync();
        }
    }

    /// <summary>A GitHub Actions job as the build sees it (environment) and as Fulcio certifies it (the token's claims).</summary>
    private static Dictionary<string, string> GitHubJob() => new()
    {
        ["SIGSTORE_ID_TOKEN"] = s_sigstore.MintToken(new TokenRequest { Subject = "repo:octo-org/octo-repo:ref:refs/heads/main", Claims = TokenRequest.GitHubActionsClaims(sha: Commit) }),
        ["GITHUB_ACTIONS"] = "true", ["GITHUB_SERVER_URL"] = "https://github.com", ["GITHUB_REPOSITORY"] = "octo-org/octo-repo",
        ["GITHUB_REPOSITORY_ID"] = "123456789", ["GITHUB_REPOSITORY_OWNER_ID"] = "987654321",
        ["GITHUB_WORKFLOW_REF"] = "octo-org/octo-repo/.github/workflows/release.yml@refs/heads/main", ["GITHUB_REF"] = "refs/heads/main",
        ["GITHUB_SHA"] = Commit, ["GITHUB_EVENT_NAME"] = "push", ["GITHUB_RUN_ID"] = "1000", ["GITHUB_RUN_ATTEMPT"] = "1",
        ["RUNNER_ENVIRONMENT"] = "github-hosted",
    };

    private static string[] Trust() => [$"-p:SigstoreTrustedRootPath={s_sigstore.TrustedRootPath}", $"-p:SigstoreSigningConfigPath={s_sigstore.SigningConfigPath}", "-p:SigstoreRequireSigning=true"];

    [TestMethod]
    public void Pack_OnGitHubActions_WritesConsistentSlsaProvenance_ThatBothVerifiersAccept()
    {
        var project = E2E.CopySample("Library", TestContext.TestName!);
        var result = DotNet.Run(project, GitHubJob(), DotNet.BuildArguments("pack", ["-o", "out", "-p:SigstoreProvenanceIncludeAssemblies=true", .. Trust()]));
        Assert.IsTrue(result.Succeeded, result.ToString());
        Assert.DoesNotContain("SSB0950", result.Output, "the CI's source is known");

        var package = Path.Combine(project, "out", "Contoso.Greetings.1.0.0.nupkg");
        var bundle = E2E.EmbeddedBundleOf(package);
        var statement = JsonNode.Parse(bundle.DsseEnvelope!.Payload!)!;
        var errors = SlsaSchema.Validate(statement);
        Assert.IsEmpty(errors, string.Join("\n", errors));
        Assert.AreEqual(SlsaProvenance.PredicateType, (string?)statement["predicateType"]);
        Assert.AreEqual("pkg:nuget/Contoso.Greetings@1.0.0", (string?)statement["subject"]![0]!["name"]);
        Assert.IsTrue(statement["subject"]!.AsArray().Any(s => (string?)s!["name"] == "pkg:nuget/Contoso.Greetings@1.0.0#lib/net10.0/Contoso.Greetings.dll"), "assemblies are extra subjects when asked for");

        var predicate = statement["predicate"]!;
        var definition = predicate["buildDefinition"]!;
        Assert.AreEqual(SlsaProvenance.BuildTypeV1, (string?)definition["buildType"]);
        Assert.AreEqual("pack", (string?)definition["externalParameters"]!["step"]);
        Assert.AreEqual("Release", (string?)definition["externalParameters"]!["configuration"]);
        Assert.AreEqual("1.0.0", (string?)definition["externalParameters"]!["properties"]!["Version"]);
        Assert.AreEqual(".github/workflows/release.yml", (string?)definition["externalParameters"]!["workflow"]!["path"]);
        Assert.IsFalse(string.IsNullOrEmpty((string?)definition["internalParameters"]!["dotnet"]!["sdkVersion"]));
        Assert.AreEqual(Workflow, (string?)predicate["runDetails"]!["builder"]!["id"]);
        var metadata = predicate["runDetails"]!["metadata"]!;
        Assert.IsLessThanOrEqualTo(DateTimeOffset.Parse((string)metadata["finishedOn"]!), DateTimeOffset.Parse((string)metadata["startedOn"]!));

        // The source, then every package of the real assets file with the sha512 restore recorded.
        var dependencies = definition["resolvedDependencies"]!.AsArray();
        Assert.AreEqual("git+https://github.com/octo-org/octo-repo@refs/heads/main", (string?)dependencies[0]!["uri"]);
        Assert.AreEqual(Commit, (string?)dependencies[0]!["digest"]!["gitCommit"]);
        using var assets = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(project, "obj", "project.assets.json")));
        var packages = assets.RootElement.GetProperty("libraries").EnumerateObject().Where(l => l.Value.GetProperty("type").GetString() == "package").ToList();
        Assert.IsNotEmpty(packages, "the sample restores at least SigstoreBuild");
        Assert.HasCount(packages.Count + 1, dependencies);
        foreach (var library in packages)
        {
            var (id, version) = (library.Name.Split('/')[0], library.Name.Split('/')[1]);
            var uri = PackageSubject.Name(id, NuGetVersion.Parse(version));
            var dependency = dependencies.SingleOrDefault(d => (string?)d!["uri"] == uri);
            Assert.IsNotNull(dependency, $"{uri} is missing");
            Assert.AreEqual(Convert.ToHexStringLower(Convert.FromBase64String(library.Value.GetProperty("sha512").GetString()!)), (string?)dependency["digest"]!["sha512"], uri);
        }

        // Our verifier: SLSA predicate type, the workflow identity, and the provenance consistent with the certificate.
        var verifier = new SigstoreVerifier(TrustedRoot.Load(s_sigstore.TrustedRootPath), VerifierOptions.PublicGood);
        var identity = CertificateIdentity.Exact(Workflow, s_sigstore.Services.Oidc.Issuer);
        var sha256 = (string)statement["subject"]![0]!["digest"]!["sha256"]!;
        var verified = verifier.Verify(bundle, VerificationPolicy.ForDigest("sha256:" + sha256).RequireIdentity(identity)
            .RequirePredicateType(SlsaProvenance.PredicateType).RequireProvenanceConsistency());
        Assert.IsEmpty(verified.Warnings, string.Join("\n", verified.Warnings));
        var asPackage = new PackageVerifier(new SigstoreAttestationVerifier(verifier, identity)).Verify(package, bundle);
        Assert.AreEqual("pkg:nuget/Contoso.Greetings@1.0.0", asPackage.MatchedSubject.Name);

        var js = SigstoreJsVerify(E2E.ExtractBundle(package), Workflow, package);
        Assert.AreEqual(0, js.ExitCode, "sigstore-js rejected the pack's provenance: " + js.Output);
    }

    [TestMethod]
    public void Pack_WithProvenanceOff_StillSigns_WithTheMinimalPredicate()
    {
        const string signer = "e2e-minimal@example.com";
        var project = E2E.CopySample("Library", TestContext.TestName!);
        var result = DotNet.Run(project, new Dictionary<string, string> { ["SIGSTORE_ID_TOKEN"] = s_sigstore.MintToken(signer) },
            DotNet.BuildArguments("pack", ["-o", "out", "-p:SigstoreProvenance=false", .. Trust()]));
        Assert.IsTrue(result.Succeeded, result.ToString());
        Assert.DoesNotContain("SSB0950", result.Output, "no provenance is collected, so no missing source is reported");
        Assert.IsEmpty(Directory.GetFiles(Path.Combine(project, "obj"), "sigstore.provenance.json", SearchOption.AllDirectories), "the collection target did not run");

        var package = Path.Combine(project, "out", "Contoso.Greetings.1.0.0.nupkg");
        var bundle = E2E.EmbeddedBundleOf(package);
        var statement = JsonNode.Parse(bundle.DsseEnvelope!.Payload!)!;
        var errors = SlsaSchema.Validate(statement);
        Assert.IsEmpty(errors, string.Join("\n", errors));
        Assert.AreEqual(SlsaProvenance.PredicateType, (string?)statement["predicateType"]);
        Assert.AreEqual("pkg:nuget/Contoso.Greetings@1.0.0", (string?)statement["subject"]!.AsArray().Single()!["name"]);

        // Minimal: the step, project, configuration and target frameworks, and the builder; nothing resolved or internal.
        var definition = statement["predicate"]!["buildDefinition"]!.AsObject();
        Assert.AreEqual(SlsaProvenance.BuildTypeV1, (string?)definition["buildType"]);
        var external = definition["externalParameters"]!.AsObject();
        Assert.AreEqual("pack", (string?)external["step"]);
        Assert.AreEqual("Contoso.Greetings.csproj", (string?)external["project"]);
        Assert.AreEqual("Release", (string?)external["configuration"]);
        Assert.AreEqual("net10.0", (string?)external["targetFrameworks"]![0]);
        Assert.IsFalse(external.ContainsKey("properties"), external.ToJsonString());
        Assert.IsFalse(definition.ContainsKey("resolvedDependencies"), definition.ToJsonString());
        Assert.IsFalse(definition.ContainsKey("internalParameters"), definition.ToJsonString());
        Assert.AreEqual(SlsaProvenance.LocalBuilderId, (string?)statement["predicate"]!["runDetails"]!["builder"]!["id"], "a URI, as in the full provenance");

        var verifier = new SigstoreVerifier(TrustedRoot.Load(s_sigstore.TrustedRootPath), VerifierOptions.PublicGood);
        var verified = new PackageVerifier(new SigstoreAttestationVerifier(verifier, CertificateIdentity.Exact(signer, s_sigstore.Services.Oidc.Issuer)))
            .Verify(package, bundle, new PackageVerificationPolicy { PredicateType = SlsaProvenance.PredicateType });
        Assert.AreEqual("pkg:nuget/Contoso.Greetings@1.0.0", verified.MatchedSubject.Name);
    }

    [TestMethod]
    public void Publish_Locally_HasProvenanceToo()
    {
        var project = E2E.CopySample("ConsoleApp", TestContext.TestName!);
        var result = DotNet.Run(project, new Dictionary<string, string> { ["SIGSTORE_ID_TOKEN"] = s_sigstore.MintToken("e2e-publisher@example.com") },
            DotNet.BuildArguments("publish", Trust()));
        Assert.IsTrue(result.Succeeded, result.ToString());
        Assert.Contains("warning SSB0950", result.Output, "a sample copied outside git has no source to record");

        var bundlePath = Path.Combine(project, "bin", "Release", "net10.0", "linux-x64", "publish") + ".sigstore.json";
        var statement = JsonNode.Parse(BundleSerializer.Load(bundlePath).DsseEnvelope!.Payload!)!;
        Assert.IsEmpty(SlsaSchema.Validate(statement), string.Join("\n", SlsaSchema.Validate(statement)));
        var predicate = statement["predicate"]!;
        Assert.AreEqual("publish", (string?)predicate["buildDefinition"]!["externalParameters"]!["step"]);
        Assert.AreEqual("linux-x64", (string?)predicate["buildDefinition"]!["externalParameters"]!["properties"]!["RuntimeIdentifier"]);
        Assert.AreEqual("true", (string?)predicate["buildDefinition"]!["externalParameters"]!["properties"]!["SelfContained"]);
        Assert.AreEqual(SlsaProvenance.LocalBuilderId, (string?)predicate["runDetails"]!["builder"]!["id"]);
        Assert.IsTrue(predicate["buildDefinition"]!["resolvedDependencies"]!.AsArray().Any(d => ((string?)d!["uri"])!.StartsWith("pkg:nuget/SigstoreBuild@", StringComparison.Ordinal)));
    }

    /// <summary>tests/interop/verify.mjs (sigstore-js), through the shared runner (which installs its packages).</summary>
    private static (int ExitCode, string Output) SigstoreJsVerify(string bundle, string identity, string artifact) =>
        SigstoreJs.Verify(bundle, s_sigstore.TrustedRootPath, identity, s_sigstore.Services.Oidc.Issuer, artifact);
}
