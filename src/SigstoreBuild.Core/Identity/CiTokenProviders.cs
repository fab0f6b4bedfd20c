using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using SigstoreBuild.Diagnostics;
using SigstoreBuild.Signing;

namespace SigstoreBuild.Identity;

/// <summary>
/// GitHub Actions: asks the Actions runtime for a token with audience <c>sigstore</c>, using
/// <c>ACTIONS_ID_TOKEN_REQUEST_URL</c> and <c>ACTIONS_ID_TOKEN_REQUEST_TOKEN</c> read at call time.
/// </summary>
internal sealed class GitHubActionsTokenProvider : IIdentityTokenProvider
{
    /// <summary>Events that run with repository privileges on code an outsider controls (threat model X-03).</summary>
    public static readonly IReadOnlySet<string> PrivilegedEvents = new HashSet<string>(StringComparer.Ordinal) { "pull_request_target", "workflow_run" };

    private readonly IdentityContext _context;
    private readonly bool _unsafeAllowPrivilegedTriggers;

    public GitHubActionsTokenProvider(IdentityContext context, bool unsafeAllowPrivilegedTriggers = false)
    {
        _context = context;
        _unsafeAllowPrivilegedTriggers = unsafeAllowPrivilegedTriggers;
    }

    public string Name => "GitHub Actions";

    public bool CanRefresh => true;

    public static bool IsPresent(IEnvironment env) => string.Equals(env.GetVariable("GITHUB_ACTIONS"), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>Refuses to sign for privileged triggers unless explicitly (and unsafely) allowed.</summary>
    public static void CheckTrigger(IEnvironment env, bool unsafeAllow, ISigningLog log)
    {
        var eventName = env.GetVariable("GITHUB_EVENT_NAME");
        if (eventName is null || !PrivilegedEvents.Contains(eventName))
        {
            return;
        }

        if (!unsafeAllow)
        {
            throw new SigstoreException(IdentityCodes.PrivilegedTrigger,
                $"Refusing to sign in a '{eventName}' workflow: it can run untrusted code with the repository's identity. Sign in a dedicated job triggered by push, release or workflow_dispatch.");
        }

        log.Write(SigningLogLevel.Warning, IdentityCodes.PrivilegedTriggerAllowed,
            $"Signing in a '{eventName}' workflow because privileged triggers were explicitly allowed. Make sure no untrusted code runs in this job.");
    }

    public async Task<IdentityToken> GetTokenAsync(CancellationToken cancellationToken)
    {
        var env = _context.Environment;
        CheckTrigger(env, _unsafeAllowPrivilegedTriggers, _context.Log);
        var url = env.GetVariable("ACTIONS_ID_TOKEN_REQUEST_URL");
        var requestToken = env.GetVariable("ACTIONS_ID_TOKEN_REQUEST_TOKEN");
        if (string.IsNullOrEmpty(url) || string.IsNullOrEmpty(requestToken))
        {
            throw new SigstoreException(IdentityCodes.NoTokenInCi,
                "GitHub Actions did not provide an OIDC token (ACTIONS_ID_TOKEN_REQUEST_URL is not set). Grant the signing job 'permissions: id-token: write'; pull requests from forks never get one.");
        }

        if (!Uri.TryCreate(url + (url.Contains('?', StringComparison.Ordinal) ? "&" : "?") + "audience=sigstore", UriKind.Absolute, out var uri))
        {
            throw new SigstoreException(IdentityCodes.TokenRequestFailed, "ACTIONS_ID_TOKEN_REQUEST_URL is not an absolute URL.");
        }

        var response = await _context.CreateHttp().SendAsync("GitHub Actions OIDC", IdentityCodes.TokenRequestFailed, () =>
        {
            var request = new HttpRequestMessage(HttpMethod.Get, uri);
            request.Headers.Authorization = new AuthenticationHeaderValue("bearer", requestToken);
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
            return request;
        }, cancellationToken).ConfigureAwait(false);

        var token = ReadJsonString(response.Body, "value", response.StatusCode, Name);
        return IdentityToken.Parse(token);
    }

    internal static string ReadJsonString(byte[] body, string property, HttpStatusCode status, string provider)
    {
        if ((int)status is < 200 or >= 300)
        {
            throw new SigstoreException(IdentityCodes.TokenRequestFailed, $"{provider} refused the OIDC token request (HTTP {(int)status}). Check that the job may request ID tokens.");
        }

        try
        {
            using var doc = JsonDocument.Parse(body);
            if (doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty(property, out var v) && v.ValueKind == JsonValueKind.String && v.GetString() is { Length: > 0 } s)
            {
                return s;
            }
        }
        catch (JsonException)
        {
        }

        throw new SigstoreException(IdentityCodes.TokenRequestFailed, $"{provider} answered the OIDC token request without a token ('{property}' missing).");
    }
}

/// <summary>
/// Azure Pipelines: the OIDC token REST endpoint (<c>SYSTEM_OIDCREQUESTURI</c>, authorised by <c>SYSTEM_ACCESSTOKEN</c>).
/// Azure chooses the audience from the service connection, so only instances configured to trust it accept these tokens.
/// </summary>
internal sealed class AzurePipelinesTokenProvider(IdentityContext context) : IIdentityTokenProvider
{
    public string Name => "Azure Pipelines";

