using System.Text.Json;
using System.Text.Json.Nodes;
using SigstoreBuild.Attestations;
using SigstoreBuild.Diagnostics;
using SigstoreBuild.NuGet.Attestations;
using SigstoreBuild.NuGet.Provenance;
using SigstoreBuild.NuGet.Sbom;
using SigstoreBuild.NuGet.Tests.Infrastructure;

namespace SigstoreBuild.NuGet.Tests.Sbom;

/// <summary>
/// The SBOM statements the build signs: a package's own (the package as root, with its package digest) and a user's SBOM
/// file attested as it is (CycloneDX 1.5 to 1.7 held to the rules, SPDX 2.x), and what is refused before signing.
/// </summary>
[TestClass]
public sealed class SbomStatementsTests
{
    private static readonly InTotoSubject Subject = new("pkg:nuget/Contoso.Lib@1.0.0", new Dictionary<string, string> { ["sha256"] = new string('a', 64) });

    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    public void ForPackage_TheRootIsThePackage_WithItsPackageDigest_AndTheComponentsAreWhatItsProjectRestored()
    {
        var directory = RealPackages.NewTempDirectory();
        try
        {
            var package = PackageInspector.Inspect(RealPackages.Pack(directory, "Contoso.Sbom", "2.1.0"));
            var statement = SbomStatements.ForPackage(package, SampleProject.AssetsFile, CycloneDxBomTests.Timestamp);

            var subject = PackageStatements.ForPackage(package);
            Assert.AreEqual(SbomStatements.CycloneDxPredicateType, statement.PredicateType);
            Assert.AreEqual(subject.Name, statement.Subjects.Single().Name);
            Assert.AreEqual(subject.Digest["sha256"], statement.Subjects[0].Digest["sha256"]);

            var bom = JsonNode.Parse(statement.Predicate!.Value.GetRawText())!;
            var root = bom["metadata"]!["component"]!;
            Assert.AreEqual("pkg:nuget/Contoso.Sbom@2.1.0", (string?)root["purl"]);
            Assert.AreEqual("library", (string?)root["type"]);
            Assert.AreEqual(subject.Digest["sha256"], (string?)root["hashes"]![0]!["content"], "the root's hash is the signed package digest");
            var purls = bom["components"]!.AsArray().Select(c => (string)c!["purl"]!).ToHashSet();
            var expected = ResolvedPackages.LoadProject(SampleProject.AssetsFile).Packages.Select(p => p.Uri).ToHashSet();
            Assert.IsTrue(expected.SetEquals(purls), "the components are the packages of the assets file");
            Assert.AreEqual("pkg:nuget/Contoso.Sbom@2.1.0", (string?)bom["dependencies"]![0]!["ref"]);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [TestMethod]
    [DataRow("1.5")]
    [DataRow("1.6")]
    [DataRow("1.7")]
    public void ForFile_CycloneDx_IsAttestedAsItIs(string specVersion)
    {
        var bom = CycloneDx(specVersion);
        var statement = SbomStatements.ForFile([Subject], WriteFile(bom.ToJsonString()));

        Assert.AreEqual(SbomStatements.CycloneDxPredicateType, statement.PredicateType);
        Assert.IsTrue(JsonElement.DeepEquals(JsonDocument.Parse(bom.ToJsonString()).RootElement, statement.Predicate!.Value));
    }

    [TestMethod]
    public void ForFile_Spdx_IsAttestedWithTheSpdxPredicateType()
    {
        var spdx = new JsonObject
        {
            ["spdxVersion"] = "SPDX-2.3",
            ["SPDXID"] = "SPDXRef-DOCUMENT",
            ["name"] = "Contoso.Lib",
            ["dataLicense"] = "CC0-1.0",
            ["packages"] = new JsonArray { (JsonNode)new JsonObject { ["SPDXID"] = "SPDXRef-Package-A", ["name"] = "A", ["versionInfo"] = "1.0.0" } },
        };
        var statement = SbomStatements.ForFile([Subject], WriteFile(spdx.ToJsonString()));

        Assert.AreEqual(SbomStatements.SpdxPredicateType, statement.PredicateType);
        Assert.AreEqual("SPDX-2.3", statement.Predicate!.Value.GetProperty("spdxVersion").GetString());
    }

    [TestMethod]
    [DataRow("not json", "not JSON")]
    [DataRow("[1, 2]", "not a JSON object")]
    [DataRow("{\"name\": \"x\"}", "neither CycloneDX")]
    [DataRow("{\"bomFormat\": \"CycloneDX\", \"specVersion\": \"1.4\", \"metadata\": {\"component\": {\"type\": \"library\", \"name\": \"x\"}}}", "specVersion")]
    [DataRow("{\"bomFormat\": \"CycloneDX\", \"specVersion\": \"1.6\", \"metadata\": {\"component\": {\"type\": \"library\", \"name\": \"x\", \"purl\": \"nuget:x\"}}}", "purl")]
    [DataRow("{\"spdxVersion\": \"SPDX-2.3\", \"SPDXID\": \"SPDXRef-Other\", \"name\": \"x\"}", "SPDXRef-DOCUMENT")]
    [DataRow("{\"spdxVersion\": \"SPDX-3.0\", \"SPDXID\": \"SPDXRef-DOCUMENT\", \"name\": \"x\"}", "neither CycloneDX")]
    [DataRow("{\"bomFormat\": \"CycloneDX\", \"bomFormat\": \"CycloneDX\"}", "not JSON")]
    public void ForFile_WhatCannotBeAttested_IsRefusedWithTheSbomCode(string content, string why)
    {
        var ex = Assert.ThrowsExactly<SigstoreException>(() => SbomStatements.ForFile([Subject], WriteFile(content)));

        Assert.AreEqual(ProvenanceCodes.SbomInvalid, ex.Code);
        StringAssert.Contains(ex.Message, why);
    }

    [TestMethod]
    public void ForFile_TooLarge_IsRefusedUnread()
    {
        var path = WriteFile("");
        using (var stream = File.OpenWrite(path))
        {
            stream.SetLength(33L * 1024 * 1024);
        }

        Assert.AreEqual(ProvenanceCodes.SbomInvalid, Assert.ThrowsExactly<SigstoreException>(() => SbomStatements.ForFile([Subject], path)).Code);
    }

    private static JsonObject CycloneDx(string specVersion) => new()
    {
        ["bomFormat"] = "CycloneDX",
        ["specVersion"] = specVersion,
        ["version"] = 1,
        ["metadata"] = new JsonObject { ["component"] = new JsonObject { ["type"] = "application", ["name"] = "App", ["purl"] = "pkg:generic/App@1.0.0" } },
        ["components"] = new JsonArray { (JsonNode)new JsonObject { ["type"] = "library", ["name"] = "A", ["version"] = "1.0.0", ["purl"] = "pkg:nuget/A@1.0.0" } },
    };

    private string WriteFile(string content)
    {
        var path = Path.Combine(TestContext.TestRunResultsDirectory ?? Path.GetTempPath(), $"sbom-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, content);
        return path;
    }
}
