using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using SigstoreBuild.Diagnostics;
using SigstoreBuild.LocalStack.Faults;
using SigstoreBuild.LocalStack.Http;

namespace SigstoreBuild.LocalStack.Oidc;

/// <summary>The OIDC issuer: discovery, keys, and <c>GET /token</c> for tests and the demo.</summary>
internal static class OidcIssuerEndpoints
{
    public static void Map(WebApplication app, Func<LocalSigstoreServices> services)
    {
        app.MapGet("/.well-known/openid-configuration", () => Results.Json(services().Oidc.DiscoveryDocument()));
        app.MapGet("/.well-known/jwks", () => Results.Json(services().Oidc.Jwks()));
        app.MapGet("/token", (HttpContext context) => Handlers.Guard(() => MintToken(context, services())));
        app.MapGet("/oauth/authorize", (HttpContext context) => Authorize(context, services()));
        Handlers.MapPost(app, "/oauth/device/code", services, StartDeviceAsync);
        app.MapGet("/oauth/device", (HttpContext context) => ApproveDevice(context, services()));
        Handlers.MapPost(app, "/oauth/token", services, RedeemAsync);
    }

    /// <summary>
    /// The browser login: the "user" is whoever opens this URL with <c>login=&lt;email&gt;</c>; they are sent back to the
    /// client's loopback redirect with a code bound to its PKCE challenge.
    /// </summary>
    private static IResult Authorize(HttpContext context, LocalSigstoreServices services)
    {
        var query = context.Request.Query;
        string? Get(string name) => query[name].FirstOrDefault();
        if (Get("response_type") != "code" || Get("client_id") is not { Length: > 0 } clientId || Get("redirect_uri") is not { Length: > 0 } redirect
            || Get("code_challenge") is not { Length: > 0 } challenge || Get("code_challenge_method") != "S256")
        {
            return Handlers.Error(400, $"{LocalStackCodes.TokenRequestInvalid}: an authorization request needs response_type=code, client_id, redirect_uri and an S256 code_challenge.");
        }

        if (!Uri.TryCreate(redirect, UriKind.Absolute, out var redirectUri) || !redirectUri.IsLoopback || redirectUri.Scheme != Uri.UriSchemeHttp)
        {
            return Handlers.Error(400, $"{LocalStackCodes.TokenRequestInvalid}: redirect_uri must be an http loopback URL (RFC 8252).");
        }

        if (Get("login") is not { Length: > 0 } login)
        {
            return Results.Text("Log in: open this URL again with &login=<email>.", "text/plain");
        }

        var code = services.Oidc.Logins.IssueCode(clientId, redirect, challenge, Get("nonce"), login);
        return Results.Redirect($"{redirect}{(redirect.Contains('?', StringComparison.Ordinal) ? "&" : "?")}code={Uri.EscapeDataString(code)}&state={Uri.EscapeDataString(Get("state") ?? "")}");
    }

    private static async Task<IResult> StartDeviceAsync(HttpContext context, LocalSigstoreServices services)
    {
        var form = await context.Request.ReadFormAsync(context.RequestAborted);
        if (form["client_id"].FirstOrDefault() is not { Length: > 0 } clientId)
        {
            return OAuthError("invalid_request", "client_id is required");
        }

        var device = services.Oidc.Logins.StartDevice(clientId);
        var verification = services.Oidc.Issuer + "/oauth/device";
        return Results.Json(new JsonObject
        {
            ["device_code"] = device.DeviceCode,
            ["user_code"] = device.UserCode,
            ["verification_uri"] = verification,
            ["verification_uri_complete"] = verification + "?user_code=" + device.UserCode,
            ["expires_in"] = 300,
            ["interval"] = 1,
        });
    }

    /// <summary>The verification page: <c>?user_code=XXXX-XXXX&amp;login=&lt;email&gt;</c> approves the device as that user.</summary>
    private static IResult ApproveDevice(HttpContext context, LocalSigstoreServices services)
    {
        var query = context.Request.Query;
        if (query["user_code"].FirstOrDefault() is not { Length: > 0 } userCode || query["login"].FirstOrDefault() is not { Length: > 0 } login)
        {
            return Results.Text("Enter the code: open this URL with ?user_code=XXXX-XXXX&login=<email>.", "text/plain");
        }

        return services.Oidc.Logins.ApproveDevice(userCode, login)
            ? Results.Text($"Logged in as {login}. You can return to the terminal.", "text/plain")
            : Handlers.Error(400, $"{LocalStackCodes.TokenRequestInvalid}: no pending device login has the code '{userCode}'.");
    }

