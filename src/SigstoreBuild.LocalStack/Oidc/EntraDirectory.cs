using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using SigstoreBuild.Diagnostics;

namespace SigstoreBuild.LocalStack.Oidc;

/// <summary>
/// Microsoft Entra ID tenants as MSAL sees them, on the instance's HTTPS listener (MSAL refuses plain HTTP
/// authorities): <c>/{tenant}/oauth2/v2.0/devicecode</c> and <c>/{tenant}/oauth2/v2.0/token</c>. Tokens carry the
/// tenant's issuer <c>{https}/{tenant}/v2.0</c>, which the local Fulcio trusts like the instance's own. Applications are
/// registered by tests: with a certificate (RFC 7523 <c>private_key_jwt</c> client assertions signed by its key) or with a
/// federated credential (a token of this instance's issuer for <see cref="FederatedAudience"/> with a given subject).
/// A person's device-code login reuses <see cref="OAuthLogins"/>: approve it at <c>{issuer}/oauth/device</c>.
/// </summary>
public sealed class EntraDirectory(OidcIssuer oidc, TimeProvider time)
{
    /// <summary>The audience Entra ID expects of a federated credential's token.</summary>
    public const string FederatedAudience = "api://AzureADTokenExchange";

    private readonly ConcurrentDictionary<string, byte> _tenants = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string Tenant, string ClientId), EntraApplication> _applications = new();
    private readonly ConcurrentDictionary<string, (string ClientId, string Secret)> _managedIdentities = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, DateTimeOffset> _spentAssertions = new(StringComparer.Ordinal);

    /// <summary>The HTTPS base URL; null when the instance was started without HTTPS.</summary>
    public string? BaseUrl { get; internal set; }

    /// <summary>The authority MSAL is given for <paramref name="tenant"/> (registering it).</summary>
    public string Authority(string tenant)
    {
        var name = Check(tenant);
        _tenants.TryAdd(name, 0);
        return $"{RequireHttps()}/{name}";
    }

    public string IssuerOf(string tenant) => $"{RequireHttps()}/{Check(tenant)}/v2.0";

    public string TokenEndpointOf(string tenant) => $"{RequireHttps()}/{Check(tenant)}/oauth2/v2.0/token";

    /// <summary>The subject of an application's tokens: a URI, so the local Fulcio certifies it as a URI SAN.</summary>
    public string ApplicationSubject(string tenant, string clientId) => $"{RequireHttps()}/{Check(tenant)}/applications/{clientId}";

    /// <summary>Registers (or replaces) an application that proves itself with <paramref name="certificate"/>'s key (RSA).</summary>
    public void RegisterCertificate(string tenant, string clientId, X509Certificate2 certificate)
    {
        Authority(tenant);
        _applications[(Check(tenant), clientId)] = new EntraApplication(X509CertificateLoader.LoadCertificate(certificate.RawData), null);
    }

    /// <summary>Registers an application that accepts this instance's tokens for <see cref="FederatedAudience"/> and <paramref name="subject"/>.</summary>
    public void RegisterFederation(string tenant, string clientId, string subject)
    {
        Authority(tenant);
        _applications[(Check(tenant), clientId)] = new EntraApplication(null, subject);
    }

    /// <summary>
    /// Gives the tenant a managed identity served as App Service serves one: <c>GET {http}/{tenant}/managed-identity/token</c>
    /// with the <c>X-IDENTITY-HEADER</c> secret (set IDENTITY_ENDPOINT and IDENTITY_HEADER for MSAL). Returns the endpoint.
    /// </summary>
    public string RegisterManagedIdentity(string tenant, string clientId, string secret)
    {
        Authority(tenant);
        _managedIdentities[Check(tenant)] = (clientId, secret);
        return $"{oidc.Issuer}/{Check(tenant)}/managed-identity/token";
    }

    /// <summary>The managed identity's client ID when the secret (and a user-assigned client ID, if asked for) match.</summary>
    internal string? AuthenticateManagedIdentity(string tenant, string? secret, string? clientId) =>
        _managedIdentities.TryGetValue(tenant, out var identity) && secret is not null
        && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(identity.Secret))
        && (clientId is null || clientId == identity.ClientId)
            ? identity.ClientId
            : null;

    /// <summary>True for the issuer of a tenant in use: the local Fulcio accepts its tokens.</summary>
    public bool IsTenantIssuer(string? issuer) =>
        issuer is not null && BaseUrl is not null && _tenants.Keys.Any(t => issuer == $"{BaseUrl}/{t}/v2.0");

    /// <summary>
    /// The client credentials grant: the client assertion is checked against the application's registration; null
    /// with the OAuth error when it is refused.
    /// </summary>
    internal (string? ClientId, string? Error) AuthenticateClient(string tenant, string? clientId, string? assertionType, string? assertion)
    {
        if (string.IsNullOrEmpty(clientId) || !_applications.TryGetValue((tenant, clientId), out var app))
        {
            return (null, "the application is not registered in this tenant");
        }

        if (assertionType != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" || string.IsNullOrEmpty(assertion))
        {
            return (null, "a jwt-bearer client_assertion is required");
        }

        if (app.FederatedSubject is { } subject)
        {
            JsonObject claims;
            try
            {
                claims = oidc.Validate(assertion, FederatedAudience);
            }
            catch (SigstoreException)
            {
                return (null, "the federated assertion is not a valid token of the trusted issuer for " + FederatedAudience);
            }

            return claims["sub"]?.GetValue<string>() == subject ? (clientId, null) : (null, "the federated assertion's subject does not match the federated credential");
        }

        return VerifyCertificateAssertion(tenant, clientId, app.Certificate!, assertion);
    }

    /// <summary>RFC 7523 §3: signed by the registered key, iss = sub = client ID, aud = the token endpoint, unexpired, used once.</summary>
    private (string? ClientId, string? Error) VerifyCertificateAssertion(string tenant, string clientId, X509Certificate2 certificate, string assertion)
    {
        var parts = assertion.Split('.');
        if (parts.Length != 3)
        {
            return (null, "the client assertion is not a compact JWS");
        }

        JsonObject header, claims;
        try
        {
            header = JsonNode.Parse(OidcIssuer.FromBase64Url(parts[0]))!.AsObject();
            claims = JsonNode.Parse(OidcIssuer.FromBase64Url(parts[1]))!.AsObject();
        }
        catch (Exception ex) when (ex is JsonException or FormatException or InvalidOperationException or NullReferenceException)
        {
            return (null, "the client assertion cannot be decoded");
        }

        using var key = certificate.GetRSAPublicKey();
        var padding = Text(header["alg"]) switch
        {
            "PS256" => RSASignaturePadding.Pss,
            "RS256" => RSASignaturePadding.Pkcs1,
            _ => null,
        };
        var data = Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]);
        bool signed;
        try
        {
            signed = key is not null && padding is not null && key.VerifyData(data, OidcIssuer.FromBase64Url(parts[2]), HashAlgorithmName.SHA256, padding);
        }
        catch (FormatException)
        {
            signed = false;
        }

        if (!signed)
        {
            return (null, "the client assertion is not signed by the registered certificate's key");
        }

        if (Text(claims["iss"]) != clientId || Text(claims["sub"]) != clientId)
        {
            return (null, "the client assertion's iss and sub must be the client ID");
        }

        if (Text(claims["aud"]) != TokenEndpointOf(tenant))
        {
            return (null, "the client assertion's audience must be the token endpoint");
        }

        var now = time.GetUtcNow();
        if (Seconds(claims["exp"]) is not { } exp || DateTimeOffset.FromUnixTimeSeconds(exp) < now - oidc.AllowedClockSkew
            || (Seconds(claims["nbf"]) is { } nbf && DateTimeOffset.FromUnixTimeSeconds(nbf) > now + oidc.AllowedClockSkew))
        {
            return (null, "the client assertion has expired or is not valid yet");
        }

        if (Text(claims["jti"]) is not { Length: > 0 } jti || !_spentAssertions.TryAdd(jti, DateTimeOffset.FromUnixTimeSeconds(exp)))
        {
            return (null, "the client assertion has no jti or was used before");
        }

        return (clientId, null);
    }

    /// <summary>An access token for an application; the scope <c>X/.default</c> makes <c>X</c> its audience.</summary>
    internal string MintApplicationToken(string tenant, string clientId, string scope) => oidc.Mint(new TokenRequest
    {
        Issuer = IssuerOf(tenant),
        Subject = ApplicationSubject(tenant, clientId),
        Audience = scope.EndsWith("/.default", StringComparison.Ordinal) ? scope[..^"/.default".Length] : scope,
        Claims = new() { ["azp"] = clientId, ["appid"] = clientId, ["tid"] = tenant, ["ver"] = "2.0" },
    });

    /// <summary>The ID token of a person's login, with the Entra claims MSAL builds its account from.</summary>
    internal string MintUserToken(string tenant, string clientId, string login) => oidc.Mint(new TokenRequest
    {
        Issuer = IssuerOf(tenant),
        Subject = login,
        Audience = clientId,
        Claims = new() { ["tid"] = tenant, ["oid"] = ObjectId(login), ["preferred_username"] = login, ["ver"] = "2.0" },
    });

    /// <summary>MSAL's <c>client_info</c>: the account's object ID and tenant, base64url JSON.</summary>
    internal static string ClientInfo(string tenant, string login) =>
        OidcIssuer.Base64Url(Encoding.UTF8.GetBytes(new JsonObject { ["uid"] = ObjectId(login), ["utid"] = tenant }.ToJsonString()));

    internal bool IsTenant(string tenant) => _tenants.ContainsKey(tenant);

    private static string ObjectId(string login) => new Guid(SHA256.HashData(Encoding.UTF8.GetBytes(login))[..16]).ToString("D");

    private string RequireHttps() => BaseUrl ?? throw new SigstoreException(LocalStackCodes.TokenRequestInvalid,
        "Entra ID tenants need the instance's HTTPS listener: start it with LocalSigstoreOptions.Https = true.");

    private static string Check(string tenant) =>
        tenant.Length > 0 && tenant.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '-' or '.')
            ? tenant
            : throw new ArgumentException("A tenant name is lower-case letters, digits, '-' and '.' (MSAL lower-cases authorities).", nameof(tenant));

    private static string? Text(JsonNode? node) => node is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;

    /// <summary>MSAL writes nbf and exp as strings; RFC 7519 as numbers. Both are accepted.</summary>
    private static long? Seconds(JsonNode? node) => node switch
    {
        JsonValue v when v.GetValueKind() == JsonValueKind.Number => v.GetValue<long>(),
        JsonValue v when v.GetValueKind() == JsonValueKind.String && long.TryParse(v.GetValue<string>(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var s) => s,
        _ => null,
    };

    private sealed record EntraApplication(X509Certificate2? Certificate, string? FederatedSubject);
}
