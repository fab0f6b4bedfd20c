using System.Text.Json;
using System.Text.Json.Serialization;
using SigstoreBuild.Bundles;
using SigstoreBuild.Trust;

namespace SigstoreBuild.Serialization;

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    WriteIndented = false)]
[JsonSerializable(typeof(Bundle))]
[JsonSerializable(typeof(TrustedRootDocument))]
[JsonSerializable(typeof(SigningConfigDocument))]
internal sealed partial class SigstoreJsonContext : JsonSerializerContext
{
}

/// <summary>The two JSON dialects the project reads: strict for bundles, tolerant of new fields for trust documents.</summary>
internal static class SigstoreJson
{
    /// <summary>Bundles: unknown or duplicate members, wrong token types and deep nesting are errors (threat model B-01).</summary>
    public static readonly JsonSerializerOptions Strict = new()
    {
        TypeInfoResolver = SigstoreJsonContext.Default,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        AllowDuplicateProperties = false,
        PropertyNameCaseInsensitive = false,
        NumberHandling = JsonNumberHandling.Strict,
        MaxDepth = 32,
    };

    /// <summary>Trust documents are TUF-verified and may gain fields; duplicates are still refused.</summary>
    public static readonly JsonSerializerOptions Tolerant = new()
    {
        TypeInfoResolver = SigstoreJsonContext.Default,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Skip,
        AllowDuplicateProperties = false,
        PropertyNameCaseInsensitive = false,
        MaxDepth = 32,
    };

    /// <summary>For writing bundles: compact proto3 JSON.</summary>
    public static readonly JsonSerializerOptions Indented = new(Strict) { WriteIndented = true };
}
