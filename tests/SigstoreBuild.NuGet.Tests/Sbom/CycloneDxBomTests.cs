using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using NuGet.Packaging;
using NuGet.Versioning;
using SigstoreBuild.NuGet.Provenance;
using SigstoreBuild.NuGet.Sbom;

namespace SigstoreBuild.NuGet.Tests.Sbom;

[TestClass]
public sealed class CycloneDxBomTests
{
    internal static readonly DateTimeOffset Timestamp = new(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);
    internal static readonly Guid Serial = Guid.Parse("3e671687-395b-41f5-a30f-a58921a69b79");
    private static readonly string AppSha256 = string.Concat(Enumerable.Repeat("ab", 32));

    [TestMethod]
    public async Task RealProject_ListsExactlyTheAssetsPackages_WithNupkgHashes_DirectFlags_AndGraph()
    {
        var assets = SampleProject.AssetsFile;
        var project = ResolvedPackages.LoadProject(assets);
        Assert.AreEqual(SampleProject.Name, project.Name);
        Assert.AreEqual(SampleProject.Version, project.Version);
        var bytes = CycloneDxBom.Serialize(CycloneDxBom.Build(SbomRoot.Application(project.Name!, project.Version, AppSha256), project.Packages, Timestamp, "1.2.3", Serial));
        Assert.IsEmpty(CycloneDxRules.Check(bytes), string.Join("\n", CycloneDxRules.Check(bytes)));

        // The expectations come from the assets file and the package folder, read here without ResolvedPackages.
        using var document = JsonDocument.Parse(File.ReadAllBytes(assets));
        var root = document.RootElement;
        var folders = root.GetProperty("packageFolders").EnumerateObject().Select(f => f.Name).ToList();
        var expected = new Dictionary<string, (string Sha512, bool Direct)>(StringComparer.Ordinal);
        var directIds = root.GetProperty("project").GetProperty("frameworks").EnumerateObject()
            .SelectMany(f => f.Value.GetProperty("dependencies").EnumerateObject().Select(d => d.Name))
            .ToHashSet(StringComparer.OrdinalIgnoreCase);
        foreach (var library in root.GetProperty("libraries").EnumerateObject().Where(l => l.Value.GetProperty("type").GetString() == "package"))
        {
            var (id, version) = Split(library.Name);
            var nupkgName = library.Value.GetProperty("files").EnumerateArray().Select(f => f.GetString()!).Single(f => f.EndsWith(".nupkg.sha512", StringComparison.Ordinal))[..^".sha512".Length];
            Assert.AreEqual($"{id}.{version}.nupkg", nupkgName, ignoreCase: true);
            var nupkg = folders.Select(f => Path.Combine(f, library.Value.GetProperty("path").GetString()!, nupkgName)).First(File.Exists);

            // The assets file's sha512 is NuGet's content hash: the .nupkg's SHA-512 when unsigned, the SHA-512 of the
            // package without its signature when signed (as packages from the public feed are, by the repository), so it stays
            // the same when a package is re-signed. Recomputed here from the .nupkg by NuGet's own reader.
            using var reader = new PackageArchiveReader(nupkg);
            var contentHash = Convert.ToHexStringLower(Convert.FromBase64String(reader.GetContentHash(CancellationToken.None)));
            if (!await reader.IsSignedAsync(CancellationToken.None))
            {
                Assert.AreEqual(Convert.ToHexStringLower(SHA512.HashData(File.ReadAllBytes(nupkg))), contentHash, nupkg);
            }

            expected[$"pkg:nuget/{id}@{version}"] = (contentHash, directIds.Contains(id));
        }

        var bom = JsonNode.Parse(bytes)!;
        var components = bom["components"]!.AsArray();
        Assert.AreEqual(6, expected.Count, "Microsoft.Extensions.Logging 6.0.0 on net10.0 resolves six packages");
        CollectionAssert.AreEquivalent(expected.Keys.ToList(), components.Select(c => (string)c!["purl"]!).ToList(), "exactly the packages of the assets file");
        foreach (var component in components)
        {
            var (sha512, direct) = expected[(string)component!["purl"]!];
            Assert.AreEqual((string?)component["purl"], (string?)component["bom-ref"]);
            Assert.AreEqual("library", (string?)component["type"]);
            Assert.AreEqual("required", (string?)component["scope"]);
            Assert.AreEqual("SHA-512", (string?)component["hashes"]![0]!["alg"]);
            Assert.AreEqual(sha512, (string?)component["hashes"]![0]!["content"], "NuGet's content hash of the .nupkg, recomputed");
            var properties = component["properties"]!.AsArray().Select(p => ((string)p!["name"]!, (string)p["value"]!)).ToList();
            CollectionAssert.AreEqual(new[] { ("sigstorebuild:dependency", direct ? "direct" : "transitive"), ("sigstorebuild:targetFramework", "net10.0") }, properties);
        }

        // The graph: the assets file's target dependencies, resolved to versions within the target.
        var target = root.GetProperty("targets").GetProperty("net10.0");
        var versionOf = target.EnumerateObject().ToDictionary(t => Split(t.Name).Id, t => Split(t.Name).Version, StringComparer.OrdinalIgnoreCase);
        var graph = bom["dependencies"]!.AsArray().ToDictionary(d => (string)d!["ref"]!, d => d!["dependsOn"]!.AsArray().Select(x => (string)x!).ToList());
        Assert.HasCount(7, graph, "the root and every package");
        CollectionAssert.AreEqual(new[] { "pkg:nuget/Microsoft.Extensions.Logging@6.0.0" }, graph["pkg:generic/SbomSample@1.2.3"]);
        foreach (var library in target.EnumerateObject())
        {
            var (id, version) = Split(library.Name);
            var dependsOn = library.Value.TryGetProperty("dependencies", out var d)
                ? d.EnumerateObject().Select(x => $"pkg:nuget/{x.Name}@{versionOf[x.Name]}").ToList()
                : [];
            CollectionAssert.AreEquivalent(dependsOn, graph[$"pkg:nuget/{id}@{version}"], library.Name);
        }

        CollectionAssert.AreEquivalent(
            new[] { "pkg:nuget/Microsoft.Extensions.DependencyInjection.Abstractions@6.0.0", "pkg:nuget/Microsoft.Extensions.Primitives@6.0.0" },
            graph["pkg:nuget/Microsoft.Extensions.Options@6.0.0"]);
    }

