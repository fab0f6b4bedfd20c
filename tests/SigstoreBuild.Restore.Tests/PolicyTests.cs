using SigstoreBuild.Diagnostics;
using SigstoreBuild.NuGet.Restore;
using SigstoreBuild.Restore.Tests.Infrastructure;

namespace SigstoreBuild.Restore.Tests;

[TestClass]
public sealed class PolicyTests
{
    private static readonly Dictionary<string, string> NoPins = [];

    [TestMethod]
    [DataRow("Contoso.*", "Contoso.Lib", true)]
    [DataRow("Contoso.*", "contoso.lib", true)]
    [DataRow("Contoso.*", "Contoso", false)]
    [DataRow("Contoso.*", "NotContoso.Lib", false)]
    [DataRow("Contoso.Lib", "Contoso.Lib.Extra", false)]
    [DataRow("*", "Anything", true)]
    [DataRow("Con*so.Lib", "Contoso.Lib", true)]
    [DataRow("Contoso.Lib", "ContosoXLib", false)]
    [DataRow("Contoso.Lib", "Contoso.Lib\n", false)]
    [DataRow("Contoso.*", "Contoso.Lib\nEvil", true)]
    [DataRow("Contoso.Lib", "\nContoso.Lib", false)]
    [DataRow("*.Lib", "Contoso.Lib.Lib", true)]
    [DataRow("*.Lib", "Contoso.Lib.Li", false)]
    [DataRow("a*b*c", "aXbYbZc", true)]
    [DataRow("a*b*c", "aXbYcZ", false)]
    [DataRow("**", "", true)]
    [DataRow("Contoso.*.Lib", "Contoso..Lib", true)]
    [DataRow("Contoso.*.Lib", "Contoso.Lib", false)]
    [DataRow("Contoso_Lib", "Contoso\u007FLib", false)]
    [DataRow("Kelvin", "\u212Aelvin", false)]
    [DataRow("Contoso.Lib", "CONTOSO.LIB", true)]
    public void Glob_MatchesWholeIdCaseInsensitively(string pattern, string id, bool expected) =>
        Assert.AreEqual(expected, PackageIdPattern.Parse(pattern).IsMatch(id));

    [TestMethod]
    public void Glob_WithManyStars_AgainstALongId_IsLinearEnough()
    {
        // The shape that makes naive backtracking exponential: it must answer (false) at once.
        var pattern = PackageIdPattern.Parse(string.Concat(Enumerable.Repeat("a*", 30)) + "b");
        Assert.IsFalse(pattern.IsMatch(new string('a', 4000)));
        Assert.IsTrue(pattern.IsMatch(new string('a', 4000) + "b"));
    }

    [TestMethod]
    [DataRow("Contoso.(Lib|X)")]
    [DataRow("")]
    [DataRow("a/b")]
    public void Glob_RejectsNonIdCharacters(string pattern) =>
        Assert.AreEqual(RestoreCodes.PolicyInvalid, Assert.ThrowsExactly<SigstoreException>(() => PackageIdPattern.Parse(pattern)).Code);

    [TestMethod]
    public void Decide_MostSpecificPatternWins_UnsignedStarDoesNotWeakenSignedPrefix()
    {
        var policy = new TrustPolicy(
            [Identity("Contoso.*", "https://github.com/contoso/lib/.github/workflows/release.yml@refs/tags/v1")],
            [PackageIdPattern.Parse("*")],
            []);

        var contoso = policy.Decide("Contoso.Lib");
        Assert.HasCount(1, contoso.Identities);
        Assert.IsFalse(contoso.UnsignedAllowed, "Contoso.* requires a signature even though '*' allows unsigned.");

        var other = policy.Decide("Microsoft.Extensions.Logging");
        Assert.IsEmpty(other.Identities);
        Assert.IsTrue(other.UnsignedAllowed);
    }

    [TestMethod]
    public void Decide_ExactIdBeatsGlob()
    {
        var policy = new TrustPolicy([Identity("*", "https://github.com/org/all/.github/workflows/r.yml@refs/heads/main")], [PackageIdPattern.Parse("Legacy.Lib")], []);
        Assert.IsTrue(policy.Decide("Legacy.Lib").UnsignedAllowed);
        Assert.IsEmpty(policy.Decide("Legacy.Lib").Identities);
        Assert.IsFalse(policy.Decide("Other.Lib").UnsignedAllowed);
    }

