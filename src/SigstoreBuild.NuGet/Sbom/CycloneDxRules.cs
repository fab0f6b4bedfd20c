using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using SigstoreBuild.Diagnostics;

namespace SigstoreBuild.NuGet.Sbom;

/// <summary>One broken rule: which (<see cref="CycloneDxRules"/> constants), where (a JSON path) and what.</summary>
internal sealed record CycloneDxViolation(string Rule, string Path, string Message)
{
    public override string ToString() => $"{Path}: {Message}";
}

/// <summary>
/// The CycloneDX 1.6 JSON rules an SBOM must meet to be attested, ours or another generator's: the schema's required
/// fields, patterns and enums for what is checked here, and reference integrity the schema cannot express. Not a full
/// schema validation: fields not named here are not looked at.
/// </summary>
internal static partial class CycloneDxRules
{
    public const string Json = "json";
    public const string BomFormat = "bomFormat";
    public const string SpecVersion = "specVersion";
    public const string SerialNumber = "serialNumber";
    public const string Version = "version";
    public const string Timestamp = "timestamp";
    public const string MetadataComponent = "metadata.component";
    public const string ComponentType = "component.type";
    public const string ComponentName = "component.name";
    public const string BomRef = "bom-ref";
    public const string Purl = "purl";
    public const string HashAlgorithm = "hash.alg";
    public const string HashContent = "hash.content";
    public const string DependencyRef = "dependency.ref";

    private static readonly HashSet<string> s_componentTypes = new(StringComparer.Ordinal)
    {
        "application", "framework", "library", "container", "platform", "operating-system", "device", "device-driver",
        "firmware", "file", "machine-learning-model", "data", "cryptographic-asset",
    };

    /// <summary>Hex length of each algorithm's digest; BLAKE3 is extendable, so any length the schema's pattern allows.</summary>
    private static readonly Dictionary<string, int[]> s_hashLengths = new(StringComparer.Ordinal)
    {
        ["MD5"] = [32],
        ["SHA-1"] = [40],
        ["SHA-256"] = [64],
        ["SHA-384"] = [96],
        ["SHA-512"] = [128],
        ["SHA3-256"] = [64],
        ["SHA3-384"] = [96],
        ["SHA3-512"] = [128],
        ["BLAKE2b-256"] = [64],
        ["BLAKE2b-384"] = [96],
        ["BLAKE2b-512"] = [128],
        ["BLAKE3"] = [32, 40, 64, 96, 128],
    };

    /// <summary>
    /// The versions a user's SBOM may have: the rules checked here are the same in each (1.5 and 1.6 only add component
    /// types, which <see cref="ComponentType"/> accepts). What SigstoreBuild generates is 1.6.
    /// </summary>
    public static readonly IReadOnlySet<string> AttestableSpecVersions = new HashSet<string>(StringComparer.Ordinal) { "1.5", "1.6", "1.7" };

    private static readonly IReadOnlySet<string> s_generated = new HashSet<string>(StringComparer.Ordinal) { CycloneDxBom.SpecVersion };

    /// <summary>Throws <see cref="ProvenanceCodes.SbomInvalid"/> listing the violations, if any.</summary>
    public static void Require(ReadOnlySpan<byte> utf8Json, string name, IReadOnlySet<string>? specVersions = null)
    {
        var violations = Check(utf8Json, specVersions);
        if (violations.Count > 0)
        {
            const int Shown = 10;
            var list = string.Join("; ", violations.Take(Shown)) + (violations.Count > Shown ? $"; and {violations.Count - Shown} more" : "");
            throw new SigstoreException(ProvenanceCodes.SbomInvalid,
                $"The SBOM '{name}' breaks {violations.Count} CycloneDX {CycloneDxBom.SpecVersion} rule(s): {list}. Generate it again as CycloneDX {CycloneDxBom.SpecVersion} JSON (the CycloneDX .NET tool: --output-format Json --spec-version {CycloneDxBom.SpecVersion}), or fix the generator.");
        }
    }

    public static IReadOnlyList<CycloneDxViolation> Check(ReadOnlySpan<byte> utf8Json, IReadOnlySet<string>? specVersions = null)
    {
        try
        {
            using var document = JsonDocument.Parse(utf8Json.ToArray(), new JsonDocumentOptions { MaxDepth = 64, AllowDuplicateProperties = false });
            return Check(document.RootElement, specVersions);
        }
        catch (JsonException ex)
        {
            return [new CycloneDxViolation(Json, "$", $"not JSON: {ex.Message}")];
        }
    }

