using SigstoreBuild.NuGet.Restore;
using SigstoreBuild.Verification;

namespace SigstoreBuild.Restore.Tests;

/// <summary>
/// The signer restore records is the identity the Sigstore verifier reports (read from the certificate by the verifier's
/// own reader, whose rules the Core tests check), with the extensions a policy can pin keyed by OID.
/// </summary>
[TestClass]
public sealed class SignerIdentityTests
{
    [TestMethod]
    public void ReadsSanIssuerAndExtensions()
    {
        var verified = new VerifiedIdentity(
            SubjectAlternativeNameKind.Uri,
            "https://github.com/contoso/lib/.github/workflows/release.yml@refs/tags/v1",
            "https://token.actions.githubusercontent.com",
            new Dictionary<string, string>
            {
                ["issuer"] = "https://token.actions.githubusercontent.com",
                ["githubWorkflowRepository"] = "contoso/lib",
                ["sourceRepositoryIdentifier"] = "1001",
                ["sourceRepositoryOwnerIdentifier"] = "2002",
            },
            new string('0', 64));

        var identity = SignerIdentity.From(verified);
        Assert.AreEqual("https://token.actions.githubusercontent.com", identity.Issuer);
        Assert.AreEqual("https://github.com/contoso/lib/.github/workflows/release.yml@refs/tags/v1", identity.Subject);
        Assert.AreEqual("1001", identity.SourceRepositoryIdentifier);
        Assert.AreEqual("2002", identity.OwnerIdentifier);
        Assert.HasCount(2, identity.Extensions, "only the extensions a policy can pin (1.9-1.23), not the issuer or the legacy 1.2-1.6");
    }
}
