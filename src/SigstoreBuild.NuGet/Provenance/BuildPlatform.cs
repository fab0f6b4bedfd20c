namespace SigstoreBuild.NuGet.Provenance;

/// <summary>
/// Where a build ran, from the CI environment: the builder and invocation ids and the source the CI checked out. Every
/// value mirrors what Fulcio writes into the certificate for the same CI job, so the two can be compared (D-06).
/// </summary>
public sealed record BuildPlatform
{
    /// <summary><c>github-actions</c>, <c>gitlab-ci</c>, <c>azure-pipelines</c> or <c>local</c>.</summary>
    public required string Kind { get; init; }

    /// <summary>runDetails.builder.id; on GitHub Actions the workflow (Build Signer URI, Fulcio 1.9).</summary>
    public required string BuilderId { get; init; }

    /// <summary>runDetails.metadata.invocationId: the run (GitHub), job (GitLab) or build (Azure Pipelines) URL.</summary>
    public string? InvocationId { get; init; }

    /// <summary>The repository the CI checked out (Source Repository URI, Fulcio 1.12).</summary>
    public string? SourceRepository { get; init; }

    /// <summary>The commit (Source Repository Digest, 1.13).</summary>
    public string? SourceCommit { get; init; }

    /// <summary>The git ref, e.g. <c>refs/heads/main</c> (Source Repository Ref, 1.14).</summary>
    public string? SourceRef { get; init; }

    /// <summary>GitHub Actions only: the fields of GitHub's workflow build type.</summary>
    public GitHubWorkflow? GitHub { get; init; }

    /// <summary>Reads the platform from environment variables (<paramref name="env"/> returns null for unset or empty).</summary>
    public static BuildPlatform Detect(Func<string, string?> env)
    {
        ArgumentNullException.ThrowIfNull(env);
        if (env("GITHUB_ACTIONS") == "true" && env("GITHUB_SERVER_URL") is { } server && env("GITHUB_REPOSITORY") is { } repository)
        {
            var workflowRef = env("GITHUB_WORKFLOW_REF");
            GitHubWorkflow? workflow = null;
            if (workflowRef is not null && workflowRef.StartsWith(repository + "/", StringComparison.Ordinal))
            {
                // owner/repo/.github/workflows/release.yml@refs/heads/main -> path and ref (a ref may itself contain '@').
                var rest = workflowRef[(repository.Length + 1)..];
                var at = rest.IndexOf('@', StringComparison.Ordinal);
                workflow = new GitHubWorkflow
                {
                    Repository = $"{server}/{repository}",
                    Path = at < 0 ? rest : rest[..at],
                    Ref = at < 0 ? "" : rest[(at + 1)..],
                    EventName = env("GITHUB_EVENT_NAME"),
                    RepositoryId = env("GITHUB_REPOSITORY_ID"),
                    RepositoryOwnerId = env("GITHUB_REPOSITORY_OWNER_ID"),
                    RunnerEnvironment = env("RUNNER_ENVIRONMENT"),
                };
            }

            return new BuildPlatform
            {
                Kind = "github-actions",
                BuilderId = workflowRef is null ? server : $"{server}/{workflowRef}",
                InvocationId = env("GITHUB_RUN_ID") is { } runId ? $"{server}/{repository}/actions/runs/{runId}/attempts/{env("GITHUB_RUN_ATTEMPT") ?? "1"}" : null,
                SourceRepository = $"{server}/{repository}",
                SourceCommit = env("GITHUB_SHA"),
                SourceRef = env("GITHUB_REF"),
                GitHub = workflow,
            };
        }

        if (env("GITLAB_CI") is not null && env("CI_SERVER_URL") is { } gitlab && env("CI_PROJECT_PATH") is { } project)
        {
            // Fulcio's Build Signer URI for GitLab is https://<ci_config_ref_uri>: <server>/<project>//<config>@<ref>.
            var reference = env("CI_COMMIT_TAG") is { } tag ? $"refs/tags/{tag}" : env("CI_COMMIT_BRANCH") is { } branch ? $"refs/heads/{branch}" : null;
            var config = env("CI_CONFIG_PATH") ?? ".gitlab-ci.yml";
            return new BuildPlatform
            {
                Kind = "gitlab-ci",
                BuilderId = reference is null ? $"{gitlab}/{project}//{config}" : $"{gitlab}/{project}//{config}@{reference}",
                InvocationId = env("CI_JOB_URL"),
                SourceRepository = env("CI_PROJECT_URL") ?? $"{gitlab}/{project}",
                SourceCommit = env("CI_COMMIT_SHA"),
                SourceRef = reference,
            };
        }

        if (env("TF_BUILD") is not null && env("SYSTEM_COLLECTIONURI") is { } collection && env("SYSTEM_TEAMPROJECT") is { } teamProject)
        {
            var projectUrl = $"{collection.TrimEnd('/')}/{Uri.EscapeDataString(teamProject)}";
            return new BuildPlatform
            {
                Kind = "azure-pipelines",
                BuilderId = env("SYSTEM_DEFINITIONID") is { } definition ? $"{projectUrl}/_build?definitionId={definition}" : $"{projectUrl}/_build",
                InvocationId = env("BUILD_BUILDID") is { } buildId ? $"{projectUrl}/_build/results?buildId={buildId}" : null,
                SourceRepository = env("BUILD_REPOSITORY_URI"),
                SourceCommit = env("BUILD_SOURCEVERSION"),
                SourceRef = env("BUILD_SOURCEBRANCH"),
            };
        }

        return new BuildPlatform { Kind = "local", BuilderId = SlsaProvenance.LocalBuilderId };
    }
}

/// <summary>The fields of GitHub's workflow build type (https://actions.github.io/buildtypes/workflow/v1).</summary>
public sealed record GitHubWorkflow
{
    /// <summary>externalParameters.workflow.repository: <c>https://github.com/owner/repo</c>.</summary>
    public required string Repository { get; init; }

    /// <summary>externalParameters.workflow.path: <c>.github/workflows/release.yml</c>.</summary>
    public required string Path { get; init; }

    /// <summary>externalParameters.workflow.ref: <c>refs/heads/main</c>.</summary>
    public required string Ref { get; init; }

    public string? EventName { get; init; }

    public string? RepositoryId { get; init; }

    public string? RepositoryOwnerId { get; init; }

    public string? RunnerEnvironment { get; init; }
}
