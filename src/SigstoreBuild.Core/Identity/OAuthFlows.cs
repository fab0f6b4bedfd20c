using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using SigstoreBuild.Diagnostics;
using SigstoreBuild.Signing;
using SigstoreBuild.Signing.Transport;

namespace SigstoreBuild.Identity;

/// <summary>OAuth settings for the interactive flows; <see cref="PublicGood"/> is Sigstore's public Dex.</summary>
internal sealed record OAuthOptions
{
    public static readonly OAuthOptions PublicGood = new();

    public const string PublicGoodIssuer = "https://oauth2.sigstore.dev/auth";

    /// <summary>The issuer to log in with; null: the one the signing config names, else the public-good one.</summary>
    public string? Issuer { get; init; }

    /// <summary>Where the signing config comes from, when <see cref="Issuer"/> is not set.</summary>
    public ISigningTrustProvider? SigningTrust { get; init; }

    public string ClientId { get; init; } = "sigstore";

    public string Scope { get; init; } = "openid email";

    /// <summary>How long to wait for the user to finish logging in.</summary>
    public TimeSpan LoginTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Where the flows tell the user what to do (URL to open, device code). Never given a token.</summary>
    public Action<string>? Prompt { get; init; }

    /// <summary>The issuer to log in with: explicit, else the signing config's <c>oidcUrls</c>, else the public-good one.</summary>
    public async Task<string> ResolveIssuerAsync(TimeProvider time, CancellationToken cancellationToken)
    {
        if (!string.IsNullOrEmpty(Issuer))
        {
            return Issuer;
        }

        if (SigningTrust is { } provider)
        {
            var trust = await provider.GetAsync(cancellationToken).ConfigureAwait(false);
            if (ServiceSelector.SelectOidcIssuer(trust.SigningConfig, time.GetUtcNow()) is { Length: > 0 } configured)
            {
                return configured;
            }
        }

        return PublicGoodIssuer;
    }
}

internal sealed record OidcEndpoints(Uri AuthorizationEndpoint, Uri TokenEndpoint, Uri? DeviceAuthorizationEndpoint);

internal static class OidcDiscovery
{
    public static async Task<OidcEndpoints> DiscoverAsync(ServiceHttpClient http, string issuer, CancellationToken cancellationToken)
    {
        var issuerUri = ServiceUrl.Require(issuer, "OIDC issuer", IdentityCodes.InsecureIssuer);
        var response = await http.SendAsync("OIDC discovery", IdentityCodes.LoginFailed,
            () => new HttpRequestMessage(HttpMethod.Get, ServiceUrl.Combine(issuerUri, ".well-known/openid-configuration")), cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccess)
        {
            throw new SigstoreException(IdentityCodes.LoginFailed, $"The OIDC issuer {issuerUri} has no discovery document (HTTP {(int)response.StatusCode}). Check the issuer URL.");
        }

        try
        {
            using var doc = JsonDocument.Parse(response.Body);
            var root = doc.RootElement;
            Uri Endpoint(string name) => ServiceUrl.Require(root.GetProperty(name).GetString(), $"OIDC {name}", IdentityCodes.InsecureIssuer);
            return new OidcEndpoints(
                Endpoint("authorization_endpoint"),
                Endpoint("token_endpoint"),
                root.TryGetProperty("device_authorization_endpoint", out var d) && d.ValueKind == JsonValueKind.String ? Endpoint("device_authorization_endpoint") : null);
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new SigstoreException(IdentityCodes.LoginFailed, $"The OIDC discovery document of {issuerUri} is malformed. Check the issuer URL.");
        }
    }

    /// <summary>Reads the <c>id_token</c> from a token endpoint response, or explains the OAuth error.</summary>
    public static IdentityToken ReadIdToken(ServiceResponse response, string code)
    {
        string? error = null;
        try
        {
            using var doc = JsonDocument.Parse(response.Body);
            if (doc.RootElement.ValueKind == JsonValueKind.Object)
            {
                if (response.IsSuccess && doc.RootElement.TryGetProperty("id_token", out var idt) && idt.GetString() is { Length: > 0 } raw)
                {
                    return IdentityToken.Parse(raw);
                }

                if (doc.RootElement.TryGetProperty("error", out var e))
                {
                    error = e.GetString();
                }
            }
        }
        catch (JsonException)
        {
        }

        throw new SigstoreException(code, $"The OIDC token endpoint did not issue an ID token (HTTP {(int)response.StatusCode}{(error is null ? string.Empty : ", " + Sanitize(error))}). Log in again.");
    }

    public static string Sanitize(string text) => new(text.Take(100).Where(c => !char.IsControl(c)).ToArray());
}

