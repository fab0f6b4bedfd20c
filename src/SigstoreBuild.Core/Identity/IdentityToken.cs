using System.Text.Json;
using SigstoreBuild.Diagnostics;

namespace SigstoreBuild.Identity;

/// <summary>
/// An OIDC identity token for Fulcio. Claims are read without verifying the signature (Fulcio verifies it); the raw
/// token is reachable only inside the library and never appears in <see cref="ToString"/>, messages or logs.
/// </summary>
public sealed class IdentityToken
{
    /// <summary>Issuers whose Fulcio identity (and proof-of-possession challenge) is the email claim.</summary>
    private static readonly HashSet<string> EmailIssuers = new(StringComparer.Ordinal)
    {
        "https://accounts.google.com",
        "https://oauth2.sigstore.dev/auth",
        "https://oauth2.sigstage.dev/auth",
    };

    private readonly string _raw;

    private IdentityToken(string raw, JsonElement claims)
    {
        _raw = raw;
        Issuer = GetString(claims, "iss") ?? throw Malformed("it has no 'iss' claim");
        Subject = GetString(claims, "sub") ?? throw Malformed("it has no 'sub' claim");
        Email = GetString(claims, "email");
        EmailVerified = claims.TryGetProperty("email_verified", out var ev) && ev.ValueKind == JsonValueKind.True;
        Audiences = claims.TryGetProperty("aud", out var aud) ? aud.ValueKind switch
        {
            JsonValueKind.String => [aud.GetString()!],
            JsonValueKind.Array => aud.EnumerateArray().Where(a => a.ValueKind == JsonValueKind.String).Select(a => a.GetString()!).ToArray(),
            _ => [],
        } : [];
        ExpiresAt = GetTime(claims, "exp");
        IssuedAt = GetTime(claims, "iat");
        Nonce = GetString(claims, "nonce");
        JobWorkflowRef = GetString(claims, "job_workflow_ref");
        CiConfigRefUri = GetString(claims, "ci_config_ref_uri");
        if (claims.TryGetProperty("federated_claims", out var fed) && fed.ValueKind == JsonValueKind.Object)
        {
            FederatedIssuer = GetString(fed, "connector_id");
        }
    }

    public string Issuer { get; }

    public string Subject { get; }

    public string? Email { get; }

    public bool EmailVerified { get; }

    public IReadOnlyList<string> Audiences { get; }

    public DateTimeOffset? ExpiresAt { get; }

    public DateTimeOffset? IssuedAt { get; }

    public string? Nonce { get; }

    /// <summary>GitHub Actions: the workflow reference Fulcio puts in the certificate's URI SAN.</summary>
    public string? JobWorkflowRef { get; }

    /// <summary>GitLab CI: the pipeline config reference Fulcio puts in the certificate's URI SAN.</summary>
    public string? CiConfigRefUri { get; }

    /// <summary>Sigstore's federated Dex: the upstream issuer Fulcio records in the certificate.</summary>
    public string? FederatedIssuer { get; }

    /// <summary>The issuer Fulcio is expected to record in the certificate (extension 1.3.6.1.4.1.57264.1.8).</summary>
    public string CertificateIssuer => FederatedIssuer is { Length: > 0 } && EmailIssuers.Contains(Issuer) ? FederatedIssuer : Issuer;

    /// <summary>True for issuers whose identity is an email address (Fulcio's email principal).</summary>
    public bool IsEmailIdentity => EmailIssuers.Contains(Issuer) && Email is not null;

    /// <summary>What Fulcio expects the proof of possession to sign: the email for email issuers, else <c>sub</c>.</summary>
    public string ProofOfPossessionChallenge => IsEmailIdentity ? Email! : Subject;

    /// <summary>The compact JWT. Internal: only HTTP clients sending it to Fulcio read it.</summary>
    internal string RawValue => _raw;

    public static IdentityToken Parse(string jwt)
    {
        ArgumentNullException.ThrowIfNull(jwt);
        jwt = jwt.Trim();
        var parts = jwt.Split('.');
        if (parts.Length != 3 || parts[1].Length == 0)
        {
            throw Malformed("it is not a compact JWT (header.payload.signature)");
        }

        byte[] payload;
        try
        {
            payload = Base64UrlDecode(parts[1]);
        }
        catch (FormatException)
        {
            throw Malformed("its payload is not base64url");
        }

        try
        {
            using var doc = JsonDocument.Parse(payload, new JsonDocumentOptions { MaxDepth = 16 });
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw Malformed("its payload is not a JSON object");
            }

            return new IdentityToken(jwt, doc.RootElement.Clone());
        }
        catch (JsonException)
        {
            throw Malformed("its payload is not JSON");
        }
    }

    /// <summary>True when the token is expired at <paramref name="now"/> or will be within <paramref name="margin"/>.</summary>
    public bool IsExpired(DateTimeOffset now, TimeSpan margin) => ExpiresAt is { } exp && exp - margin <= now;

    public override string ToString() => $"IdentityToken(iss={Issuer}, sub={Subject}, exp={ExpiresAt:O}, value=<redacted>)";

    internal static byte[] Base64UrlDecode(string value)
    {
        var s = value.Replace('-', '+').Replace('_', '/');
        s = s.PadRight(s.Length + ((4 - (s.Length % 4)) % 4), '=');
        return Convert.FromBase64String(s);
    }

    internal static string Base64UrlEncode(ReadOnlySpan<byte> data) =>
        Convert.ToBase64String(data).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static string? GetString(JsonElement obj, string name) =>
        obj.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static DateTimeOffset? GetTime(JsonElement obj, string name) =>
        obj.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out var seconds)
            ? DateTimeOffset.FromUnixTimeSeconds(seconds)
            : null;

    private static SigstoreException Malformed(string why) =>
        new(IdentityCodes.MalformedToken, $"The identity token is unusable: {why}. Pass the raw OIDC ID token (a JWT) issued for audience 'sigstore'.");
}
