using System.Net.Sockets;
using System.Text.Json.Nodes;
using SigstoreBuild.Diagnostics;

namespace SigstoreBuild.NuGet.Signing.Sharing;

/// <summary>
/// The one process of a build that holds the signing session (token, key, certificate) and signs for the others. It
/// owns the scope's lock file for its whole life, so there is at most one per scope, and serves statements over a Unix
/// domain socket in the private rendezvous directory. The private key never leaves this process; the other nodes get
/// back finished, verified bundles.
/// </summary>
public sealed class SigningBroker : StatementSigner
{
    private static readonly TimeSpan HandshakeTimeout = TimeSpan.FromSeconds(10);

    private readonly SharedSigningScope _scope;
    private readonly FileStream _lock;
    private readonly Socket _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource<StatementSigner> _local = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task? _accepting;
    private int _signed;
    private int _disposed;

    private SigningBroker(SharedSigningScope scope, FileStream lockFile, Socket listener)
    {
        _scope = scope;
        _lock = lockFile;
        _listener = listener;
    }

    /// <summary>Statements signed for other processes.</summary>
    public int RemoteRequestsSigned => Volatile.Read(ref _signed);

    /// <summary>
    /// Becomes the scope's broker, or returns null when another live process already is. <paramref name="createLocal"/>
    /// makes the session that signs for everyone; it runs after the socket is listening, so the other nodes can connect
    /// (and wait) while it fetches trust material.
    /// </summary>
    public static SigningBroker? TryStart(SharedSigningScope scope, Func<StatementSigner> createLocal)
    {
        ArgumentNullException.ThrowIfNull(scope);
        ArgumentNullException.ThrowIfNull(createLocal);
        var lockFile = TryLock(scope.LockPath);
        if (lockFile is null)
        {
            return null;
        }

        SigningBroker broker;
        try
        {
            broker = new SigningBroker(scope, lockFile, Listen(scope.SocketPath));
        }
        catch
        {
            lockFile.Dispose();
            throw;
        }

        broker._accepting = Task.Run(broker.AcceptLoopAsync);
        try
        {
            broker._local.SetResult(createLocal());
        }
        catch (Exception ex)
        {
            // Nodes already waiting get this same failure, with its code.
            broker._local.SetException(ex);
            broker.Dispose();
            throw;
        }

        return broker;
    }

    public override async Task<byte[]> ProduceBundleAsync(byte[] statementJson, byte[] subjectSha256, CancellationToken cancellationToken)
    {
        var local = await _local.Task.ConfigureAwait(false);
        return await local.ProduceBundleAsync(statementJson, subjectSha256, cancellationToken).ConfigureAwait(false);
    }

    protected override void Dispose(bool disposing)
    {
        if (!disposing || Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _stop.Cancel();
        _listener.Dispose();
        try
        {
            _accepting?.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
            // The loop ends by cancellation.
        }

        // Remove the socket while still holding the lock, so no new broker's socket is deleted by mistake.
        TryDelete(_scope.SocketPath);
        if (_local.Task.IsCompletedSuccessfully)
        {
            _local.Task.Result.Dispose();
        }

        _lock.Dispose();
        _stop.Dispose();
    }

    private static FileStream? TryLock(string path)
    {
        try
        {
            // FileShare.None is an exclusive lock (flock on Unix): held until this process closes it or dies.
            return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.None);
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static Socket Listen(string socketPath)
    {
        // A socket file left by a broker that died: we hold the lock, so nobody is listening on it.
        TryDelete(socketPath);
        var socket = BrokerProtocol.NewSocket();
        try
        {
            socket.Bind(new UnixDomainSocketEndPoint(socketPath));
            socket.Listen(64);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket connection;
            try
            {
                connection = await _listener.AcceptAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            _ = ServeAsync(connection);
        }
    }

    private async Task ServeAsync(Socket connection)
    {
        await using var stream = new NetworkStream(connection, ownsSocket: true);
        try
        {
            using var handshake = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
            handshake.CancelAfter(HandshakeTimeout);
            var hello = await BrokerProtocol.ReadAsync(stream, handshake.Token).ConfigureAwait(false);
            var clientNonce = BrokerProtocol.Bytes(hello, "nonce");
            if (BrokerProtocol.Text(hello, "v") != BrokerProtocol.Version || clientNonce is not { Length: BrokerProtocol.NonceLength })
            {
                return;
            }

            var brokerNonce = BrokerProtocol.NewNonce();
            await BrokerProtocol.WriteAsync(stream, new JsonObject
            {
                ["proof"] = Convert.ToBase64String(BrokerProtocol.Proof(_scope.Key, "broker", clientNonce)),
                ["nonce"] = Convert.ToBase64String(brokerNonce),
            }, handshake.Token).ConfigureAwait(false);

            var request = await BrokerProtocol.ReadAsync(stream, handshake.Token).ConfigureAwait(false);
            if (!BrokerProtocol.ProofMatches(request, BrokerProtocol.Proof(_scope.Key, "client", brokerNonce, clientNonce)))
            {
                // Not part of this build: it learns nothing and gets nothing signed.
                return;
            }

            var response = await HandleAsync(request).ConfigureAwait(false);
            await BrokerProtocol.WriteAsync(stream, response, _stop.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException or OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // The client went away or spoke nonsense; it will sign on its own.
        }
    }

    private async Task<JsonObject> HandleAsync(JsonObject request)
    {
        switch (BrokerProtocol.Text(request, "op"))
        {
            case "ping":
                return new JsonObject { ["pid"] = Environment.ProcessId };
            case "sign":
                var payload = BrokerProtocol.Bytes(request, "payload");
                byte[]? sha256 = null;
                try
                {
                    sha256 = BrokerProtocol.Text(request, "sha256") is { Length: 64 } hex ? Convert.FromHexString(hex) : null;
                }
                catch (FormatException)
                {
                }

                if (payload is null || sha256 is null)
                {
                    return Error(SigningCodes.SharedSessionFailed, "The shared signing session received a malformed request.");
                }

                try
                {
                    var bundle = await ProduceBundleAsync(payload, sha256, _stop.Token).ConfigureAwait(false);
                    Interlocked.Increment(ref _signed);
                    return new JsonObject { ["bundle"] = Convert.ToBase64String(bundle) };
                }
                catch (SigstoreException ex)
                {
                    return Error(ex.Code, ex.Message);
                }
                catch (Exception ex) when (ex is not (OperationCanceledException or OutOfMemoryException))
                {
                    return Error(SigningCodes.SharedSessionFailed, $"The build's shared signing session failed ({ex.GetType().Name}: {ex.Message}).");
                }

            default:
                return Error(SigningCodes.SharedSessionFailed, "The shared signing session received an unknown request.");
        }
    }

    private static JsonObject Error(string code, string message) =>
        new() { ["error"] = new JsonObject { ["code"] = code, ["message"] = message } };

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Bind reports it if it matters.
        }
    }
}
