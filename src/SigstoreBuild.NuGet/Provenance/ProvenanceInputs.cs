using System.Text.Json;
using System.Text.Json.Nodes;
using SigstoreBuild.Diagnostics;
using SigstoreBuild.IO;

namespace SigstoreBuild.NuGet.Provenance;

/// <summary>
/// What MSBuild knows about a build, collected once per project by the collection task and read by the signing tasks.
/// Holds no secrets: CI identity data is read from the environment by the signing task itself.
/// </summary>
public sealed record ProvenanceInputs
{
    /// <summary>The project file name (no local path: where the build ran is not the verifier's business).</summary>
    public required string Project { get; init; }

    public string? Configuration { get; init; }

    public IReadOnlyList<string> TargetFrameworks { get; init; } = [];

    /// <summary>The MSBuild properties that change the output, by name (empty values are dropped).</summary>
    public IReadOnlyDictionary<string, string> Properties { get; init; } = new Dictionary<string, string>();

    public string? SdkVersion { get; init; }

    public string? MSBuildVersion { get; init; }

    /// <summary>Full path of project.assets.json; read when the predicate is built, never written into it.</summary>
    public string? AssetsFile { get; init; }

    /// <summary>The source repository URL (SourceLink's RepositoryUrl, or git's origin).</summary>
    public string? RepositoryUrl { get; init; }

    /// <summary>The source commit (SourceRevisionId / RepositoryCommit, or git's HEAD).</summary>
    public string? RepositoryCommit { get; init; }

    /// <summary>When the build started, if it was recorded.</summary>
    public DateTimeOffset? StartedOn { get; init; }

    /// <summary>Replaces the builder id derived from the environment (e.g. a reusable GitHub workflow).</summary>
    public string? BuilderId { get; init; }

    /// <summary>Also list the assemblies inside each package as subjects.</summary>
    public bool IncludeAssemblies { get; init; }

    public byte[] ToJson()
    {
        var json = new JsonObject
        {
            ["project"] = Project,
            ["configuration"] = Configuration,
            ["targetFrameworks"] = new JsonArray([.. TargetFrameworks.Select(f => (JsonNode?)f)]),
            ["properties"] = new JsonObject(Properties.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => KeyValuePair.Create(p.Key, (JsonNode?)p.Value))),
            ["sdkVersion"] = SdkVersion,
            ["msbuildVersion"] = MSBuildVersion,
            ["assetsFile"] = AssetsFile,
            ["repositoryUrl"] = RepositoryUrl,
            ["repositoryCommit"] = RepositoryCommit,
            ["startedOn"] = StartedOn?.ToUniversalTime().ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture),
            ["builderId"] = BuilderId,
            ["includeAssemblies"] = IncludeAssemblies,
        };
        return System.Text.Encoding.UTF8.GetBytes(json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }

    public static ProvenanceInputs Load(string path)
    {
        try
        {
            var kind = new InputKind("provenance inputs", InputFile.MaxDocumentBytes, "Build the project again.") { Code = ProvenanceCodes.InputsUnreadable };
            var json = JsonNode.Parse(InputFile.ReadAllBytes(path, kind)) as JsonObject ?? throw new JsonException("not an object");
            return new ProvenanceInputs
            {
                Project = String(json, "project") ?? throw new JsonException("no project"),
                Configuration = String(json, "configuration"),
                TargetFrameworks = json["targetFrameworks"] is JsonArray frameworks ? [.. frameworks.Select(f => f!.GetValue<string>())] : [],
                Properties = json["properties"] is JsonObject properties
                    ? properties.ToDictionary(p => p.Key, p => p.Value!.GetValue<string>(), StringComparer.Ordinal)
                    : new Dictionary<string, string>(),
                SdkVersion = String(json, "sdkVersion"),
                MSBuildVersion = String(json, "msbuildVersion"),
                AssetsFile = String(json, "assetsFile"),
                RepositoryUrl = String(json, "repositoryUrl"),
                RepositoryCommit = String(json, "repositoryCommit"),
                StartedOn = String(json, "startedOn") is { } started ? DateTimeOffset.Parse(started, System.Globalization.CultureInfo.InvariantCulture) : null,
                BuilderId = String(json, "builderId"),
                IncludeAssemblies = json["includeAssemblies"] is JsonValue include && include.GetValue<bool>(),
            };
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or JsonException or InvalidOperationException or FormatException)
        {
            throw new SigstoreException(ProvenanceCodes.InputsUnreadable, $"The provenance inputs '{path}' cannot be read ({ex.Message}). Build the project again; if it persists, set SigstoreProvenance=false and report it.", ex);
        }
    }

    private static string? String(JsonObject json, string name) =>
        json[name] is JsonValue value && value.TryGetValue<string>(out var text) && text.Length > 0 ? text : null;
}
