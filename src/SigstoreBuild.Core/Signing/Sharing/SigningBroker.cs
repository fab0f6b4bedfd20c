using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using SigstoreBuild.Diagnostics;

namespace SigstoreBuild.Signing.Sharing;

/// <summary>
/// The one process of a build that holds the signing session (token, key, certificate) and signs for the others. It
/// owns the scope's lock file for its whole life, so there is at most one per scope, and serves statements over a Unix
/// domain socket in the private rendezvous directory. The private key never leaves this process; the other nodes get
/// back finished, verified bundles.
/// </summary>
internal sealed class SigningBroker : StatementSigner
{
    private static readonly TimeSpan HandshakeTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan TransferTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan StaleAfter = TimeSpan.FromDays(7);

    /// <summary>Connections that have not proven the key yet; more are closed at once.</summary>
    private const int MaxPendingHandshakes = 16;

    private readonly SharedSigningScope _scope;
    private readonly FileStream _lock;
    private readonly Socket _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource<StatementSigner> _local = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ConcurrentDictionary<Task, byte> _connections = new();
    private readonly SemaphoreSlim _handshakes = new(MaxPendingHandshakes, MaxPendingHandshakes);
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
    /// Takes the scope's lock and listens on its socket, or returns null when another live process holds the lock.
    /// Throws <see cref="IOException"/>, <see cref="UnauthorizedAccessException"/> or <see cref="SocketException"/> when
    /// the rendezvous itself cannot be used.
    /// </summary>
    public static SigningBroker? TryListen(SharedSigningScope scope)
    {
        ArgumentNullException.ThrowIfNull(scope);
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
        RemoveStale(scope);
        return broker;
    }

    /// <summary>
    /// Makes the session that signs for everyone. Nodes that connected meanwhile wait for it, and get its failure, with
    /// its code, if it cannot be made; the broker then stops.
    /// </summary>
    public void Start(Func<StatementSigner> createLocal)
    {
        ArgumentNullException.ThrowIfNull(createLocal);
        try
        {
            _local.SetResult(createLocal());
        }
        catch (Exception ex)
        {
            _local.SetException(ex);
            Dispose();
            throw;
        }
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
            // Connections see the cancellation and end; the session is disposed only after them.
            Task.WhenAll([.. (_accepting is null ? [] : new[] { _accepting }), .. _connections.Keys]).Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
            // They end by cancellation.
        }

        // Remove the socket while still holding the lock, so no new broker's socket is deleted by mistake.
        TryDelete(_scope.SocketPath);
        if (_local.Task.IsCompletedSuccessfully)
        {
            _local.Task.Result.Dispose();
        }

        _lock.Dispose();
    }

    private static FileStream? TryLock(string path)
    {
        try
        {
            // FileShare.None is an exclusive lock (flock on Unix): held until this process closes it or dies.
            return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.None);
        }
        catch (IOException ex) when (ex is not (DirectoryNotFoundException or PathTooLongException) && File.Exists(path))
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

    /// <summary>Lock and socket files of scopes (CI jobs) that ended long ago and that nobody holds.</summary>
    private static void RemoveStale(SharedSigningScope scope)
    {
        try
        {
            foreach (var lockPath in Directory.EnumerateFiles(scope.Directory, "*.lock"))
            {
                if (lockPath == scope.LockPath || File.GetLastWriteTimeUtc(lockPath) > DateTime.UtcNow - StaleAfter)
                {
                    continue;
                }

                using var held = TryLock(lockPath);
                if (held is not null)
                {
                    TryDelete(Path.ChangeExtension(lockPath, ".sock"));
                    TryDelete(lockPath);
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Housekeeping only.
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

            if (!_handshakes.Wait(0))
            {
                // Too many connections that have proven nothing: this is not the build's nodes.
                connection.Dispose();
                continue;
            }

            var served = ServeAsync(connection);
            _connections.TryAdd(served, 0);
            _ = served.ContinueWith(t => _connections.TryRemove(t, out _), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
    }

    private async Task ServeAsync(Socket connection)
    {
        var handshakeSlot = true;
        try
        {
            await using var stream = new NetworkStream(connection, ownsSocket: true);
            using var limit = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
            limit.CancelAfter(HandshakeTimeout);
            var hello = await BrokerProtocol.ReadAsync(stream, BrokerProtocol.MaxHandshakeBytes, limit.Token).ConfigureAwait(false);
            var clientNonce = BrokerProtocol.Bytes(hello, "nonce");
            if (BrokerProtocol.Text(hello, "v") != BrokerProtocol.Version || clientNonce is not { Length: BrokerProtocol.NonceLength })
            {
                return;
            }

            var brokerNonce = BrokerProtocol.NewNonce();
            await BrokerProtocol.WriteAsync(stream, new JsonObject
            {
                ["proof"] = Convert.ToBase64String(BrokerProtocol.Mac(_scope.Key, "broker", clientNonce)),
                ["nonce"] = Convert.ToBase64String(brokerNonce),
            }, limit.Token).ConfigureAwait(false);

            var auth = await BrokerProtocol.ReadAsync(stream, BrokerProtocol.MaxHandshakeBytes, limit.Token).ConfigureAwait(false);
            if (!BrokerProtocol.ProofMatches(auth, BrokerProtocol.Mac(_scope.Key, "client", brokerNonce, clientNonce)))
            {
                // Not part of this build: it learns nothing and gets nothing signed.
                return;
            }

            _handshakes.Release();
            handshakeSlot = false;
            limit.CancelAfter(TransferTimeout);
            var frame = await BrokerProtocol.ReadAsync(stream, BrokerProtocol.MaxMessageBytes, limit.Token).ConfigureAwait(false);
            if (BrokerProtocol.Open(_scope.Key, "request", brokerNonce, clientNonce, frame) is not { } request)
            {
                // Changed on the way, or from another connection.
                return;
            }

            var response = await HandleAsync(request).ConfigureAwait(false);
            using var send = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
            send.CancelAfter(TransferTimeout);
            await BrokerProtocol.WriteAsync(stream, BrokerProtocol.Seal(_scope.Key, "response", clientNonce, brokerNonce, response), send.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException or OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // The client went away or spoke nonsense; it will sign on its own.
        }
        finally
        {
            if (handshakeSlot)
            {
                _handshakes.Release();
            }
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