    [TestMethod]
    public void Document_IsCycloneDx16_WithRootToolsAndSerial()
    {
        var bom = Build(Synthetic());
        Assert.AreEqual("CycloneDX", (string?)bom["bomFormat"]);
        Assert.AreEqual("1.6", (string?)bom["specVersion"]);
        Assert.AreEqual("urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79", (string?)bom["serialNumber"]);
        Assert.AreEqual(1, (int)bom["version"]!);
        Assert.AreEqual("2026-01-02T03:04:05Z", (string?)bom["metadata"]!["timestamp"]);
        Assert.AreEqual("SigstoreBuild", (string?)bom["metadata"]!["tools"]!["components"]![0]!["name"]);
        Assert.AreEqual("9.8.7", (string?)bom["metadata"]!["tools"]!["components"]![0]!["version"]);
        var component = bom["metadata"]!["component"]!;
        Assert.AreEqual("library", (string?)component["type"]);
        Assert.AreEqual("pkg:nuget/Contoso.Lib@1.0.0-beta.1", (string?)component["purl"], "normalised: no build metadata");
        Assert.AreEqual((string?)component["purl"], (string?)component["bom-ref"]);
        Assert.AreEqual("1.0.0-beta.1", (string?)component["version"]);
        Assert.AreEqual("SHA-256", (string?)component["hashes"]![0]!["alg"]);
        Assert.AreEqual(AppSha256, (string?)component["hashes"]![0]!["content"]);
        Assert.IsEmpty(CycloneDxRules.Check(Encoding.UTF8.GetBytes(bom.ToJsonString())));
    }

    [TestMethod]
    public void Document_WithoutSerial_HasNone_AndIsDeterministic()
    {
        var packages = Synthetic();
        var first = CycloneDxBom.Serialize(CycloneDxBom.Build(Root(), packages, Timestamp, "9.8.7"));
        var reversed = CycloneDxBom.Serialize(CycloneDxBom.Build(Root(), packages.Reverse().ToList(), Timestamp, "9.8.7"));
        CollectionAssert.AreEqual(first, reversed, "the same bytes whatever the input order");
        Assert.IsNull(JsonNode.Parse(first)!["serialNumber"]);
        Assert.DoesNotContain("\n", Encoding.UTF8.GetString(first), "compact");
        Assert.IsEmpty(CycloneDxRules.Check(first));
    }

    [TestMethod]
    public void ApplicationRoot_IsAGenericPurl_PercentEncoded()
    {
        var root = SbomRoot.Application("My App", "2.0");
        Assert.AreEqual("pkg:generic/My%20App@2.0", root.Purl);
        Assert.AreEqual("application", root.Type);
        Assert.IsNull(PackageUrl.Problem(root.Purl));
        Assert.AreEqual("pkg:generic/Tool", SbomRoot.Application("Tool", null).Purl);
    }

