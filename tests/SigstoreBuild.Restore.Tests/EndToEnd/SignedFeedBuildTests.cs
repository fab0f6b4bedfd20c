using System.Text.Json.Nodes;
using SigstoreBuild.NuGet.Restore;
using SigstoreBuild.Restore.Tests.Infrastructure;

namespace SigstoreBuild.Restore.Tests.EndToEnd;

/// <summary>
/// Real `dotnet build` of consumer projects that reference the packed SigstoreBuild package and packages from a folder
/// feed signed through the local Sigstore instance (real Fulcio certificates, Rekor entries, timestamps), verified with
/// the instance's trusted root. Plus the `sigstore verify-packages` and `sigstore lock update` commands on the same
/// consumers. One shared feed; each test builds its own consumer.
/// </summary>
[TestClass]
[TestCategory("EndToEnd")]
public sealed class SignedFeedBuildTests
{
    private static SignedFeed? s_feed;
    private static string? s_problem;

    public TestContext TestContext { get; set; } = null!;

    [ClassInitialize]
    public static async Task CreateFeedAsync(TestContext context) => (s_feed, s_problem) = await SignedFeed.CreateAsync(context.CancellationToken);

    [ClassCleanup]
    public static async Task DisposeFeedAsync()
    {
        if (s_feed is not null)
        {
            await s_feed.DisposeAsync();
        }
    }

    private static SignedFeed Feed
    {
        get
        {
            if (s_feed is null || s_problem is not null)
            {
                Assert.Inconclusive(s_problem ?? "The signed feed was not created.");
            }

            return s_feed!;
        }
    }

    [TestMethod]
    public void TrustedAndAuthorSignedPass_CliVerifies_LockMismatchFails_UntilLockUpdate()
    {
        var feed = Feed;
        var app = feed.NewConsumer("trusted");
        feed.WriteProject(app, ["Contoso.Trusted", "Contoso.AuthorSigned", "Contoso.Lock/1.0.0", "Contoso.Unsigned"], feed.Policy("<SigstoreUnsignedAllowed Include=\"Contoso.Unsigned\" />"), feed.TrustProperties);

        var build = feed.Dotnet(app, DotnetProcess.Build());
        Assert.AreEqual(0, build.ExitCode, build.ToString());
        var report = JsonNode.Parse(File.ReadAllText(Path.Combine(app, "obj", "sigstore", RestoreRun.ReportFileName)))!;
        Assert.AreEqual("""{"packages":5,"verified":3,"unsigned":2,"failed":0}""", report["summary"]!.ToJsonString(), build.ToString());
        var authorSigned = report["packages"]!.AsArray().Single(p => (string?)p!["id"] == "Contoso.AuthorSigned")!;
        Assert.AreEqual("verified", (string?)authorSigned["status"]);
        Assert.AreEqual(SignedFeed.TrustedSigner, (string?)authorSigned["signer"]!["subject"]);
        using (var restored = System.IO.Compression.ZipFile.OpenRead(Path.Combine(feed.NuGetPackages, "contoso.authorsigned", SignedFeed.Version, $"contoso.authorsigned.{SignedFeed.Version}.nupkg")))
        {
            Assert.IsNotNull(restored.GetEntry(".signature.p7s"), "The restored package carries the author signature added after Sigstore signing.");
        }

        var lockText = File.ReadAllText(Path.Combine(app, SigstoreLockFile.DefaultFileName));
        StringAssert.Contains(lockText, "\"contoso.lock\"");
        Assert.DoesNotContain(SignedFeed.OtherSigner, lockText);

        // The command line on the same project: the same policy items, trust root and lock, read through MSBuild.
        var cli = feed.RunCli(app, "verify-packages", "--project", Path.Combine(app, "App.csproj"));
        Assert.AreEqual(0, cli.ExitCode, cli.ToString());
        StringAssert.Contains(cli.Output, "3 verified", cli.ToString());

        // Contoso.Lock 2.0.0 is signed by the other identity, which the policy also trusts: only the lock stops it.
        feed.WriteProject(app, ["Contoso.Trusted", "Contoso.AuthorSigned", "Contoso.Lock/2.0.0", "Contoso.Unsigned"], feed.Policy("<SigstoreUnsignedAllowed Include=\"Contoso.Unsigned\" />"), feed.TrustProperties);
        var changed = feed.Dotnet(app, DotnetProcess.Build());
        Assert.AreNotEqual(0, changed.ExitCode, changed.ToString());
        Assert.IsTrue(changed.HasLine("error " + RestoreCodes.LockIdentityChanged, "Contoso.Lock"), changed.ToString());

        // The deliberate update (restores first: the failed verification moved the assets file aside).
        var update = feed.RunCli(app, "lock", "update", "--project", Path.Combine(app, "App.csproj"));
        Assert.AreEqual(0, update.ExitCode, update.ToString());
        Assert.IsTrue(update.HasLine(RestoreCodes.LockUpdated, "Contoso.Lock"), update.ToString());
        StringAssert.Contains(File.ReadAllText(Path.Combine(app, SigstoreLockFile.DefaultFileName)), SignedFeed.OtherSigner);

        var after = feed.Dotnet(app, DotnetProcess.Build());
        Assert.AreEqual(0, after.ExitCode, after.ToString());
    }

