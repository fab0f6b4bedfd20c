using System.Collections.Concurrent;
using System.Net.Sockets;
using SigstoreBuild.Diagnostics;

namespace SigstoreBuild.Signing.Sharing;

/// <summary>Something for the build log: a warning when <see cref="Code"/> is set, otherwise a message.</summary>
public sealed record SigningNotice(string? Code, string Message);

/// <summary>Where a <see cref="SharedSigner"/>'s statements are signed.</summary>
internal enum SharedSignerRole
{
    /// <summary>Here, by this process's own session, which no other process uses.</summary>
    Local,

    /// <summary>Here, by the session this process shares with the build's other nodes.</summary>
    Broker,

    /// <summary>In another node of the build, which holds the shared session.</summary>
    Client,
}

/// <summary>
/// One signing session for a whole build, across MSBuild's node processes: the first node to sign becomes the
/// <see cref="SigningBroker"/> (one token, key and certificate), the others sign through it. Sharing is an
/// optimisation, never a requirement: if the rendezvous directory is unsafe or the broker cannot be reached, this node
/// signs with a session of its own and says so (SSB2502). Errors of the signing itself are never hidden that way.
/// </summary>
public sealed class SharedSigner : StatementSigner
{
    private static readonly TimeSpan JoinTimeout = TimeSpan.FromSeconds(20);

    private readonly ConcurrentQueue<SigningNotice> _notices = new();
    private readonly Func<Action<string, string>, Action<string>, StatementSigner> _createLocal;
    private readonly object _localGate = new();
    private StatementSigner? _local;
    private SigningBroker? _broker;
    private SigningBrokerClient? _client;
    private volatile bool _clientLost;

    private SharedSigner(Func<Action<string, string>, Action<string>, StatementSigner> createLocal)
    {
        _createLocal = createLocal;
    }

    internal SharedSignerRole Role => _broker is not null ? SharedSignerRole.Broker : _client is not null && !_clientLost ? SharedSignerRole.Client : SharedSignerRole.Local;

    /// <summary>The broker's process when this node signs through another one.</summary>
    public int? BrokerProcessId => _client?.BrokerProcessId;

    /// <summary>
    /// Joins <paramref name="scope"/>'s shared session, starting it if no node has yet; with a null scope, signs
    /// locally. <paramref name="createLocal"/> makes a session in this process (it receives warning and message sinks
    /// whose output <see cref="DrainNotices"/> returns); it runs at most once.
    /// </summary>
    public static SharedSigner Join(SharedSigningScope? scope, Func<Action<string, string>, Action<string>, StatementSigner> createLocal, CancellationToken cancellationToken) =>
        Join(scope, createLocal, JoinTimeout, cancellationToken);

