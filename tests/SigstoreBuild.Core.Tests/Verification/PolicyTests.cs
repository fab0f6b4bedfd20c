using SigstoreBuild.Diagnostics;
using SigstoreBuild.Verification;

namespace SigstoreBuild.Tests.Verification;

[TestClass]
public sealed class PolicyTests
{
    private const string Issuer = "https://token.actions.githubusercontent.com";
    private const string San = "https://github.com/org/repo/.github/workflows/release.yml@refs/tags/v1.0.0";

    private static readonly Dictionary<string, string> Extensions = new()
    {
        [FulcioExtensions.SourceRepositoryIdentifier] = "1234",
        [FulcioExtensions.SourceRepositoryOwnerIdentifier] = "5678",
        [FulcioExtensions.SourceRepositoryRef] = "refs/tags/v1.0.0",
        [FulcioExtensions.BuildTrigger] = "push",
        [FulcioExtensions.RunnerEnvironment] = "github-hosted",
    };

    private static IdentityMatchOutcome Stage(CertificateIdentity identity, string san = San, string issuer = Issuer) => identity.Match(san, issuer, Extensions).Outcome;

    [TestMethod]
    public void Exact_MatchesOnlyTheWholeString()
    {
        Assert.AreEqual(IdentityMatchOutcome.Matches, Stage(CertificateIdentity.Exact(San, Issuer)));
        Assert.AreEqual(IdentityMatchOutcome.SubjectAlternativeNameDiffers, Stage(CertificateIdentity.Exact(San[..^1], Issuer)));
        Assert.AreEqual(IdentityMatchOutcome.SubjectAlternativeNameDiffers, Stage(CertificateIdentity.Exact(San.ToUpperInvariant(), Issuer)));
    }

    [TestMethod]
    [DataRow("https://github.com/org/repo/.github/workflows/")] // P-01: a prefix must not match
    [DataRow("github.com/org/repo")] // a substring must not match
    [DataRow(".github/workflows/release.yml@refs/tags/v1.0.0")] // nor a suffix
    public void Regex_IsFullyAnchored(string pattern) => Assert.AreEqual(IdentityMatchOutcome.SubjectAlternativeNameDiffers, Stage(CertificateIdentity.Regex(pattern, Issuer)));

    [TestMethod]
    public void Regex_AlternationStaysAnchored() =>
        // Without the (?:…) group, "^a|b$" would accept anything starting with "a".
        Assert.AreEqual(IdentityMatchOutcome.SubjectAlternativeNameDiffers, Stage(CertificateIdentity.Regex("https://github.com/org/.*|nothing", Issuer), San + "/../evil"[..0] + "x\nhttps://evil"));

    [TestMethod]
    public void Regex_FullMatchAccepted() =>
        Assert.AreEqual(IdentityMatchOutcome.Matches, Stage(CertificateIdentity.Regex(@"https://github\.com/org/repo/\.github/workflows/release\.yml@refs/tags/v.*", Issuer)));

    [TestMethod]
    public void Regex_UnescapedDotIsTheCallersPattern_ButStillAnchored() =>
        Assert.AreEqual(IdentityMatchOutcome.SubjectAlternativeNameDiffers, Stage(CertificateIdentity.Regex(@"https://github\.com/org/repo", Issuer)));

    [TestMethod]
    public void Regex_IssuerStaysExact() => // P-02
        Assert.AreEqual(IdentityMatchOutcome.IssuerDiffers, Stage(CertificateIdentity.Regex(".*", Issuer), issuer: Issuer + ".evil.test"));

    [TestMethod]
    public void Regex_Backreference_Refused()
    {
        var ex = Assert.ThrowsExactly<VerificationException>(() => CertificateIdentity.Regex(@"(a)\1", Issuer));
        Assert.AreEqual(PolicyCodes.InvalidIdentityPattern, ex.Code);
    }

    [TestMethod]
    public void ExtensionPins_RepositoryAndOwnerIdentifiers() // P-03, P-04
    {
        var identity = CertificateIdentity.Exact(San, Issuer).WithSourceRepositoryIdentifier("1234").WithSourceRepositoryOwnerIdentifier("5678");
        Assert.AreEqual(IdentityMatchOutcome.Matches, Stage(identity));
        Assert.AreEqual(IdentityMatchOutcome.ExtensionDiffers, Stage(CertificateIdentity.Exact(San, Issuer).WithSourceRepositoryIdentifier("9999")));
        Assert.AreEqual(IdentityMatchOutcome.ExtensionDiffers, Stage(CertificateIdentity.Exact(San, Issuer).WithSourceRepositoryOwnerIdentifier("9999")));
    }

    [TestMethod]
    public void ExtensionPins_PullRequestContextRejected() // P-05
    {
        Assert.AreEqual(IdentityMatchOutcome.ExtensionDiffers, Stage(CertificateIdentity.Exact(San, Issuer).WithSourceRepositoryRef("refs/heads/main")));
        Assert.AreEqual(IdentityMatchOutcome.ExtensionDiffers, Stage(CertificateIdentity.Exact(San, Issuer).WithBuildTrigger("pull_request_target")));
        Assert.AreEqual(IdentityMatchOutcome.ExtensionDiffers, Stage(CertificateIdentity.Exact(San, Issuer).WithRunnerEnvironment("self-hosted")));
        Assert.AreEqual(IdentityMatchOutcome.Matches, Stage(CertificateIdentity.Exact(San, Issuer).WithSourceRepositoryRef("refs/tags/v1.0.0").WithBuildTrigger("push").WithRunnerEnvironment("github-hosted")));
    }

    [TestMethod]
    public void ExtensionPin_AbsentExtension_Rejected() =>
        Assert.AreEqual(IdentityMatchOutcome.ExtensionDiffers, Stage(CertificateIdentity.Exact(San, Issuer).WithDeploymentEnvironment("production")));

    [TestMethod]
    public void ExtensionPin_IssuerNotPinnable() =>
        Assert.ThrowsExactly<ArgumentException>(() => CertificateIdentity.Exact(San, Issuer).WithExtension(FulcioExtensions.Issuer, "x"));

    [TestMethod]
    [DataRow("md5:00")]
    [DataRow("sha256:zz")]
    [DataRow("sha256:00")]
    [DataRow("a0cfc71271d6e278e57cd332ff957c3f7043fdda354c4cbb190a30d56efa01bf")]
    public void ForDigest_RejectsMalformed(string value) => Assert.ThrowsExactly<VerificationException>(() => VerificationPolicy.ForDigest(value));

    [TestMethod]
    public void Thresholds_BelowOne_Refused() =>
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new VerifierOptions { TransparencyLogThreshold = 0 });
}
