using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using SigstoreBuild.Diagnostics;

namespace SigstoreBuild.LocalStack.Oidc;

/// <summary>
/// A minimal OpenID Connect issuer for tests: a discovery document, a JWKS, ES256 or RS256 JWTs minted on request, and
/// the browser and device-code logins (<see cref="OAuthLogins"/>).
/// It also validates its own tokens for the local Fulcio (signature, issuer, audience, expiry).
/// </summary>
public sealed class OidcIssuer
{
    /// <summary>Claims copied from a token request into the token, as GitHub Actions issues them.</summary>
    public static readonly IReadOnlyList<string> GitHubClaimNames =
    [
        "repository", "repository_id", "repository_owner", "repository_owner_id", "repository_visibility", "ref", "ref_type",
        "sha", "workflow", "workflow_ref", "workflow_sha", "job_workflow_ref", "job_workflow_sha", "runner_environment",
        "event_name", "run_id", "run_number", "run_attempt", "actor", "actor_id", "environment", "head_ref", "base_ref",
    ];

    private readonly ECDsa _ecKey;
    private readonly RSA _rsaKey;
    private readonly TimeProvider _time;

    public OidcIssuer(string issuer, ECDsa ecKey, RSA rsaKey, TimeProvider time)
    {
        Issuer = issuer;
        _ecKey = ecKey;
        _rsaKey = rsaKey;
        _time = time;
        EcKeyId = KeyId(ecKey.ExportSubjectPublicKeyInfo());
        RsaKeyId = KeyId(rsaKey.ExportSubjectPublicKeyInfo());
        Logins = new OAuthLogins(time);
        Entra = new EntraDirectory(this, time);
    }

    /// <summary>Entra ID tenants served to MSAL on the HTTPS listener; their issuers are trusted like this one.</summary>
    public EntraDirectory Entra { get; }

    /// <summary>The browser and device-code logins in progress.</summary>
    public OAuthLogins Logins { get; }

    public string Issuer { get; set; }

    public string EcKeyId { get; }

    public string RsaKeyId { get; }

    public TimeSpan AllowedClockSkew { get; set; } = TimeSpan.FromMinutes(1);

    public JsonObject DiscoveryDocument() => new()
    {
        ["issuer"] = Issuer,
        ["jwks_uri"] = Issuer + "/.well-known/jwks",
        ["authorization_endpoint"] = Issuer + "/oauth/authorize",
        ["device_authorization_endpoint"] = Issuer + "/oauth/device/code",
        ["token_endpoint"] = Issuer + "/oauth/token",
        ["response_types_supported"] = new JsonArray("code", "id_token"),
        ["grant_types_supported"] = new JsonArray("authorization_code", "urn:ietf:params:oauth:grant-type:device_code"),
        ["code_challenge_methods_supported"] = new JsonArray("S256"),
        ["subject_types_supported"] = new JsonArray("public"),
        ["id_token_signing_alg_values_supported"] = new JsonArray("ES256", "RS256"),
        ["claims_supported"] = new JsonArray("sub", "aud", "exp", "iat", "iss", "email", "email_verified"),
    };

    public JsonObject Jwks()
    {
        var ec = _ecKey.ExportParameters(false);
        var rsa = _rsaKey.ExportParameters(false);
        return new JsonObject
        {
            ["keys"] = new JsonArray(
                new JsonObject
                {
                    ["kty"] = "EC", ["crv"] = "P-256", ["alg"] = "ES256", ["use"] = "sig", ["kid"] = EcKeyId,
                    ["x"] = Base64Url(ec.Q.X!), ["y"] = Base64Url(ec.Q.Y!),
                },
                new JsonObject
                {
                    ["kty"] = "RSA", ["alg"] = "RS256", ["use"] = "sig", ["kid"] = RsaKeyId,
                    ["n"] = Base64Url(rsa.Modulus!), ["e"] = Base64Url(rsa.Exponent!),
                }),
        };
    }

