using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Identity.Client;
using Microsoft.Identity.Client.AppConfig;
using SigstoreBuild.Diagnostics;
using SigstoreBuild.IO;

namespace SigstoreBuild.Identity;

/// <summary>How an Entra ID token is obtained: a person logs in, or the machine proves it is a registered application.</summary>
public enum EntraIdFlow
{
    /// <summary>A person logs in with a code on another device (public client; works headless and inside a build).</summary>
    DeviceCode,

    /// <summary>A person logs in with the system browser (public client).</summary>
    Interactive,

    /// <summary>The application proves itself with a certificate and its private key (confidential client).</summary>
    ClientCertificate,

    /// <summary>The application presents a token another issuer gave it (workload identity federation, e.g. AKS).</summary>
    Federated,

    /// <summary>The Azure resource's managed identity (App Service, VM, and hosts with an IMDS-like endpoint).</summary>
    ManagedIdentity,
}

/// <summary>Microsoft Entra ID settings, resolved from <see cref="IdentityOptions"/> and the environment.</summary>
internal sealed record EntraIdOptions
{
    /// <summary>The public cloud's authority host, used when only a tenant is given.</summary>
    public const string PublicCloud = "https://login.microsoftonline.com/";

    /// <summary><c>https://login.microsoftonline.com/{tenant}</c> or a sovereign cloud's; null for a managed identity.</summary>
    public string? Authority { get; init; }

    /// <summary>The application registered for signing (for a managed identity: a user-assigned identity's client ID).</summary>
    public string? ClientId { get; init; }

    public EntraIdFlow Flow { get; init; }

    /// <summary>Application flows: the scope of the access token (default <c>{ClientId}/.default</c>); its resource is the audience Fulcio sees.</summary>
    public string? Scope { get; init; }

    /// <summary>A PFX, or a PEM holding the certificate and its private key.</summary>
    public string? CertificatePath { get; init; }

    /// <summary>The name of the environment variable holding the certificate's password (never the password itself).</summary>
    public string? CertificatePasswordVariable { get; init; }

    /// <summary>The file holding the federated client assertion, read afresh for each request (it is rotated).</summary>
    public string? AssertionFile { get; init; }

    public Action<string>? Prompt { get; init; }

    /// <summary>
    /// Fills what the settings leave out from the variables Azure workload identity sets (<c>AZURE_CLIENT_ID</c>,
    /// <c>AZURE_TENANT_ID</c>, <c>AZURE_AUTHORITY_HOST</c>, <c>AZURE_FEDERATED_TOKEN_FILE</c>), then checks what the flow needs.
    /// </summary>
    public EntraIdOptions Resolve(IEnvironment env)
    {
        var clientId = Trimmed(ClientId) ?? Trimmed(env.GetVariable("AZURE_CLIENT_ID"));
        var authority = Trimmed(Authority);
        if (authority is null && Trimmed(env.GetVariable("AZURE_TENANT_ID")) is { } tenant)
        {
            authority = (Trimmed(env.GetVariable("AZURE_AUTHORITY_HOST")) ?? PublicCloud).TrimEnd('/') + "/" + tenant;
        }

        var resolved = this with
        {
            ClientId = clientId,
            Authority = authority is null ? null : NormalizeAuthority(authority),
            AssertionFile = Trimmed(AssertionFile) ?? (Flow == EntraIdFlow.Federated ? Trimmed(env.GetVariable("AZURE_FEDERATED_TOKEN_FILE")) : null),
        };
        resolved.Check();
        return resolved;
    }

    private void Check()
    {
        if (Flow == EntraIdFlow.ManagedIdentity)
        {
            if (Scope is null)
            {
                throw Invalid("A managed identity needs the scope (or resource) of its token: set the Entra ID scope, e.g. api://sigstore/.default.");
            }

            return;
        }

        if (Authority is null)
        {
            throw Invalid("No Entra ID authority: set it to https://login.microsoftonline.com/<tenant-id> (or just the tenant ID), or set AZURE_TENANT_ID.");
        }

        if (ClientId is null)
        {
            throw Invalid("No Entra ID client ID: set the signing application's client ID, or AZURE_CLIENT_ID.");
        }

        if (Flow == EntraIdFlow.ClientCertificate && Trimmed(CertificatePath) is null)
        {
            throw Invalid("The client-certificate flow needs the path of a PFX or PEM file holding the certificate and its private key.");
        }

        if (Flow == EntraIdFlow.Federated && AssertionFile is null)
        {
            throw Invalid("The federated flow needs the file holding the client assertion: set it, or AZURE_FEDERATED_TOKEN_FILE (set by Azure workload identity).");
        }
    }

