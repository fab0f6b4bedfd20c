using SigstoreBuild.Signing.Sharing;

namespace SigstoreBuild.Tasks.Signing;

/// <summary>
/// Which build a node belongs to, for sharing one signing session. MSBuild gives every node of a build the same
/// environment, and in CI that environment holds per-job credentials no other job has (the OIDC request token, the
/// token itself): nodes of one job, with the same signing settings, land in the same scope; other jobs, even on the
/// same machine and account, cannot. The values are hashed into the scope and never stored or sent.
/// </summary>
internal static class SigningScopes
{
    /// <summary>Per-job credentials of the providers IdentityAvailability detects: without one, the key could be guessed.</summary>
    private static readonly string[] SecretVariables =
    [
        "SIGSTORE_ID_TOKEN", "ACTIONS_ID_TOKEN_REQUEST_TOKEN", "SYSTEM_ACCESSTOKEN", "BUILDKITE_AGENT_ACCESS_TOKEN",
        "CIRCLE_OIDC_TOKEN_V2", "CIRCLE_OIDC_TOKEN",
    ];

    /// <summary>The secrets, and the endpoints and job ids that go with them.</summary>
    private static readonly string[] BuildVariables =
    [
        .. SecretVariables,
        "ACTIONS_ID_TOKEN_REQUEST_URL", "GITHUB_RUN_ID", "GITHUB_RUN_ATTEMPT", "GITHUB_JOB", "CI_JOB_ID",
        "SYSTEM_OIDCREQUESTURI", "SYSTEM_JOBID", "BUILDKITE_JOB_ID", "CIRCLE_WORKFLOW_JOB_ID",
    ];

    /// <summary>The build's scope, or null (do not share) when the environment holds no per-job secret.</summary>
    public static SharedSigningScope? For(SignerSettings settings, ITaskEnvironment environment)
    {
        if (!SecretVariables.Any(name => environment.Get(name) is not null))
        {
            return null;
        }

        var directory = environment.Get("SIGSTORE_SESSION_DIR") ?? SharedSigningScope.DefaultDirectory(environment.Get);
        return SharedSigningScope.Create(directory,
            [settings.CacheKey, Environment.UserName, .. BuildVariables.SelectMany(name => new[] { name, environment.Get(name) })]);
    }
}
