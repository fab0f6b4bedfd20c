using SigstoreBuild.Signing;
using SigstoreBuild.Diagnostics;

namespace SigstoreBuild.Identity;

/// <summary>Which identity provider to use; <see cref="Auto"/> detects the ambient CI.</summary>
public enum IdentityProviderKind
{
    Auto,
    GitHubActions,
    GitLab,
    Buildkite,
    CircleCi,
    AzurePipelines,
    Environment,
    Interactive,
    DeviceCode,
    EntraId,
}

/// <summary>How to obtain an identity token.</summary>
public sealed record IdentityOptions
{
    public IdentityProviderKind Provider { get; init; } = IdentityProviderKind.Auto;

    /// <summary>An explicit token (wins over everything). Prefer <see cref="TokenFile"/> or the environment: arguments leak.</summary>
    public string? Token { get; init; }

    public string? TokenFile { get; init; }

    /// <summary>Outside CI, may Auto fall back to a browser or device-code login?</summary>
    public bool AllowInteractive { get; init; } = true;

    /// <summary>Prefer the device-code flow to the browser when interactive.</summary>
    public bool PreferDeviceCode { get; init; }

    /// <summary>The OIDC issuer of the browser and device-code logins (default: the signing config's, else the public-good one).</summary>
    public string? OidcIssuer { get; init; }

    /// <summary>The OAuth client ID of those logins (default <c>sigstore</c>, as the public-good issuer registers it).</summary>
    public string? OidcClientId { get; init; }

    /// <summary>
    /// Where a login tells the user what to do: the URL to open, the device code to enter. Given no token or secret; a
    /// host that cannot show it cannot log in interactively.
    /// </summary>
    public Action<string>? Prompt { get; init; }

    /// <summary>The signing trust, so the logins can use the OIDC issuer its signing config names.</summary>
    public ISigningTrustProvider? SigningTrust { get; init; }

    internal OAuthOptions OAuth => OAuthOptions.PublicGood with
    {
        Issuer = string.IsNullOrWhiteSpace(OidcIssuer) ? null : OidcIssuer.Trim(),
        ClientId = string.IsNullOrWhiteSpace(OidcClientId) ? OAuthOptions.PublicGood.ClientId : OidcClientId.Trim(),
        Prompt = Prompt,
        SigningTrust = SigningTrust,
    };

    /// <summary>Entra ID: <c>https://login.microsoftonline.com/{tenant}</c> (or a sovereign cloud's), or just the tenant ID (default: <c>AZURE_TENANT_ID</c>).</summary>
    public string? EntraAuthority { get; init; }

    /// <summary>Entra ID: the signing application's client ID (default: <c>AZURE_CLIENT_ID</c>); for a managed identity, a user-assigned one's.</summary>
    public string? EntraClientId { get; init; }

    public EntraIdFlow EntraFlow { get; init; }

    /// <summary>Entra ID application flows: the access token's scope (default <c>{client ID}/.default</c>; required for a managed identity).</summary>
    public string? EntraScope { get; init; }

    /// <summary>Entra ID client-certificate flow: a PFX, or a PEM holding the certificate and its private key.</summary>
    public string? EntraCertificatePath { get; init; }

    /// <summary>The name of the environment variable holding that certificate's password: never the password itself.</summary>
    public string? EntraCertificatePasswordVariable { get; init; }

    /// <summary>Entra ID federated flow: the file holding the client assertion (default: <c>AZURE_FEDERATED_TOKEN_FILE</c>).</summary>
    public string? EntraAssertionFile { get; init; }

    internal EntraIdOptions EntraId => new()
    {
        Authority = EntraAuthority,
        ClientId = EntraClientId,
        Flow = EntraFlow,
        Scope = string.IsNullOrWhiteSpace(EntraScope) ? null : EntraScope.Trim(),
        CertificatePath = EntraCertificatePath,
        CertificatePasswordVariable = EntraCertificatePasswordVariable,
        AssertionFile = EntraAssertionFile,
        Prompt = Prompt,
    };

    /// <summary>
    /// Sign even in GitHub <c>pull_request_target</c>/<c>workflow_run</c> workflows (threat model X-03). Unsafe: warns each use.
    /// </summary>
    public bool UnsafeAllowPrivilegedTriggers { get; init; }
}

/// <summary>Chooses an <see cref="IIdentityTokenProvider"/>, detecting the ambient CI from the (injected) environment.</summary>
public static class IdentityTokenProviders
{
    /// <summary>Variables that identify a CI system in which no interactive login may start (threat model X-04).</summary>
    private static readonly string[] CiMarkers = ["CI", "GITHUB_ACTIONS", "GITLAB_CI", "BUILDKITE", "CIRCLECI", "TF_BUILD", "JENKINS_URL", "TEAMCITY_VERSION", "TRAVIS", "APPVEYOR", "BITBUCKET_BUILD_NUMBER", "CODEBUILD_BUILD_ID"];

    public static bool IsCi(IEnvironment env) => CiMarkers.Any(name => env.GetVariable(name) is { Length: > 0 } v && !string.Equals(v, "false", StringComparison.OrdinalIgnoreCase) && v != "0");