    [TestMethod]
    public void AssetsFile_DirectFlags_AndEdgesResolvedPerTarget()
    {
        // A depends on B; net8.0 resolves B 1.0.0, net10.0 resolves B 2.0.0 (which net10.0 also references directly).
        // A's dependency on the project Lib and on the pruned System.Memory are not package edges.
        var hash = Convert.ToBase64String(new byte[64]);
        var json = $$"""
            {
              "version": 3,
              "targets": {
                "net8.0": {
                  "A/1.0.0": { "type": "package", "dependencies": { "B": "1.0.0", "Lib": "1.0.0", "System.Memory": "4.5.0" } },
                  "B/1.0.0": { "type": "package" },
                  "Lib/1.0.0": { "type": "project" }
                },
                "net10.0/linux-x64": {
                  "A/1.0.0": { "type": "package", "dependencies": { "B": "1.0.0" } },
                  "B/2.0.0": { "type": "package" }
                }
              },
              "libraries": {
                "A/1.0.0": { "sha512": "{{hash}}", "type": "package" },
                "B/1.0.0": { "sha512": "{{hash}}", "type": "package" },
                "B/2.0.0": { "sha512": "{{hash}}", "type": "package" },
                "Lib/1.0.0": { "type": "project" }
              },
              "project": {
                "version": "3.0.0",
                "restore": { "projectName": "Contoso.App" },
                "frameworks": {
                  "net8.0": { "framework": "net8.0", "dependencies": { "A": { "target": "Package", "version": "[1.0.0, )" } } },
                  "net10.0": { "framework": "net10.0", "dependencies": { "A": { "target": "Package", "version": "[1.0.0, )" }, "B": { "target": "Package", "version": "[2.0.0, )" } } }
                }
              }
            }
            """;
        var project = ResolvedPackages.ParseProject(Encoding.UTF8.GetBytes(json), "project.assets.json");
        Assert.AreEqual("Contoso.App", project.Name);
        Assert.AreEqual("3.0.0", project.Version);
        var byUri = project.Packages.ToDictionary(p => p.Uri);
        Assert.HasCount(3, byUri);
        Assert.IsTrue(byUri["pkg:nuget/A@1.0.0"].IsDirect);
        Assert.IsFalse(byUri["pkg:nuget/B@1.0.0"].IsDirect, "net8.0 does not reference B");
        Assert.IsTrue(byUri["pkg:nuget/B@2.0.0"].IsDirect, "net10.0 references B");
        CollectionAssert.AreEqual(new[] { "pkg:nuget/B@1.0.0", "pkg:nuget/B@2.0.0" }, byUri["pkg:nuget/A@1.0.0"].DependsOn.ToList());
        Assert.IsEmpty(byUri["pkg:nuget/B@2.0.0"].DependsOn);

        var bom = Build(project.Packages);
        var rootEdges = bom["dependencies"]![0]!["dependsOn"]!.AsArray().Select(d => (string)d!).ToList();
        CollectionAssert.AreEqual(new[] { "pkg:nuget/A@1.0.0", "pkg:nuget/B@2.0.0" }, rootEdges);
        Assert.IsEmpty(CycloneDxRules.Check(Encoding.UTF8.GetBytes(bom.ToJsonString())));
    }

    [TestMethod]
    public void AssetsFile_WithoutProjectSection_HasNoNameAndNoDirectPackages()
    {
        var project = ResolvedPackages.ParseProject("""{ "libraries": { "A/1.0.0": { "type": "package" } } }"""u8, "x");
        Assert.IsNull(project.Name);
        Assert.IsNull(project.Version);
        Assert.IsFalse(project.Packages.Single().IsDirect);
    }

    internal static SbomRoot Root() => SbomRoot.Package("Contoso.Lib", NuGetVersion.Parse("1.0.0-beta.1+sha.5"), AppSha256);

    internal static JsonObject Build(IReadOnlyList<ResolvedPackage> packages) => CycloneDxBom.Build(Root(), packages, Timestamp, "9.8.7", Serial);

    internal static IReadOnlyList<ResolvedPackage> Synthetic() =>
    [
        new("Newtonsoft.Json", NuGetVersion.Parse("13.0.3"), string.Concat(Enumerable.Repeat("0f", 64)), ["net10.0", "net8.0"]) { IsDirect = true, DependsOn = ["pkg:nuget/System.Buffers@4.5.1"] },
        new("System.Buffers", NuGetVersion.Parse("4.5.1"), string.Concat(Enumerable.Repeat("1e", 64)), ["net8.0"]),
    ];

    private static (string Id, string Version) Split(string key) => (key[..key.IndexOf('/', StringComparison.Ordinal)], key[(key.IndexOf('/', StringComparison.Ordinal) + 1)..]);
}