    public static IReadOnlyList<CycloneDxViolation> Check(JsonElement bom, IReadOnlySet<string>? specVersions = null)
    {
        specVersions ??= s_generated;
        var result = new List<CycloneDxViolation>();
        if (bom.ValueKind != JsonValueKind.Object)
        {
            result.Add(new(Json, "$", "the document is not a JSON object"));
            return result;
        }

        if (String(bom, "bomFormat") != "CycloneDX")
        {
            result.Add(new(BomFormat, "$.bomFormat", "must be \"CycloneDX\""));
        }

        if (String(bom, "specVersion") is not { } specVersion || !specVersions.Contains(specVersion))
        {
            result.Add(new(SpecVersion, "$.specVersion", $"must be {string.Join(" or ", specVersions.Order(StringComparer.Ordinal).Select(v => $"\"{v}\""))}"));
        }

        if (bom.TryGetProperty("serialNumber", out var serial) && (serial.ValueKind != JsonValueKind.String || !SerialPattern().IsMatch(serial.GetString()!)))
        {
            result.Add(new(SerialNumber, "$.serialNumber", "must be an RFC 4122 UUID URN, urn:uuid: and lower-case hex"));
        }

        if (bom.TryGetProperty("version", out var version) && (version.ValueKind != JsonValueKind.Number || !version.TryGetInt64(out var number) || number < 1))
        {
            result.Add(new(Version, "$.version", "must be an integer of at least 1"));
        }

        var bomRefs = new HashSet<string>(StringComparer.Ordinal);
        if (bom.TryGetProperty("metadata", out var metadata) && metadata.ValueKind == JsonValueKind.Object)
        {
            if (metadata.TryGetProperty("timestamp", out var timestamp) && !IsRfc3339(timestamp))
            {
                result.Add(new(Timestamp, "$.metadata.timestamp", "must be an RFC 3339 date-time, e.g. 2026-01-02T03:04:05Z"));
            }

            if (metadata.TryGetProperty("tools", out var tools) && tools.ValueKind == JsonValueKind.Object)
            {
                CheckComponents(tools, "$.metadata.tools", result, bomRefs);
            }

            if (metadata.TryGetProperty("component", out var component) && component.ValueKind == JsonValueKind.Object)
            {
                CheckComponent(component, "$.metadata.component", result, bomRefs);
            }
            else
            {
                result.Add(new(MetadataComponent, "$.metadata.component", "must name the software the SBOM describes"));
            }
        }
        else
        {
            result.Add(new(MetadataComponent, "$.metadata.component", "must name the software the SBOM describes (there is no metadata)"));
        }

        CheckComponents(bom, "$", result, bomRefs);
        CheckServices(bom, "$", result, bomRefs);

        if (bom.TryGetProperty("dependencies", out var dependencies) && dependencies.ValueKind == JsonValueKind.Array)
        {
            var index = 0;
            foreach (var dependency in dependencies.EnumerateArray())
            {
                var path = $"$.dependencies[{index++}]";
                var reference = dependency.ValueKind == JsonValueKind.Object ? String(dependency, "ref") : null;
                if (reference is null || !bomRefs.Contains(reference))
                {
                    result.Add(new(DependencyRef, path + ".ref", $"'{reference}' is not the bom-ref of a component or service"));
                }

                foreach (var list in new[] { "dependsOn", "provides" })
                {
                    if (dependency.ValueKind == JsonValueKind.Object && dependency.TryGetProperty(list, out var targets) && targets.ValueKind == JsonValueKind.Array)
                    {
                        var i = 0;
                        foreach (var target in targets.EnumerateArray())
                        {
                            var name = target.ValueKind == JsonValueKind.String ? target.GetString() : null;
                            if (name is null || !bomRefs.Contains(name))
                            {
                                result.Add(new(DependencyRef, $"{path}.{list}[{i}]", $"'{name}' is not the bom-ref of a component or service"));
                            }

                            i++;
                        }
                    }
                }
            }
        }