    /// <summary>Mints a signed JWT for <paramref name="request"/>.</summary>
    public string Mint(TokenRequest request)
    {
        if (string.IsNullOrEmpty(request.Subject))
        {
            throw new SigstoreException(LocalStackCodes.TokenRequestInvalid, "A token needs a subject. Pass sub=... to /token.");
        }

        var now = request.IssuedAt ?? _time.GetUtcNow();
        var claims = new JsonObject
        {
            ["iss"] = request.Issuer ?? Issuer,
            ["sub"] = request.Subject,
            ["aud"] = request.Audience,
            ["iat"] = now.ToUnixTimeSeconds(),
            ["nbf"] = now.ToUnixTimeSeconds(),
            ["exp"] = (request.ExpiresAt ?? now + request.Lifetime).ToUnixTimeSeconds(),
            ["jti"] = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)),
        };
        var email = request.Email ?? (request.Subject.Contains('@', StringComparison.Ordinal) && !request.Subject.Contains(':', StringComparison.Ordinal) ? request.Subject : null);
        if (email is not null)
        {
            claims["email"] = email;
            claims["email_verified"] = request.EmailVerified;
        }

        foreach (var (name, value) in request.Claims)
        {
            claims[name] = value;
        }

        var useRsa = string.Equals(request.Algorithm, "RS256", StringComparison.Ordinal);
        var header = new JsonObject { ["alg"] = useRsa ? "RS256" : "ES256", ["kid"] = useRsa ? RsaKeyId : EcKeyId, ["typ"] = "JWT" };
        var signingInput = Base64Url(Encoding.UTF8.GetBytes(header.ToJsonString())) + "." + Base64Url(Encoding.UTF8.GetBytes(claims.ToJsonString()));
        var data = Encoding.ASCII.GetBytes(signingInput);
        byte[] signature;
        if (request.SigningKey is { } rogue)
        {
            signature = rogue.SignData(data, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        }
        else
        {
            signature = useRsa
                ? _rsaKey.SignData(data, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)
                : _ecKey.SignData(data, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        }

        return signingInput + "." + Base64Url(signature);
    }

    /// <summary>Validates a token this issuer minted; returns its claims or throws SSB6101.</summary>
    public JsonObject Validate(string? token, string audience = "sigstore")
    {
        if (string.IsNullOrEmpty(token))
        {
            throw Rejected("no token was presented");
        }

        var parts = token.Split('.');
        if (parts.Length != 3)
        {
            throw Rejected("it is not a compact JWS");
        }

        JsonObject header, claims;
        byte[] signature;
        try
        {
            header = JsonNode.Parse(FromBase64Url(parts[0]))!.AsObject();
            claims = JsonNode.Parse(FromBase64Url(parts[1]))!.AsObject();
            signature = FromBase64Url(parts[2]);
        }
        catch (Exception ex) when (ex is JsonException or FormatException or InvalidOperationException or NullReferenceException)
        {
            throw Rejected("its header or payload cannot be decoded");
        }

        var alg = header["alg"]?.GetValue<string>();
        var kid = header["kid"]?.GetValue<string>();
        var data = Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]);
        var valid = (alg, kid) switch
        {
            ("ES256", var k) when k == EcKeyId || k is null => _ecKey.VerifyData(data, signature, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation),
            ("RS256", var k) when k == RsaKeyId || k is null => _rsaKey.VerifyData(data, signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1),
            _ => false,
        };
        if (!valid)
        {
            throw Rejected("its signature does not verify with the issuer's keys");
        }

        var issuer = claims["iss"]?.GetValue<string>();
        if (issuer != Issuer && !Entra.IsTenantIssuer(issuer))
        {
            throw Rejected("it was issued by another issuer");
        }

        var audienceValid = claims["aud"] switch
        {
            JsonArray array => array.Any(a => a?.GetValue<string>() == audience),
            JsonValue value => value.GetValue<string>() == audience,
            _ => false,
        };
        if (!audienceValid)
        {
            throw Rejected($"its audience is not '{audience}'");
        }

        var now = _time.GetUtcNow().ToUnixTimeSeconds();
        var exp = claims["exp"]?.GetValue<long>() ?? throw Rejected("it has no expiry");
        if (exp <= now - (long)AllowedClockSkew.TotalSeconds)
        {
            throw Rejected("it has expired");
        }

        if (claims["nbf"]?.GetValue<long>() is { } nbf && nbf > now + (long)AllowedClockSkew.TotalSeconds)
        {
            throw Rejected("it is not valid yet");
        }

        return claims;
    }

    private static SigstoreException Rejected(string why) =>
        new(LocalStackCodes.IdentityTokenRejected, $"The identity token was rejected because {why}. Mint a fresh token from this instance's /token endpoint.");

    private static string KeyId(byte[] spki) => Base64Url(SHA256.HashData(spki))[..16];

    public static string Base64Url(byte[] data) => Convert.ToBase64String(data).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public static byte[] FromBase64Url(string text)
    {
        var s = text.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(s.PadRight(s.Length + ((4 - (s.Length % 4)) % 4), '='));
    }
}

/// <summary>What to put in a minted identity token. Unusual values (expired, other issuer, rogue key) serve fault tests.</summary>
public sealed class TokenRequest
{
    public required string Subject { get; init; }

    public string Audience { get; init; } = "sigstore";

    /// <summary>Email claim; defaults to the subject when the subject looks like an email address.</summary>
    public string? Email { get; init; }

    public bool EmailVerified { get; init; } = true;

    public TimeSpan Lifetime { get; init; } = TimeSpan.FromMinutes(10);

    public DateTimeOffset? IssuedAt { get; init; }

    public DateTimeOffset? ExpiresAt { get; init; }

    /// <summary>"ES256" (default) or "RS256".</summary>
    public string Algorithm { get; init; } = "ES256";

    /// <summary>Overrides the iss claim (a token from "another issuer").</summary>
    public string? Issuer { get; init; }

    /// <summary>Signs with this key instead of the issuer's (a forged token).</summary>
    public ECDsa? SigningKey { get; init; }

    /// <summary>Extra claims, e.g. the GitHub Actions ones.</summary>
    public Dictionary<string, JsonNode?> Claims { get; init; } = new(StringComparer.Ordinal);

    /// <summary>Claims a GitHub Actions token carries for <paramref name="repository"/> (owner/name) and workflow file.</summary>
    public static Dictionary<string, JsonNode?> GitHubActionsClaims(string repository = "octo-org/octo-repo", string workflowPath = ".github/workflows/release.yml",
        string reference = "refs/heads/main", string sha = "0123456789abcdef0123456789abcdef01234567")
    {
        var owner = repository.Split('/')[0];
        return new Dictionary<string, JsonNode?>(StringComparer.Ordinal)
        {
            ["repository"] = repository,
            ["repository_id"] = "123456789",
            ["repository_owner"] = owner,
            ["repository_owner_id"] = "987654321",
            ["repository_visibility"] = "public",
            ["ref"] = reference,
            ["ref_type"] = "branch",
            ["sha"] = sha,
            ["workflow"] = "Release",
            ["workflow_ref"] = $"{repository}/{workflowPath}@{reference}",
            ["workflow_sha"] = sha,
            ["job_workflow_ref"] = $"{repository}/{workflowPath}@{reference}",
            ["job_workflow_sha"] = sha,
            ["runner_environment"] = "github-hosted",
            ["event_name"] = "push",
            ["run_id"] = "1000",
            ["run_number"] = "7",
            ["run_attempt"] = "1",
        };
    }
}