    public bool CanRefresh => true;

    public static bool IsPresent(IEnvironment env) => string.Equals(env.GetVariable("TF_BUILD"), "true", StringComparison.OrdinalIgnoreCase);

    public async Task<IdentityToken> GetTokenAsync(CancellationToken cancellationToken)
    {
        var env = context.Environment;
        var url = env.GetVariable("SYSTEM_OIDCREQUESTURI");
        var accessToken = env.GetVariable("SYSTEM_ACCESSTOKEN");
        if (string.IsNullOrEmpty(url) || string.IsNullOrEmpty(accessToken))
        {
            throw new SigstoreException(IdentityCodes.NoTokenInCi,
                "Azure Pipelines did not provide an OIDC token endpoint (SYSTEM_OIDCREQUESTURI or SYSTEM_ACCESSTOKEN is not set). Map $(System.AccessToken) into SYSTEM_ACCESSTOKEN for the signing step.");
        }

        var query = "api-version=7.1-preview.1";
        if (env.GetVariable("SIGSTORE_AZURE_SERVICE_CONNECTION_ID") is { Length: > 0 } connection)
        {
            query += "&serviceConnectionId=" + Uri.EscapeDataString(connection);
        }

        if (!Uri.TryCreate(url + (url.Contains('?', StringComparison.Ordinal) ? "&" : "?") + query, UriKind.Absolute, out var uri))
        {
            throw new SigstoreException(IdentityCodes.TokenRequestFailed, "SYSTEM_OIDCREQUESTURI is not an absolute URL.");
        }

        var response = await context.CreateHttp().SendAsync("Azure Pipelines OIDC", IdentityCodes.TokenRequestFailed, () =>
        {
            var request = new HttpRequestMessage(HttpMethod.Post, uri) { Content = new StringContent("{}", System.Text.Encoding.UTF8, "application/json") };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
            return request;
        }, cancellationToken).ConfigureAwait(false);

        var token = IdentityToken.Parse(GitHubActionsTokenProvider.ReadJsonString(response.Body, "oidcToken", response.StatusCode, Name));
        if (!token.Audiences.Contains("sigstore"))
        {
            context.Log.Write(SigningLogLevel.Warning, IdentityCodes.AudienceNotSigstore,
                "The Azure Pipelines token's audience is not 'sigstore'; only a Sigstore instance configured to trust this audience will accept it.");
        }

        return token;
    }
}

/// <summary>A CI whose agent prints a token: Buildkite (<c>buildkite-agent</c>) and CircleCI (<c>circleci</c>).</summary>
internal sealed class CliTokenProvider : IIdentityTokenProvider
{
    private readonly IdentityContext _context;
    private readonly string _tool;
    private readonly string[] _arguments;

    private CliTokenProvider(IdentityContext context, string name, string tool, string[] arguments)
    {
        _context = context;
        Name = name;
        _tool = tool;
        _arguments = arguments;
    }

    public string Name { get; }

    public bool CanRefresh => true;

    public static bool IsBuildkite(IEnvironment env) => string.Equals(env.GetVariable("BUILDKITE"), "true", StringComparison.OrdinalIgnoreCase);

    public static bool IsCircleCi(IEnvironment env) => string.Equals(env.GetVariable("CIRCLECI"), "true", StringComparison.OrdinalIgnoreCase);

    public static CliTokenProvider Buildkite(IdentityContext context) =>
        new(context, "Buildkite", "buildkite-agent", ["oidc", "request-token", "--audience", "sigstore"]);

    public static CliTokenProvider CircleCi(IdentityContext context) =>
        new(context, "CircleCI", "circleci", ["run", "oidc", "get", "--claims", "{\"aud\":\"sigstore\"}"]);

    public async Task<IdentityToken> GetTokenAsync(CancellationToken cancellationToken)
    {
        ProcessRunResult result;
        try
        {
            result = await _context.ProcessRunner.RunAsync(_tool, _arguments, cancellationToken).ConfigureAwait(false);
        }
        catch (System.ComponentModel.Win32Exception)
        {
            throw new SigstoreException(IdentityCodes.ToolFailed, $"{Name}: '{_tool}' could not be started. Run the signing step on a {Name} agent with '{_tool}' on PATH.");
        }

        if (result.ExitCode != 0 || string.IsNullOrWhiteSpace(result.StandardOutput))
        {
            // stderr is not echoed: a misbehaving tool could print a token there.
            throw new SigstoreException(IdentityCodes.ToolFailed, $"{Name}: '{_tool}' failed to issue an OIDC token (exit code {result.ExitCode}). Check that the pipeline may request OIDC tokens.");
        }

        return IdentityToken.Parse(result.StandardOutput.Trim());
    }
}