/// <summary>
/// Interactive login: OAuth 2.0 authorization code flow with PKCE (S256) and a state check, receiving the redirect on
/// a 127.0.0.1 loopback listener (RFC 8252). Never used in CI (threat model X-04).
/// </summary>
internal sealed class InteractiveBrowserTokenProvider(IdentityContext context, OAuthOptions options) : IIdentityTokenProvider
{
    public string Name => "interactive browser login";

    public bool CanRefresh => true;

    public async Task<IdentityToken> GetTokenAsync(CancellationToken cancellationToken)
    {
        var http = context.CreateHttp();
        var issuer = await options.ResolveIssuerAsync(context.Time, cancellationToken).ConfigureAwait(false);
        var endpoints = await OidcDiscovery.DiscoverAsync(http, issuer, cancellationToken).ConfigureAwait(false);
        var pkce = Pkce.Create();
        var state = RandomToken();
        var nonce = RandomToken();

        var port = FreeLoopbackPort();
        var redirectUri = $"http://127.0.0.1:{port}/auth/callback";
        using var listener = new HttpListener();
        listener.Prefixes.Add($"http://127.0.0.1:{port}/auth/");
        listener.Start();

        var authorizeUrl = new Uri(endpoints.AuthorizationEndpoint.AbsoluteUri
            + (endpoints.AuthorizationEndpoint.Query.Length > 0 ? "&" : "?")
            + Query(("response_type", "code"), ("client_id", options.ClientId), ("redirect_uri", redirectUri), ("scope", options.Scope),
                ("state", state), ("nonce", nonce), ("code_challenge", pkce.Challenge), ("code_challenge_method", "S256")));

        options.Prompt?.Invoke($"Opening your browser to log in to Sigstore. If it does not open, visit: {authorizeUrl.AbsoluteUri}");
        await context.Browser.OpenAsync(authorizeUrl, cancellationToken).ConfigureAwait(false);

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.LoginTimeout);
        string code;
        while (true)
        {
            HttpListenerContext callback;
            try
            {
                callback = await listener.GetContextAsync().WaitAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new SigstoreException(IdentityCodes.LoginFailed, $"The browser login did not complete within {options.LoginTimeout.TotalMinutes:0} minutes. Run the command again and finish the login.");
            }

            var query = System.Web.HttpUtility.ParseQueryString(callback.Request.Url?.Query ?? string.Empty);
            if (callback.Request.Url?.AbsolutePath != "/auth/callback")
            {
                Respond(callback, 404, "Not found.");
                continue;
            }

            var receivedState = query["state"] ?? string.Empty;
            if (!CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(receivedState), Encoding.UTF8.GetBytes(state)))
            {
                Respond(callback, 400, "Login failed: state mismatch.");
                throw new SigstoreException(IdentityCodes.StateMismatch, "The login redirect carried the wrong OAuth state (possible cross-site request forgery). Nothing was signed; start the login again.");
            }

            if (query["error"] is { } error)
            {
                Respond(callback, 400, "Login failed.");
                throw new SigstoreException(IdentityCodes.LoginFailed, $"The identity provider refused the login ({OidcDiscovery.Sanitize(error)}). Log in again.");
            }

            if (query["code"] is not { Length: > 0 } c)
            {
                Respond(callback, 400, "Login failed: no code.");
                throw new SigstoreException(IdentityCodes.LoginFailed, "The login redirect carried no authorization code. Log in again.");
            }

            Respond(callback, 200, "Sigstore login complete. You can close this window.");
            code = c;
            break;
        }

        var response = await http.SendAsync("OIDC token endpoint", IdentityCodes.LoginFailed, () => new HttpRequestMessage(HttpMethod.Post, endpoints.TokenEndpoint)
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["grant_type"] = "authorization_code",
                ["code"] = code,
                ["redirect_uri"] = redirectUri,
                ["code_verifier"] = pkce.Verifier,
                ["client_id"] = options.ClientId,
            }),
        }, cancellationToken).ConfigureAwait(false);

        var token = OidcDiscovery.ReadIdToken(response, IdentityCodes.LoginFailed);
        if (token.Nonce is not null && token.Nonce != nonce)
        {
            throw new SigstoreException(IdentityCodes.StateMismatch, "The ID token's nonce does not match this login (possible token replay). Log in again.");
        }

        return token;
    }

    internal static string RandomToken() => IdentityToken.Base64UrlEncode(RandomNumberGenerator.GetBytes(32));

    private static int FreeLoopbackPort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    private static string Query(params (string Key, string Value)[] pairs) =>
        string.Join('&', pairs.Select(p => Uri.EscapeDataString(p.Key) + "=" + Uri.EscapeDataString(p.Value)));

    private static void Respond(HttpListenerContext context, int status, string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/plain; charset=utf-8";
        context.Response.OutputStream.Write(bytes);
        context.Response.Close();
    }
}

