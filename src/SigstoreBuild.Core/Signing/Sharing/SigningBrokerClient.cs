using System.Net.Sockets;
using System.Text.Json.Nodes;
using SigstoreBuild.Diagnostics;

namespace SigstoreBuild.Signing.Sharing;

/// <summary>
/// A node that signs through its build's <see cref="SigningBroker"/>: it sends the statement and gets back the bundle,
/// which <see cref="StatementSigner"/> checks signs exactly that statement before anything is written.
/// </summary>
internal sealed class SigningBrokerClient : StatementSigner
{
    /// <summary>Connecting, the handshake and sending the request: a live broker answers these at once.</summary>
    private static readonly TimeSpan HandshakeTimeout = TimeSpan.FromSeconds(10);

    /// <summary>The answer to a ping.</summary>
    private static readonly TimeSpan PingTimeout = TimeSpan.FromSeconds(5);

    /// <summary>Bounds a broker that accepted a request and then hangs; its own service calls have shorter limits.</summary>
    private static readonly TimeSpan SigningTimeout = TimeSpan.FromMinutes(15);

    private readonly SharedSigningScope _scope;

    private SigningBrokerClient(SharedSigningScope scope, int brokerProcessId)
    {
        _scope = scope;
        BrokerProcessId = brokerProcessId;
    }

    public int BrokerProcessId { get; }

    /// <summary>The scope's broker, if one answers and proves it belongs to this scope; otherwise null.</summary>
    public static async Task<SigningBrokerClient?> TryConnectAsync(SharedSigningScope scope, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(scope);
        try
        {
            var response = await ExchangeAsync(scope, new JsonObject { ["op"] = "ping" }, PingTimeout, cancellationToken).ConfigureAwait(false);
            return response["pid"] is JsonValue pid && pid.TryGetValue<int>(out var id) ? new SigningBrokerClient(scope, id) : null;
        }
        catch (SharedSessionUnavailableException)
        {
            return null;
        }
    }

    /// <inheritdoc />
    /// <exception cref="SharedSessionUnavailableException">The broker could not be reached or stopped answering.</exception>
    public override async Task<byte[]> ProduceBundleAsync(byte[] statementJson, byte[] subjectSha256, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(statementJson);
        ArgumentNullException.ThrowIfNull(subjectSha256);
        var response = await ExchangeAsync(_scope, new JsonObject
        {
            ["op"] = "sign",
            ["payload"] = Convert.ToBase64String(statementJson),
            ["sha256"] = Convert.ToHexStringLower(subjectSha256),
        }, SigningTimeout, cancellationToken).ConfigureAwait(false);

        if (response["error"] is JsonObject error)
        {
            var code = BrokerProtocol.Text(error, "code") is { } c && c.StartsWith("SSB", StringComparison.Ordinal) ? c : SigningCodes.SharedSessionFailed;
            throw new SigstoreException(code, BrokerProtocol.Text(error, "message") ?? "The build's shared signing session failed.");
        }

        // What the bundle signs is checked by the caller (StatementSigner) before it is written.
        return BrokerProtocol.Bytes(response, "bundle")
            ?? throw new SigstoreException(SigningCodes.SharedSessionFailed, "The build's shared signing session returned no bundle.");
    }

    /// <summary>One request on a new connection: <paramref name="answerTimeout"/> bounds the wait for the answer.</summary>
    private static async Task<JsonObject> ExchangeAsync(SharedSigningScope scope, JsonObject request, TimeSpan answerTimeout, CancellationToken cancellationToken)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(HandshakeTimeout);
        try
        {
            using var socket = BrokerProtocol.NewSocket();
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(scope.SocketPath), limit.Token).ConfigureAwait(false);
            await using var stream = new NetworkStream(socket, ownsSocket: false);
            var clientNonce = BrokerProtocol.NewNonce();
            await BrokerProtocol.WriteAsync(stream, new JsonObject { ["v"] = BrokerProtocol.Version, ["nonce"] = Convert.ToBase64String(clientNonce) }, limit.Token).ConfigureAwait(false);
            var challenge = await BrokerProtocol.ReadAsync(stream, BrokerProtocol.MaxHandshakeBytes, limit.Token).ConfigureAwait(false);
            if (!BrokerProtocol.ProofMatches(challenge, BrokerProtocol.Mac(scope.Key, "broker", clientNonce))
                || BrokerProtocol.Bytes(challenge, "nonce") is not { Length: BrokerProtocol.NonceLength } brokerNonce)
            {
                // Whoever listens there is not this build's broker: send it nothing.
                throw new SharedSessionUnavailableException("the process listening on the rendezvous socket did not prove it belongs to this build");
            }

            await BrokerProtocol.WriteAsync(stream, new JsonObject { ["proof"] = Convert.ToBase64String(BrokerProtocol.Mac(scope.Key, "client", brokerNonce, clientNonce)) }, limit.Token).ConfigureAwait(false);
            await BrokerProtocol.WriteAsync(stream, BrokerProtocol.Seal(scope.Key, "request", brokerNonce, clientNonce, request), limit.Token).ConfigureAwait(false);
            limit.CancelAfter(answerTimeout);
            var frame = await BrokerProtocol.ReadAsync(stream, BrokerProtocol.MaxMessageBytes, limit.Token).ConfigureAwait(false);
            return BrokerProtocol.Open(scope.Key, "response", clientNonce, brokerNonce, frame)
                ?? throw new SharedSessionUnavailableException("the answer was not sealed with this connection's key (changed on the way?)");
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (OperationCanceledException)
        {
            throw new SharedSessionUnavailableException("no answer in time");
        }
        catch (Exception ex) when (ex is SocketException or IOException or InvalidDataException or ObjectDisposedException or ArgumentOutOfRangeException)
        {
            throw new SharedSessionUnavailableException($"{ex.GetType().Name}: {ex.Message}");
        }
    }
}

/// <summary>The build's shared signing session cannot be reached; the node can still sign with a session of its own.</summary>
internal sealed class SharedSessionUnavailableException(string reason) : Exception(reason);
