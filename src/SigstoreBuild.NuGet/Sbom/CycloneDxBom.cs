using System.Text.Json;
using System.Text.Json.Nodes;
using NuGet.Versioning;
using SigstoreBuild.NuGet.Provenance;

namespace SigstoreBuild.NuGet.Sbom;

/// <summary>
/// What the SBOM describes: a package (<c>pkg:nuget/&lt;id&gt;@&lt;version&gt;</c>, type <c>library</c>) or an application
/// (<c>pkg:generic/&lt;name&gt;@&lt;version&gt;</c>, type <c>application</c>), with the artifact's SHA-256 (hex) when known.
/// </summary>
internal sealed record SbomRoot(string Type, string Name, string? Version, string Purl, string? Sha256)
{
    public static SbomRoot Package(string id, NuGetVersion version, string? sha256 = null) =>
        new("library", id, version.ToNormalizedString(), PackageSubject.Name(id, version), sha256);

    public static SbomRoot Application(string name, string? version, string? sha256 = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        var purl = "pkg:generic/" + Uri.EscapeDataString(name) + (string.IsNullOrEmpty(version) ? "" : "@" + Uri.EscapeDataString(version));
        return new("application", name, string.IsNullOrEmpty(version) ? null : version, purl, sha256);
    }
}

/// <summary>
/// A CycloneDX 1.6 JSON SBOM of what the build resolved (<see cref="ResolvedPackages"/>): deterministic for the same
/// inputs (components and graph sorted; the timestamp and serial number are passed in), so rebuilding gives the same bytes.
/// </summary>
internal static class CycloneDxBom
{
    public const string SpecVersion = "1.6";

    /// <summary>The in-toto predicate type of a CycloneDX SBOM.</summary>
    public const string PredicateType = "https://cyclonedx.org/bom";

    /// <summary>
    /// SigstoreBuild's property namespace (CycloneDX's property taxonomy reserves <c>cdx:</c> and asks others to use their
    /// own): <c>direct</c> or <c>transitive</c>, and one <c>targetFramework</c> property per framework that uses the package.
    /// </summary>
    public const string DependencyProperty = "sigstorebuild:dependency";

    public const string TargetFrameworkProperty = "sigstorebuild:targetFramework";

    public static JsonObject Build(SbomRoot root, IReadOnlyList<ResolvedPackage> packages, DateTimeOffset timestamp, string toolVersion, Guid? serialNumber = null)
    {
        ArgumentNullException.ThrowIfNull(root);
        ArgumentNullException.ThrowIfNull(packages);
        ArgumentException.ThrowIfNullOrEmpty(toolVersion);

        var sorted = packages.OrderBy(p => p.Uri, StringComparer.Ordinal).ToList();
        var components = new JsonArray();
        foreach (var package in sorted)
        {
            var component = new JsonObject
            {
                ["type"] = "library",
                ["bom-ref"] = package.Uri,
                ["name"] = package.Id,
                ["version"] = package.Version.ToNormalizedString(),
                ["scope"] = "required",
            };
            if (package.Sha512 is { } sha512)
            {
                component["hashes"] = Hashes("SHA-512", sha512);
            }

            component["purl"] = package.Uri;
            var properties = new JsonArray { (JsonNode)Property(DependencyProperty, package.IsDirect ? "direct" : "transitive") };
            foreach (var framework in package.TargetFrameworks)
            {
                properties.Add((JsonNode)Property(TargetFrameworkProperty, framework));
            }

            component["properties"] = properties;
            components.Add((JsonNode)component);
        }

        var dependencies = new JsonArray
        {
            (JsonNode)Dependency(root.Purl, sorted.Where(p => p.IsDirect).Select(p => p.Uri)),
        };
        foreach (var package in sorted)
        {
            dependencies.Add((JsonNode)Dependency(package.Uri, package.DependsOn));
        }

        var rootComponent = new JsonObject { ["type"] = root.Type, ["bom-ref"] = root.Purl, ["name"] = root.Name };
        if (root.Version is { } version)
        {
            rootComponent["version"] = version;
        }

        if (root.Sha256 is { } sha256)
        {
            rootComponent["hashes"] = Hashes("SHA-256", sha256);
        }

        rootComponent["purl"] = root.Purl;

        var bom = new JsonObject
        {
            ["bomFormat"] = "CycloneDX",
            ["specVersion"] = SpecVersion,
        };
        if (serialNumber is { } serial)
        {
            bom["serialNumber"] = "urn:uuid:" + serial.ToString("D");
        }

        bom["version"] = 1;
        bom["metadata"] = new JsonObject
        {
            ["timestamp"] = ProvenanceBuilder.Timestamp(timestamp),
            ["tools"] = new JsonObject
            {
                ["components"] = new JsonArray
                {
                    (JsonNode)new JsonObject { ["type"] = "application", ["name"] = "SigstoreBuild", ["version"] = toolVersion },
                },
            },
            ["component"] = rootComponent,
        };
        bom["components"] = components;
        bom["dependencies"] = dependencies;
        return bom;
    }

    /// <summary>Compact UTF-8 JSON, as signed.</summary>
    public static byte[] Serialize(JsonObject bom)
    {
        ArgumentNullException.ThrowIfNull(bom);
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            bom.WriteTo(writer);
        }

        return buffer.ToArray();
    }

    private static JsonArray Hashes(string algorithm, string hex) =>
        [(JsonNode)new JsonObject { ["alg"] = algorithm, ["content"] = hex.ToLowerInvariant() }];

    private static JsonObject Property(string name, string value) => new() { ["name"] = name, ["value"] = value };

    /// <summary>Every component gets an entry, an empty <c>dependsOn</c> saying it has none (the spec's convention).</summary>
    private static JsonObject Dependency(string reference, IEnumerable<string> dependsOn) => new()
    {
        ["ref"] = reference,
        ["dependsOn"] = new JsonArray([.. dependsOn.Order(StringComparer.Ordinal).Select(d => (JsonNode?)d)]),
    };
}
