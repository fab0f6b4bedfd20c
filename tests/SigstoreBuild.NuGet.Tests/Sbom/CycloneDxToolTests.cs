using System.Security.Cryptography;
using System.Text.Json.Nodes;
using NuGet.Packaging;
using SigstoreBuild.NuGet.Provenance;
using SigstoreBuild.NuGet.Sbom;

namespace SigstoreBuild.NuGet.Tests.Sbom;

/// <summary>
/// Cross-check with an independent generator: the CycloneDX .NET tool, run on the same restored sample project, must list
/// the same package purls, hashes and graph as ours, and its output must pass our rules.
/// </summary>
[TestClass]
public sealed class CycloneDxToolTests
{
    private const string ToolVersion = "6.3.1";

    [TestMethod]
    public async Task CycloneDxTool_ListsTheSamePackages_AndPassesOurRules()
    {
        var project = SampleProject.ProjectFile;
        var work = Directory.CreateTempSubdirectory("ssb-cdx-tool-").FullName;
        var tools = Path.Combine(work, "tools");
        string[] install = ["tool", "install", "CycloneDX", "--version", ToolVersion, "--tool-path", tools];
        var (exit, log) = SampleProject.Run(work, TimeSpan.FromMinutes(5), "dotnet", install);
        if (exit != 0)
        {
            SampleProject.NotRun($"the CycloneDX .NET tool could not be installed, so the cross-check did not run (it is not a pass). Run: dotnet {string.Join(' ', install)}\n{log}");
        }

        // Restore already ran (-dpr); JSON at the spec version we generate.
        var output = Path.Combine(work, "out");
        var tool = Path.Combine(tools, OperatingSystem.IsWindows() ? "dotnet-CycloneDX.exe" : "dotnet-CycloneDX");
        (exit, log) = SampleProject.Run(work, TimeSpan.FromMinutes(5), tool, project, "--output", output, "--output-format", "Json", "--spec-version", "1.6", "--disable-package-restore");
        Assert.AreEqual(0, exit, log);
        var theirBytes = File.ReadAllBytes(Path.Combine(output, "bom.json"));

        // Their document passes our rules: bom-refs unique, purls well-formed, SHA-512 digests of 128 (upper-case) hex.
        var violations = CycloneDxRules.Check(theirBytes);
        Assert.IsEmpty(violations, string.Join("\n", violations));

        var resolved = ResolvedPackages.LoadProject(SampleProject.AssetsFile);
        var ours = JsonNode.Parse(CycloneDxBom.Serialize(CycloneDxBom.Build(SbomRoot.Application(resolved.Name!, resolved.Version), resolved.Packages, CycloneDxBomTests.Timestamp, "1.0.0")))!;
        var theirs = JsonNode.Parse(theirBytes)!;

        // The same package purls, exactly: both read the assets file, and NuGet's pruning (packages the .NET 10 shared
        // framework provides) already removed what neither should list.
        var ourPurls = NuGetPurls(ours);
        var theirPurls = NuGetPurls(theirs);
        CollectionAssert.AreEquivalent(ourPurls.Keys.ToList(), theirPurls.Keys.ToList(), $"ours: {string.Join(", ", ourPurls.Keys)}\ntheirs: {string.Join(", ", theirPurls.Keys)}");

        // The one difference, by design: the SHA-512 of a signed package. Ours is the assets file's, NuGet's content hash
        // (the package without its repository signature, stable when the feed re-signs); theirs is the SHA-512 of the
        // .nupkg file as downloaded (NuGet's .nupkg.sha512). They agree for unsigned packages only; all six are signed.
        var folder = ((JsonObject)JsonNode.Parse(File.ReadAllBytes(SampleProject.AssetsFile))!["packageFolders"]!).First().Key;
        foreach (var package in resolved.Packages)
        {
            var nupkg = Path.Combine(folder, package.Id.ToLowerInvariant(), package.Version.ToNormalizedString().ToLowerInvariant(), $"{package.Id}.{package.Version.ToNormalizedString()}.nupkg".ToLowerInvariant());
            var fileSha512 = Convert.ToHexStringLower(SHA512.HashData(File.ReadAllBytes(nupkg)));
            Assert.AreEqual(package.Sha512, Sha512(ourPurls[package.Uri]), package.Uri);
            Assert.AreEqual(fileSha512, Sha512(theirPurls[package.Uri]), ignoreCase: true, package.Uri + ": theirs is the file's SHA-512, in upper-case hex");
            using var reader = new PackageArchiveReader(nupkg);
            Assert.IsTrue(await reader.IsSignedAsync(CancellationToken.None), package.Uri);
            Assert.AreNotEqual(fileSha512, package.Sha512, package.Uri + ": signed, so the content hash is not the file's hash");
        }

        // The same graph between packages; the roots differ only in bom-ref (theirs is "name@version", not a purl), so
        // compare what each root depends on.
        var ourGraph = Graph(ours);
        var theirGraph = Graph(theirs);
        foreach (var purl in ourPurls.Keys)
        {
            CollectionAssert.AreEquivalent(ourGraph[purl], theirGraph.GetValueOrDefault(purl, []), purl);
        }

        CollectionAssert.AreEquivalent(ourGraph[(string)ours["metadata"]!["component"]!["bom-ref"]!], theirGraph[(string)theirs["metadata"]!["component"]!["bom-ref"]!], "the root's direct packages");
    }

    private static Dictionary<string, JsonNode> NuGetPurls(JsonNode bom) =>
        bom["components"]!.AsArray().Where(c => ((string?)c!["purl"])?.StartsWith("pkg:nuget/", StringComparison.Ordinal) == true)
            .ToDictionary(c => (string)c!["purl"]!, c => c!);

    private static string? Sha512(JsonNode component) =>
        (string?)component["hashes"]?.AsArray().SingleOrDefault(h => (string?)h!["alg"] == "SHA-512")?["content"];

    private static Dictionary<string, List<string>> Graph(JsonNode bom) =>
        bom["dependencies"]!.AsArray().ToDictionary(d => (string)d!["ref"]!, d => d!["dependsOn"]?.AsArray().Select(x => (string)x!).ToList() ?? []);
}
