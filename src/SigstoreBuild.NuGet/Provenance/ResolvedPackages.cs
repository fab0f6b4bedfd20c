using System.Text.Json;
using NuGet.Frameworks;
using NuGet.Versioning;
using SigstoreBuild.Diagnostics;
using SigstoreBuild.IO;

namespace SigstoreBuild.NuGet.Provenance;

/// <summary>One restored NuGet package: its identity, the assets file's sha512 (NuGet's content hash, lower-case hex) and the target frameworks that use it.</summary>
internal sealed record ResolvedPackage(string Id, NuGetVersion Version, string? Sha512, IReadOnlyList<string> TargetFrameworks)
{
    /// <summary>The package URL, <c>pkg:nuget/&lt;id&gt;@&lt;normalised version&gt;</c>.</summary>
    public string Uri => PackageSubject.Name(Id, Version);

    /// <summary>True when the project names it in a <c>PackageReference</c> for a framework that uses this version.</summary>
    public bool IsDirect { get; init; }

    /// <summary>
    /// The package URLs (<see cref="Uri"/>) of the packages it depends on, as each target resolved them, sorted; packages
    /// NuGet pruned (part of the shared framework) and project references are not packages and do not appear.
    /// </summary>
    public IReadOnlyList<string> DependsOn { get; init; } = [];
}

/// <summary>What the project restored: its name and version (null when the assets file does not say) and every package.</summary>
internal sealed record ResolvedProject(string? Name, string? Version, IReadOnlyList<ResolvedPackage> Packages);

/// <summary>
/// Every package of every target framework (and runtime) in <c>project.assets.json</c>: the union of the <c>targets</c>
/// sections, with each package's <c>sha512</c> from <c>libraries</c>, whether the project references it directly, and what
/// it depends on. Project references are not packages and are left out. The one reader of the resolved graph for the
/// provenance and the SBOM.
/// </summary>
internal static class ResolvedPackages
{
    public static IReadOnlyList<ResolvedPackage> Load(string assetsFile) => LoadProject(assetsFile).Packages;

    public static ResolvedProject LoadProject(string assetsFile)
    {
        var kind = new InputKind("assets file", Restore.AssetsFile.MaxBytes, "Run 'dotnet restore', or set SigstoreProvenance=false.") { Code = ProvenanceCodes.AssetsFileUnusable };
        return ParseProject(InputFile.ReadAllBytes(assetsFile, kind), assetsFile);
    }

    public static IReadOnlyList<ResolvedPackage> Parse(ReadOnlySpan<byte> utf8Json, string name) => ParseProject(utf8Json, name).Packages;

    public static ResolvedProject ParseProject(ReadOnlySpan<byte> utf8Json, string name)
    {
        try
        {
            using var document = JsonDocument.Parse(utf8Json.ToArray(), new JsonDocumentOptions { MaxDepth = 64 });
            var root = document.RootElement;
            if (!root.TryGetProperty("libraries", out var libraries) || libraries.ValueKind != JsonValueKind.Object)
            {
                throw Unusable(name, "it has no 'libraries' object");
            }

            var packageKeys = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            foreach (var library in libraries.EnumerateObject())
            {
                if (IsPackage(library.Value))
                {
                    packageKeys.Add(library.Name);
                }
            }

            var direct = DirectReferences(root, name);

            // Per library key: the frameworks that use it ("net8.0/linux-x64" counts for net8.0), whether a framework that
            // uses it references it directly, and the library keys of its dependencies in each target.
            var frameworks = new Dictionary<string, SortedSet<string>>(StringComparer.OrdinalIgnoreCase);
            var isDirect = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            var dependsOn = new Dictionary<string, SortedSet<string>>(StringComparer.OrdinalIgnoreCase);
            if (root.TryGetProperty("targets", out var targets) && targets.ValueKind == JsonValueKind.Object)
            {
                foreach (var target in targets.EnumerateObject())
                {
                    var framework = target.Name.Split('/')[0];
                    if (target.Value.ValueKind != JsonValueKind.Object)
                    {
                        throw Unusable(name, $"the target '{target.Name}' is not an object");
                    }

                    var directIds = DirectIdsFor(direct, framework);

                    // Within one target every id resolves to one version.
                    var versionOf = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
                    foreach (var library in target.Value.EnumerateObject())
                    {
                        var slash = library.Name.IndexOf('/', StringComparison.Ordinal);
                        if (slash > 0)
                        {
                            versionOf[library.Name[..slash]] = library.Name;
                        }
                    }

                    foreach (var library in target.Value.EnumerateObject())
                    {
                        if (!frameworks.TryGetValue(library.Name, out var set))
                        {
                            frameworks[library.Name] = set = new SortedSet<string>(StringComparer.Ordinal);
                        }

                        set.Add(framework);
                        var slash = library.Name.IndexOf('/', StringComparison.Ordinal);
                        if (slash > 0 && directIds.Contains(library.Name[..slash]))
                        {
                            isDirect.Add(library.Name);
                        }

                        if (library.Value.ValueKind == JsonValueKind.Object
                            && library.Value.TryGetProperty("dependencies", out var dependencies) && dependencies.ValueKind == JsonValueKind.Object)
                        {
                            if (!dependsOn.TryGetValue(library.Name, out var edges))
                            {
                                dependsOn[library.Name] = edges = new SortedSet<string>(StringComparer.OrdinalIgnoreCase);
                            }

                            foreach (var dependency in dependencies.EnumerateObject())
                            {
                                if (versionOf.TryGetValue(dependency.Name, out var key) && packageKeys.Contains(key))
                                {
                                    edges.Add(key);
                                }
                            }
                        }
                    }
                }
            }

            var packages = new List<(string Key, ResolvedPackage Package)>();
            var uriOf = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            foreach (var library in libraries.EnumerateObject())
            {
                if (!IsPackage(library.Value))
                {
                    continue;
                }

                var slash = library.Name.IndexOf('/', StringComparison.Ordinal);
                if (slash <= 0 || !NuGetVersion.TryParse(library.Name[(slash + 1)..], out var version))
                {
                    throw Unusable(name, $"the library key '{library.Name}' is not 'id/version'");
                }

                string? sha512 = null;
                if (library.Value.TryGetProperty("sha512", out var hash) && hash.ValueKind == JsonValueKind.String)
                {
                    sha512 = Sha512Hex(hash.GetString()!) ?? throw Unusable(name, $"the sha512 of '{library.Name}' is not a base64 SHA-512");
                }

                var used = frameworks.TryGetValue(library.Name, out var set) ? set.ToArray() : [];
                var package = new ResolvedPackage(library.Name[..slash], version, sha512, used) { IsDirect = isDirect.Contains(library.Name) };
                uriOf[library.Name] = package.Uri;
                packages.Add((library.Name, package));
            }

            var result = packages.Select(p => dependsOn.TryGetValue(p.Key, out var edges)
                    ? p.Package with { DependsOn = edges.Select(e => uriOf[e]).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray() }
                    : p.Package)
                .ToList();
            result.Sort((a, b) => string.CompareOrdinal(a.Uri, b.Uri));
            return new ResolvedProject(ProjectString(root, "restore", "projectName"), ProjectString(root, null, "version"), result);
        }
        catch (JsonException ex)
        {
            throw new SigstoreException(ProvenanceCodes.AssetsFileUnusable, $"The assets file '{name}' is not valid JSON ({ex.Message}). Run 'dotnet restore' again.", ex);
        }
    }