    /// <summary>The token endpoint (RFC 6749 §3.2): an ID token for the client, whose ID is its audience.</summary>
    private static async Task<IResult> RedeemAsync(HttpContext context, LocalSigstoreServices services)
    {
        var form = await context.Request.ReadFormAsync(context.RequestAborted);
        string? Get(string name) => form[name].FirstOrDefault();
        var clientId = Get("client_id");
        if (string.IsNullOrEmpty(clientId))
        {
            return OAuthError("invalid_client", "client_id is required");
        }

        string login;
        string? nonce = null;
        switch (Get("grant_type"))
        {
            case "authorization_code":
                var redeemed = services.Oidc.Logins.RedeemCode(Get("code") ?? "", clientId, Get("redirect_uri") ?? "", Get("code_verifier") ?? "");
                if (redeemed is null)
                {
                    return OAuthError("invalid_grant", "the code is unknown, spent, expired, or not for this client, redirect URI and code verifier");
                }

                (login, nonce) = (redeemed.Login, redeemed.Nonce);
                break;
            case "urn:ietf:params:oauth:grant-type:device_code":
                var (known, approved) = services.Oidc.Logins.PollDevice(Get("device_code") ?? "", clientId);
                if (!known)
                {
                    return OAuthError("expired_token", "the device code is unknown, spent or expired");
                }

                if (approved is null)
                {
                    return OAuthError("authorization_pending", "the user has not logged in yet");
                }

                login = approved.Login!;
                break;
            default:
                return OAuthError("unsupported_grant_type", "use authorization_code or the device_code grant");
        }

        var request = new TokenRequest { Subject = login, Audience = clientId, Claims = nonce is null ? [] : new() { ["nonce"] = nonce } };
        var token = services.Oidc.Mint(request);
        return Results.Json(new JsonObject { ["access_token"] = token, ["id_token"] = token, ["token_type"] = "Bearer", ["expires_in"] = 600 });
    }

    private static IResult OAuthError(string error, string description) =>
        Results.Json(new JsonObject { ["error"] = error, ["error_description"] = description }, statusCode: 400);

    private static IResult MintToken(HttpContext context, LocalSigstoreServices services)
    {
        var query = context.Request.Query;
        var subject = query["sub"].FirstOrDefault();
        if (string.IsNullOrEmpty(subject))
        {
            return Handlers.Error(400, $"{LocalStackCodes.TokenRequestInvalid}: pass sub=... (an email, a URI, or any subject with preset=github-actions).");
        }

        var claims = new Dictionary<string, JsonNode?>(StringComparer.Ordinal);
        if (string.Equals(query["preset"], "github-actions", StringComparison.Ordinal))
        {
            foreach (var (name, value) in TokenRequest.GitHubActionsClaims(query["repository"].FirstOrDefault() ?? "octo-org/octo-repo"))
            {
                claims[name] = value;
            }
        }

        foreach (var name in OidcIssuer.GitHubClaimNames)
        {
            if (query[name].FirstOrDefault() is { Length: > 0 } value)
            {
                claims[name] = value;
            }
        }

        var now = services.Time.GetUtcNow();
        var fault = FaultInjection.Taken(context);
        var audience = query["aud"].FirstOrDefault() ?? query["audience"].FirstOrDefault() ?? "sigstore";
        using var rogue = fault == FaultKind.ForgedToken ? ECDsa.Create(ECCurve.NamedCurves.nistP256) : null;
        var request = new TokenRequest
        {
            Subject = subject,
            Audience = fault == FaultKind.WrongAudience ? "not-" + audience : audience,
            Email = query["email"].FirstOrDefault(),
            EmailVerified = !string.Equals(query["email_verified"], "false", StringComparison.OrdinalIgnoreCase),
            Lifetime = int.TryParse(query["ttl"], NumberStyles.None, CultureInfo.InvariantCulture, out var ttl) ? TimeSpan.FromSeconds(ttl) : TimeSpan.FromMinutes(10),
            IssuedAt = fault == FaultKind.ExpiredToken ? now.AddHours(-2) : null,
            ExpiresAt = fault == FaultKind.ExpiredToken ? now.AddHours(-1) : null,
            Algorithm = query["alg"].FirstOrDefault() ?? "ES256",
            SigningKey = rogue,
            Claims = claims,
        };
        var token = services.Oidc.Mint(request);

        // GitHub's ACTIONS_ID_TOKEN_REQUEST_URL answers {"value": token}; plain text otherwise.
        return string.Equals(query["format"], "json", StringComparison.Ordinal)
            ? Results.Json(new JsonObject { ["count"] = 1, ["value"] = token })
            : Results.Text(token, "text/plain");
    }
}
