using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;

namespace SigstoreBuild.LocalStack.Oidc;

/// <summary>
/// The OAuth side of the local issuer, enough for the login flows a signer runs: the authorization code flow with PKCE
/// (RFC 7636; the browser login) and the device authorization grant (RFC 8628). There is no real user: whoever opens the
/// authorization or verification URL with <c>login=&lt;email&gt;</c> logs in as that email. Codes are single-use and
/// expire after five minutes.
/// </summary>
public sealed class OAuthLogins(TimeProvider time)
{
    private static readonly TimeSpan CodeLifetime = TimeSpan.FromMinutes(5);
    private readonly ConcurrentDictionary<string, AuthorizationCode> _codes = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, DeviceAuthorization> _devices = new(StringComparer.Ordinal);

    /// <summary>Every device authorization started, newest last (tests read the user code a client was given).</summary>
    public IReadOnlyList<DeviceAuthorization> DeviceAuthorizations => [.. _devices.Values.OrderBy(d => d.StartedAt)];

    public string IssueCode(string clientId, string redirectUri, string codeChallenge, string? nonce, string login)
    {
        var code = Random();
        _codes[code] = new AuthorizationCode(clientId, redirectUri, codeChallenge, nonce, login, time.GetUtcNow() + CodeLifetime);
        return code;
    }

    /// <summary>The login of a valid code for this client, redirect and PKCE verifier; the code is spent either way.</summary>
    public AuthorizationCode? RedeemCode(string code, string clientId, string redirectUri, string codeVerifier)
    {
        if (!_codes.TryRemove(code, out var issued) || issued.ExpiresAt < time.GetUtcNow())
        {
            return null;
        }

        var challenge = OidcIssuer.Base64Url(SHA256.HashData(Encoding.ASCII.GetBytes(codeVerifier)));
        return issued.ClientId == clientId && issued.RedirectUri == redirectUri && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(challenge), Encoding.ASCII.GetBytes(issued.CodeChallenge))
            ? issued
            : null;
    }

    public DeviceAuthorization StartDevice(string clientId)
    {
        // RFC 8628's recommended user code shape: eight characters of a 20-letter alphabet, no vowels.
        const string Alphabet = "BCDFGHJKLMNPQRSTVWXZ";
        var user = string.Concat(Enumerable.Range(0, 8).Select(_ => Alphabet[RandomNumberGenerator.GetInt32(Alphabet.Length)]));
        var device = new DeviceAuthorization(Random(), user[..4] + "-" + user[4..], clientId, time.GetUtcNow());
        _devices[device.DeviceCode] = device;
        return device;
    }

    /// <summary>The user opened the verification URL, entered the code and logged in as <paramref name="login"/>.</summary>
    public bool ApproveDevice(string userCode, string login)
    {
        var device = _devices.Values.FirstOrDefault(d => string.Equals(d.UserCode, userCode, StringComparison.OrdinalIgnoreCase));
        if (device is null || device.Spent || device.StartedAt + CodeLifetime < time.GetUtcNow())
        {
            return false;
        }

        device.Login = login;
        return true;
    }

    /// <summary>Null while the user has not approved (authorization_pending); the login once, then the code is spent.</summary>
    public (bool Known, DeviceAuthorization? Approved) PollDevice(string deviceCode, string clientId)
    {
        if (!_devices.TryGetValue(deviceCode, out var device) || device.ClientId != clientId || device.Spent || device.StartedAt + CodeLifetime < time.GetUtcNow())
        {
            return (false, null);
        }

        if (device.Login is null)
        {
            return (true, null);
        }

        // Kept, spent, so the list of logins stays complete.
        device.Spent = true;
        return (true, device);
    }

    private static string Random() => OidcIssuer.Base64Url(RandomNumberGenerator.GetBytes(32));
}

public sealed record AuthorizationCode(string ClientId, string RedirectUri, string CodeChallenge, string? Nonce, string Login, DateTimeOffset ExpiresAt);

public sealed class DeviceAuthorization(string deviceCode, string userCode, string clientId, DateTimeOffset startedAt)
{
    public string DeviceCode { get; } = deviceCode;

    public string UserCode { get; } = userCode;

    public string ClientId { get; } = clientId;

    public DateTimeOffset StartedAt { get; } = startedAt;

    /// <summary>Who approved it; null while pending.</summary>
    public string? Login { get; set; }

    /// <summary>Its ID token was issued: the device code cannot be used again.</summary>
    public bool Spent { get; set; }
}
