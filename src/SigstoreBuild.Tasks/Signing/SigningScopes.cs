using SigstoreBuild.NuGet.Signing.Sharing;

namespace SigstoreBuild.Tasks.Signing;

/// <summary>
/// Which build a node belongs to, for sharing one signing session. MSBuild gives every node of a build the same
/// environment, and in CI that environment holds per-job credentials no other job has (the OIDC request token, the
/// token itself): nodes of one job, with the same signing settings, land in the same scope; other jobs, even on the
/// same machine and account, cannot. The values are hashed into the scope and never stored or sent.
/// </summary>
internal static class SigningScopes
{
    /// <summary>Identity credentials and job identifiers of the providers IdentityAvailability detects.</summary>
    private static readonly string[] BuildVariables =
    [
        "SIGSTORE_ID_TOKEN",
        "ACTIONS_ID_TOKEN_REQUEST_URL", "ACTIONS_ID_TOKEN_REQUEST_TOKEN", "GITHUB_RUN_ID", "GITHUB_RUN_ATTEMPT", "GITHUB_JOB",
        "CI_JOB_ID",
        "SYSTEM_OIDCREQUESTURI", "SYSTEM_ACCESSTOKEN", "SYSTEM_JOBID",
        "BUILDKITE_AGENT_ACCESS_TOKEN", "BUILDKITE_JOB_ID",
        "CIRCLE_OIDC_TOKEN_V2", "CIRCLE_OIDC_TOKEN", "CIRCLE_WORKFLOW_JOB_ID",
    ];

    public static SharedSigningScope For(SignerSettings settings, ITaskEnvironment environment)
    {
        var directory = environment.Get("SIGSTORE_SESSION_DIR") ?? SharedSigningScope.DefaultDirectory(environment.Get);
        return SharedSigningScope.Create(directory,
            [settings.CacheKey, Environment.UserName, .. BuildVariables.SelectMany(name => new[] { name, environment.Get(name) })]);
    }
}
