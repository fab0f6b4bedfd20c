using SigstoreBuild.NuGet.Attestations;

namespace SigstoreBuild.Tasks.Signing;

/// <summary>The builder and invocation ids of the minimal SLSA predicate, from the CI environment.</summary>
internal static class BuildContextReader
{
    public static SlsaBuildContext Read(ITaskEnvironment env, string step, string? projectPath, string? configuration, string? targetFrameworks)
    {
        string builder = "local";
        string? invocation = null;
        if (env.Get("GITHUB_ACTIONS") == "true" && env.Get("GITHUB_SERVER_URL") is { } server)
        {
            builder = env.Get("GITHUB_WORKFLOW_REF") is { } workflowRef ? $"{server}/{workflowRef}" : server;
            if (env.Get("GITHUB_REPOSITORY") is { } repository && env.Get("GITHUB_RUN_ID") is { } runId)
            {
                invocation = $"{server}/{repository}/actions/runs/{runId}/attempts/{env.Get("GITHUB_RUN_ATTEMPT") ?? "1"}";
            }
        }
        else if (env.Get("GITLAB_CI") is not null)
        {
            builder = env.Get("CI_SERVER_URL") is { } server2 && env.Get("CI_PROJECT_PATH") is { } project ? $"{server2}/{project}" : "gitlab-ci";
            invocation = env.Get("CI_JOB_URL");
        }
        else if (env.Get("TF_BUILD") is not null)
        {
            builder = env.Get("SYSTEM_COLLECTIONURI") is { } collection ? $"{collection}{env.Get("SYSTEM_TEAMPROJECT")}" : "azure-pipelines";
            invocation = env.Get("BUILD_BUILDID");
        }

        return new SlsaBuildContext
        {
            Step = step,
            Project = string.IsNullOrEmpty(projectPath) ? "unknown" : Path.GetFileName(projectPath),
            Configuration = configuration,
            TargetFrameworks = (targetFrameworks ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
            BuilderId = builder,
            InvocationId = invocation,
        };
    }
}