    [TestMethod]
    public void Decide_NoMatchingEntry_HasNoPolicy() => Assert.IsFalse(new TrustPolicy([], [PackageIdPattern.Parse("Contoso.*")], []).Decide("Fabrikam.Lib").HasPolicy);

    [TestMethod]
    public void SubjectRegex_IsFullyAnchored()
    {
        // P-01: a prefix regex must not accept other workflows or refs by substring match.
        var identity = new TrustedIdentity(PackageIdPattern.Parse("*"), TestSigner.GitHubIssuer, null, @"https://github\.com/contoso/lib/\.github/workflows/release\.yml@refs/tags/v.*", NoPins);
        Assert.IsNull(identity.Mismatch(Signer("https://github.com/contoso/lib/.github/workflows/release.yml@refs/tags/v1.2")));
        Assert.IsNotNull(identity.Mismatch(Signer("https://evil.example/https://github.com/contoso/lib/.github/workflows/release.yml@refs/tags/v1")));
        var prefixOnly = new TrustedIdentity(PackageIdPattern.Parse("*"), TestSigner.GitHubIssuer, null, @"https://github\.com/contoso/lib/", NoPins);
        Assert.IsNotNull(prefixOnly.Mismatch(Signer("https://github.com/contoso/lib/.github/workflows/any.yml@refs/pull/1/merge")));
    }

    [TestMethod]
    [DataRow("https://github.com/contoso/lib/.github/workflows/release.yml@refs/tags/v1\n")]
    [DataRow("https://github.com/contoso/lib/.github/workflows/release.yml@refs/tags/v1\nhttps://evil.example")]
    public void SubjectRegex_NewlineInSan_DoesNotMatch(string san)
    {
        var identity = new TrustedIdentity(PackageIdPattern.Parse("*"), TestSigner.GitHubIssuer, null, @"https://github\.com/contoso/lib/\.github/workflows/release\.yml@refs/tags/v1", NoPins);
        Assert.IsNull(identity.Mismatch(Signer("https://github.com/contoso/lib/.github/workflows/release.yml@refs/tags/v1")));
        Assert.IsNotNull(identity.Mismatch(Signer(san)));
    }

    [TestMethod]
    public void SubjectRegex_BreakoutPattern_RefusedInItemsAndJson()
    {
        const string breakout = @"https://github\.com/contoso/lib/.*)|(.*";
        var direct = Assert.ThrowsExactly<SigstoreException>(() => new TrustedIdentity(PackageIdPattern.Parse("*"), TestSigner.GitHubIssuer, null, breakout, NoPins));
        Assert.AreEqual(RestoreCodes.PolicyInvalid, direct.Code);
        StringAssert.Contains(direct.Message, breakout);

        var item = new PolicyItem("Contoso.*", new Dictionary<string, string> { ["Issuer"] = TestSigner.GitHubIssuer, ["SubjectRegex"] = breakout });
        Assert.AreEqual(RestoreCodes.PolicyInvalid, Assert.ThrowsExactly<SigstoreException>(() => TrustPolicyReader.FromItems([item], [], [])).Code);

        var json = System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(new { trustedIdentities = new[] { new { packages = "Contoso.*", issuer = TestSigner.GitHubIssuer, subjectRegex = breakout } } });
        Assert.AreEqual(RestoreCodes.PolicyInvalid, Assert.ThrowsExactly<SigstoreException>(() => TrustPolicyReader.FromJson(json, "policy.json")).Code);
    }

    [TestMethod]
    public void Issuer_MustMatchExactly()
    {
        var identity = Identity("*", "https://github.com/contoso/lib/.github/workflows/release.yml@refs/tags/v1");
        Assert.IsNull(identity.Mismatch(Signer(identity.Subject!)));
        Assert.IsNotNull(identity.Mismatch(Signer(identity.Subject!, "https://token.actions.githubusercontent.com/")));
        Assert.IsNotNull(identity.Mismatch(Signer(identity.Subject!, "https://accounts.example.com")));
    }

