using System.Text.Json;
using System.Text.Json.Nodes;

namespace SigstoreBuild.Signing;

/// <summary>Builds in-toto v1 statements for <c>attest</c> (until the Attestations area provides typed ones).</summary>
public static class InTotoStatement
{
    public const string PayloadType = "application/vnd.in-toto+json";
    public const string StatementType = "https://in-toto.io/Statement/v1";

    public static byte[] Create(string subjectName, byte[] sha256, string predicateType, JsonNode? predicate)
    {
        ArgumentException.ThrowIfNullOrEmpty(subjectName);
        ArgumentException.ThrowIfNullOrEmpty(predicateType);
        var statement = new JsonObject
        {
            ["_type"] = StatementType,
            ["subject"] = new JsonArray(new JsonObject
            {
                ["name"] = subjectName,
                ["digest"] = new JsonObject { ["sha256"] = Convert.ToHexStringLower(sha256) },
            }),
            ["predicateType"] = predicateType,
            ["predicate"] = predicate?.DeepClone() ?? new JsonObject(),
        };
        return JsonSerializer.SerializeToUtf8Bytes(statement, InTotoJsonContext.Default.JsonObject);
    }
}

[System.Text.Json.Serialization.JsonSerializable(typeof(JsonObject))]
internal sealed partial class InTotoJsonContext : System.Text.Json.Serialization.JsonSerializerContext
{
}
