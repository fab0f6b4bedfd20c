using System.Text.Json;
using System.Text.Json.Nodes;
using SigstoreBuild.Diagnostics;
using SigstoreBuild.NuGet.Provenance;
using SigstoreBuild.Verification;

namespace SigstoreBuild.NuGet.Tests.Provenance;

/// <summary>D-06: what the predicate claims must agree with the certificate's Fulcio extensions wherever both speak.</summary>
[TestClass]
public sealed class ProvenanceConsistencyTests
{
    private static JsonObject GitHubPredicate() =>
        ProvenanceBuilderTests.Predicate(ProvenanceBuilderTests.Inputs(), ProvenanceBuilderTests.GitHubEnvironment(), out _);

    private static IReadOnlyList<string> Check(JsonObject predicate, IReadOnlyDictionary<string, string> extensions, string predicateType = SlsaProvenance.PredicateType) =>
        ProvenanceConsistency.Check(predicateType, JsonSerializer.SerializeToElement(predicate), extensions);

    [TestMethod]
    public void AgreeingPredicate_PassesEveryCheck()
    {
        var checks = Check(GitHubPredicate(), ProvenanceBuilderTests.GitHubCertificate());
        CollectionAssert.AreEquivalent(new[]
        {
            "builder.id = Build Signer URI (1.9)", "source repository = Source Repository URI (1.12)", "source commit = Source Repository Digest (1.13)",
            "source ref = Source Repository Ref (1.14)", "invocationId = Run Invocation URI (1.21)",
        }, checks.ToArray());
    }

    [TestMethod]
    [DataRow("builder", AttestationCodes.ProvenanceBuilderMismatch)]
    [DataRow("builder-case", AttestationCodes.ProvenanceBuilderMismatch)]
    [DataRow("repository", AttestationCodes.ProvenanceSourceMismatch)]
    [DataRow("commit", AttestationCodes.ProvenanceSourceMismatch)]
    [DataRow("ref", AttestationCodes.ProvenanceSourceMismatch)]
    [DataRow("no-source", AttestationCodes.ProvenanceSourceMismatch)]
    [DataRow("commit-missing", AttestationCodes.ProvenanceSourceMismatch)]
    [DataRow("invocation", AttestationCodes.ProvenanceInvocationMismatch)]
    public void ContradictingPredicate_IsRejected(string change, string code)
    {
        var predicate = GitHubPredicate();
        var definition = predicate["buildDefinition"]!;
        var source = definition["resolvedDependencies"]![0]!.AsObject();
        switch (change)
        {
            case "builder": predicate["runDetails"]!["builder"]!["id"] = "https://github.com/mallory/fork/.github/workflows/release.yml@refs/heads/main"; break;
            case "builder-case": predicate["runDetails"]!["builder"]!["id"] = "https://github.com/Octo-Org/octo-repo/.github/workflows/release.yml@refs/heads/main"; break;
            case "repository": source["uri"] = "git+https://github.com/mallory/octo-repo@refs/heads/main"; break;
            case "commit": source["digest"]!["gitCommit"] = new string('f', 40); break;
            case "ref": source["uri"] = "git+https://github.com/octo-org/octo-repo@refs/heads/feature"; break;
            case "no-source": definition.AsObject().Remove("resolvedDependencies"); break;
            case "commit-missing": source.Remove("digest"); break;
            case "invocation": predicate["runDetails"]!["metadata"]!["invocationId"] = "https://github.com/octo-org/octo-repo/actions/runs/1/attempts/1"; break;
        }

        var ex = Assert.Throws<VerificationException>(() => Check(predicate, ProvenanceBuilderTests.GitHubCertificate()));
        Assert.AreEqual(code, ex.Code, ex.Message);
    }

    [TestMethod]
    public void RepositoryComparison_IgnoresCaseDotGitAndTrailingSlash()
    {
        var predicate = GitHubPredicate();
        predicate["buildDefinition"]!["resolvedDependencies"]![0]!["uri"] = "git+https://github.com/Octo-Org/octo-repo.git/@refs/heads/main";
        Assert.Contains("source repository = Source Repository URI (1.12)", Check(predicate, ProvenanceBuilderTests.GitHubCertificate()));
    }

    [TestMethod]
    public void SourceIsTheFirstGitEntry_ALaterMatchingOneDoesNotHelp()
    {
        var predicate = GitHubPredicate();
        var dependencies = predicate["buildDefinition"]!["resolvedDependencies"]!.AsArray();
        var honest = dependencies[0]!.DeepClone();
        dependencies[0]!["uri"] = "git+https://github.com/mallory/evil@refs/heads/main";
        dependencies.Add(honest);
        Assert.AreEqual(AttestationCodes.ProvenanceSourceMismatch, Assert.Throws<VerificationException>(() => Check(predicate, ProvenanceBuilderTests.GitHubCertificate())).Code);
    }

    [TestMethod]
    public void EmailCertificate_CorroboratesNothing_ButIsNotAContradiction()
    {
        var extensions = new Dictionary<string, string> { [FulcioExtensions.Issuer] = "https://accounts.example.com" };
        Assert.IsEmpty(Check(GitHubPredicate(), extensions));
    }

    [TestMethod]
    public void OtherPredicateTypes_OrNoBuilder_AreNotCheckable()
    {
        Assert.AreEqual(AttestationCodes.ProvenanceNotCheckable,
            Assert.Throws<VerificationException>(() => Check(GitHubPredicate(), ProvenanceBuilderTests.GitHubCertificate(), "https://slsa.dev/provenance/v0.2")).Code);
        var predicate = GitHubPredicate();
        predicate["runDetails"]!["builder"]!.AsObject().Remove("id");
        Assert.AreEqual(AttestationCodes.ProvenanceNotCheckable, Assert.Throws<VerificationException>(() => Check(predicate, ProvenanceBuilderTests.GitHubCertificate())).Code);
        Assert.AreEqual(AttestationCodes.ProvenanceNotCheckable,
            Assert.Throws<VerificationException>(() => ProvenanceConsistency.Check(SlsaProvenance.PredicateType, null, ProvenanceBuilderTests.GitHubCertificate())).Code);
    }

    [TestMethod]
    public void GitLabStyleCertificate_MatchesTheGitLabPredicate()
    {
        var env = new Dictionary<string, string>
        {
            ["GITLAB_CI"] = "true", ["CI_SERVER_URL"] = "https://gitlab.com", ["CI_PROJECT_PATH"] = "group/project",
            ["CI_PROJECT_URL"] = "https://gitlab.com/group/project", ["CI_COMMIT_SHA"] = new string('c', 40), ["CI_COMMIT_TAG"] = "v1.0.0",
            ["CI_JOB_URL"] = "https://gitlab.com/group/project/-/jobs/42",
        };
        var predicate = ProvenanceBuilderTests.Predicate(ProvenanceBuilderTests.Inputs(), env, out _);
        var certificate = new Dictionary<string, string>
        {
            [FulcioExtensions.BuildSignerUri] = "https://gitlab.com/group/project//.gitlab-ci.yml@refs/tags/v1.0.0",
            [FulcioExtensions.SourceRepositoryUri] = "https://gitlab.com/group/project",
            [FulcioExtensions.SourceRepositoryDigest] = new string('c', 40),
            [FulcioExtensions.SourceRepositoryRef] = "refs/tags/v1.0.0",
            [FulcioExtensions.RunInvocationUri] = "https://gitlab.com/group/project/-/jobs/42",
        };
        Assert.HasCount(5, Check(predicate, certificate));
    }
}