        return result;
    }

    private static void CheckComponents(JsonElement parent, string parentPath, List<CycloneDxViolation> result, HashSet<string> bomRefs)
    {
        if (parent.TryGetProperty("components", out var components) && components.ValueKind == JsonValueKind.Array)
        {
            var index = 0;
            foreach (var component in components.EnumerateArray())
            {
                CheckComponent(component, $"{parentPath}.components[{index++}]", result, bomRefs);
            }
        }
    }

    private static void CheckComponent(JsonElement component, string path, List<CycloneDxViolation> result, HashSet<string> bomRefs)
    {
        if (component.ValueKind != JsonValueKind.Object)
        {
            result.Add(new(ComponentType, path, "a component must be an object"));
            return;
        }

        if (String(component, "type") is not { } type || !s_componentTypes.Contains(type))
        {
            result.Add(new(ComponentType, path + ".type", $"'{String(component, "type")}' is not a CycloneDX {CycloneDxBom.SpecVersion} component type ({string.Join(", ", s_componentTypes)})"));
        }

        if (String(component, "name") is not { Length: > 0 })
        {
            result.Add(new(ComponentName, path + ".name", "a component must have a name"));
        }

        CheckBomRef(component, path, result, bomRefs);
        if (component.TryGetProperty("purl", out var purl))
        {
            var problem = purl.ValueKind == JsonValueKind.String ? PackageUrl.Problem(purl.GetString()!) : "it is not a string";
            if (problem is not null)
            {
                result.Add(new(Purl, path + ".purl", $"'{(purl.ValueKind == JsonValueKind.String ? purl.GetString() : purl.GetRawText())}' is not a valid package URL: {problem}"));
            }
        }

        if (component.TryGetProperty("hashes", out var hashes) && hashes.ValueKind == JsonValueKind.Array)
        {
            var index = 0;
            foreach (var hash in hashes.EnumerateArray())
            {
                var hashPath = $"{path}.hashes[{index++}]";
                var alg = hash.ValueKind == JsonValueKind.Object ? String(hash, "alg") : null;
                var content = hash.ValueKind == JsonValueKind.Object ? String(hash, "content") : null;
                if (alg is null || !s_hashLengths.TryGetValue(alg, out var lengths))
                {
                    result.Add(new(HashAlgorithm, hashPath + ".alg", $"'{alg}' is not a CycloneDX hash algorithm ({string.Join(", ", s_hashLengths.Keys)})"));
                }
                else if (content is null || !lengths.Contains(content.Length) || !content.All(char.IsAsciiHexDigit))
                {
                    result.Add(new(HashContent, hashPath + ".content", $"a {alg} digest is {string.Join(" or ", lengths)} hex digits"));
                }
            }
        }

        CheckComponents(component, path, result, bomRefs);
    }

    private static void CheckServices(JsonElement parent, string parentPath, List<CycloneDxViolation> result, HashSet<string> bomRefs)
    {
        if (parent.TryGetProperty("services", out var services) && services.ValueKind == JsonValueKind.Array)
        {
            var index = 0;
            foreach (var service in services.EnumerateArray())
            {
                var path = $"{parentPath}.services[{index++}]";
                if (service.ValueKind == JsonValueKind.Object)
                {
                    CheckBomRef(service, path, result, bomRefs);
                    CheckServices(service, path, result, bomRefs);
                }
            }
        }
    }

    private static void CheckBomRef(JsonElement element, string path, List<CycloneDxViolation> result, HashSet<string> bomRefs)
    {
        if (!element.TryGetProperty("bom-ref", out var bomRef))
        {
            return;
        }

        if (bomRef.ValueKind != JsonValueKind.String || bomRef.GetString() is not { Length: > 0 } value)
        {
            result.Add(new(BomRef, path + ".bom-ref", "must be a non-empty string"));
        }
        else if (!bomRefs.Add(value))
        {
            result.Add(new(BomRef, path + ".bom-ref", $"'{value}' is used by another component or service; every bom-ref must be unique"));
        }
    }

    private static bool IsRfc3339(JsonElement timestamp) =>
        timestamp.ValueKind == JsonValueKind.String
        && Rfc3339Pattern().IsMatch(timestamp.GetString()!)
        && DateTimeOffset.TryParse(timestamp.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out _);

    private static string? String(JsonElement element, string property) =>
        element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    [GeneratedRegex("^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", RegexOptions.CultureInvariant)]
    private static partial Regex SerialPattern();

    /// <summary>RFC 3339 section 5.6 date-time (JSON Schema's <c>date-time</c>): a T or space-free form with an offset.</summary>
    [GeneratedRegex(@"^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})$", RegexOptions.CultureInvariant)]
    private static partial Regex Rfc3339Pattern();
}