    [TestMethod]
    public void Subject_MustMatchExactly()
    {
        var identity = Identity("*", "https://github.com/contoso/lib/.github/workflows/release.yml@refs/tags/v1");
        Assert.IsNotNull(identity.Mismatch(Signer("https://github.com/contoso/lib/.github/workflows/release.yml@refs/tags/v2")));
    }

    [TestMethod]
    public void ExtensionPins_MustMatch()
    {
        var pins = new Dictionary<string, string> { [SignerExtensions.SourceRepositoryIdentifier.Oid] = "1001", [SignerExtensions.OwnerIdentifier.Oid] = "2002" };
        var identity = new TrustedIdentity(PackageIdPattern.Parse("*"), TestSigner.GitHubIssuer, "san", null, pins);
        Assert.IsNull(identity.Mismatch(new SignerIdentity(TestSigner.GitHubIssuer, "san", pins)));
        var repojacked = new Dictionary<string, string>(pins) { [SignerExtensions.SourceRepositoryIdentifier.Oid] = "9999" };
        StringAssert.Contains(identity.Mismatch(new SignerIdentity(TestSigner.GitHubIssuer, "san", repojacked)), "SourceRepositoryIdentifier");
        StringAssert.Contains(identity.Mismatch(new SignerIdentity(TestSigner.GitHubIssuer, "san", new Dictionary<string, string>())), "absent");
    }

    [TestMethod]
    public void TrustedIdentity_RequiresIssuerAndExactlyOneSubjectForm()
    {
        Assert.AreEqual(RestoreCodes.PolicyInvalid, Assert.ThrowsExactly<SigstoreException>(() => new TrustedIdentity(PackageIdPattern.Parse("*"), "", "san", null)).Code);
        Assert.AreEqual(RestoreCodes.PolicyInvalid, Assert.ThrowsExactly<SigstoreException>(() => new TrustedIdentity(PackageIdPattern.Parse("*"), "i", null, null)).Code);
        Assert.AreEqual(RestoreCodes.PolicyInvalid, Assert.ThrowsExactly<SigstoreException>(() => new TrustedIdentity(PackageIdPattern.Parse("*"), "i", "san", "s.*")).Code);
        Assert.AreEqual(RestoreCodes.PolicyInvalid, Assert.ThrowsExactly<SigstoreException>(() => new TrustedIdentity(PackageIdPattern.Parse("*"), "i", null, "(unclosed")).Code);
    }

    [TestMethod]
    public void Items_MapExtensionMetadataAndRejectUnknownMetadata()
    {
        var item = new PolicyItem("Contoso.*", new Dictionary<string, string> { ["Issuer"] = TestSigner.GitHubIssuer, ["Subject"] = "san", ["SourceRepositoryIdentifier"] = "1001", ["SourceRepositoryOwnerIdentifier"] = "2002", ["DefiningProjectFullPath"] = "/x.csproj" });
        var policy = TrustPolicyReader.FromItems([item], [], []);
        Assert.AreEqual("1001", policy.Identities[0].ExtensionPins[SignerExtensions.SourceRepositoryIdentifier.Oid]);
        Assert.AreEqual("2002", policy.Identities[0].ExtensionPins[SignerExtensions.OwnerIdentifier.Oid]);

        var typo = new PolicyItem("Contoso.*", new Dictionary<string, string> { ["Issuer"] = TestSigner.GitHubIssuer, ["Subject"] = "san", ["SourceRepoId"] = "1001" });
        Assert.AreEqual(RestoreCodes.PolicyInvalid, Assert.ThrowsExactly<SigstoreException>(() => TrustPolicyReader.FromItems([typo], [], [])).Code);
    }

