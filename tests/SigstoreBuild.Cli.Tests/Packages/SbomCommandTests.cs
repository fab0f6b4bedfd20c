using System.Text.Json;
using System.Text.Json.Nodes;
using NuGet.Packaging;
using NuGet.Versioning;
using SigstoreBuild.Attestations;
using SigstoreBuild.Cli.Tests.Infrastructure;
using SigstoreBuild.LocalStack;
using SigstoreBuild.NuGet;
using SigstoreBuild.NuGet.Attestations;
using SigstoreBuild.NuGet.Sbom;

namespace SigstoreBuild.Cli.Tests.Packages;

/// <summary>
/// A package carrying both embedded attestations, as dotnet pack writes them (provenance and SBOM, signed through the
/// local Sigstore instance): <c>inspect --sbom</c> lists the components, <c>extract-bundle --sbom</c> writes the SBOM's
/// bundle, and <c>verify-package --predicate-type</c> verifies the SBOM's.
/// </summary>
[TestClass]
public sealed class SbomCommandTests
{
    private const string Email = "sbom@example.com";
    private const string Id = "Contoso.Sbom";
    private const string Version = "1.4.0";
    private static LocalSigstore s_sigstore = null!;
    private static string s_root = null!;
    private static string s_package = null!;
    private static string s_provenanceOnly = null!;

    public TestContext TestContext { get; set; } = null!;

    [ClassInitialize]
    public static async Task StartAsync(TestContext context)
    {
        s_root = Directory.CreateTempSubdirectory("ssb-cli-sbom-").FullName;
        s_sigstore = await LocalSigstore.StartAsync(Path.Combine(s_root, "instance"), 0, context.CancellationToken);
        s_package = Path.Combine(s_root, "with-sbom", $"{Id}.{Version}.nupkg");
        s_provenanceOnly = Path.Combine(s_root, "without-sbom", $"{Id}.{Version}.nupkg");
        foreach (var (path, sbom) in new[] { (s_package, true), (s_provenanceOnly, false) })
        {
            WritePackage(path);
            var package = PackageInspector.Inspect(path);
            var provenance = await SignAsync(PackageStatements.ForPackages([package], new SlsaBuildContext { Project = "Sbom.csproj", BuilderId = "https://sigstorebuild.invalid/tests/cli", Step = "pack" }), "provenance");
            var bom = sbom ? await SignAsync(SbomStatements.ForFile([PackageStatements.ForPackage(package)], WriteBom()), "sbom") : null;
            EmbeddedBundle.Embed(path, provenance, bom);
        }
    }

    [ClassCleanup]
    public static async Task StopAsync()
    {
        await s_sigstore.DisposeAsync();
        Directory.Delete(s_root, recursive: true);
    }

    [TestMethod]
    public async Task InspectSbom_ListsEveryComponent_WithHashAndProperties()
    {
        var run = await CliRunner.RunAsync("inspect", s_package, "--sbom");

        Assert.AreEqual(0, run.ExitCode, run.ToString());
        StringAssert.Contains(run.Output, $"embedded in {s_package} (.sigstore/sbom.sigstore.json)");
        StringAssert.Contains(run.Output, "NOT VERIFIED");
        StringAssert.Contains(run.Output, "SBOM (CycloneDX 1.6)");
        StringAssert.Contains(run.Output, $"describes: pkg:nuget/{Id}@{Version} (library)");
        StringAssert.Contains(run.Output, "components (2):");
        StringAssert.Contains(run.Output, $"pkg:nuget/Newtonsoft.Json@13.0.3  SHA-512:{new string('c', 128)}  sigstorebuild:dependency=direct sigstorebuild:targetFramework=net8.0,net10.0");
        StringAssert.Contains(run.Output, "pkg:nuget/System.Memory@4.5.5  no hash  sigstorebuild:dependency=transitive");

        var json = await CliRunner.RunAsync("inspect", s_package, "--sbom", "--output", "json");
        Assert.AreEqual(0, json.ExitCode, json.ToString());
        var sbom = JsonNode.Parse(json.Output)!["sbom"]!;
        Assert.AreEqual("CycloneDX", (string?)sbom["format"]);
        CollectionAssert.AreEqual(
            new[] { "pkg:nuget/Newtonsoft.Json@13.0.3", "pkg:nuget/System.Memory@4.5.5" },
            sbom["components"]!.AsArray().Select(c => (string?)c!["purl"]).ToArray());
        Assert.AreEqual(new string('c', 128), (string?)sbom["components"]![0]!["hashes"]!["SHA-512"]);
    }

    [TestMethod]
    public async Task Inspect_WithoutSbom_ShowsTheProvenance_AndSbomOnAProvenanceBundle_IsRefused()
    {
        var plain = await CliRunner.RunAsync("inspect", s_package);
        Assert.AreEqual(0, plain.ExitCode, plain.ToString());
        StringAssert.Contains(plain.Output, "(.sigstore/bundle.sigstore.json)");
        Assert.IsFalse(plain.Output.Contains("SBOM (", StringComparison.Ordinal), plain.Output);

        var bundle = Path.Combine(s_root, "provenance-" + Guid.NewGuid().ToString("N") + ".sigstore.json");
        await File.WriteAllBytesAsync(bundle, EmbeddedBundle.Read(s_package)!);
        var refused = await CliRunner.RunAsync("inspect", bundle, "--sbom");
        Assert.AreNotEqual(0, refused.ExitCode, refused.ToString());
        StringAssert.StartsWith(refused.Error, "error SSB0045: ");
        StringAssert.Contains(refused.Error, "https://slsa.dev/provenance/v1");
    }

