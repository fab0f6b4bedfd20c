using SigstoreBuild.Crypto;
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
        settings.SigningKeyPath is { } keyPath
            // A key signs wherever it is loaded: each node signs on its own, with no login or certificate to share.
            ? SharedSigner.Join(null, (warn, info) => CreateKeySession(settings, keyPath, environment, warn, info, cancellationToken), cancellationToken)
            : SharedSigner.Join(settings.ShareAcrossNodes ? SigningScopes.For(settings, environment) : null,
                (warn, info) => CreateSession(settings, environment, warn, info, prompt, cancellationToken), cancellationToken);

    private static StatementSigner CreateKeySession(SignerSettings settings, string keyPath, ITaskEnvironment environment, Action<string, string> warn, Action<string> info, CancellationToken cancellationToken)
    {
        // The key first: a missing file or a wrong password fails before any network request.
        var key = SigningKey.Load(keyPath, environment.Get(SigningKey.PasswordVariable));
        try
        {
            var trust = GetTrust(settings, warn, info, cancellationToken);
            info($"Sigstore: signing with the key '{keyPath}' (hint {key.Hint}) instead of a Fulcio certificate.");
            return new KeyOwningSigner(new KeyAttestationSigner(new KeySigningSession(new StaticSigningTrustProvider(trust), key)), key);
        }
        catch
        {
            key.Dispose();
            throw;
        }
    }

    private static SessionAttestationSigner CreateSession(SignerSettings settings, ITaskEnvironment environment, Action<string, string> warn, Action<string> info, Action<string> prompt, CancellationToken cancellationToken)
    {
        var trust = GetTrust(settings, warn, info, cancellationToken);
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

    private static SigningTrust GetTrust(SignerSettings settings, Action<string, string> warn, Action<string> info, CancellationToken cancellationToken)
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
        return trust;
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

    /// <summary>The session does not own its key; this signer lives for the build, so it disposes the key with the session.</summary>
    private sealed class KeyOwningSigner(StatementSigner inner, SigningKey key) : StatementSigner
    {
        public override Task<byte[]> ProduceBundleAsync(byte[] statementJson, byte[] subjectSha256, CancellationToken cancellationToken) =>
            inner.ProduceBundleAsync(statementJson, subjectSha256, cancellationToken);

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
                key.Dispose();
            }
        }
    }

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
