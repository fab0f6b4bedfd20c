using System.Text.Json;
using System.Text.Json.Nodes;
using NuGet.Versioning;
using SigstoreBuild.Bundles;
using SigstoreBuild.EndToEnd.Tests.Infrastructure;
using SigstoreBuild.LocalStack;
using SigstoreBuild.NuGet;
using SigstoreBuild.NuGet.Sbom;
using SigstoreBuild.NuGet.Verification;
using SigstoreBuild.Trust;
using SigstoreBuild.Verification;

namespace SigstoreBuild.EndToEnd.Tests;

/// <summary>
/// The SBOM at dotnet pack, through the packed SigstoreBuild and a local Sigstore instance: the second embedded bundle
/// (.sigstore/sbom.sigstore.json) over the package digest, its components exactly the restored packages, kept on an
/// unchanged repack; a user's own SBOM file attested instead; and a consumer whose policy requires an SBOM.
/// </summary>
[TestClass]
public sealed class SbomTests
{
    private const string Signer = "sbom-release@example.com";
    private const string PackageName = "Contoso.Greetings.1.0.0.nupkg";
    private static LocalSigstore s_sigstore = null!;

    public TestContext TestContext { get; set; } = null!;

    [ClassInitialize]
    public static async Task StartSigstore(TestContext context)
    {
        E2E.RequirePackage();
        s_sigstore = await LocalSigstore.StartAsync(Path.Combine(E2E.Root, "sigstore-sbom"), 0, context.CancellationToken);
    }

    [ClassCleanup]
    public static async Task StopSigstore()
    {
        if (s_sigstore is not null)
        {
            await s_sigstore.DisposeAsync();
        }
    }

    private static Dictionary<string, string> Identity() => new() { ["SIGSTORE_ID_TOKEN"] = s_sigstore.MintToken(Signer) };

    private static string[] Trust() => [$"-p:SigstoreTrustedRootPath={s_sigstore.TrustedRootPath}", $"-p:SigstoreSigningConfigPath={s_sigstore.SigningConfigPath}", "-p:SigstoreRequireSigning=true"];