    [TestMethod]
    public void Revocations_ReachVerifyPackages_FromTheOptionAndFromTheProjectsItems()
    {
        var feed = Feed;
        var app = feed.NewConsumer("revoked");
        var project = Path.Combine(app, "App.csproj");
        feed.WriteProject(app, ["Contoso.Trusted"], feed.Policy(), feed.TrustProperties);
        var passed = feed.RunCli(app, "verify-packages", "--project", project, "--no-lock");
        Assert.AreEqual(0, passed.ExitCode, passed.ToString());

        File.WriteAllText(Path.Combine(app, "revocations.json"), new JsonObject
        {
            ["revocations"] = new JsonArray { (JsonNode)new JsonObject { ["identity"] = new JsonObject { ["issuer"] = feed.Issuer, ["subject"] = SignedFeed.TrustedSigner }, ["reason"] = "signing key compromised" } },
        }.ToJsonString());

        var byOption = feed.RunCli(app, "verify-packages", "--project", project, "--no-lock", "--revocations", Path.Combine(app, "revocations.json"));
        Assert.AreEqual(1, byOption.ExitCode, byOption.ToString());
        Assert.IsTrue(byOption.HasLine("error " + RestoreCodes.Revoked, "Contoso.Trusted"), byOption.ToString());
        StringAssert.Contains(byOption.Output, "signing key compromised");

        feed.WriteProject(app, ["Contoso.Trusted"], feed.Policy("<SigstoreRevocations Include=\"revocations.json\" />"), feed.TrustProperties + "<SigstoreRevocationFreshness>00:05:00</SigstoreRevocationFreshness>");
        var byItem = feed.RunCli(app, "verify-packages", "--project", project, "--no-lock");
        Assert.AreEqual(1, byItem.ExitCode, byItem.ToString());
        Assert.IsTrue(byItem.HasLine("error " + RestoreCodes.Revoked, "Contoso.Trusted"), byItem.ToString());
    }

    [TestMethod]
    public void OtherIdentityUnsignedAndTampered_FailInEnforce_NoRestoreStillFails_WarnInAudit()
    {
        var feed = Feed;
        var app = feed.NewConsumer("failing");
        feed.WriteProject(app, ["Contoso.Other", "Contoso.Unsigned", "Contoso.Tampered"], feed.Policy(), feed.TrustProperties);

        var enforce = feed.Dotnet(app, DotnetProcess.Build());
        Assert.AreNotEqual(0, enforce.ExitCode, enforce.ToString());
        Assert.IsTrue(enforce.HasLine("error " + RestoreCodes.IdentityNotTrusted, "Contoso.Other"), enforce.ToString());
        Assert.IsTrue(enforce.HasLine("error " + RestoreCodes.Unsigned, "Contoso.Unsigned"), enforce.ToString());
        Assert.IsTrue(enforce.HasLine("error " + RestoreCodes.SignatureInvalid, "Contoso.Tampered"), enforce.ToString());
        StringAssert.Contains(enforce.Output, "0 verified", enforce.ToString());

        var noRestore = feed.Dotnet(app, DotnetProcess.Build("--no-restore"));
        Assert.AreNotEqual(0, noRestore.ExitCode, "R-03: a --no-restore build after a failed verification must fail.\n" + noRestore);
        StringAssert.Contains(noRestore.Output, "error " + RestoreCodes.PreviousVerificationFailed, noRestore.ToString());

        var audit = feed.Dotnet(app, DotnetProcess.Build("-p:SigstoreVerifyPackages=audit"));
        Assert.AreEqual(0, audit.ExitCode, audit.ToString());
        Assert.IsTrue(audit.HasLine("warning SSB5605", "Contoso.Other"), audit.ToString());
        Assert.IsTrue(audit.HasLine("warning SSB5603", "Contoso.Unsigned"), audit.ToString());
        Assert.IsTrue(audit.HasLine("warning SSB5604", "Contoso.Tampered"), audit.ToString());
        Assert.DoesNotContain("error SSB", audit.Output, audit.ToString());
    }

    [TestMethod]
    public void NoPolicy_DoesNothing_EvenWithAMissingTrustRoot_PolicyWithMissingTrustRootIsACodedError()
    {
        var feed = Feed;
        var app = feed.NewConsumer("config");
        var missing = "<SigstoreTrustedRootPath>$(MSBuildProjectDirectory)/missing/trusted_root.json</SigstoreTrustedRootPath>";
        feed.WriteProject(app, ["Contoso.Trusted"], policy: string.Empty, missing);

        var none = feed.Dotnet(app, DotnetProcess.Build());
        Assert.AreEqual(0, none.ExitCode, none.ToString());
        Assert.DoesNotContain("SSB", none.Output, none.ToString());
        Assert.IsFalse(Directory.Exists(Path.Combine(app, "obj", "sigstore")), "Without policy and mode the verification target must not run.");

        feed.WriteProject(app, ["Contoso.Trusted"], feed.Policy(), missing);
        var configured = feed.Dotnet(app, DotnetProcess.Build("-p:SigstoreVerifyPackages=audit"));
        Assert.AreNotEqual(0, configured.ExitCode, configured.ToString());
        // The package's shared trust settings report it as for signing: SSB0402 TrustFileMissing, naming the property.
        Assert.IsTrue(configured.HasLine("error SSB0402", "SigstoreTrustedRootPath"), configured.ToString());
        Assert.DoesNotContain("SSB9000", configured.Output, configured.ToString());
    }
}