    /// <summary>A bare tenant ID or domain means the public cloud; anything else must be an absolute HTTPS URL.</summary>
    private static string NormalizeAuthority(string authority)
    {
        if (!authority.Contains("://", StringComparison.Ordinal))
        {
            authority = PublicCloud + authority;
        }

        if (!Uri.TryCreate(authority, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttps || uri.AbsolutePath.Trim('/').Length == 0)
        {
            throw new SigstoreException(IdentityCodes.InsecureIssuer, $"The Entra ID authority '{OidcDiscovery.Sanitize(authority)}' must be an HTTPS URL naming a tenant, e.g. https://login.microsoftonline.com/<tenant-id>.");
        }

        return uri.AbsoluteUri;
    }

    private static string? Trimmed(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    private static SigstoreException Invalid(string message) => new(IdentityCodes.EntraConfigInvalid, message);
}

/// <summary>
/// Microsoft Entra ID through MSAL. A person's login (device code, browser) yields the ID token of the signing
/// application, kept in MSAL's token cache for the life of this provider; an application's login (certificate,
/// federated assertion, managed identity) yields the access token for <see cref="EntraIdOptions.Scope"/>.
/// </summary>
internal sealed class EntraIdTokenProvider : IIdentityTokenProvider
{
    private static readonly string[] UserScopes = ["openid", "email", "profile"];
    private static readonly InputKind CertificateFile = new("Entra ID client certificate", 1024 * 1024, "Pass a PFX, or a PEM holding the certificate and its private key.") { Code = IdentityCodes.EntraCredentialUnreadable };
    private static readonly InputKind AssertionFileKind = new("federated client assertion", 64 * 1024, "Check the path (AZURE_FEDERATED_TOKEN_FILE) and that the file holds a token.") { Code = IdentityCodes.EntraCredentialUnreadable };

    private readonly EntraIdOptions _options;
    private readonly IdentityContext _context;
    private readonly HttpClientFactory _http;
    private IPublicClientApplication? _public;
    private IConfidentialClientApplication? _confidential;
    private IManagedIdentityApplication? _managed;

    public EntraIdTokenProvider(EntraIdOptions options, IdentityContext context)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(context);
        _options = options.Resolve(context.Environment);
        _context = context;
        _http = new HttpClientFactory(context.SharedHttpClient);
    }

    public string Name => "Microsoft Entra ID";

    public bool CanRefresh => true;

    public async Task<IdentityToken> GetTokenAsync(CancellationToken cancellationToken)
    {
        string? token;
        try
        {
            token = _options.Flow switch
            {
                EntraIdFlow.DeviceCode or EntraIdFlow.Interactive => await GetUserTokenAsync(cancellationToken).ConfigureAwait(false),
                EntraIdFlow.ManagedIdentity => (await Managed().AcquireTokenForManagedIdentity(_options.Scope!).ExecuteAsync(cancellationToken).ConfigureAwait(false)).AccessToken,
                _ => (await Confidential().AcquireTokenForClient([_options.Scope ?? _options.ClientId + "/.default"]).ExecuteAsync(cancellationToken).ConfigureAwait(false)).AccessToken,
            };
        }
        catch (MsalException ex)
        {
            // MSAL error codes are safe to show; its messages can quote request details, so they are not echoed.
            throw new SigstoreException(IdentityCodes.MsalFailed, $"Microsoft Entra ID login failed ({OidcDiscovery.Sanitize(ex.ErrorCode ?? "unknown")}). Check the authority, client ID and credential, then log in again.");
        }

        if (string.IsNullOrEmpty(token))
        {
            throw new SigstoreException(IdentityCodes.MsalFailed, "Microsoft Entra ID returned no token. Make sure the 'openid' scope (a person's login) or the scope's resource (an application's) is granted to the signing app.");
        }

        return IdentityToken.Parse(token);
    }

    private async Task<string?> GetUserTokenAsync(CancellationToken cancellationToken)
    {
        var app = Public();

        // The cache first: one login serves every signature of this provider's life.
        var account = (await app.GetAccountsAsync().ConfigureAwait(false)).FirstOrDefault();
        if (account is not null)
        {
            try
            {
                return (await app.AcquireTokenSilent(UserScopes, account).ExecuteAsync(cancellationToken).ConfigureAwait(false)).IdToken;
            }
            catch (MsalUiRequiredException)
            {
                // Expired or revoked: log in again below.
            }
        }

        var result = _options.Flow == EntraIdFlow.DeviceCode
            ? await app.AcquireTokenWithDeviceCode(UserScopes, code =>
            {
                _options.Prompt?.Invoke($"To sign, visit {OidcDiscovery.Sanitize(code.VerificationUrl ?? string.Empty)} and enter the code {OidcDiscovery.Sanitize(code.UserCode ?? string.Empty)}.");
                return Task.CompletedTask;
            }).ExecuteAsync(cancellationToken).ConfigureAwait(false)
            : await app.AcquireTokenInteractive(UserScopes).WithUseEmbeddedWebView(false).ExecuteAsync(cancellationToken).ConfigureAwait(false);
        return result.IdToken;
    }

    // Instance discovery is off: MSAL talks to the configured authority only (sovereign and private clouds included).
    private IPublicClientApplication Public() => _public ??= PublicClientApplicationBuilder.Create(_options.ClientId)
        .WithAuthority(_options.Authority)
        .WithInstanceDiscovery(false)
        .WithRedirectUri("http://localhost")
        .WithHttpClientFactory(_http)
        .Build();

    private IConfidentialClientApplication Confidential()
    {
        if (_confidential is not null)
        {
            return _confidential;
        }

        var builder = ConfidentialClientApplicationBuilder.Create(_options.ClientId)
            .WithAuthority(_options.Authority)
            .WithInstanceDiscovery(false)
            .WithHttpClientFactory(_http);
        builder = _options.Flow == EntraIdFlow.ClientCertificate
            ? builder.WithCertificate(LoadCertificate(), sendX5C: true)
            : builder.WithClientAssertion((AssertionRequestOptions _) => Task.FromResult(ReadAssertion()));
        return _confidential = builder.Build();
    }

    private IManagedIdentityApplication Managed() => _managed ??= ManagedIdentityApplicationBuilder
        .Create(_options.ClientId is { } id ? ManagedIdentityId.WithUserAssignedClientId(id) : ManagedIdentityId.SystemAssigned)
        .WithHttpClientFactory(_http)
        .Build();

    private X509Certificate2 LoadCertificate()
    {
        var path = _options.CertificatePath!;
        var bytes = InputFile.ReadAllBytes(path, CertificateFile);
        string? password = null;
        if (_options.CertificatePasswordVariable is { Length: > 0 } variable)
        {
            password = _context.Environment.GetVariable(variable)
                ?? throw new SigstoreException(IdentityCodes.EntraCredentialUnreadable, $"The environment variable '{variable}' that should hold the certificate's password is not set. Set it, or name another one.");
        }

        X509Certificate2 certificate;
        try
        {
            var text = System.Text.Encoding.ASCII.GetString(bytes);
            if (text.Contains("-----BEGIN", StringComparison.Ordinal))
            {
                certificate = password is null ? X509Certificate2.CreateFromPem(text, text) : X509Certificate2.CreateFromEncryptedPem(text, text, password);
            }
            else
            {
                certificate = X509CertificateLoader.LoadPkcs12(bytes, password, X509KeyStorageFlags.EphemeralKeySet);
            }
        }
        catch (CryptographicException)
        {
            // Never the exception's message: it can say which password was wrong, and how.
            throw new SigstoreException(IdentityCodes.EntraCredentialUnreadable, $"The Entra ID client certificate '{path}' cannot be loaded: not a PFX or PEM with its private key, or the password is wrong.");
        }

        if (!certificate.HasPrivateKey)
        {
            certificate.Dispose();
            throw new SigstoreException(IdentityCodes.EntraCredentialUnreadable, $"The Entra ID client certificate '{path}' holds no private key. Pass a PFX, or a PEM with the certificate and its key.");
        }

        return certificate;
    }

    private string ReadAssertion()
    {
        var assertion = InputFile.ReadAllText(_options.AssertionFile!, AssertionFileKind).Trim();
        return assertion.Length > 0
            ? assertion
            : throw new SigstoreException(IdentityCodes.EntraCredentialUnreadable, $"The federated client assertion file '{_options.AssertionFile}' is empty. Check that the workload's token is projected there.");
    }

    /// <summary>MSAL's HTTP goes through the identity context's client, like every other login's.</summary>
    private sealed class HttpClientFactory(HttpClient client) : IMsalHttpClientFactory
    {
        public HttpClient GetHttpClient() => client;
    }
}
