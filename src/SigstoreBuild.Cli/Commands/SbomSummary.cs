using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using SigstoreBuild.NuGet.Sbom;

namespace SigstoreBuild.Cli.Commands;

/// <summary>
/// The component list of an attested SBOM for <c>sigstore inspect</c>: CycloneDX components (with their hashes and
/// properties, e.g. SigstoreBuild's direct/transitive and target framework) or SPDX packages, flattened to one shape.
/// Read from what the bundle claims; nothing here is verified.
/// </summary>
internal static class SbomSummary
{
    public static JsonObject Describe(string predicateType, JsonObject document) =>
        predicateType == SbomStatements.SpdxPredicateType ? DescribeSpdx(document) : DescribeCycloneDx(document);

    public static void Write(StringBuilder text, JsonObject sbom)
    {
        text.AppendLine(CultureInfo.InvariantCulture, $"SBOM ({sbom["format"]} {sbom["specVersion"]})");
        if (sbom["root"] is JsonObject root)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"  describes: {Name(root)}{(root["type"] is { } type ? $" ({type})" : "")}");
        }

        var components = sbom["components"]!.AsArray();
        text.AppendLine(CultureInfo.InvariantCulture, $"  components ({components.Count}):");
        foreach (var component in components.OfType<JsonObject>())
        {
            var hashes = component["hashes"] is JsonObject { Count: > 0 } h ? string.Join(" ", h.Select(x => $"{x.Key}:{x.Value}")) : "no hash";
            var properties = component["properties"] is JsonObject p && p.Count > 0
                ? "  " + string.Join(" ", p.Select(x => $"{x.Key}={string.Join(",", x.Value!.AsArray())}"))
                : "";
            text.AppendLine(CultureInfo.InvariantCulture, $"    {Name(component)}  {hashes}{properties}");
        }
    }

    private static string Name(JsonObject component) =>
        (string?)component["purl"] ?? $"{component["name"]}{(component["version"] is { } version ? "@" + version : "")}";

    private static JsonObject DescribeCycloneDx(JsonObject bom)
    {
        var components = new JsonArray();
        foreach (var component in (bom["components"] as JsonArray ?? []).OfType<JsonObject>())
        {
            var entry = Component(component["type"], component["name"], component["version"], component["purl"]);
            var hashes = new JsonObject();
            foreach (var hash in (component["hashes"] as JsonArray ?? []).OfType<JsonObject>())
            {
                if ((string?)hash["alg"] is { } alg && hash["content"] is { } content)
                {
                    hashes[alg] = content.DeepClone();
                }
            }

            entry["hashes"] = hashes;
            var properties = new JsonObject();
            foreach (var property in (component["properties"] as JsonArray ?? []).OfType<JsonObject>())
            {
                if ((string?)property["name"] is { } name)
                {
                    var values = properties[name] as JsonArray ?? [];
                    values.Add((JsonNode?)property["value"]?.DeepClone());
                    properties[name] = values;
                }
            }

            entry["properties"] = properties;
            components.Add((JsonNode)entry);
        }

        var root = bom["metadata"]?["component"] as JsonObject;
        return new JsonObject
        {
            ["format"] = "CycloneDX",
            ["specVersion"] = bom["specVersion"]?.DeepClone(),
            ["root"] = root is null ? null : Component(root["type"], root["name"], root["version"], root["purl"]),
            ["components"] = components,
        };
    }

    private static JsonObject DescribeSpdx(JsonObject document)
    {
        var components = new JsonArray();
        foreach (var package in (document["packages"] as JsonArray ?? []).OfType<JsonObject>())
        {
            var purl = (package["externalRefs"] as JsonArray ?? []).OfType<JsonObject>()
                .FirstOrDefault(r => (string?)r["referenceType"] == "purl")?["referenceLocator"];
            var entry = Component(null, package["name"], package["versionInfo"], purl);
            var hashes = new JsonObject();
            foreach (var checksum in (package["checksums"] as JsonArray ?? []).OfType<JsonObject>())
            {
                if ((string?)checksum["algorithm"] is { } alg && checksum["checksumValue"] is { } value)
                {
                    hashes[alg] = value.DeepClone();
                }
            }

            entry["hashes"] = hashes;
            components.Add((JsonNode)entry);
        }

        return new JsonObject
        {
            ["format"] = "SPDX",
            ["specVersion"] = document["spdxVersion"]?.DeepClone(),
            ["root"] = Component(null, document["name"], null, null),
            ["components"] = components,
        };
    }

    private static JsonObject Component(JsonNode? type, JsonNode? name, JsonNode? version, JsonNode? purl)
    {
        var component = new JsonObject();
        foreach (var (key, value) in new[] { ("type", type), ("name", name), ("version", version), ("purl", purl) })
        {
            if (value is JsonValue)
            {
                component[key] = value.DeepClone();
            }
        }

        return component;
    }
}
