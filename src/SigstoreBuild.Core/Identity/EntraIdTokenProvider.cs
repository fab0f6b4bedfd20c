using Microsoft.Identity.Client;
using SigstoreBuild.Diagnostics;

namespace SigstoreBuild.Identity;

/// <summary>Microsoft Entra ID settings, for private Sigstore instances whose Fulcio trusts an Entra tenant.</summary>
internal sealed record EntraIdOptions
{
    /// <summary>e.g. <c>https://login.microsoftonline.com/{tenant}/v2.0</c>.</summary>
    public required string Authority { get; init; }

    /// <summary>The public client application registered for signing; its ID is the token audience Fulcio expects.</summary>
    public required string ClientId { get; init; }

    /// <summary>Device code instead of a browser (headless machines).</summary>
    public bool UseDeviceCode { get; init; }

    public Action<string>? Prompt { get; init; }
}

/// <summary>Microsoft Entra ID through MSAL: an ID token for the signing app, interactively or with a device code.</summary>
internal sealed class EntraIdTokenProvider : IIdentityTokenProvider
{
    private readonly EntraIdOptions _options;
    private readonly IPublicClientApplication _app;

    public EntraIdTokenProvider(EntraIdOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        if (!Uri.TryCreate(options.Authority, UriKind.Absolute, out var authority) || authority.Scheme != Uri.UriSchemeHttps)
        {
            throw new SigstoreException(IdentityCodes.InsecureIssuer, $"The Entra ID authority '{options.Authority}' must be an absolute HTTPS URL.");
        }

        _app = PublicClientApplicationBuilder.Create(options.ClientId)
            .WithAuthority(options.Authority)
            .WithRedirectUri("http://localhost")
            .Build();
    }

    public string Name => "Microsoft Entra ID";

    public bool CanRefresh => true;

    public async Task<IdentityToken> GetTokenAsync(CancellationToken cancellationToken)
    {
        string[] scopes = ["openid", "email", "profile"];
        AuthenticationResult result;
        try
        {
            result = _options.UseDeviceCode
                ? await _app.AcquireTokenWithDeviceCode(scopes, code =>
                {
                    _options.Prompt?.Invoke(code.Message);
                    return Task.CompletedTask;
                }).ExecuteAsync(cancellationToken).ConfigureAwait(false)
                : await _app.AcquireTokenInteractive(scopes).WithUseEmbeddedWebView(false).ExecuteAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (MsalException ex)
        {
            // MSAL error codes are safe to show; its messages can quote request details, so they are not echoed.
            throw new SigstoreException(IdentityCodes.MsalFailed, $"Microsoft Entra ID login failed ({ex.ErrorCode}). Check the authority and client ID, then log in again.");
        }

        if (string.IsNullOrEmpty(result.IdToken))
        {
            throw new SigstoreException(IdentityCodes.MsalFailed, "Microsoft Entra ID returned no ID token. Make sure the 'openid' scope is granted to the signing app.");
        }

        return IdentityToken.Parse(result.IdToken);
    }
}
