using System.Text.Json.Nodes;
using SigstoreBuild.Identity;
using SigstoreBuild.LocalStack;
using SigstoreBuild.NuGet;
using SigstoreBuild.NuGet.Attestations;
using SigstoreBuild.NuGet.Restore;
using SigstoreBuild.Restore.Tests.Infrastructure;
using SigstoreBuild.Signing;
using SigstoreBuild.Verification;

namespace SigstoreBuild.Restore.Tests;

/// <summary>
/// Revocations in the restore policy, through the real restore verifier and real signatures from the local instance:
/// one identity signs two packages in two windows; revoking the first window fails that package with SSB5121 (naming the
/// revocation and the verified time) and keeps the other; a digest revocation and the policy file's inline revocations
/// work too, and adding a revocation re-judges packages the cache had accepted.
/// </summary>
[TestClass]
public sealed class RevocationPolicyTests
{
    private const string Publisher = "publisher@example.com";
    private static LocalSigstore s_sigstore = null!;
    private static string s_root = null!;

    public TestContext TestContext { get; set; } = null!;

    [ClassInitialize]
    public static async Task StartAsync(TestContext context)
    {
        s_root = Directory.CreateTempSubdirectory("ssb-restore-revocation-").FullName;
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
    public async Task RevokingOneWindow_FailsWhatWasSignedThen_KeepsTheRest_EvenAfterBothWereCached()
    {
        using var feed = new TestFeed();
        var before = DateTimeOffset.UtcNow;
        await PublishAsync(feed, "Contoso.Compromised");
        var after = DateTimeOffset.UtcNow;
        await Task.Delay(TimeSpan.FromSeconds(2.5), TestContext.CancellationToken);
        await PublishAsync(feed, "Contoso.Clean");

        var trusted = await RunAsync(feed, []);
        Assert.IsTrue(trusted.Succeeded, Describe(trusted));
        Assert.AreEqual(2, trusted.Verified);

        var window = new Revocation
        {
            Identity = CertificateIdentity.Exact(Publisher, Issuer),
            SignedFrom = before.AddSeconds(-1),
            SignedUntil = after.AddSeconds(1),
            Reason = "release workflow hijacked",
        };
        var revoked = await RunAsync(feed, [window]);

        Assert.IsFalse(revoked.Succeeded, Describe(revoked));
        var diagnostic = revoked.Diagnostics.Single();
        Assert.AreEqual(RestoreCodes.Revoked, diagnostic.Code);
        Assert.AreEqual("Contoso.Compromised", diagnostic.PackageId);
        StringAssert.Contains(diagnostic.Message, "release workflow hijacked");
        StringAssert.Contains(diagnostic.Message, "Its verified times: ");
        Assert.AreEqual(PackageStatus.Verified, revoked.Packages.Single(p => p.Id == "Contoso.Clean").Status, "signed after the window: still trusted");
        Assert.IsFalse(revoked.Packages.Single(p => p.Id == "Contoso.Clean").FromCache, "the policy changed, so even the clean package is judged again");

        var audit = await RunAsync(feed, [window], VerificationMode.Audit);
        Assert.IsTrue(audit.Succeeded, Describe(audit));
        Assert.AreEqual(RestoreCodes.ToAuditWarning(RestoreCodes.Revoked), audit.Diagnostics.Single().Code);
    }

    [TestMethod]
    public async Task ADigestRevocation_FailsThatPackageOnly()
    {
        using var feed = new TestFeed();
        var digest = await PublishAsync(feed, "Contoso.Bad");
        await PublishAsync(feed, "Contoso.Good");

        var result = await RunAsync(feed, [new Revocation { Digest = "sha256:" + digest }]);

        Assert.IsFalse(result.Succeeded, Describe(result));
        Assert.AreEqual("Contoso.Bad", result.Diagnostics.Single().PackageId);
        Assert.AreEqual(RestoreCodes.Revoked, result.Diagnostics[0].Code);
        StringAssert.Contains(result.Diagnostics[0].Message, digest);
    }

    [TestMethod]
    public void PolicyReaders_RevocationsFromTheFileAndFromDocuments_ArePartOfTheHash()
    {
        var plain = TrustPolicyReader.FromJson("""
            { "trustedIdentities": [ { "packages": "Contoso.*", "issuer": "https://issuer.example", "subject": "san" } ] }
            """u8.ToArray(), "policy.json").Policy;
        var inline = TrustPolicyReader.FromJson("""
            { "trustedIdentities": [ { "packages": "Contoso.*", "issuer": "https://issuer.example", "subject": "san" } ],
              "revocations": [ { "identity": { "issuer": "https://issuer.example", "subject": "san" }, "signedFrom": "2026-12-01T10:00:00Z", "signedUntil": "2026-12-01T14:00:00Z" } ] }
            """u8.ToArray(), "policy.json").Policy;
        Assert.IsNull(plain.Revocations);
        Assert.HasCount(1, inline.Revocations!.Entries);
        Assert.AreNotEqual(plain.Hash, inline.Hash);

        var document = Path.Combine(s_root, Guid.NewGuid().ToString("N") + ".json");
        File.WriteAllText(document, """{ "revocations": [ { "digest": "sha256:0000000000000000000000000000000000000000000000000000000000000000" } ] }""");
        var revocations = TrustPolicyReader.ReadRevocations([new PolicyItem(Path.GetFileName(document), new Dictionary<string, string>())], s_root).Entries;
        Assert.AreEqual("sha256:" + new string('0', 64), revocations.Single().Digest);
        var fromItems = TrustPolicyReader.FromItems([new PolicyItem("Contoso.*", new Dictionary<string, string> { ["Issuer"] = "https://issuer.example", ["Subject"] = "san" })], [], [], revocations: revocations);
        Assert.AreNotEqual(plain.Hash, fromItems.Hash);
    }

    private Task<RestoreVerificationResult> RunAsync(TestFeed feed, IReadOnlyList<Revocation> revocations, VerificationMode mode = VerificationMode.Enforce) =>
        new RestoreVerifier(new RestoreVerificationOptions
        {
            AssetsFilePath = feed.AssetsFile,
            Policy = new TrustPolicy([new TrustedIdentity(PackageIdPattern.Parse("Contoso.*"), Issuer, Publisher, null)], [], [], revocations),
            Mode = mode,
            LockFilePath = feed.LockFile,
            CacheFilePath = feed.CacheFile,
            Verifier = SigstorePackageSignatureVerifier.ForTrustedRoot(s_sigstore.TrustedRootPath),
            Sources = [new EmbeddedBundleSource()],
        }).VerifyAsync(TestContext.CancellationToken);

    /// <summary>Packs, signs (now) and embeds the provenance as dotnet pack does; returns the package digest (hex).</summary>
    private Task<string> PublishAsync(TestFeed feed, string id) => SignedPackages.PublishAsync(s_sigstore, feed, id, Publisher, TestContext.CancellationToken);

    private static string Describe(RestoreVerificationResult result) => result.Summary + " " + string.Join(" | ", result.Diagnostics);
}
