using System.Text.Json.Nodes;
using SigstoreBuild.Diagnostics;
using SigstoreBuild.LocalStack.Pki;
using SigstoreBuild.Verification;

namespace SigstoreBuild.Tests.ThreatModel;

/// <summary>Threat model rows P-01..P-06: identity policy over GitHub Actions certificates, and no fail-open outcome.</summary>
[TestClass]
public sealed class PolicyThreatTests
{
    private const string Server = "https://github.com";
    private const string Workflow = "contoso/widgets/.github/workflows/release.yml@refs/tags/v1.2.3";
    private const string San = Server + "/" + Workflow;

    private static TestSigstore Sigstore => TestSigstore.Shared;

    private static string Issuer => Sigstore.BaseUrl;

    /// <summary>A GitHub Actions identity (as Fulcio derives it from the token) with any claim overridden.</summary>
    private static FulcioIdentity GitHub(Action<JsonObject>? change = null)
    {
        var claims = new JsonObject
        {
            ["iss"] = Issuer,
            ["sub"] = "repo:contoso/widgets:ref:refs/tags/v1.2.3",
            ["job_workflow_ref"] = Workflow,
            ["workflow_ref"] = Workflow,
            ["repository"] = "contoso/widgets",
            ["repository_id"] = "1001",
            ["repository_owner"] = "contoso",
            ["repository_owner_id"] = "2002",
            ["ref"] = "refs/tags/v1.2.3",
            ["sha"] = "0123456789abcdef0123456789abcdef01234567",
            ["event_name"] = "push",
            ["runner_environment"] = "github-hosted",
            ["run_id"] = "42",
        };
        change?.Invoke(claims);
        return FulcioIdentity.FromClaims(claims, Server);
    }

    private static VerificationPolicy Policy(SignedBundle bundle, CertificateIdentity identity) =>
        VerificationPolicy.ForArtifact(bundle.Artifact).RequireIdentity(identity);

    private static CertificateIdentity Pinned => CertificateIdentity.Exact(San, Issuer)
        .WithSourceRepositoryIdentifier("1001")
        .WithSourceRepositoryOwnerIdentifier("2002")
        .WithSourceRepositoryRef("refs/tags/v1.2.3")
        .WithBuildTrigger("push")
        .WithRunnerEnvironment("github-hosted");

    [TestMethod]
    [DataRow(Server + "/contoso/widgets/.github/workflows/")] // a prefix: any workflow, any ref
    [DataRow("contoso/widgets")]                               // a substring
    [DataRow(@"https://github\.com/contoso/widgets/\.github/workflows/release\.yml@refs/tags/v1")] // the ref truncated
    public void P01_UnanchoredPattern_DoesNotMatch(string pattern)
    {
        var bundle = Sigstore.Sign(new BundleSpec { Identity = GitHub() });
        Expect.Verifies(bundle, Policy(bundle, CertificateIdentity.Regex(@"https://github\.com/contoso/widgets/\.github/workflows/release\.yml@refs/tags/v[0-9.]+", Issuer)));
        Expect.Rejects(PolicyCodes.SubjectAlternativeNameMismatch, bundle, Policy(bundle, CertificateIdentity.Regex(pattern, Issuer)));
    }

    [TestMethod]
    [DataRow("packager@example.com\n", DisplayName = "SAN ending in a newline")]
    [DataRow("packager@example.com\nmallory@evil.example", DisplayName = "SAN with an embedded newline")]
    [DataRow("mallory@evil.example\npackager@example.com", DisplayName = "SAN with the trusted value after a newline")]
    public void P01_NewlineInSan_DoesNotSatisfyTheRegex(string san)
    {
        // .NET's $ also matches before a final newline: a ^(?:...)$ wrapper accepted "packager@example.com\n".
        var bundle = Sigstore.Sign(new BundleSpec { Identity = FulcioIdentity.ForEmail(Issuer, san) });
        Expect.Verifies(bundle, Policy(bundle, CertificateIdentity.Exact(san, Issuer)));
        Expect.Rejects(PolicyCodes.SubjectAlternativeNameMismatch, bundle, Policy(bundle, CertificateIdentity.Regex(@"packager@example\.com", Issuer)));
        Assert.IsFalse(CertificateIdentity.Regex(@"packager@example\.com", Issuer).MatchesSubjectAlternativeName(san));
    }