/// <summary>PKCE (RFC 7636) verifier and its S256 challenge.</summary>
internal sealed record Pkce(string Verifier, string Challenge)
{
    public static Pkce Create()
    {
        var verifier = IdentityToken.Base64UrlEncode(RandomNumberGenerator.GetBytes(32));
        return new Pkce(verifier, ChallengeFor(verifier));
    }

    public static string ChallengeFor(string verifier) => IdentityToken.Base64UrlEncode(SHA256.HashData(Encoding.ASCII.GetBytes(verifier)));
}

/// <summary>OAuth 2.0 device authorization grant (RFC 8628) for machines without a browser.</summary>
internal sealed class DeviceCodeTokenProvider(IdentityContext context, OAuthOptions options) : IIdentityTokenProvider
{
    public string Name => "device-code login";

    public bool CanRefresh => true;

    public async Task<IdentityToken> GetTokenAsync(CancellationToken cancellationToken)
    {
        var http = context.CreateHttp();
        var issuer = await options.ResolveIssuerAsync(context.Time, cancellationToken).ConfigureAwait(false);
        var endpoints = await OidcDiscovery.DiscoverAsync(http, issuer, cancellationToken).ConfigureAwait(false);
        if (endpoints.DeviceAuthorizationEndpoint is not { } deviceEndpoint)
        {
            throw new SigstoreException(IdentityCodes.DeviceCodeFailed, $"The OIDC issuer {issuer} does not support the device-code flow. Use the browser login or a CI token.");
        }

        var start = await http.SendAsync("OIDC device authorization", IdentityCodes.DeviceCodeFailed, () => new HttpRequestMessage(HttpMethod.Post, deviceEndpoint)
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["client_id"] = options.ClientId, ["scope"] = options.Scope }),
        }, cancellationToken).ConfigureAwait(false);

        string deviceCode, userCode, verificationUri;
        int interval, expiresIn;
        try
        {
            using var doc = JsonDocument.Parse(start.Body);
            var r = doc.RootElement;
            deviceCode = r.GetProperty("device_code").GetString()!;
            userCode = r.GetProperty("user_code").GetString()!;
            verificationUri = (r.TryGetProperty("verification_uri_complete", out var full) ? full : r.GetProperty("verification_uri")).GetString()!;
            interval = r.TryGetProperty("interval", out var i) && i.TryGetInt32(out var iv) ? iv : 5;
            expiresIn = r.TryGetProperty("expires_in", out var e) && e.TryGetInt32(out var ev) ? ev : 600;
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or NullReferenceException)
        {
            throw new SigstoreException(IdentityCodes.DeviceCodeFailed, $"The device authorization response is malformed (HTTP {(int)start.StatusCode}). Try the browser login.");
        }

        options.Prompt?.Invoke($"To sign, visit {OidcDiscovery.Sanitize(verificationUri)} and enter the code {OidcDiscovery.Sanitize(userCode)}.");
        var deadline = context.Time.GetUtcNow().AddSeconds(Math.Min(expiresIn, options.LoginTimeout.TotalSeconds));
        while (true)
        {
            await Task.Delay(TimeSpan.FromSeconds(Math.Max(interval, 0)), context.Time, cancellationToken).ConfigureAwait(false);
            if (context.Time.GetUtcNow() > deadline)
            {
                throw new SigstoreException(IdentityCodes.DeviceCodeFailed, "The device code expired before the login finished. Run the command again.");
            }

            var poll = await http.SendAsync("OIDC token endpoint", IdentityCodes.DeviceCodeFailed, () => new HttpRequestMessage(HttpMethod.Post, endpoints.TokenEndpoint)
            {
                Content = new FormUrlEncodedContent(new Dictionary<string, string>
                {
                    ["grant_type"] = "urn:ietf:params:oauth:grant-type:device_code",
                    ["device_code"] = deviceCode,
                    ["client_id"] = options.ClientId,
                }),
            }, cancellationToken).ConfigureAwait(false);

            if (poll.IsSuccess)
            {
                return OidcDiscovery.ReadIdToken(poll, IdentityCodes.DeviceCodeFailed);
            }

            var error = ReadError(poll.Body);
            switch (error)
            {
                case "authorization_pending":
                    continue;
                case "slow_down":
                    interval += 5;
                    continue;
                default:
                    throw new SigstoreException(IdentityCodes.DeviceCodeFailed, $"The device-code login failed ({OidcDiscovery.Sanitize(error ?? "HTTP " + (int)poll.StatusCode)}). Run the command again.");
            }
        }
    }

    private static string? ReadError(byte[] body)
    {
        try
        {
            using var doc = JsonDocument.Parse(body);
            return doc.RootElement.TryGetProperty("error", out var e) ? e.GetString() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
