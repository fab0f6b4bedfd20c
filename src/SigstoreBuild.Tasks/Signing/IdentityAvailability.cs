using SigstoreBuild.Diagnostics;

namespace SigstoreBuild.Tasks.Signing;

/// <summary>Whether an OIDC identity can be obtained without interaction, and if not, what the user should do .</summary>
internal sealed record IdentityAvailability(bool Available, string Source, string? Fix)
{
    private static readonly string[] CiMarkers = ["CI", "GITHUB_ACTIONS", "GITLAB_CI", "TF_BUILD", "BUILDKITE", "CIRCLECI"];
    private static readonly string[] PrivilegedGitHubEvents = ["pull_request_target", "workflow_run"];

    public static bool IsCi(ITaskEnvironment env) =>
        CiMarkers.Any(name => env.Get(name) is { } value && !value.Equals("false", StringComparison.OrdinalIgnoreCase) && value != "0");

    public static IdentityAvailability Detect(ITaskEnvironment env, string provider, bool personalEntraLogin = true)
    {
        var hasEnvToken = env.Get("SIGSTORE_ID_TOKEN") is not null;
        var github = env.Get("ACTIONS_ID_TOKEN_REQUEST_URL") is not null && env.Get("ACTIONS_ID_TOKEN_REQUEST_TOKEN") is not null;
        var azure = env.Get("SYSTEM_OIDCREQUESTURI") is not null && env.Get("SYSTEM_ACCESSTOKEN") is not null;
        var buildkite = env.Get("BUILDKITE_AGENT_ACCESS_TOKEN") is not null;
        var circle = env.Get("CIRCLE_OIDC_TOKEN_V2") is not null || env.Get("CIRCLE_OIDC_TOKEN") is not null;
        return provider switch
        {
            "env" or "gitlab" => hasEnvToken ? new(true, "SIGSTORE_ID_TOKEN", null) : Missing(env),
            "github" => github ? new(true, "GitHub Actions", null) : Missing(env),
            "azure-pipelines" => azure ? new(true, "Azure Pipelines", null) : Missing(env),
            "buildkite" => buildkite ? new(true, "Buildkite", null) : Missing(env),
            "circleci" => circle ? new(true, "CircleCI", null) : Missing(env),
            "interactive" or "device" => IsCi(env)
                ? new(false, provider, "Interactive logins never run in CI. Use the CI provider's OIDC token instead.")
                : new(true, provider == "device" ? "a device-code login" : "a browser login", null),
            "msal" => personalEntraLogin && IsCi(env)
                ? new(false, provider, "A person's Entra ID login never runs in CI. Set SigstoreEntraFlow to client-certificate, federated or managed-identity.")
                : new(true, "Microsoft Entra ID", null),
            _ => hasEnvToken ? new(true, "SIGSTORE_ID_TOKEN", null)
                : github ? new(true, "GitHub Actions", null)
                : azure ? new(true, "Azure Pipelines", null)
                : buildkite ? new(true, "Buildkite", null)
                : circle ? new(true, "CircleCI", null)
                : Missing(env),
        };
    }

    /// <summary>X-03: jobs started by these events run untrusted code with the repository's identity.</summary>
    public static void CheckTrigger(ITaskEnvironment env, SignerSettings settings, Action<string, string> warn)
    {
        var eventName = env.Get("GITHUB_EVENT_NAME");
        if (eventName is null || !PrivilegedGitHubEvents.Contains(eventName, StringComparer.Ordinal))
        {
            return;
        }

        if (!settings.UnsafeAllowUntrustedTrigger)
        {
            throw new SigstoreException(TaskCodes.UntrustedTrigger, $"Refusing to sign in a '{eventName}' workflow: it can run code from a fork with this repository's identity. Sign in a separate job on a trusted ref (push, release or workflow_dispatch) with job-level `permissions: id-token: write`.");
        }

        warn(TaskCodes.UnsafeOverride, $"SigstoreUnsafeAllowUntrustedTrigger=true: signing in a '{eventName}' workflow. Anyone who can get code into this job can sign as this repository.");
    }

    private static IdentityAvailability Missing(ITaskEnvironment env)
    {
        if (env.Get("GITHUB_ACTIONS") == "true")
        {
            return new(false, "GitHub Actions", "The job has no OIDC token (ACTIONS_ID_TOKEN_REQUEST_URL is not set). Add `permissions: id-token: write` to the signing job; pull requests from forks never get one.");
        }

        if (env.Get("GITLAB_CI") is not null)
        {
            return new(false, "GitLab CI", "Declare `id_tokens: SIGSTORE_ID_TOKEN: aud: sigstore` in the signing job.");
        }

        if (env.Get("TF_BUILD") is not null)
        {
            return new(false, "Azure Pipelines", "Run the step with a service connection that allows OIDC and map SYSTEM_ACCESSTOKEN into the environment.");
        }

        return new(false, "none", "Set SIGSTORE_ID_TOKEN to an OIDC identity token with audience 'sigstore', or run the build in CI with OIDC enabled.");
    }
}