    [TestMethod]
    public async Task PackageWithoutSbom_InspectAndExtractSay_Ssb5416()
    {
        foreach (var verb in new[] { "inspect", "extract-bundle" })
        {
            var run = await CliRunner.RunAsync(verb, s_provenanceOnly, "--sbom");
            Assert.AreNotEqual(0, run.ExitCode, run.ToString());
            StringAssert.StartsWith(run.Error, "error SSB5416: ");
            StringAssert.Contains(run.Error, "SigstoreSbom=false");
        }
    }

    [TestMethod]
    public async Task ExtractSbom_WritesTheSbomBundle_AndVerifyPackage_VerifiesItByPredicateType()
    {
        var copy = Path.Combine(s_root, Guid.NewGuid().ToString("N"), Path.GetFileName(s_package));
        Directory.CreateDirectory(Path.GetDirectoryName(copy)!);
        File.Copy(s_package, copy);

        var extract = await CliRunner.RunAsync("extract-bundle", copy, "--sbom");
        Assert.AreEqual(0, extract.ExitCode, extract.ToString());
        CollectionAssert.AreEqual(PackageInspector.Inspect(copy).EmbeddedSbomBundle, await File.ReadAllBytesAsync(copy + ".sbom.sigstore.json"));

        var verify = await CliRunner.RunAsync("verify-package", s_package, "--trusted-root", s_sigstore.TrustedRootPath, "--certificate-oidc-issuer", s_sigstore.BaseUrl,
            "--certificate-identity", Email, "--predicate-type", SbomStatements.CycloneDxPredicateType);
        Assert.AreEqual(0, verify.ExitCode, verify.ToString());
        StringAssert.Contains(verify.Output, "bundle: embedded (.sigstore/sbom.sigstore.json)");

        // The provenance bundle does not satisfy the SBOM's predicate type, so nothing is verified by mistake.
        var wrong = await CliRunner.RunAsync("verify-package", s_package, "--bundle", copy + ".sbom.sigstore.json", "--trusted-root", s_sigstore.TrustedRootPath,
            "--certificate-oidc-issuer", s_sigstore.BaseUrl, "--certificate-identity", Email, "--predicate-type", "https://slsa.dev/provenance/v1");
        Assert.AreNotEqual(0, wrong.ExitCode, wrong.ToString());
    }

    private static void WritePackage(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var builder = new PackageBuilder { Id = Id, Version = NuGetVersion.Parse(Version), Description = "A test package." };
        builder.Authors.Add("Contoso");
        builder.Files.Add(new PhysicalPackageFile(new MemoryStream("the content"u8.ToArray())) { TargetPath = "lib/net10.0/content.txt" });
        using var stream = File.Create(path);
        builder.Save(stream);
    }

    /// <summary>A CycloneDX document shaped like SigstoreBuild's own, written by hand.</summary>
    private static string WriteBom()
    {
        static JsonArray Properties(params (string Name, string Value)[] properties) =>
            [.. properties.Select(p => (JsonNode?)new JsonObject { ["name"] = p.Name, ["value"] = p.Value })];

        var path = Path.Combine(s_root, "bom-" + Guid.NewGuid().ToString("N") + ".json");
        File.WriteAllText(path, new JsonObject
        {
            ["bomFormat"] = "CycloneDX",
            ["specVersion"] = "1.6",
            ["version"] = 1,
            ["metadata"] = new JsonObject { ["component"] = new JsonObject { ["type"] = "library", ["name"] = Id, ["version"] = Version, ["purl"] = $"pkg:nuget/{Id}@{Version}" } },
            ["components"] = new JsonArray
            {
                (JsonNode)new JsonObject
                {
                    ["type"] = "library", ["name"] = "Newtonsoft.Json", ["version"] = "13.0.3", ["purl"] = "pkg:nuget/Newtonsoft.Json@13.0.3",
                    ["hashes"] = new JsonArray { (JsonNode)new JsonObject { ["alg"] = "SHA-512", ["content"] = new string('c', 128) } },
                    ["properties"] = Properties(("sigstorebuild:dependency", "direct"), ("sigstorebuild:targetFramework", "net8.0"), ("sigstorebuild:targetFramework", "net10.0")),
                },
                (JsonNode)new JsonObject
                {
                    ["type"] = "library", ["name"] = "System.Memory", ["version"] = "4.5.5", ["purl"] = "pkg:nuget/System.Memory@4.5.5",
                    ["properties"] = Properties(("sigstorebuild:dependency", "transitive")),
                },
            },
        }.ToJsonString());
        return path;
    }

    private static async Task<byte[]> SignAsync(InTotoStatement statement, string name)
    {
        var statementPath = Path.Combine(s_root, name + "-" + Guid.NewGuid().ToString("N") + ".json");
        await File.WriteAllBytesAsync(statementPath, statement.ToJson());
        var bundle = statementPath + ".sigstore.json";
        var sign = await CliRunner.RunAsync("sign-bundle", "--in-toto", "--identity-token", s_sigstore.MintToken(Email), "--bundle", bundle,
            "--trusted-root", s_sigstore.TrustedRootPath, "--signing-config", s_sigstore.SigningConfigPath, statementPath);
        Assert.AreEqual(0, sign.ExitCode, sign.ToString());
        return await File.ReadAllBytesAsync(bundle);
    }
}