    [TestMethod]
    public void JsonFile_IsEquivalentToItems()
    {
        var json = """
            {
              "mode": "audit",
              "trustedIdentities": [ { "packages": "Contoso.*", "issuer": "https://token.actions.githubusercontent.com", "subject": "san", "ownerIdentifier": "2002" } ],
              "unsignedAllowed": [ "Microsoft.*" ],
              "suppress": [ { "code": "SSB5103", "package": "Legacy.*" }, { "code": "SSB5900" } ]
            }
            """;
        var (fromJson, mode) = TrustPolicyReader.FromJson(System.Text.Encoding.UTF8.GetBytes(json), "policy.json");
        var fromItems = TrustPolicyReader.FromItems(
            [new PolicyItem("Contoso.*", new Dictionary<string, string> { ["Issuer"] = TestSigner.GitHubIssuer, ["Subject"] = "san", ["OwnerIdentifier"] = "2002" })],
            [new PolicyItem("Microsoft.*", new Dictionary<string, string>())],
            [new PolicyItem("SSB5103", new Dictionary<string, string> { ["Package"] = "Legacy.*" }), new PolicyItem("SSB5900", new Dictionary<string, string>())]);
        Assert.AreEqual("audit", mode);
        Assert.AreEqual(fromItems.Hash, fromJson.Hash);
        Assert.IsTrue(fromJson.IsSuppressed("SSB5103", "Legacy.Thing"));
        Assert.IsFalse(fromJson.IsSuppressed("SSB5103", "Contoso.Lib"));
        Assert.IsTrue(fromJson.IsSuppressed("SSB5900", null));
    }

    [TestMethod]
    public void RequireProvenanceConsistency_FromItemsAndJson_IsPartOfTheHash()
    {
        PolicyItem Item(string? flag)
        {
            var metadata = new Dictionary<string, string> { ["Issuer"] = TestSigner.GitHubIssuer, ["Subject"] = "san" };
            if (flag is not null)
            {
                metadata["RequireProvenanceConsistency"] = flag;
            }

            return new PolicyItem("Contoso.*", metadata);
        }

        var strict = TrustPolicyReader.FromItems([Item("True")], [], []);
        var lax = TrustPolicyReader.FromItems([Item(null)], [], []);
        Assert.IsTrue(strict.Identities[0].RequireProvenanceConsistency);
        Assert.IsFalse(lax.Identities[0].RequireProvenanceConsistency);
        Assert.IsFalse(TrustPolicyReader.FromItems([Item("false")], [], []).Identities[0].RequireProvenanceConsistency);
        Assert.AreNotEqual(strict.Hash, lax.Hash, "verifications cached without the check must not satisfy a policy with it");
        Assert.AreEqual(RestoreCodes.PolicyInvalid, Assert.ThrowsExactly<SigstoreException>(() => TrustPolicyReader.FromItems([Item("yes")], [], [])).Code);

        var (fromJson, _) = TrustPolicyReader.FromJson("""
            { "trustedIdentities": [ { "packages": "Contoso.*", "issuer": "https://token.actions.githubusercontent.com", "subject": "san", "requireProvenanceConsistency": true } ] }
            """u8.ToArray(), "policy.json");
        Assert.AreEqual(strict.Hash, fromJson.Hash);
        var (quoted, _) = TrustPolicyReader.FromJson("""
            { "trustedIdentities": [ { "packages": "Contoso.*", "issuer": "https://token.actions.githubusercontent.com", "subject": "san", "requireProvenanceConsistency": "true" } ] }
            """u8.ToArray(), "policy.json");
        Assert.AreEqual(strict.Hash, quoted.Hash);
    }

    [TestMethod]
    public void RequireSbom_FromItemsAndJson_IsPartOfTheHash()
    {
        PolicyItem Item(string? flag)
        {
            var metadata = new Dictionary<string, string> { ["Issuer"] = TestSigner.GitHubIssuer, ["Subject"] = "san" };
            if (flag is not null)
            {
                metadata["RequireSbom"] = flag;
            }

            return new PolicyItem("Contoso.*", metadata);
        }

        var strict = TrustPolicyReader.FromItems([Item("true")], [], []);
        var lax = TrustPolicyReader.FromItems([Item(null)], [], []);
        Assert.IsTrue(strict.Identities[0].RequireSbom);
        Assert.IsFalse(lax.Identities[0].RequireSbom);
        Assert.AreNotEqual(strict.Hash, lax.Hash, "verdicts cached without the SBOM requirement must not satisfy a policy with it");
        StringAssert.Contains(strict.Identities[0].ToString(), "SBOM required");
        Assert.AreEqual(RestoreCodes.PolicyInvalid, Assert.ThrowsExactly<SigstoreException>(() => TrustPolicyReader.FromItems([Item("always")], [], [])).Code);

        var (fromJson, _) = TrustPolicyReader.FromJson("""
            { "trustedIdentities": [ { "packages": "Contoso.*", "issuer": "https://token.actions.githubusercontent.com", "subject": "san", "requireSbom": true } ] }
            """u8.ToArray(), "policy.json");
        Assert.AreEqual(strict.Hash, fromJson.Hash);
    }

