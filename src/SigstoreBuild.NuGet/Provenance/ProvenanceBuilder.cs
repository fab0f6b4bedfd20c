using System.Globalization;
using System.Text.Json.Nodes;
using SigstoreBuild.Diagnostics;

namespace SigstoreBuild.NuGet.Provenance;

/// <summary>
/// Builds the SLSA Provenance v1 predicate of SigstoreBuild's build type (docs/provenance.md): what MSBuild knows
/// (<see cref="ProvenanceInputs"/>), where the build ran (<see cref="BuildPlatform"/>) and on what (<see cref="BuildHost"/>).
/// On GitHub Actions it also carries the fields of GitHub's workflow build type, with the same names and values.
/// </summary>
public sealed class ProvenanceBuilder
{
    private readonly ProvenanceInputs _inputs;
    private readonly BuildPlatform _platform;
    private readonly BuildHost _host;
    private readonly Lazy<IReadOnlyList<ResolvedPackage>> _packages;

    public ProvenanceBuilder(ProvenanceInputs inputs, BuildPlatform platform, BuildHost host)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(platform);
        ArgumentNullException.ThrowIfNull(host);
        _inputs = inputs;
        _platform = platform;
        _host = host;
        _packages = new(() => inputs.AssetsFile is { } assets ? ResolvedPackages.Load(assets) : []);
    }

    /// <summary>Warnings (code, message) about what the provenance could not record, e.g. an unknown source.</summary>
    public List<(string Code, string Message)> Warnings { get; } = [];

    /// <summary>The builder id: the explicit override, else the platform's.</summary>
    public string BuilderId => _inputs.BuilderId ?? _platform.BuilderId;

    /// <summary>The predicate for the artifacts of one <paramref name="step"/> (<c>pack</c> or <c>publish</c>).</summary>
    public JsonObject Build(string step, DateTimeOffset finishedOn)
    {
        ArgumentException.ThrowIfNullOrEmpty(step);
        var external = new JsonObject { ["step"] = step, ["project"] = _inputs.Project };
        AddIfSet(external, "configuration", _inputs.Configuration);
        if (_inputs.TargetFrameworks.Count > 0)
        {
            external["targetFrameworks"] = Strings(_inputs.TargetFrameworks);
        }

        if (_inputs.Properties.Count > 0)
        {
            external["properties"] = new JsonObject(_inputs.Properties
                .Where(p => p.Value.Length > 0)
                .OrderBy(p => p.Key, StringComparer.Ordinal)
                .Select(p => KeyValuePair.Create(p.Key, (JsonNode?)p.Value)));
        }

        var dotnet = new JsonObject();
        AddIfSet(dotnet, "sdkVersion", _inputs.SdkVersion);
        AddIfSet(dotnet, "msbuildVersion", _inputs.MSBuildVersion);
        dotnet["runtimeVersion"] = _host.RuntimeVersion;
        dotnet["runtimeIdentifier"] = _host.RuntimeIdentifier;
        dotnet["os"] = _host.OperatingSystem;
        var internalParameters = new JsonObject { ["dotnet"] = dotnet, ["sigstoreBuildVersion"] = _host.SigstoreBuildVersion };

        if (_platform.GitHub is { } github)
        {
            external["workflow"] = new JsonObject { ["ref"] = github.Ref, ["repository"] = github.Repository, ["path"] = github.Path };
            var githubParameters = new JsonObject();
            AddIfSet(githubParameters, "event_name", github.EventName);
            AddIfSet(githubParameters, "repository_id", github.RepositoryId);
            AddIfSet(githubParameters, "repository_owner_id", github.RepositoryOwnerId);
            AddIfSet(githubParameters, "runner_environment", github.RunnerEnvironment);
            internalParameters["github"] = githubParameters;
        }

        var dependencies = new JsonArray();
        foreach (var source in SourceDependencies())
        {
            dependencies.Add((JsonNode)source);
        }

        foreach (var package in _packages.Value)
        {
            var descriptor = new JsonObject { ["uri"] = package.Uri };
            if (package.Sha512 is { } sha512)
            {
                descriptor["digest"] = new JsonObject { ["sha512"] = sha512 };
            }

            if (package.TargetFrameworks.Count > 0)
            {
                descriptor["annotations"] = new JsonObject { ["targetFrameworks"] = Strings(package.TargetFrameworks) };
            }

            dependencies.Add((JsonNode)descriptor);
        }

        var metadata = new JsonObject();
        AddIfSet(metadata, "invocationId", _platform.InvocationId);
        if (_inputs.StartedOn is { } started)
        {
            metadata["startedOn"] = Timestamp(started <= finishedOn ? started : finishedOn);
        }

        metadata["finishedOn"] = Timestamp(finishedOn);

        var buildDefinition = new JsonObject
        {
            ["buildType"] = SlsaProvenance.BuildTypeV1,
            ["externalParameters"] = external,
            ["internalParameters"] = internalParameters,
        };
        if (dependencies.Count > 0)
        {
            buildDefinition["resolvedDependencies"] = dependencies;
        }

        return new JsonObject
        {
            ["buildDefinition"] = buildDefinition,
            ["runDetails"] = new JsonObject
            {
                ["builder"] = new JsonObject { ["id"] = BuilderId },
                ["metadata"] = metadata,
            },
        };
    }

    /// <summary>
    /// The source first (GitHub's convention: <c>git+&lt;repo&gt;@&lt;ref&gt;</c> with <c>gitCommit</c>): the CI's checkout,
    /// which Fulcio also certifies; then SourceLink's or git's view when it names a different repository or commit.
    /// </summary>
    private List<JsonObject> SourceDependencies()
    {
        var result = new List<JsonObject>();
        var ciRepository = SourceUri.WithoutCredentials(_platform.SourceRepository);
        if (ciRepository is not null && IsCommit(_platform.SourceCommit))
        {
            result.Add(Source(ciRepository, _platform.SourceRef, _platform.SourceCommit!));
        }

        var buildRepository = SourceUri.WithoutCredentials(_inputs.RepositoryUrl);
        if (buildRepository is not null && IsCommit(_inputs.RepositoryCommit)
            && !(ciRepository is not null && SourceUri.SameRepository(ciRepository, buildRepository)
                 && string.Equals(_platform.SourceCommit, _inputs.RepositoryCommit, StringComparison.OrdinalIgnoreCase)))
        {
            result.Add(Source(buildRepository, result.Count == 0 ? _platform.SourceRef : null, _inputs.RepositoryCommit!));
        }

        if (result.Count == 0)
        {
            Warnings.Add((ProvenanceCodes.SourceUnknown, "The provenance names no source repository and commit: no SourceLink data (RepositoryUrl, SourceRevisionId), no git checkout and no CI metadata were found. Build from a git checkout, or set RepositoryUrl and SourceRevisionId."));
        }

        return result;
    }

    private static JsonObject Source(string repository, string? reference, string commit) => new()
    {
        ["uri"] = SlsaProvenance.GitUriPrefix + repository + (string.IsNullOrEmpty(reference) ? "" : "@" + reference),
        ["digest"] = new JsonObject { [SlsaProvenance.GitCommitDigest] = commit.ToLowerInvariant() },
    };

    private static bool IsCommit(string? value) =>
        value is { Length: 40 or 64 } && value.All(char.IsAsciiHexDigit);

    private static JsonArray Strings(IEnumerable<string> values) => new([.. values.Select(v => (JsonNode?)v)]);

    private static void AddIfSet(JsonObject target, string name, string? value)
    {
        if (!string.IsNullOrEmpty(value))
        {
            target[name] = value;
        }
    }

    /// <summary>RFC 3339 in UTC with whole seconds, the form the SLSA schema shows.</summary>
    internal static string Timestamp(DateTimeOffset time) =>
        time.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
