using System.Text;
using System.Text.Json.Nodes;
using SigstoreBuild.Diagnostics;
using SigstoreBuild.NuGet.Sbom;

namespace SigstoreBuild.NuGet.Tests.Sbom;

/// <summary>Each rule: a valid generated document with one thing broken is refused with that rule at that path.</summary>
[TestClass]
public sealed class CycloneDxRulesTests
{
    [TestMethod]
    [DataRow("bomFormat wrong", CycloneDxRules.BomFormat, "$.bomFormat")]
    [DataRow("bomFormat missing", CycloneDxRules.BomFormat, "$.bomFormat")]
    [DataRow("specVersion 1.5", CycloneDxRules.SpecVersion, "$.specVersion")]
    [DataRow("specVersion number", CycloneDxRules.SpecVersion, "$.specVersion")]
    [DataRow("serialNumber not a uuid", CycloneDxRules.SerialNumber, "$.serialNumber")]
    [DataRow("serialNumber upper-case", CycloneDxRules.SerialNumber, "$.serialNumber")]
    [DataRow("version 0", CycloneDxRules.Version, "$.version")]
    [DataRow("version string", CycloneDxRules.Version, "$.version")]
    [DataRow("version fraction", CycloneDxRules.Version, "$.version")]
    [DataRow("timestamp with space", CycloneDxRules.Timestamp, "$.metadata.timestamp")]
    [DataRow("timestamp without offset", CycloneDxRules.Timestamp, "$.metadata.timestamp")]
    [DataRow("timestamp month 13", CycloneDxRules.Timestamp, "$.metadata.timestamp")]
    [DataRow("metadata.component missing", CycloneDxRules.MetadataComponent, "$.metadata.component")]
    [DataRow("metadata missing", CycloneDxRules.MetadataComponent, "$.metadata.component")]
    [DataRow("component type unknown", CycloneDxRules.ComponentType, "$.components[0].type")]
    [DataRow("component type missing", CycloneDxRules.ComponentType, "$.components[0].type")]
    [DataRow("root type unknown", CycloneDxRules.ComponentType, "$.metadata.component.type")]
    [DataRow("tool type missing", CycloneDxRules.ComponentType, "$.metadata.tools.components[0].type")]
    [DataRow("component name missing", CycloneDxRules.ComponentName, "$.components[1].name")]
    [DataRow("nested component name empty", CycloneDxRules.ComponentName, "$.components[0].components[0].name")]
    [DataRow("bom-ref duplicate", CycloneDxRules.BomRef, "$.components[1].bom-ref")]
    [DataRow("bom-ref duplicates the root", CycloneDxRules.BomRef, "$.components[0].bom-ref")]
    [DataRow("bom-ref empty", CycloneDxRules.BomRef, "$.components[0].bom-ref")]
    [DataRow("hash alg unknown", CycloneDxRules.HashAlgorithm, "$.components[0].hashes[0].alg")]
    [DataRow("hash content short", CycloneDxRules.HashContent, "$.components[0].hashes[0].content")]
    [DataRow("hash content not hex", CycloneDxRules.HashContent, "$.components[0].hashes[0].content")]
    [DataRow("hash content of another algorithm", CycloneDxRules.HashContent, "$.metadata.component.hashes[0].content")]
    [DataRow("dependency ref unknown", CycloneDxRules.DependencyRef, "$.dependencies[1].ref")]
    [DataRow("dependency ref missing", CycloneDxRules.DependencyRef, "$.dependencies[1].ref")]
    [DataRow("dependsOn unknown", CycloneDxRules.DependencyRef, "$.dependencies[0].dependsOn[0]")]
    [DataRow("not an object", CycloneDxRules.Json, "$")]
    public void BrokenDocument_IsRefused(string breakage, string rule, string path)
    {
        var bom = CycloneDxBomTests.Build(CycloneDxBomTests.Synthetic());
        Assert.IsEmpty(CycloneDxRules.Check(Bytes(bom)), "the document before breaking it");
        var components = bom["components"]!.AsArray();
        JsonNode broken = bom;
        switch (breakage)
        {
            case "bomFormat wrong": bom["bomFormat"] = "SPDX"; break;
            case "bomFormat missing": bom.Remove("bomFormat"); break;
            case "specVersion 1.5": bom["specVersion"] = "1.5"; break;
            case "specVersion number": bom["specVersion"] = 1.6; break;
            case "serialNumber not a uuid": bom["serialNumber"] = "urn:uuid:not-a-uuid"; break;
            case "serialNumber upper-case": bom["serialNumber"] = "urn:uuid:3E671687-395B-41F5-A30F-A58921A69B79"; break;
            case "version 0": bom["version"] = 0; break;
            case "version string": bom["version"] = "1"; break;
            case "version fraction": bom["version"] = 1.5; break;
            case "timestamp with space": bom["metadata"]!["timestamp"] = "2026-01-02 03:04:05Z"; break;
            case "timestamp without offset": bom["metadata"]!["timestamp"] = "2026-01-02T03:04:05"; break;
            case "timestamp month 13": bom["metadata"]!["timestamp"] = "2026-13-02T03:04:05Z"; break;
            case "metadata.component missing": bom["metadata"]!.AsObject().Remove("component"); break;
            case "metadata missing": bom.Remove("metadata"); break;
            case "component type unknown": components[0]!["type"] = "nuget-package"; break;
            case "component type missing": components[0]!.AsObject().Remove("type"); break;
            case "root type unknown": bom["metadata"]!["component"]!["type"] = "Library"; break;
            case "tool type missing": bom["metadata"]!["tools"]!["components"]![0]!.AsObject().Remove("type"); break;
            case "component name missing": components[1]!.AsObject().Remove("name"); break;
            case "nested component name empty": components[0]!["components"] = new JsonArray((JsonNode)new JsonObject { ["type"] = "file", ["name"] = "" }); break;
            case "bom-ref duplicate": components[1]!["bom-ref"] = (string?)components[0]!["bom-ref"]; break;
            case "bom-ref duplicates the root": components[0]!["bom-ref"] = (string?)bom["metadata"]!["component"]!["bom-ref"]; break;
            case "bom-ref empty": components[0]!["bom-ref"] = ""; break;
            case "hash alg unknown": components[0]!["hashes"]![0]!["alg"] = "SHA512"; break;
            case "hash content short": components[0]!["hashes"]![0]!["content"] = new string('a', 64); break;
            case "hash content not hex": components[0]!["hashes"]![0]!["content"] = new string('g', 128); break;
            case "hash content of another algorithm": bom["metadata"]!["component"]!["hashes"]![0]!["content"] = new string('a', 128); break;
            case "dependency ref unknown": bom["dependencies"]![1]!["ref"] = "pkg:nuget/Missing@1.0.0"; break;
            case "dependency ref missing": bom["dependencies"]![1]!.AsObject().Remove("ref"); break;
            case "dependsOn unknown": bom["dependencies"]![0]!["dependsOn"]![0] = "pkg:nuget/Missing@1.0.0"; break;
            case "not an object": broken = new JsonArray(); break;
            default: Assert.Fail("unknown breakage " + breakage); break;
        }

        var violations = CycloneDxRules.Check(Bytes(broken));
        Assert.IsTrue(violations.Any(v => v.Rule == rule && v.Path == path), $"{breakage}: expected {rule} at {path}, got: {string.Join("; ", violations.Select(v => $"{v.Rule} {v})"))}");