    [TestMethod]
    public void UnsafeAllowUncorroboratedProvenance_FromItemsAndJson_IsPartOfTheHash_AndNeedsTheCheck()
    {
        PolicyItem Item(params (string Name, string Value)[] flags)
        {
            var metadata = new Dictionary<string, string> { ["Issuer"] = TestSigner.GitHubIssuer, ["Subject"] = "san" };
            foreach (var (name, value) in flags)
            {
                metadata[name] = value;
            }

            return new PolicyItem("Contoso.*", metadata);
        }

        var strict = TrustPolicyReader.FromItems([Item(("RequireProvenanceConsistency", "true"))], [], []);
        var relaxed = TrustPolicyReader.FromItems([Item(("RequireProvenanceConsistency", "true"), ("UnsafeAllowUncorroboratedProvenance", "true"))], [], []);
        Assert.IsTrue(relaxed.Identities[0].UnsafeAllowUncorroboratedProvenance);
        Assert.IsFalse(strict.Identities[0].UnsafeAllowUncorroboratedProvenance);
        Assert.AreNotEqual(strict.Hash, relaxed.Hash, "verifications cached with the opt-out must not satisfy a policy without it");

        // It only relaxes RequireProvenanceConsistency, so alone it is a mistake, and a typo is never read as true.
        Assert.AreEqual(RestoreCodes.PolicyInvalid, Assert.ThrowsExactly<SigstoreException>(() => TrustPolicyReader.FromItems([Item(("UnsafeAllowUncorroboratedProvenance", "true"))], [], [])).Code);
        Assert.AreEqual(RestoreCodes.PolicyInvalid, Assert.ThrowsExactly<SigstoreException>(() => TrustPolicyReader.FromItems([Item(("RequireProvenanceConsistency", "true"), ("UnsafeAllowUncorroboratedProvenance", "yes"))], [], [])).Code);

        var (fromJson, _) = TrustPolicyReader.FromJson("""
            { "trustedIdentities": [ { "packages": "Contoso.*", "issuer": "https://token.actions.githubusercontent.com", "subject": "san", "requireProvenanceConsistency": true, "unsafeAllowUncorroboratedProvenance": true } ] }
            """u8.ToArray(), "policy.json");
        Assert.AreEqual(relaxed.Hash, fromJson.Hash);
    }

    [TestMethod]
    public void JsonFile_UnknownPropertyIsAnError() =>
        Assert.AreEqual(RestoreCodes.PolicyInvalid, Assert.ThrowsExactly<SigstoreException>(() => TrustPolicyReader.FromJson("{\"trustedIdentity\": []}"u8.ToArray(), "p.json")).Code);

    [TestMethod]
    public void PolicyHash_ChangesWithRules()
    {
        var a = new TrustPolicy([Identity("Contoso.*", "a")], [], []);
        var b = new TrustPolicy([Identity("Contoso.*", "b")], [], []);
        Assert.AreNotEqual(a.Hash, b.Hash);
        Assert.AreEqual(a.Hash, new TrustPolicy([Identity("contoso.*", "a")], [], []).Hash);
    }

    [TestMethod]
    [DataRow(null, false, VerificationMode.Off)]
    [DataRow(null, true, VerificationMode.Enforce)]
    [DataRow("audit", true, VerificationMode.Audit)]
    [DataRow("OFF", true, VerificationMode.Off)]
    public void Mode_DefaultsToEnforceWhenAPolicyExists(string? text, bool configured, VerificationMode expected) =>
        Assert.AreEqual(expected, TrustPolicy.ParseMode(text, configured));

    [TestMethod]
    public void AuditCodes_AreErrorCodesPlus500() => Assert.AreEqual("SSB5605", RestoreCodes.ToAuditWarning(RestoreCodes.IdentityNotTrusted));

    internal static TrustedIdentity Identity(string packages, string subject) => new(PackageIdPattern.Parse(packages), TestSigner.GitHubIssuer, subject, null, NoPins);

    private static SignerIdentity Signer(string subject, string issuer = TestSigner.GitHubIssuer) => new(issuer, subject, NoPins);
}