    internal static SharedSigner Join(SharedSigningScope? scope, Func<Action<string, string>, Action<string>, StatementSigner> createLocal, TimeSpan joinTimeout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(createLocal);
        var signer = new SharedSigner(createLocal);
        if (scope is null)
        {
            _ = signer.Local();
            return signer;
        }

        if (!Socket.OSSupportsUnixDomainSockets)
        {
            signer.Info("Sigstore: this system has no Unix domain sockets, so each MSBuild node signs with a session of its own.");
            return signer;
        }

        if (FileLockingDisabled(Environment.GetEnvironmentVariable, name => AppContext.TryGetSwitch(name, out var on) ? on : null))
        {
            // Without the lock every node would become a broker and remove the others' sockets.
            signer.Unshared("file locking is disabled (System.IO.DisableFileLocking), and the nodes elect the session's holder with a file lock");
            return signer;
        }

        if (!TryPrepareDirectory(scope.Directory, out var problem))
        {
            signer.Unshared(problem);
            return signer;
        }

        var deadline = DateTimeOffset.UtcNow + joinTimeout;
        var delay = TimeSpan.FromMilliseconds(50);
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            SigningBroker? broker;
            try
            {
                broker = SigningBroker.TryListen(scope);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or SocketException or PlatformNotSupportedException or ArgumentOutOfRangeException)
            {
                signer.Unshared($"the rendezvous in '{scope.Directory}' failed ({ex.GetType().Name}: {ex.Message})");
                return signer;
            }

            if (broker is not null)
            {
                // A failure to make the session (trust, identity) is the build's error, with its own code.
                broker.Start(() => signer.Local());
                signer._broker = broker;
                signer.Info($"Sigstore: this node (process {Environment.ProcessId}) holds the build's signing session; other nodes sign through it.");
                return signer;
            }

            // Another process holds the lock: it is listening, or about to be (or shutting down).
            var client = SigningBrokerClient.TryConnectAsync(scope, cancellationToken).GetAwaiter().GetResult();
            if (client is not null)
            {
                signer._client = client;
                signer.Info($"Sigstore: signing through the build's shared signing session in process {client.BrokerProcessId}.");
                return signer;
            }

            if (DateTimeOffset.UtcNow >= deadline)
            {
                signer.Unshared($"the process holding '{scope.LockPath}' did not answer within {joinTimeout.TotalSeconds:0} s");
                return signer;
            }

            cancellationToken.WaitHandle.WaitOne(delay);
            delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 500));
        }
    }

    /// <summary>Warnings and messages since the last call, for the current task's log.</summary>
    public IReadOnlyList<SigningNotice> DrainNotices()
    {
        var drained = new List<SigningNotice>();
        while (_notices.TryDequeue(out var notice))
        {
            drained.Add(notice);
        }

        return drained;
    }

    public override async Task<byte[]> ProduceBundleAsync(byte[] statementJson, byte[] subjectSha256, CancellationToken cancellationToken)
    {
        if (_broker is { } broker)
        {
            return await broker.ProduceBundleAsync(statementJson, subjectSha256, cancellationToken).ConfigureAwait(false);
        }

        if (_client is { } client && !_clientLost)
        {
            try
            {
                return await client.ProduceBundleAsync(statementJson, subjectSha256, cancellationToken).ConfigureAwait(false);
            }
            catch (SharedSessionUnavailableException ex)
            {
                // The broker's node is gone (crashed, killed). Whatever it may have logged is harmless; sign here.
                _clientLost = true;
                Warn(SigningCodes.SharedSessionUnavailable, $"The build's shared signing session in process {client.BrokerProcessId} stopped answering ({ex.Message}); this node signs with a certificate of its own from now on.");
            }
        }

        return await Local().ProduceBundleAsync(statementJson, subjectSha256, cancellationToken).ConfigureAwait(false);
    }

    protected override void Dispose(bool disposing)
    {
        if (!disposing)
        {
            return;
        }

        // The broker disposes the session it was started with.
        _broker?.Dispose();
        if (_broker is null)
        {
            _local?.Dispose();
        }
    }

    /// <summary>This process's own session, made on first use; a failure is not remembered, so the next artifact tries again.</summary>
    private StatementSigner Local()
    {
        lock (_localGate)
        {
            return _local ??= _createLocal(Warn, Info);
        }
    }

    /// <summary>The runtime's switch that turns FileShare.None into no lock at all on Unix.</summary>
    internal static bool FileLockingDisabled(Func<string, string?> environment, Func<string, bool?> appContextSwitch) =>
        appContextSwitch("System.IO.DisableFileLocking") == true
        || environment("DOTNET_SYSTEM_IO_DISABLEFILELOCKING") is { } value && (value == "1" || value.Equals("true", StringComparison.OrdinalIgnoreCase));

    private void Unshared(string reason) =>
        Warn(SigningCodes.SharedSessionUnavailable, $"This node cannot share the build's signing session: {reason}. It signs with a certificate of its own (one more Fulcio request); set SigstoreShareSigningSession=false to skip sharing.");

    private void Warn(string code, string message) => _notices.Enqueue(new SigningNotice(code, message));

    private void Info(string message) => _notices.Enqueue(new SigningNotice(null, message));

    /// <summary>
    /// The rendezvous directory must be ours alone. On Unix it is created 0700, and then set to 0700: only its owner (or
    /// root) may change a directory's mode, so this also proves it is ours, and repairs a mode that let others in.
    /// </summary>
    private static bool TryPrepareDirectory(string directory, out string problem)
    {
        problem = "";
        if (!Path.IsPathRooted(directory))
        {
            // Each node has its own current directory: they would not meet.
            problem = $"the rendezvous directory '{directory}' is not an absolute path";
            return false;
        }

        try
        {
            if (OperatingSystem.IsWindows())
            {
                // Under the user profile, whose ACL admits only the user (and administrators).
                Directory.CreateDirectory(directory);
                return true;
            }

            const UnixFileMode Private = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
            var info = Directory.CreateDirectory(directory, Private);
            if (info.LinkTarget is not null)
            {
                problem = $"'{directory}' is a symbolic link";
                return false;
            }

            File.SetUnixFileMode(directory, Private);
            var mode = File.GetUnixFileMode(directory);
            if ((mode & ~Private) != 0)
            {
                problem = $"'{directory}' is not private to the user (mode {Convert.ToString((int)mode, 8)}, expected 700)";
                return false;
            }

            return true;
        }
        catch (UnauthorizedAccessException ex)
        {
            problem = $"'{directory}' belongs to another user or cannot be used ({ex.Message})";
            return false;
        }
        catch (IOException ex)
        {
            problem = $"'{directory}' cannot be used ({ex.GetType().Name}: {ex.Message})";
            return false;
        }
    }
}
