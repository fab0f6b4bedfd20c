using SigstoreBuild.Identity;
using SigstoreBuild.Signing;
using SigstoreBuild.Signing.Sharing;
using SigstoreBuild.Tuf;

namespace SigstoreBuild.Tasks.Signing;

/// <summary>Creates the signer for validated settings. The only place the tasks touch the signing library.</summary>
internal static class SignerFactory
{
    /// <summary>
    /// One signing session (shared by all nodes of the build unless the settings say otherwise), in a signer whose
    /// warnings and messages the caller drains into its own task's log.
    /// </summary>
    public static SharedSigner Create(SignerSettings settings, ITaskEnvironment environment, Action<string> prompt, CancellationToken cancellationToken) =>
        SharedSigner.Join(settings.ShareAcrossNodes ? SigningScopes.For(settings, environment) : null,
            (warn, info) => CreateSession(settings, environment, warn, info, prompt, cancellationToken), cancellationToken);

    private static SessionAttestationSigner CreateSession(SignerSettings settings, ITaskEnvironment environment, Action<string, string> warn, Action<string> info, Action<string> prompt, CancellationToken cancellationToken)
    {
        // Trust is obtained (TUF refresh, the cache offline, or files) once per signer, before any token is fetched:
        // a trust root that cannot be refreshed stops signing here with its own SSB4xxx code (threat model F-12).
        var material = new RecordingTrustRootProvider(new TrustRootProvider(settings.Trust.Configuration));
        var trust = new TrustRootSigningTrustProvider(material).GetAsync(cancellationToken).GetAwaiter().GetResult();
        foreach (var warning in material.Last!.Warnings)
        {
            warn(warning.Code, warning.Message);
        }

        info($"Sigstore: {TrustProperties.Describe(material.Last)}.");
        var identityOptions = new IdentityOptions
        {
            Provider = ProviderKind(settings.OidcProvider),
            AllowInteractive = settings.IsInteractive,
            UnsafeAllowPrivilegedTriggers = settings.UnsafeAllowUntrustedTrigger,
            OidcIssuer = settings.OidcIssuer,
            OidcClientId = settings.OidcClientId,
            Prompt = prompt,
            SigningTrust = new StaticSigningTrustProvider(trust),
        };
        identityOptions = settings.Entra?.Apply(identityOptions) ?? identityOptions;
        var identity = IdentityTokenProviders.Create(identityOptions, new IdentityContext { Environment = new EnvironmentAdapter(environment) });
        var session = new SigningSession(new StaticSigningTrustProvider(trust), identity, new SigstoreBundleVerifier());
        return new SessionAttestationSigner(session);
    }

    private static IdentityProviderKind ProviderKind(string provider) => provider switch
    {
        "env" => IdentityProviderKind.Environment,
        "github" => IdentityProviderKind.GitHubActions,
        "gitlab" => IdentityProviderKind.GitLab,
        "azure-pipelines" => IdentityProviderKind.AzurePipelines,
        "buildkite" => IdentityProviderKind.Buildkite,
        "circleci" => IdentityProviderKind.CircleCi,
        "interactive" => IdentityProviderKind.Interactive,
        "device" => IdentityProviderKind.DeviceCode,
        "msal" => IdentityProviderKind.EntraId,
        _ => IdentityProviderKind.Auto,
    };

    /// <summary>Keeps the material (source, warnings) that the signing trust was made from, for the build log.</summary>
    private sealed class RecordingTrustRootProvider(ITrustRootProvider inner) : ITrustRootProvider
    {
        public TrustMaterialBytes? Last { get; private set; }

        public async Task<TrustMaterialBytes> GetAsync(CancellationToken cancellationToken = default) =>
            Last = await inner.GetAsync(cancellationToken).ConfigureAwait(false);
    }

    private sealed class EnvironmentAdapter(ITaskEnvironment environment) : IEnvironment
    {
        public string? GetVariable(string name) => environment.Get(name);
    }
}