    [TestMethod]
    [DataRow(@"packager@example\.com)|(.*", DisplayName = "closes the wrapper and adds an alternative")]
    [DataRow(@"x)|(?:.*", DisplayName = "closes the wrapper with a non-capturing tail")]
    [DataRow(@"packager@example\.com\", DisplayName = "trailing escape")]
    [DataRow(@"(?x)packager@example\.com#", DisplayName = "inline comment that would swallow the anchor")]
    public void P01_PatternThatIsNotOneExpression_RefusedWhenParsed(string pattern)
    {
        var ex = Assert.ThrowsExactly<VerificationException>(() => CertificateIdentity.Regex(pattern, Issuer));
        Assert.AreEqual(PolicyCodes.InvalidIdentityPattern, ex.Code);
        StringAssert.Contains(ex.Message, pattern);
    }

    [TestMethod]
    public void P01_PatternMatchesEverySanOnlyWhenItSaysSo()
    {
        // The breakout pattern's intent, written as one expression, still only matches what it says.
        var bundle = Sigstore.Sign(new BundleSpec { Identity = FulcioIdentity.ForEmail(Issuer, "mallory@evil.example") });
        Expect.Rejects(PolicyCodes.SubjectAlternativeNameMismatch, bundle, Policy(bundle, CertificateIdentity.Regex(@"(packager@example\.com)|(x)", Issuer)));
    }

    [TestMethod]
    public void P01_ExactMatchIsTheDefault()
    {
        var bundle = Sigstore.Sign(new BundleSpec { Identity = GitHub() });
        Expect.Verifies(bundle, Policy(bundle, CertificateIdentity.Exact(San, Issuer)));
        Expect.Rejects(PolicyCodes.SubjectAlternativeNameMismatch, bundle, Policy(bundle, CertificateIdentity.Exact(Server + "/contoso/widgets/.github/workflows/", Issuer)));
    }

    [TestMethod]
    public void P02_IssuerCheckedExactly()
    {
        var bundle = Sigstore.Sign(new BundleSpec { Identity = GitHub() });
        Expect.Verifies(bundle, Policy(bundle, CertificateIdentity.Exact(San, Issuer)));
        Expect.Rejects(PolicyCodes.IssuerMismatch, bundle, Policy(bundle, CertificateIdentity.Exact(San, Issuer + "/")));
        Expect.Rejects(PolicyCodes.IssuerMismatch, bundle, Policy(bundle, CertificateIdentity.Regex(".*", "https://token.actions.githubusercontent.com")));
    }

    [TestMethod]
    public void P02_SeveralIdentitiesMissed_TheNearestMissIsReported()
    {
        // Whatever their order, an identity that got further (issuer, then an extension pin) explains the failure best.
        var bundle = Sigstore.Sign(new BundleSpec { Identity = GitHub() });
        var otherSan = CertificateIdentity.Exact(San + "x", Issuer);
        var otherIssuer = CertificateIdentity.Exact(San, Issuer + "/");
        var otherPin = CertificateIdentity.Exact(San, Issuer).WithBuildTrigger("pull_request_target");
        var artifact = VerificationPolicy.ForArtifact(bundle.Artifact);
        Expect.Rejects(PolicyCodes.IssuerMismatch, bundle, artifact.RequireIdentity(otherSan, otherIssuer));
        Expect.Rejects(PolicyCodes.IssuerMismatch, bundle, artifact.RequireIdentity(otherIssuer, otherSan));
        Expect.Rejects(PolicyCodes.ExtensionMismatch, bundle, artifact.RequireIdentity(otherIssuer, otherPin, otherSan));
        Expect.Rejects(PolicyCodes.ExtensionMismatch, bundle, artifact.RequireIdentity(otherSan, otherPin, otherIssuer));
    }

    [TestMethod]
    public void P03_SharedReusableWorkflowCalledFromAnotherRepository_Rejected()
    {
        // The SAN is the shared workflow; 1.12/1.15 name the calling repository.
        const string shared = "contoso/shared/.github/workflows/release.yml@refs/heads/main";
        var victim = Sigstore.Sign(new BundleSpec { Identity = GitHub(c => c["job_workflow_ref"] = shared) });
        var attacker = Sigstore.Sign(new BundleSpec { Identity = GitHub(c => { c["job_workflow_ref"] = shared; c["repository"] = "mallory/evil"; c["repository_id"] = "666"; }) });
        var policy = CertificateIdentity.Exact(Server + "/" + shared, Issuer).WithSourceRepositoryUri(Server + "/contoso/widgets").WithSourceRepositoryIdentifier("1001");
        Expect.Verifies(victim, Policy(victim, policy));
        Expect.Verifies(attacker, Policy(attacker, CertificateIdentity.Exact(Server + "/" + shared, Issuer))); // the SAN alone is not enough
        Expect.Rejects(PolicyCodes.ExtensionMismatch, attacker, Policy(attacker, policy));
    }

    [TestMethod]
    public void P04_RepojackedRepository_SameUrisOtherIdentifiers_Rejected()
    {
        var original = Sigstore.Sign(new BundleSpec { Identity = GitHub() });
        var repojacked = Sigstore.Sign(new BundleSpec { Identity = GitHub(c => { c["repository_id"] = "9999"; c["repository_owner_id"] = "8888"; }) });
        Expect.Verifies(original, Policy(original, Pinned));
        Expect.Rejects(PolicyCodes.ExtensionMismatch, repojacked, Policy(repojacked, Pinned));
        Expect.Rejects(PolicyCodes.ExtensionMismatch, repojacked, Policy(repojacked, CertificateIdentity.Exact(San, Issuer).WithSourceRepositoryOwnerIdentifier("2002")));
    }

    [TestMethod]
    [DataRow("ref", "refs/pull/7/merge")]
    [DataRow("event_name", "pull_request_target")]
    [DataRow("runner_environment", "self-hosted")]
    public void P05_NonReleaseContext_Rejected(string claim, string value)
    {
        var release = Sigstore.Sign(new BundleSpec { Identity = GitHub() });
        var other = Sigstore.Sign(new BundleSpec { Identity = GitHub(c => c[claim] = value) });
        Expect.Verifies(release, Policy(release, Pinned));
        Expect.Rejects(PolicyCodes.ExtensionMismatch, other, Policy(other, Pinned));
    }

    [TestMethod]
    public void P05_DeploymentEnvironmentPinned()
    {
        var release = Sigstore.Sign(new BundleSpec { Identity = GitHub(c => c["environment"] = "release") });
        var staging = Sigstore.Sign(new BundleSpec { Identity = GitHub(c => c["environment"] = "staging") });
        var policy = Pinned.WithDeploymentEnvironment("release");
        Expect.Verifies(release, Policy(release, policy));
        Expect.Rejects(PolicyCodes.ExtensionMismatch, staging, Policy(staging, policy));
    }

    [TestMethod]
    public void P06_NoLogEntry_FailsClosed() => Expect.TwinVerifies_BrokenRejected(Sigstore.Sign(), b => b.Material["tlogEntries"] = new JsonArray(), PolicyCodes.TlogThresholdNotMet);

    [TestMethod]
    public void P06_NoVerificationMaterial_FailsClosed() => Expect.TwinVerifies_BrokenRejected(Sigstore.Sign(), b => b.Json.Remove("verificationMaterial"), BundleCodes.InvalidVerificationMaterial);

    [TestMethod]
    public void P06_NoTimeSource_FailsClosed() => Expect.TwinVerifies_BrokenRejected(Sigstore.Sign(new BundleSpec { Version = 2 }),
        b => b.Entry.Remove("inclusionPromise"), PolicyCodes.MissingSignedTimestamp);

    [TestMethod]
    public void P06_NoSignerInPolicy_FailsClosed()
    {
        var bundle = Sigstore.Sign();
        Expect.Verifies(bundle);
        Expect.Rejects(PolicyCodes.MissingIdentity, bundle, VerificationPolicy.ForArtifact(bundle.Artifact));
    }

    [TestMethod]
    public void P06_UnsafeOptionsAreLoud()
    {
        var bundle = Sigstore.Sign();
        bundle.Material["tlogEntries"] = new JsonArray();
        Expect.Rejects(PolicyCodes.TlogThresholdNotMet, bundle);
        var result = Expect.Verifies(bundle, verifier: Sigstore.Verifier(VerifierOptions.PublicGood with { UnsafeSkipTransparencyLog = true, UnsafeAllowCurrentTime = true }));
        Assert.HasCount(2, result.Warnings.Where(w => w.Code == PolicyCodes.UnsafeOptionUsed));
    }
}
