using System.Text.Json.Nodes;
using SigstoreBuild.Attestations;
using SigstoreBuild.Identity;
using SigstoreBuild.LocalStack;
using SigstoreBuild.NuGet;
using SigstoreBuild.NuGet.Attestations;
using SigstoreBuild.NuGet.Restore;
using SigstoreBuild.NuGet.Sbom;
using SigstoreBuild.Restore.Tests.Infrastructure;
using SigstoreBuild.Signing;

namespace SigstoreBuild.Restore.Tests;

/// <summary>
/// <c>RequireSbom</c> on a trusted identity, through the real restore verifier: packages carrying SigstoreBuild's embedded
/// provenance bundle and, or not, an SBOM attestation (.sigstore/sbom.sigstore.json), all signed by the local Sigstore
/// instance with real certificates.
/// </summary>
[TestClass]
public sealed class SbomPolicyTests
{
    private const string Publisher = "publisher@example.com";
    private const string Stranger = "stranger@example.com";
    private static LocalSigstore s_sigstore = null!;
    private static string s_root = null!;

    public TestContext TestContext { get; set; } = null!;

    [ClassInitialize]
    public static async Task StartAsync(TestContext context)
    {
        s_root = Directory.CreateTempSubdirectory("ssb-restore-sbom-").FullName;
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
    public async Task PackageWithATrustedSbom_Passes_AlsoFromTheCache()
    {
        using var feed = new TestFeed();
        await PublishAsync(feed, "Contoso.Lib", Sbom.ByPublisher);
        for (var run = 0; run < 2; run++)
        {
            var result = await RunAsync(feed, Publisher, requireSbom: true);
            Assert.IsTrue(result.Succeeded, Describe(result));
            Assert.AreEqual(1, result.Verified);
            Assert.AreEqual(run == 1, result.Packages[0].FromCache, "the second run reuses both verdicts");
        }
    }

    [TestMethod]
    public async Task PackageWithoutSbom_FailsWithSbomMissing_OnlyWhereRequired_EvenAfterALaxRunWasCached()
    {
        using var feed = new TestFeed();
        await PublishAsync(feed, "Contoso.Lib", Sbom.None);

        var lax = await RunAsync(feed, Publisher, requireSbom: false);
        Assert.IsTrue(lax.Succeeded, "the provenance alone satisfies an identity without RequireSbom: " + Describe(lax));

        var strict = await RunAsync(feed, Publisher, requireSbom: true);
        Assert.IsFalse(strict.Succeeded, Describe(strict));
        var diagnostic = strict.Diagnostics.Single();
        Assert.AreEqual(RestoreCodes.SbomMissing, diagnostic.Code);
        StringAssert.Contains(diagnostic.Message, EmbeddedBundle.SbomEntryName);
        StringAssert.Contains(diagnostic.Message, "RequireSbom");

        var audit = await RunAsync(feed, Publisher, requireSbom: true, VerificationMode.Audit);
        Assert.IsTrue(audit.Succeeded, Describe(audit));
        Assert.AreEqual(RestoreCodes.ToAuditWarning(RestoreCodes.SbomMissing), audit.Diagnostics.Single().Code);
    }

    [TestMethod]
    public async Task SbomSignedByAnotherIdentity_FailsWithSbomNotVerified()
    {
        using var feed = new TestFeed();
        await PublishAsync(feed, "Contoso.Lib", Sbom.ByStranger);
        var result = await RunAsync(feed, Publisher, requireSbom: true);
        Assert.IsFalse(result.Succeeded, Describe(result));
        Assert.AreEqual(RestoreCodes.SbomNotVerified, result.Diagnostics.Single().Code, Describe(result));
        StringAssert.Contains(result.Diagnostics[0].Message, Stranger);
    }

    [TestMethod]
    public async Task SbomOfAnotherPackage_FailsWithSbomNotVerified()
    {
        using var feed = new TestFeed();
        await PublishAsync(feed, "Contoso.Lib", Sbom.OfAnotherPackage);
        var result = await RunAsync(feed, Publisher, requireSbom: true);
        Assert.IsFalse(result.Succeeded, Describe(result));
        Assert.AreEqual(RestoreCodes.SbomNotVerified, result.Diagnostics.Single().Code, Describe(result));
    }

    [TestMethod]
    public async Task ProvenanceInTheSbomEntry_IsNoSbom()
    {
        using var feed = new TestFeed();
        await PublishAsync(feed, "Contoso.Lib", Sbom.ProvenanceInstead);
        var result = await RunAsync(feed, Publisher, requireSbom: true);
        Assert.IsFalse(result.Succeeded, Describe(result));
        Assert.AreEqual(RestoreCodes.SbomMissing, result.Diagnostics.Single().Code, Describe(result));
        StringAssert.Contains(result.Diagnostics[0].Message, "https://slsa.dev/provenance/v1");
    }

    private enum Sbom
    {
        None,
        ByPublisher,
        ByStranger,
        OfAnotherPackage,
        ProvenanceInstead,
    }

    private Task<RestoreVerificationResult> RunAsync(TestFeed feed, string subject, bool requireSbom, VerificationMode mode = VerificationMode.Enforce) =>
        new RestoreVerifier(new RestoreVerificationOptions
        {
            AssetsFilePath = feed.AssetsFile,
            Policy = new TrustPolicy([new TrustedIdentity(PackageIdPattern.Parse("Contoso.*"), Issuer, subject, null) { RequireSbom = requireSbom }], [], []),
            Mode = mode,
            LockFilePath = feed.LockFile,
            CacheFilePath = feed.CacheFile,
            Verifier = SigstorePackageSignatureVerifier.ForTrustedRoot(s_sigstore.TrustedRootPath),
            Sources = [new EmbeddedBundleSource()],
        }).VerifyAsync(TestContext.CancellationToken);

    /// <summary>Packs the package, signs its provenance (and the SBOM as asked) and embeds the bundles, as dotnet pack does.</summary>
    private async Task PublishAsync(TestFeed feed, string id, Sbom sbom)
    {
        var work = Directory.CreateTempSubdirectory("ssb-sbom-package-").FullName;
        try
        {
            var nupkg = Path.Combine(work, $"{id}.1.0.0.nupkg");
            File.WriteAllBytes(nupkg, TestFeed.CreateNupkg(id, "1.0.0"));
            var package = PackageInspector.Inspect(nupkg);
            var provenance = PackageStatements.ForPackages([package], new SlsaBuildContext { Project = id, BuilderId = "https://example.com/builder", Step = "pack" });
            var provenanceJson = await SignAsync(provenance, Publisher, Path.Combine(work, "provenance.sigstore.json"));

            var sbomFile = Path.Combine(work, "bom.json");
            File.WriteAllText(sbomFile, new JsonObject
            {
                ["bomFormat"] = "CycloneDX",
                ["specVersion"] = "1.6",
                ["version"] = 1,
                ["metadata"] = new JsonObject { ["component"] = new JsonObject { ["type"] = "library", ["name"] = id, ["version"] = "1.0.0", ["purl"] = $"pkg:nuget/{id}@1.0.0" } },
                ["components"] = new JsonArray { (JsonNode)new JsonObject { ["type"] = "library", ["name"] = "Dep", ["version"] = "1.0.0", ["purl"] = "pkg:nuget/Dep@1.0.0" } },
            }.ToJsonString());
            var other = PackageInspector.Inspect(new MemoryStream(TestFeed.CreateNupkg(id, "1.0.0", "other content")));
            byte[]? sbomJson = sbom switch
            {
                Sbom.None => null,
                Sbom.ByPublisher => await SignAsync(SbomStatements.ForFile([PackageStatements.ForPackage(package)], sbomFile), Publisher, Path.Combine(work, "sbom.sigstore.json")),
                Sbom.ByStranger => await SignAsync(SbomStatements.ForFile([PackageStatements.ForPackage(package)], sbomFile), Stranger, Path.Combine(work, "sbom.sigstore.json")),
                Sbom.OfAnotherPackage => await SignAsync(SbomStatements.ForFile([PackageStatements.ForPackage(other)], sbomFile), Publisher, Path.Combine(work, "sbom.sigstore.json")),
                _ => provenanceJson,
            };

            EmbeddedBundle.Embed(nupkg, provenanceJson, sbomJson);
            feed.AddPackage(id, "1.0.0", File.ReadAllBytes(nupkg));
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    private async Task<byte[]> SignAsync(InTotoStatement statement, string email, string bundlePath)
    {
        using var signer = new SessionAttestationSigner(new SigningSession(
            StaticSigningTrustProvider.Load(s_sigstore.TrustedRootPath, s_sigstore.SigningConfigPath),
            ExplicitTokenProvider.FromToken(s_sigstore.MintToken(email)),
            new SigstoreBundleVerifier()));
        await signer.SignAsync(statement, bundlePath, TestContext.CancellationToken);
        return File.ReadAllBytes(bundlePath);
    }

    private static string Describe(RestoreVerificationResult result) => result.Summary + " " + string.Join(" | ", result.Diagnostics);
}
