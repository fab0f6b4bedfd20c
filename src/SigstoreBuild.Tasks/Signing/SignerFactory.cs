using SigstoreBuild.Diagnostics;
using SigstoreBuild.Identity;
using SigstoreBuild.NuGet.Signing;
using SigstoreBuild.Signing;

namespace SigstoreBuild.Tasks.Signing;

/// <summary>Creates the signer for validated settings. The only place the tasks touch the signing library.</summary>
internal static class SignerFactory
{
    /// <summary>Tests substitute the signer here; production code never sets it.</summary>
    internal static Func<SignerSettings, ITaskEnvironment, IAttestationSigner>? Override { get; set; }

    public static IAttestationSigner Create(SignerSettings settings, ITaskEnvironment environment)
    {
        if (Override is { } factory)
        {
            return factory(settings, environment);
        }

        if (settings.TrustedRootPath is null || settings.SigningConfigPath is null)
        {
            // The public instances need a TUF-refreshed trust root (threat model F-12); until the TUF client ships in
            // this package, they are configured with explicit files.
            throw new SigstoreException(TaskCodes.SignerUnavailable, $"SigstoreInstance '{settings.Instance}' needs its trust root from TUF, which this build of SigstoreBuild does not include yet. Set SigstoreTrustedRootPath and SigstoreSigningConfigPath to the instance's trusted_root.json and signing_config.json.");
        }

        var trust = StaticSigningTrustProvider.Load(settings.TrustedRootPath, settings.SigningConfigPath);
        var identityOptions = new IdentityOptions
        {
            Provider = ProviderKind(settings.OidcProvider),
            AllowInteractive = false,
            UnsafeAllowPrivilegedTriggers = settings.UnsafeAllowUntrustedTrigger,
        };
        var identity = IdentityTokenProviders.Create(identityOptions, new IdentityContext { Environment = new EnvironmentAdapter(environment) });
        var session = new SigningSession(trust, identity, new SigstoreBundleVerifier());
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

    private sealed class EnvironmentAdapter(ITaskEnvironment environment) : IEnvironment
    {
        public string? GetVariable(string name) => environment.Get(name);
    }
}