    [TestMethod]
    public void Pack_EmbedsTheSbom_OverThePackageDigest_ListingTheRestoredPackages_AndBothVerifiersAcceptIt()
    {
        var project = E2E.CopySample("Library", TestContext.TestName!);
        var pack = DotNet.Run(project, Identity(), DotNet.BuildArguments("pack", ["-o", "out", .. Trust()]));
        Assert.IsTrue(pack.Succeeded, pack.ToString());
        Assert.Contains($"signed {PackageName} SBOM as {Signer}", pack.Output);

        var package = Path.Combine(project, "out", PackageName);
        var inspection = PackageInspector.Inspect(package);
        Assert.IsNotNull(inspection.EmbeddedBundle);
        Assert.IsNotNull(inspection.EmbeddedSbomBundle, "the SBOM is on by default");
        Assert.IsEmpty(Directory.GetFiles(Path.Combine(project, "out"), "*.sigstore.json"), "both bundles travel inside the package");

        var bundle = BundleSerializer.Parse(inspection.EmbeddedSbomBundle);
        var statement = JsonNode.Parse(bundle.DsseEnvelope!.Payload!)!;
        Assert.AreEqual(SbomStatements.CycloneDxPredicateType, (string?)statement["predicateType"]);
        var digest = Convert.ToHexStringLower(inspection.PackageDigest);
        Assert.AreEqual("pkg:nuget/Contoso.Greetings@1.0.0", (string?)statement["subject"]!.AsArray().Single()!["name"]);
        Assert.AreEqual(digest, (string?)statement["subject"]![0]!["digest"]!["sha256"], "the same package digest the provenance signs");

        var bom = statement["predicate"]!;
        Assert.AreEqual("1.6", (string?)bom["specVersion"]);
        Assert.AreEqual("pkg:nuget/Contoso.Greetings@1.0.0", (string?)bom["metadata"]!["component"]!["purl"]);
        Assert.AreEqual(digest, (string?)bom["metadata"]!["component"]!["hashes"]![0]!["content"]);

        // Every package of the real assets file, with the sha512 restore recorded, and nothing else.
        using var assets = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(project, "obj", "project.assets.json")));
        var expected = assets.RootElement.GetProperty("libraries").EnumerateObject()
            .Where(l => l.Value.GetProperty("type").GetString() == "package")
            .ToDictionary(
                l => PackageSubject.Name(l.Name.Split('/')[0], NuGetVersion.Parse(l.Name.Split('/')[1])),
                l => Convert.ToHexStringLower(Convert.FromBase64String(l.Value.GetProperty("sha512").GetString()!)));
        Assert.IsNotEmpty(expected, "the sample restores at least SigstoreBuild");
        var components = bom["components"]!.AsArray();
        Assert.HasCount(expected.Count, components);
        foreach (var component in components)
        {
            var purl = (string)component!["purl"]!;
            Assert.IsTrue(expected.ContainsKey(purl), purl);
            Assert.AreEqual(expected[purl], (string?)component["hashes"]![0]!["content"], purl);
        }

        var verifier = new SigstoreVerifier(TrustedRoot.Load(s_sigstore.TrustedRootPath), VerifierOptions.PublicGood);
        var verified = new PackageVerifier(new SigstoreAttestationVerifier(verifier, CertificateIdentity.Exact(Signer, s_sigstore.Services.Oidc.Issuer)))
            .Verify(package, bundle, new PackageVerificationPolicy { PredicateType = SbomStatements.CycloneDxPredicateType });
        Assert.AreEqual("pkg:nuget/Contoso.Greetings@1.0.0", verified.MatchedSubject.Name);

        var extracted = package + ".sbom.extracted.json";
        File.WriteAllBytes(extracted, inspection.EmbeddedSbomBundle);
        var js = SigstoreJs.Verify(extracted, s_sigstore.TrustedRootPath, Signer, s_sigstore.Services.Oidc.Issuer, "sha256:" + digest);
        Assert.AreEqual(0, js.ExitCode, "sigstore-js rejected the SBOM bundle: " + js.Output);

        // An unchanged repack keeps both attestations instead of signing again.
        var repack = DotNet.Run(project, Identity(), DotNet.BuildArguments("pack", ["-o", "out", .. Trust()]));
        Assert.IsTrue(repack.Succeeded, repack.ToString());
        Assert.DoesNotContain($"signed {PackageName}", repack.Output, repack.Output);
        CollectionAssert.AreEqual(inspection.EmbeddedSbomBundle, PackageInspector.Inspect(package).EmbeddedSbomBundle);
    }

    [TestMethod]
    public void Pack_WithAUsersSbomFile_AttestsThatFile_AndWithSbomOff_EmbedsNone()
    {
        var project = E2E.CopySample("Library", TestContext.TestName!);
        var spdx = new JsonObject
        {
            ["spdxVersion"] = "SPDX-2.3",
            ["SPDXID"] = "SPDXRef-DOCUMENT",
            ["name"] = "Contoso.Greetings",
            ["dataLicense"] = "CC0-1.0",
            ["packages"] = new JsonArray { (JsonNode)new JsonObject { ["SPDXID"] = "SPDXRef-Package-Greetings", ["name"] = "Contoso.Greetings", ["versionInfo"] = "1.0.0" } },
        };
        File.WriteAllText(Path.Combine(project, "greetings.spdx.json"), spdx.ToJsonString());

        var pack = DotNet.Run(project, Identity(), DotNet.BuildArguments("pack", ["-o", "out", "-p:SigstoreSbomFile=greetings.spdx.json", .. Trust()]));
        Assert.IsTrue(pack.Succeeded, pack.ToString());
        var package = Path.Combine(project, "out", PackageName);
        var statement = JsonNode.Parse(BundleSerializer.Parse(PackageInspector.Inspect(package).EmbeddedSbomBundle!).DsseEnvelope!.Payload!)!;
        Assert.AreEqual(SbomStatements.SpdxPredicateType, (string?)statement["predicateType"]);
        Assert.IsTrue(JsonNode.DeepEquals(spdx, statement["predicate"]), "the user's document, unchanged");

        // Editing the file signs it again, although the package is the same.
        spdx["name"] = "Contoso.Greetings (edited)";
        File.WriteAllText(Path.Combine(project, "greetings.spdx.json"), spdx.ToJsonString());
        var edited = DotNet.Run(project, Identity(), DotNet.BuildArguments("pack", ["-o", "out", "-p:SigstoreSbomFile=greetings.spdx.json", .. Trust()]));
        Assert.IsTrue(edited.Succeeded, edited.ToString());
        var again = JsonNode.Parse(BundleSerializer.Parse(PackageInspector.Inspect(package).EmbeddedSbomBundle!).DsseEnvelope!.Payload!)!;
        Assert.AreEqual("Contoso.Greetings (edited)", (string?)again["predicate"]!["name"]);

        var broken = DotNet.Run(project, Identity(), DotNet.BuildArguments("pack", ["-o", "broken", "-p:SigstoreSbomFile=Contoso.Greetings.csproj", .. Trust()]));
        Assert.IsFalse(broken.Succeeded, broken.ToString());
        Assert.Contains("error SSB0422", broken.Output);
        Assert.IsFalse(File.Exists(Path.Combine(project, "broken", PackageName)), "signing is required, so the unsigned package is not left behind");

        var off = DotNet.Run(project, Identity(), DotNet.BuildArguments("pack", ["-o", "off", "-p:SigstoreSbom=false", .. Trust()]));
        Assert.IsTrue(off.Succeeded, off.ToString());
        var plain = PackageInspector.Inspect(Path.Combine(project, "off", PackageName));
        Assert.IsNotNull(plain.EmbeddedBundle);
        Assert.IsNull(plain.EmbeddedSbomBundle);
    }

    [TestMethod]
    public void Consumer_RequiringAnSbom_AcceptsAPackageWithOne_AndFailsWithSSB5117_ForOneWithout()
    {
        var testDirectory = Path.Combine(E2E.Root, TestContext.TestName!);
        foreach (var (name, sbom, expected) in new[] { ("with-sbom", "true", (string?)null), ("without-sbom", "false", "error SSB5117") })
        {
            var library = E2E.CopySample("Library", $"{TestContext.TestName}-{name}");
            var feed = Path.Combine(testDirectory, name, "feed");
            var pack = DotNet.Run(library, Identity(), DotNet.BuildArguments("pack", ["-o", feed, $"-p:SigstoreSbom={sbom}", .. Trust()]));
            Assert.IsTrue(pack.Succeeded, pack.ToString());

            var consumer = E2E.CopyConsumer($"{TestContext.TestName}-{name}-consumer", feed,
                policy => policy.Replace("Subject=\"$(ContosoSigner)\" />", "Subject=\"$(ContosoSigner)\" RequireSbom=\"true\" />", StringComparison.Ordinal));
            var build = E2E.BuildConsumer(consumer, $"-p:ContosoSigner={Signer}", $"-p:ContosoSignerIssuer={s_sigstore.Services.Oidc.Issuer}", $"-p:SigstoreTrustedRootPath={s_sigstore.TrustedRootPath}");
            if (expected is null)
            {
                Assert.IsTrue(build.Succeeded, build.ToString());
                Assert.Contains("Sigstore: verified 1 package", build.Output);
            }
            else
            {
                Assert.IsFalse(build.Succeeded, build.ToString());
                Assert.Contains(expected, build.Output);
                Assert.Contains(".sigstore/sbom.sigstore.json", build.Output);
            }
        }
    }
}