    private static bool IsPackage(JsonElement library) =>
        library.ValueKind == JsonValueKind.Object
        && library.TryGetProperty("type", out var type) && type.ValueKind == JsonValueKind.String && type.GetString() == "package";

    /// <summary>
    /// <c>project.frameworks.&lt;alias&gt;.dependencies</c>: the ids the project references, per framework. Keyed by the
    /// alias and by the parsed framework, since <c>targets</c> names frameworks either way depending on the assets version.
    /// </summary>
    private static List<(string Alias, NuGetFramework? Framework, HashSet<string> Ids)> DirectReferences(JsonElement root, string name)
    {
        var result = new List<(string, NuGetFramework?, HashSet<string>)>();
        if (!root.TryGetProperty("project", out var project) || project.ValueKind != JsonValueKind.Object
            || !project.TryGetProperty("frameworks", out var frameworks) || frameworks.ValueKind != JsonValueKind.Object)
        {
            return result;
        }

        foreach (var framework in frameworks.EnumerateObject())
        {
            if (framework.Value.ValueKind != JsonValueKind.Object)
            {
                throw Unusable(name, $"the project framework '{framework.Name}' is not an object");
            }

            var ids = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            if (framework.Value.TryGetProperty("dependencies", out var dependencies) && dependencies.ValueKind == JsonValueKind.Object)
            {
                foreach (var dependency in dependencies.EnumerateObject())
                {
                    ids.Add(dependency.Name);
                }
            }

            var moniker = framework.Value.TryGetProperty("framework", out var f) && f.ValueKind == JsonValueKind.String ? f.GetString()! : framework.Name;
            result.Add((framework.Name, ParseFramework(moniker), ids));
        }

        return result;
    }

    private static HashSet<string> DirectIdsFor(List<(string Alias, NuGetFramework? Framework, HashSet<string> Ids)> direct, string targetFramework)
    {
        var parsed = ParseFramework(targetFramework);
        var matches = direct.Where(d => string.Equals(d.Alias, targetFramework, StringComparison.OrdinalIgnoreCase)
            || (parsed is not null && parsed.Equals(d.Framework))).ToList();

        // A target no framework entry matches: count a reference of any framework rather than call it transitive.
        var ids = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var match in matches.Count > 0 ? matches : direct)
        {
            ids.UnionWith(match.Ids);
        }

        return ids;
    }

    private static NuGetFramework? ParseFramework(string moniker)
    {
        try
        {
            var framework = NuGetFramework.Parse(moniker);
            return framework.IsUnsupported ? null : framework;
        }
        catch (ArgumentException)
        {
            return null;
        }
    }

    private static string? ProjectString(JsonElement root, string? section, string property)
    {
        if (!root.TryGetProperty("project", out var element) || element.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        if (section is not null && (!element.TryGetProperty(section, out element) || element.ValueKind != JsonValueKind.Object))
        {
            return null;
        }

        return element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String && value.GetString() is { Length: > 0 } text ? text : null;
    }

    /// <summary>NuGet records the content hash in base64; in-toto digests are lower-case hex.</summary>
    internal static string? Sha512Hex(string base64)
    {
        var buffer = new byte[64];
        return Convert.TryFromBase64String(base64, buffer, out var written) && written == 64 ? Convert.ToHexStringLower(buffer) : null;
    }

    private static SigstoreException Unusable(string name, string why) =>
        new(ProvenanceCodes.AssetsFileUnusable, $"The assets file '{name}' cannot be used for the provenance: {why}. Run 'dotnet restore' again.");
}