        // Nothing else is reported, except where the breakage also orphans a dependency entry (a renamed or removed bom-ref).
        var orphans = breakage.StartsWith("bom-ref", StringComparison.Ordinal) || breakage.StartsWith("metadata", StringComparison.Ordinal);
        Assert.IsTrue(violations.All(v => v.Rule == rule || (orphans && v.Rule == CycloneDxRules.DependencyRef)), string.Join("; ", violations));
    }

    [TestMethod]
    [DataRow("nuget/A@1.0.0", "scheme")]
    [DataRow("purl:nuget/A@1.0.0", "scheme")]
    [DataRow("pkg:nuget", "type")]
    [DataRow("pkg:/A@1.0.0", "type")]
    [DataRow("pkg:1nuget/A@1.0.0", "type")]
    [DataRow("pkg:nu_get/A@1.0.0", "type")]
    [DataRow("pkg:nuget/@1.0.0", "name")]
    [DataRow("pkg:nuget/A@", "version")]
    [DataRow("pkg:nuget/A B@1.0.0", "U+0020")]
    [DataRow("pkg:nuget/Ä@1.0.0", "U+00C4")]
    [DataRow("pkg:nuget/A%2@1.0.0", "name")]
    [DataRow("pkg:nuget/A%zz@1.0.0", "name")]
    [DataRow("pkg:nuget/A%FF@1.0.0", "name")]
    [DataRow("pkg:nuget/A@1.0.0%G1", "version")]
    [DataRow("pkg:npm/@angular/core@16.0.0", "namespace")]
    [DataRow("pkg:npm/a@b@1.0.0", "second '@'")]
    [DataRow("pkg:maven/org//commons@1.0", "namespace")]
    [DataRow("pkg:nuget/A@1.0.0?=x", "qualifier key")]
    [DataRow("pkg:nuget/A@1.0.0?1a=x", "qualifier key")]
    [DataRow("pkg:nuget/A@1.0.0?a", "no value")]
    [DataRow("pkg:nuget/A@1.0.0?a=x&A=y", "twice")]
    [DataRow("pkg:nuget/A@1.0.0#a/../b", "subpath")]
    public void BrokenPurl_IsRefused(string purl, string why)
    {
        var problem = PackageUrl.Problem(purl);
        Assert.IsNotNull(problem, purl);
        Assert.Contains(why, problem, purl);

        var bom = CycloneDxBomTests.Build(CycloneDxBomTests.Synthetic());
        bom["components"]![0]!["purl"] = purl;
        var violation = CycloneDxRules.Check(Bytes(bom)).Single();
        Assert.AreEqual(CycloneDxRules.Purl, violation.Rule);
        Assert.AreEqual("$.components[0].purl", violation.Path);
    }

    [TestMethod]
    [DataRow("pkg:nuget/Newtonsoft.Json@13.0.3")]
    [DataRow("pkg:nuget/Contoso.Lib@1.0.0-beta.1%2Bsha.5")]
    [DataRow("pkg:npm/%40angular/core@16.0.0")]
    [DataRow("pkg:maven/org.apache.commons/commons-lang3@3.12.0?type=jar&classifier=sources#src/main")]
    [DataRow("pkg:golang/github.com/gorilla/mux@v1.8.0")]
    [DataRow("pkg:docker/library/nginx@sha256:0123abcd?repository_url=ghcr.io")]
    [DataRow("pkg:generic/My%20App@2.0")]
    [DataRow("pkg:generic/tool")]
    [DataRow("pkg://nuget/A@1.0.0")]
    [DataRow("pkg:pypi/django@1.11.1?vcs_url=git%2Bhttps://github.com/django/django")]
    public void WellFormedPurl_IsAccepted(string purl) => Assert.IsNull(PackageUrl.Problem(purl), purl);

    [TestMethod]
    public void NotJson_IsOneViolation() =>
        Assert.AreEqual(CycloneDxRules.Json, CycloneDxRules.Check("{ nope"u8).Single().Rule);

    [TestMethod]
    public void DuplicateJsonProperty_IsRefused() =>
        Assert.AreEqual(CycloneDxRules.Json, CycloneDxRules.Check("""{ "bomFormat": "CycloneDX", "bomFormat": "SPDX" }"""u8).Single().Rule);

    [TestMethod]
    public void OptionalFieldsAbsent_AreFine()
    {
        var bom = CycloneDxBomTests.Build(CycloneDxBomTests.Synthetic());
        bom.Remove("serialNumber");
        bom.Remove("version");
        bom["metadata"]!.AsObject().Remove("timestamp");
        bom["metadata"]!["timestamp"] = "2026-01-02T03:04:05.123+01:00";
        bom["services"] = new JsonArray((JsonNode)new JsonObject { ["bom-ref"] = "svc", ["name"] = "api" });
        bom["dependencies"]!.AsArray().Add((JsonNode)new JsonObject { ["ref"] = "svc" });
        Assert.IsEmpty(CycloneDxRules.Check(Bytes(bom)), string.Join("; ", CycloneDxRules.Check(Bytes(bom))));
    }

    [TestMethod]
    public void Require_ThrowsSSB0422_ListingEachViolation()
    {
        var bom = CycloneDxBomTests.Build(CycloneDxBomTests.Synthetic());
        bom["specVersion"] = "1.4";
        bom["components"]![1]!["hashes"]![0]!["alg"] = "CRC32";
        var ex = Assert.Throws<SigstoreException>(() => CycloneDxRules.Require(Bytes(bom), "bom.json"));
        Assert.AreEqual(ProvenanceCodes.SbomInvalid, ex.Code);
        Assert.Contains("'bom.json' breaks 2 CycloneDX 1.6 rule(s)", ex.Message);
        Assert.Contains("$.specVersion", ex.Message);
        Assert.Contains("$.components[1].hashes[0].alg", ex.Message);
        Assert.Contains("--spec-version 1.6", ex.Message, "says what to do");

        CycloneDxRules.Require(Bytes(CycloneDxBomTests.Build(CycloneDxBomTests.Synthetic())), "ok.json");
    }

    private static byte[] Bytes(JsonNode node) => Encoding.UTF8.GetBytes(node.ToJsonString());
}
