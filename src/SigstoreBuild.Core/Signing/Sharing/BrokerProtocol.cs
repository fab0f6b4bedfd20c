using System.Buffers.Binary;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace SigstoreBuild.Signing.Sharing;

/// <summary>
/// The wire format between a build's nodes: length-prefixed JSON frames over a Unix domain socket, one request per
/// connection. Both sides prove knowledge of the scope key before anything of value is sent, and the request and the
/// response are each bound by a MAC to that connection's nonces, so a process that relays the connection without the key
/// can neither change what is signed nor what is returned, and a captured exchange cannot be replayed.
/// <code>
/// client: {"v": Version, "nonce": b64}                                      (small frames until both are proven)
/// broker: {"proof": MAC("broker", client nonce), "nonce": b64}
/// client: {"proof": MAC("client", broker nonce, client nonce)}
/// client: {"body": b64(request), "mac": MAC("request", broker nonce, client nonce, request)}
/// broker: {"body": b64(response), "mac": MAC("response", client nonce, broker nonce, response)}
/// request:  {"op": "ping"} | {"op": "sign", "payload": b64 statement, "sha256": hex}
/// response: {"pid": n} | {"bundle": b64} | {"error": {"code": "SSBxxxx", "message": "..."}}
/// </code>
/// </summary>
internal static class BrokerProtocol
{
    public const string Version = "sigstorebuild-signing-session/2";
    public const int NonceLength = 32;

    /// <summary>Handshake frames: nothing larger is read from a peer that has not proven the key.</summary>
    public const int MaxHandshakeBytes = 4096;

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

    /// <summary>The next frame, at most <paramref name="maxBytes"/>; <see cref="InvalidDataException"/> for anything that is not one.</summary>
    public static async Task<JsonObject> ReadAsync(Stream stream, int maxBytes, CancellationToken cancellationToken)
    {
        var header = new byte[4];
        await stream.ReadExactlyAsync(header, cancellationToken).ConfigureAwait(false);
        var length = BinaryPrimitives.ReadInt32BigEndian(header);
        if (length <= 0 || length > maxBytes)
        {
            throw new InvalidDataException($"A frame of {length} bytes is outside the protocol's limits.");
        }

        var body = new byte[length];
        await stream.ReadExactlyAsync(body, cancellationToken).ConfigureAwait(false);
        return Parse(body);
    }

    public static JsonObject Parse(byte[] json)
    {
        try
        {
            return JsonNode.Parse(json, documentOptions: ReadOptions) as JsonObject
                ?? throw new InvalidDataException("A message is not a JSON object.");
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException("A message is not valid JSON.", ex);
        }
    }

    /// <summary>A frame carrying <paramref name="message"/> with its MAC.</summary>
    public static JsonObject Seal(ReadOnlySpan<byte> key, string role, byte[] firstNonce, byte[] secondNonce, JsonObject message)
    {
        var body = Encoding.UTF8.GetBytes(message.ToJsonString());
        return new JsonObject
        {
            ["body"] = Convert.ToBase64String(body),
            ["mac"] = Convert.ToBase64String(Mac(key, role, firstNonce, secondNonce, body)),
        };
    }

    /// <summary>The message of a sealed frame, or null when its MAC is not this connection's.</summary>
    public static JsonObject? Open(ReadOnlySpan<byte> key, string role, byte[] firstNonce, byte[] secondNonce, JsonObject frame)
    {
        var body = Bytes(frame, "body");
        var mac = Bytes(frame, "mac");
        if (body is null || mac is null || !CryptographicOperations.FixedTimeEquals(mac, Mac(key, role, firstNonce, secondNonce, body)))
        {
            return null;
        }

        return Parse(body);
    }

    public static byte[] NewNonce() => RandomNumberGenerator.GetBytes(NonceLength);

    /// <summary>HMAC-SHA256 over the protocol version, the role and each part, every one length-prefixed.</summary>
    public static byte[] Mac(ReadOnlySpan<byte> key, string role, params byte[][] parts)
    {
        using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, key);
        Span<byte> length = stackalloc byte[4];
        foreach (var part in (byte[][])[Encoding.ASCII.GetBytes(Version), Encoding.ASCII.GetBytes(role), .. parts])
        {
            BinaryPrimitives.WriteInt32BigEndian(length, part.Length);
            hmac.AppendData(length);
            hmac.AppendData(part);
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
