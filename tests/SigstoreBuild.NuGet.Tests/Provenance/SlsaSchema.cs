using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace SigstoreBuild.NuGet.Tests.Provenance;

/// <summary>
/// The in-toto Statement v1 and SLSA Provenance v1 schemas written as code (no network): required fields, types, URI
/// fields, RFC 3339 UTC timestamps and digest formats (lower-case hex of the algorithm's length).
/// </summary>
internal static partial class SlsaSchema
{
    private static readonly Dictionary<string, int[]> HexLengths = new(StringComparer.Ordinal)
    {
        ["sha256"] = [64], ["sha384"] = [96], ["sha512"] = [128], ["sha1"] = [40], ["sha224"] = [56], ["gitCommit"] = [40, 64],
    };

    public static List<string> Validate(JsonNode? statement)
    {
        var errors = new List<string>();
        if (statement is not JsonObject root)
        {
            errors.Add("statement: not an object");
            return errors;
        }

        if (String(root, "_type", errors, "statement") is { } type && type != "https://in-toto.io/Statement/v1")
        {
            errors.Add($"statement._type: '{type}' is not https://in-toto.io/Statement/v1");
        }

        if (root["subject"] is not JsonArray subjects || subjects.Count == 0)
        {
            errors.Add("statement.subject: not a non-empty array");
        }
        else
        {
            for (var i = 0; i < subjects.Count; i++)
            {
                var where = $"statement.subject[{i}]";
                if (subjects[i] is not JsonObject subject)
                {
                    errors.Add($"{where}: not an object");
                    continue;
                }

                if (subject["name"] is { } name && !IsString(name))
                {
                    errors.Add($"{where}.name: not a string");
                }

                if (subject["digest"] is not JsonObject { Count: > 0 })
                {
                    errors.Add($"{where}.digest: a subject needs a non-empty digest");
                }

                Digest(subject["digest"], where + ".digest", errors);
            }
        }

        if (Uri(root, "predicateType", errors, "statement", required: true) == "https://slsa.dev/provenance/v1")
        {
            Predicate(root["predicate"], errors);
        }
        else if (root["predicate"] is { } other && other is not JsonObject)
        {
            errors.Add("statement.predicate: not an object");
        }

        return errors;
    }

    private static void Predicate(JsonNode? node, List<string> errors)
    {
        if (node is not JsonObject predicate)
        {
            errors.Add("predicate: required object");
            return;
        }

        if (predicate["buildDefinition"] is not JsonObject definition)
        {
            errors.Add("predicate.buildDefinition: required object");
        }
        else
        {
            Uri(definition, "buildType", errors, "buildDefinition", required: true);
            if (definition["externalParameters"] is not JsonObject)
            {
                errors.Add("buildDefinition.externalParameters: required object");
            }

            if (definition["internalParameters"] is { } internalParameters && internalParameters is not JsonObject)
            {
                errors.Add("buildDefinition.internalParameters: not an object");
            }

            Descriptors(definition["resolvedDependencies"], "buildDefinition.resolvedDependencies", errors);
        }

        if (predicate["runDetails"] is not JsonObject run)
        {
            errors.Add("predicate.runDetails: required object");
            return;
        }

        if (run["builder"] is not JsonObject builder)
        {
            errors.Add("runDetails.builder: required object");
        }
        else
        {
            Uri(builder, "id", errors, "runDetails.builder", required: true);
            Descriptors(builder["builderDependencies"], "runDetails.builder.builderDependencies", errors);
            if (builder["version"] is { } version && (version is not JsonObject map || map.Any(v => !IsString(v.Value))))
            {
                errors.Add("runDetails.builder.version: not a map of strings");
            }
        }

        if (run["metadata"] is { } metadataNode)
        {
            if (metadataNode is not JsonObject metadata)
            {
                errors.Add("runDetails.metadata: not an object");
            }
            else
            {
                String(metadata, "invocationId", errors, "runDetails.metadata", required: false);
                foreach (var name in new[] { "startedOn", "finishedOn" })
                {
                    if (String(metadata, name, errors, "runDetails.metadata", required: false) is { } time && !Rfc3339Utc().IsMatch(time))
                    {
                        errors.Add($"runDetails.metadata.{name}: '{time}' is not an RFC 3339 UTC timestamp");
                    }
                }
            }
        }

        Descriptors(run["byproducts"], "runDetails.byproducts", errors);
    }

    private static void Descriptors(JsonNode? node, string where, List<string> errors)
    {
        if (node is null)
        {
            return;
        }

        if (node is not JsonArray array)
        {
            errors.Add($"{where}: not an array");
            return;
        }

        for (var i = 0; i < array.Count; i++)
        {
            var item = $"{where}[{i}]";
            if (array[i] is not JsonObject descriptor)
            {
                errors.Add($"{item}: not an object");
                continue;
            }

            if (descriptor["uri"] is null && descriptor["digest"] is null && descriptor["content"] is null)
            {
                errors.Add($"{item}: a ResourceDescriptor needs uri, digest or content");
            }

            Uri(descriptor, "uri", errors, item, required: false);
            Uri(descriptor, "downloadLocation", errors, item, required: false);
            String(descriptor, "name", errors, item, required: false);
            String(descriptor, "mediaType", errors, item, required: false);
            if (descriptor["annotations"] is { } annotations && annotations is not JsonObject)
            {
                errors.Add($"{item}.annotations: not an object");
            }

            Digest(descriptor["digest"], item + ".digest", errors);
        }
    }

    private static void Digest(JsonNode? node, string where, List<string> errors)
    {
        if (node is null)
        {
            return;
        }

        if (node is not JsonObject digest)
        {
            errors.Add($"{where}: not an object");
            return;
        }

        foreach (var (algorithm, value) in digest)
        {
            if (!IsString(value))
            {
                errors.Add($"{where}.{algorithm}: not a string");
                continue;
            }

            var hex = value!.GetValue<string>();
            if (!LowerHex().IsMatch(hex))
            {
                errors.Add($"{where}.{algorithm}: '{hex}' is not lower-case hex");
            }
            else if (HexLengths.TryGetValue(algorithm, out var lengths) && !lengths.Contains(hex.Length))
            {
                errors.Add($"{where}.{algorithm}: {hex.Length} hex digits, expected {string.Join(" or ", lengths)}");
            }
        }
    }

    private static string? Uri(JsonObject node, string name, List<string> errors, string where, bool required)
    {
        var value = String(node, name, errors, where, required);
        if (value is not null && !System.Uri.TryCreate(value, UriKind.Absolute, out _))
        {
            errors.Add($"{where}.{name}: '{value}' is not an absolute URI");
        }

        return value;
    }

    private static string? String(JsonObject node, string name, List<string> errors, string where, bool required = true)
    {
        if (node[name] is not { } value)
        {
            if (required)
            {
                errors.Add($"{where}.{name}: required");
            }

            return null;
        }

        if (!IsString(value))
        {
            errors.Add($"{where}.{name}: not a string");
            return null;
        }

        return value.GetValue<string>();
    }

    private static bool IsString(JsonNode? node) => node is JsonValue value && value.GetValueKind() == System.Text.Json.JsonValueKind.String;

    [GeneratedRegex("^[0-9a-f]+$")]
    private static partial Regex LowerHex();

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")]
    private static partial Regex Rfc3339Utc();
}