    public static IIdentityTokenProvider Create(IdentityOptions options, IdentityContext context)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(context);
        var env = context.Environment;

        if (options.Token is { Length: > 0 } token)
        {
            return ExplicitTokenProvider.FromToken(token);
        }

        if (options.TokenFile is { Length: > 0 } file)
        {
            return ExplicitTokenProvider.FromFile(file);
        }

        switch (options.Provider)
        {
            case IdentityProviderKind.GitHubActions:
                return new GitHubActionsTokenProvider(context, options.UnsafeAllowPrivilegedTriggers);
            case IdentityProviderKind.GitLab:
                return ExplicitTokenProvider.FromEnvironment(env, name: "GitLab CI");
            case IdentityProviderKind.Environment:
                return ExplicitTokenProvider.FromEnvironment(env);
            case IdentityProviderKind.Buildkite:
                return CliTokenProvider.Buildkite(context);
            case IdentityProviderKind.CircleCi:
                return CliTokenProvider.CircleCi(context);
            case IdentityProviderKind.AzurePipelines:
                return new AzurePipelinesTokenProvider(context);
            case IdentityProviderKind.Interactive:
                return new InteractiveBrowserTokenProvider(context, options.OAuth);
            case IdentityProviderKind.DeviceCode:
                return new DeviceCodeTokenProvider(context, options.OAuth);
            case IdentityProviderKind.EntraId:
                return new EntraIdTokenProvider(options.EntraId, context);
            case IdentityProviderKind.Auto:
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(options));
        }

        return Detect(options, context);
    }

    private static IIdentityTokenProvider Detect(IdentityOptions options, IdentityContext context)
    {
        var env = context.Environment;
        if (GitHubActionsTokenProvider.IsPresent(env))
        {
            // Check at detection time too, so a privileged trigger fails before any work.
            GitHubActionsTokenProvider.CheckTrigger(env, options.UnsafeAllowPrivilegedTriggers, context.Log);
            if (string.IsNullOrEmpty(env.GetVariable("ACTIONS_ID_TOKEN_REQUEST_URL")) && env.GetVariable("SIGSTORE_ID_TOKEN") is not { Length: > 0 })
            {
                throw new SigstoreException(IdentityCodes.NoTokenInCi,
                    "Running in GitHub Actions without an OIDC token (ACTIONS_ID_TOKEN_REQUEST_URL is not set). Add 'permissions: id-token: write' to the signing job; pull requests from forks cannot sign.");
            }

            return env.GetVariable("ACTIONS_ID_TOKEN_REQUEST_URL") is { Length: > 0 }
                ? new GitHubActionsTokenProvider(context, options.UnsafeAllowPrivilegedTriggers)
                : ExplicitTokenProvider.FromEnvironment(env);
        }

        if (env.GetVariable("SIGSTORE_ID_TOKEN") is { Length: > 0 })
        {
            return ExplicitTokenProvider.FromEnvironment(env, name: string.Equals(env.GetVariable("GITLAB_CI"), "true", StringComparison.OrdinalIgnoreCase) ? "GitLab CI" : "environment token");
        }

        if (string.Equals(env.GetVariable("GITLAB_CI"), "true", StringComparison.OrdinalIgnoreCase))
        {
            throw new SigstoreException(IdentityCodes.NoTokenInCi,
                "Running in GitLab CI without SIGSTORE_ID_TOKEN. Add to the signing job: 'id_tokens: SIGSTORE_ID_TOKEN: aud: sigstore'.");
        }

        if (CliTokenProvider.IsBuildkite(env))
        {
            return CliTokenProvider.Buildkite(context);
        }

        if (CliTokenProvider.IsCircleCi(env))
        {
            return CliTokenProvider.CircleCi(context);
        }

        if (AzurePipelinesTokenProvider.IsPresent(env))
        {
            if (string.IsNullOrEmpty(env.GetVariable("SYSTEM_OIDCREQUESTURI")))
            {
                throw new SigstoreException(IdentityCodes.NoTokenInCi,
                    "Running in Azure Pipelines without an OIDC endpoint (SYSTEM_OIDCREQUESTURI). Use a pipeline with workload identity federation and map SYSTEM_ACCESSTOKEN, or pass SIGSTORE_ID_TOKEN.");
            }

            return new AzurePipelinesTokenProvider(context);
        }

        if (IsCi(env))
        {
            throw new SigstoreException(IdentityCodes.NoTokenInCi,
                "Running in CI but no OIDC identity token is available, and interactive login is never started in CI. Provide SIGSTORE_ID_TOKEN (audience 'sigstore') or enable the CI system's OIDC token for this job.");
        }

        if (!options.AllowInteractive)
        {
            throw new SigstoreException(IdentityCodes.NoProvider, "No identity token is available and interactive login is disabled. Pass an identity token or token file, or allow interactive login.");
        }

        return options.PreferDeviceCode
            ? new DeviceCodeTokenProvider(context, options.OAuth)
            : new InteractiveBrowserTokenProvider(context, options.OAuth);
    }
}
