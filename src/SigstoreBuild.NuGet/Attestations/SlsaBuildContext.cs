namespace SigstoreBuild.NuGet.Attestations;

/// <summary>What the minimal SLSA v1 predicate records until the provenance work fills in the rest.</summary>
public sealed record SlsaBuildContext
{
    /// <summary>The project file name (not a full path: local paths are not the verifier's business).</summary>
    public required string Project { get; init; }

    public string? Configuration { get; init; }

    public IReadOnlyList<string> TargetFrameworks { get; init; } = [];

    /// <summary>The builder identity, e.g. the CI workflow URI; <c>local</c> outside CI.</summary>
    public required string BuilderId { get; init; }

    /// <summary>The CI run URI or id, when there is one.</summary>
    public string? InvocationId { get; init; }

    /// <summary>Which step produced the subjects: <c>pack</c> or <c>publish</c>.</summary>
    public required string Step { get; init; }
}
