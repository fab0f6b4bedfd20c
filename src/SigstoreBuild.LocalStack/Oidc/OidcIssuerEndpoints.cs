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
    }

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
