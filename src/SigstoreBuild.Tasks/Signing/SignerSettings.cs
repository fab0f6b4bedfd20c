using SigstoreBuild.Diagnostics;

namespace SigstoreBuild.Tasks.Signing;

/// <summary>The validated signing settings of a task invocation; equal settings share one signer per build.</summary>
internal sealed record SignerSettings
{
    public static readonly string[] OidcProviders =
        ["auto", "env", "github", "gitlab", "azure-pipelines", "buildkite", "circleci", "interactive", "device", "msal"];

    public required TrustProperties Trust { get; init; }
    public required string OidcProvider { get; init; }
    public bool UnsafeAllowUntrustedTrigger { get; init; }

    /// <summary>The OIDC issuer and client ID of a device-code or browser login (SigstoreOidcIssuer, SigstoreOidcClientId).</summary>
    public string? OidcIssuer { get; init; }

    public string? OidcClientId { get; init; }

    /// <summary>The Entra ID settings of SigstoreOidcProvider=msal.</summary>
    public EntraSettings? Entra { get; init; }

    /// <summary>A login the user takes part in: only outside CI, with its instructions logged at high importance.</summary>
    public bool IsInteractive => OidcProvider is "device" or "interactive";

    /// <summary>One session for all MSBuild nodes of the build (SigstoreShareSigningSession), or one per node.</summary>
    public bool ShareAcrossNodes { get; init; } = true;

    /// <summary>A private key to sign with instead of a Fulcio certificate (SigstoreSigningKeyPath), absolute; its password stays in the environment.</summary>
    public string? SigningKeyPath { get; init; }

    public string Instance => Trust.Instance;

    public string CacheKey => string.Join('|', "SigstoreBuild.Signer.v4", Trust.CacheKey, OidcProvider, OidcIssuer, OidcClientId, Entra?.CacheKey, ShareAcrossNodes ? "shared" : "per-node", SigningKeyPath);

    public static SignerSettings Create(TrustProperties trust, string? oidcProvider, bool unsafeAllowUntrustedTrigger, bool shareAcrossNodes = true, string? oidcIssuer = null, string? oidcClientId = null, string? signingKeyPath = null)
    {
        var provider = string.IsNullOrWhiteSpace(oidcProvider) ? "auto" : oidcProvider.Trim().ToLowerInvariant();
        if (!OidcProviders.Contains(provider, StringComparer.Ordinal))
        {
            throw new SigstoreException(TaskCodes.InvalidSetting, $"SigstoreOidcProvider is '{oidcProvider}'. Use one of: {string.Join(", ", OidcProviders)}.");
        }

        return new SignerSettings
        {
            Trust = trust,
            OidcProvider = provider,
            UnsafeAllowUntrustedTrigger = unsafeAllowUntrustedTrigger,
            ShareAcrossNodes = shareAcrossNodes,
            OidcIssuer = string.IsNullOrWhiteSpace(oidcIssuer) ? null : oidcIssuer.Trim(),
            OidcClientId = string.IsNullOrWhiteSpace(oidcClientId) ? null : oidcClientId.Trim(),
            SigningKeyPath = string.IsNullOrWhiteSpace(signingKeyPath) ? null : Path.GetFullPath(signingKeyPath.Trim()),
        };
    }
}
