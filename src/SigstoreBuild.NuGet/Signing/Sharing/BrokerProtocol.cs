using System.Buffers.Binary;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace SigstoreBuild.NuGet.Signing.Sharing;

/// <summary>
/// The wire format between a build's nodes: length-prefixed JSON messages over a Unix domain socket, one request per
/// connection, after a mutual challenge-response on the scope key (neither side sends anything of value before the other
/// has proven it is part of the same build).
/// <code>
/// client: {"v": Version, "nonce": b64}
/// broker: {"proof": HMAC(key, "broker", client nonce), "nonce": b64}
/// client: {"proof": HMAC(key, "client", broker nonce, client nonce), "op": "ping" | "sign", "payload": b64, "sha256": hex}
/// broker: {"pid": n} | {"bundle": b64} | {"error": {"code": "SSBxxxx", "message": "..."}}
/// </code>
/// </summary>
internal static class BrokerProtocol
{
    public const string Version = "sigstorebuild-signing-session/1";
    public const int NonceLength = 32;

    /// <summary>A statement with a large dependency graph, or its bundle; anything larger is not ours.</summary>
    public const int MaxMessageBytes = 64 * 1024 * 1024;

    private static readonly JsonDocumentOptions ReadOptions = new() { AllowDuplicateProperties = false, MaxDepth = 16 };

    public static Socket NewSocket() => new(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);

    public static async Task WriteAsync(Stream stream, JsonObject message, CancellationToken cancellationToken)
    {
        var body = Encoding.UTF8.GetBytes(message.ToJsonString());
        var frame = new byte[4 + body.Length];
        BinaryPrimitives.WriteInt32BigEndian(frame, body.Length);
        body.CopyTo(frame, 4);
        await stream.WriteAsync(frame, cancellationToken).ConfigureAwait(false);
        await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The next message; <see cref="InvalidDataException"/> for anything that is not one.</summary>
    public static async Task<JsonObject> ReadAsync(Stream stream, CancellationToken cancellationToken)
    {
        var header = new byte[4];
        await stream.ReadExactlyAsync(header, cancellationToken).ConfigureAwait(false);
        var length = BinaryPrimitives.ReadInt32BigEndian(header);
        if (length is <= 0 or > MaxMessageBytes)
        {
            throw new InvalidDataException($"A message of {length} bytes is outside the protocol's limits.");
        }

        var body = new byte[length];
        await stream.ReadExactlyAsync(body, cancellationToken).ConfigureAwait(false);
        try
        {
            return JsonNode.Parse(body, documentOptions: ReadOptions) as JsonObject
                ?? throw new InvalidDataException("A message is not a JSON object.");
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException("A message is not valid JSON.", ex);
        }
    }

    public static byte[] NewNonce() => RandomNumberGenerator.GetBytes(NonceLength);

    public static byte[] Proof(ReadOnlySpan<byte> key, string role, params byte[][] nonces)
    {
        using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, key);
        hmac.AppendData(Encoding.ASCII.GetBytes(Version + "\0" + role + "\0"));
        foreach (var nonce in nonces)
        {
            hmac.AppendData(nonce);
        }

        return hmac.GetHashAndReset();
    }

    public static bool ProofMatches(JsonObject message, byte[] expected) =>
        Bytes(message, "proof") is { } proof && CryptographicOperations.FixedTimeEquals(proof, expected);

    public static byte[]? Bytes(JsonObject message, string name)
    {
        if (message[name] is not JsonValue value || !value.TryGetValue<string>(out var text))
        {
            return null;
        }

        try
        {
            return Convert.FromBase64String(text);
        }
        catch (FormatException)
        {
            return null;
        }
    }

    public static string? Text(JsonObject message, string name) =>
        message[name] is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;
}
