using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using SigstoreBuild.Attestations;
using SigstoreBuild.Bundles;
using SigstoreBuild.Diagnostics;
using SigstoreBuild.Identity;
using SigstoreBuild.LocalStack;
using SigstoreBuild.LocalStack.Faults;
using SigstoreBuild.Signing;
using SigstoreBuild.Signing.Sharing;
using SigstoreBuild.Trust;
using SigstoreBuild.Verification;

namespace SigstoreBuild.Tests.Signing.Sharing;

/// <summary>
/// One signing session shared by the "nodes" of a build: real Unix domain sockets, real lock files, real signing against
/// the local Sigstore instance. Each node here is a <see cref="SharedSigner"/>, as each MSBuild node process has one.
/// </summary>
[TestClass]
public sealed class SharedSigningSessionTests
{
    private const string Signer = "shared-session@example.com";
    private static LocalSigstore s_sigstore = null!;
    private static string s_root = null!;

    private string _directory = null!;
    private int _sessionsCreated;

    public TestContext TestContext { get; set; } = null!;

    [ClassInitialize]
    public static async Task StartSigstore(TestContext context)
    {
        s_root = Directory.CreateTempSubdirectory("ssb-share-").FullName;
        s_sigstore = await LocalSigstore.StartAsync(Path.Combine(s_root, "instance"), 0, context.CancellationToken);
    }

    [ClassCleanup]
    public static async Task StopSigstore()
    {
        if (s_sigstore is not null)
        {
            await s_sigstore.DisposeAsync();
        }

        Directory.Delete(s_root, recursive: true);
    }

    [TestInitialize]
    public void NewRendezvous()
    {
        // Short: Unix socket paths are limited to about 100 bytes.
        _directory = Path.Combine(s_root, Guid.NewGuid().ToString("N")[..8]);
        s_sigstore.Faults.Reset();
    }

    [TestMethod]
    public async Task TwoNodes_ShareOneCertificate_AndBothBundlesVerify()
    {
        var scope = Scope("job-1");
        using var first = Join(scope);
        using var second = Join(scope);
        Assert.AreEqual(SharedSignerRole.Broker, first.Role);
        Assert.AreEqual(SharedSignerRole.Client, second.Role);
        Assert.AreEqual(Environment.ProcessId, second.BrokerProcessId);

        var a = await SignAsync(first, "a");
        var b = await SignAsync(second, "b");

        Assert.AreEqual(1, s_sigstore.Faults.RequestCount(SigstoreService.Fulcio), "one certificate for both nodes");
        Assert.AreEqual(1, _sessionsCreated, "the client node never created a session (no token, no key) of its own");
        Assert.AreEqual(Certificate(a.Path), Certificate(b.Path));
        Verify(a);
        Verify(b);
        Assert.AreEqual(Signer, b.Signed.SignerIdentity);
        Assert.IsTrue(second.DrainNotices().Any(n => n.Code is null && n.Message.Contains("signing through the build's shared signing session", StringComparison.Ordinal)));
    }

    [TestMethod]
    public async Task DifferentScopes_DoNotShare()
    {
        using var first = Join(Scope("job-1"));
        using var second = Join(Scope("job-2"));
        Assert.AreEqual(SharedSignerRole.Broker, first.Role);
        Assert.AreEqual(SharedSignerRole.Broker, second.Role, "another job's node starts a session of its own");

        await SignAsync(first, "a");
        await SignAsync(second, "b");
        Assert.AreEqual(2, s_sigstore.Faults.RequestCount(SigstoreService.Fulcio));
    }

    [TestMethod]
    public async Task ProcessWithoutTheScopeKey_GetsNothingSigned()
    {
        var scope = Scope("job-1");
        using var broker = Join(scope);
        var impostor = Scope("another job");

        // It knows where the socket is (anyone who can list the directory does), but not the key.
        using var socket = BrokerProtocol.NewSocket();
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(scope.SocketPath), TestContext.CancellationToken);
        await using var stream = new NetworkStream(socket);
        var nonce = BrokerProtocol.NewNonce();
        await BrokerProtocol.WriteAsync(stream, new JsonObject { ["v"] = BrokerProtocol.Version, ["nonce"] = Convert.ToBase64String(nonce) }, TestContext.CancellationToken);
        var challenge = await BrokerProtocol.ReadAsync(stream, BrokerProtocol.MaxHandshakeBytes, TestContext.CancellationToken);
        var brokerNonce = BrokerProtocol.Bytes(challenge, "nonce")!;
        await BrokerProtocol.WriteAsync(stream, new JsonObject { ["proof"] = Convert.ToBase64String(BrokerProtocol.Mac(impostor.Key, "client", brokerNonce, nonce)) }, TestContext.CancellationToken);

        // The broker hangs up on the wrong proof at once, without waiting for (or reading) a request.
        using var soon = CancellationTokenSource.CreateLinkedTokenSource(TestContext.CancellationToken);
        soon.CancelAfter(TimeSpan.FromSeconds(5));
        await Assert.ThrowsAsync<IOException>(() => BrokerProtocol.ReadAsync(stream, BrokerProtocol.MaxMessageBytes, soon.Token));
        Assert.AreEqual(0, s_sigstore.Faults.RequestCount(SigstoreService.Fulcio), "no login, no certificate, no signature");
    }

    [TestMethod]
    public async Task ImpostorBroker_IsRefused_AndTheNodeSignsOnItsOwn()
    {
        var scope = Scope("job-1");
        CreatePrivateDirectory();

        // A process that took the lock and the socket but does not know the scope key.
        using var heldLock = new FileStream(scope.LockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        using var listener = BrokerProtocol.NewSocket();
        listener.Bind(new UnixDomainSocketEndPoint(scope.SocketPath));
        listener.Listen();
        var requestsSeen = 0;
        using var stop = new CancellationTokenSource();
        var impostor = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                using var connection = await listener.AcceptAsync(stop.Token);
                await using var stream = new NetworkStream(connection);
                await BrokerProtocol.ReadAsync(stream, BrokerProtocol.MaxHandshakeBytes, stop.Token);
                await BrokerProtocol.WriteAsync(stream, new JsonObject
                {
                    ["proof"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
                    ["nonce"] = Convert.ToBase64String(BrokerProtocol.NewNonce()),
                }, stop.Token);
                try
                {
                    await BrokerProtocol.ReadAsync(stream, BrokerProtocol.MaxMessageBytes, stop.Token);
                    Interlocked.Increment(ref requestsSeen);
                }
                catch (EndOfStreamException)
                {
                }
            }
        });

        using var node = SharedSigner.Join(scope, CreateSession, TimeSpan.FromSeconds(1), TestContext.CancellationToken);
        Assert.AreEqual(SharedSignerRole.Local, node.Role);
        var notice = node.DrainNotices().Single(n => n.Code is not null);
        Assert.AreEqual(SigningCodes.SharedSessionUnavailable, notice.Code);

        var signed = await SignAsync(node, "a");
        Verify(signed);
        Assert.AreEqual(0, requestsSeen, "the impostor never received a request, let alone a statement");
        await stop.CancelAsync();
        await Assert.ThrowsAsync<OperationCanceledException>(() => impostor);
    }

    [TestMethod]
    public async Task RendezvousDirectoryOpenToOthers_IsMadePrivateBeforeUse()
    {
        if (OperatingSystem.IsWindows())
        {
            Assert.Inconclusive("Unix permissions.");
            return;
        }

        Directory.CreateDirectory(_directory);
        File.SetUnixFileMode(_directory, (UnixFileMode)0b111_111_111);
        using var node = Join(Scope("job-1"));

        Assert.AreEqual(SharedSignerRole.Broker, node.Role);
        Assert.AreEqual((UnixFileMode)0b111_000_000, File.GetUnixFileMode(_directory), "only the owner can change the mode, so this also proves it is ours");
        Verify(await SignAsync(node, "a"));
    }

    [TestMethod]
    public async Task RendezvousDirectoryThatIsASymbolicLink_IsNotUsed()
    {
        var target = Directory.CreateDirectory(_directory + "-target").FullName;
        Directory.CreateSymbolicLink(_directory, target);
        var scope = Scope("job-1");
        using var node = Join(scope);

        Assert.AreEqual(SharedSignerRole.Local, node.Role);
        var notice = node.DrainNotices().Single(n => n.Code is not null);
        Assert.AreEqual(SigningCodes.SharedSessionUnavailable, notice.Code);
        Assert.Contains("is a symbolic link", notice.Message);
        Assert.IsEmpty(Directory.GetFileSystemEntries(target), "nothing is created where the link points");
        Directory.CreateDirectory(Path.Combine(s_root, "signed"));
        _directory = Path.Combine(s_root, "signed");
        Verify(await SignAsync(node, "a"));
    }

    [TestMethod]
    public void RelativeRendezvousDirectory_IsNotUsed()
    {
        using var node = SharedSigner.Join(SharedSigningScope.Create("relative/dir", ["x"]), CreateSession, TestContext.CancellationToken);

        Assert.AreEqual(SharedSignerRole.Local, node.Role);
        Assert.Contains("is not an absolute path", node.DrainNotices().Single(n => n.Code is not null).Message);
    }

    [TestMethod]
    public async Task SocketPathTooLongForTheOs_SignsOnItsOwn_WithAWarning()
    {
        _directory = Path.Combine(s_root, new string('d', 120));
        using var node = Join(Scope("job-1"));

        Assert.AreEqual(SharedSignerRole.Local, node.Role);
        Assert.AreEqual(SigningCodes.SharedSessionUnavailable, node.DrainNotices().Single(n => n.Code is not null).Code);
        Verify(await SignAsync(node, "a"));
    }

    [TestMethod]
    public async Task BrokerGoneMidBuild_ClientSignsOnItsOwn_WithAWarning()
    {
        var scope = Scope("job-1");
        var broker = Join(scope);
        using var client = Join(scope);
        Verify(await SignAsync(client, "a"));
        client.DrainNotices();

        broker.Dispose();
        Assert.IsFalse(File.Exists(scope.SocketPath), "the broker removes its socket");
        var after = await SignAsync(client, "b");

        Verify(after);
        Assert.AreEqual(SharedSignerRole.Local, client.Role);
        Assert.AreEqual(SigningCodes.SharedSessionUnavailable, client.DrainNotices().Single(n => n.Code is not null).Code);
        Assert.AreEqual(2, s_sigstore.Faults.RequestCount(SigstoreService.Fulcio), "the client needed a certificate of its own");

        // The lock was released with the broker: the next node becomes the broker.
        using var next = Join(scope);
        Assert.AreEqual(SharedSignerRole.Broker, next.Role);
    }

    [TestMethod]
    public async Task SigningFailureInTheBroker_ReachesTheClientWithItsCode()
    {
        var scope = Scope("job-1");
        using var broker = Join(scope);
        using var client = Join(scope);
        s_sigstore.Faults.Enqueue(SigstoreService.Fulcio, FaultKind.MismatchedIdentity);
        var bundlePath = Path.Combine(_directory, "a.sigstore.json");

        var error = await Assert.ThrowsAsync<SigstoreException>(() => client.SignAsync(Statement("a"), Sha256("a"), bundlePath, TestContext.CancellationToken));

        Assert.AreEqual(SigningCodes.FulcioResponseInvalid, error.Code, error.Message);
        Assert.AreEqual(SharedSignerRole.Client, client.Role, "a signing failure is not a reason to sign elsewhere");
        Assert.IsFalse(File.Exists(bundlePath));
        Assert.IsFalse(client.DrainNotices().Any(n => n.Code is not null));
    }

    [TestMethod]
    public async Task BrokerReturningABundleForAnotherStatement_IsRefused()
    {
        var scope = Scope("job-1");
        CreatePrivateDirectory();
        using var broker = SigningBroker.TryListen(scope)!;
        Assert.IsNotNull(broker);
        broker.Start(() => new SwappingSigner(CreateSession((_, _) => { }, _ => { })));
        using var client = Join(scope);
        Assert.AreEqual(SharedSignerRole.Client, client.Role);
        var bundlePath = Path.Combine(_directory, "a.sigstore.json");

        var error = await Assert.ThrowsAsync<SigstoreException>(() => client.SignAsync(Statement("a"), Sha256("a"), bundlePath, TestContext.CancellationToken));

        Assert.AreEqual(SigningCodes.SharedSessionFailed, error.Code);
        Assert.IsFalse(File.Exists(bundlePath), "nothing is written");
        Assert.AreEqual(1, broker.RemoteRequestsSigned, "the broker did sign, just not what was asked");
    }

    [TestMethod]
    [DataRow("request")]
    [DataRow("response")]
    public async Task RelayWithoutTheKey_CannotChangeWhatIsSignedOrReturned(string tampered)
    {
        var scope = Scope("job-1");
        using var broker = Join(scope);
        using var client = Join(scope);
        client.DrainNotices();

        // It moves the broker's socket aside, listens in its place and passes the frames on, changing one.
        var moved = Path.Combine(_directory, "moved.sock");
        File.Move(scope.SocketPath, moved);
        await using var relay = Relay.Start(scope.SocketPath, moved, (index, frame) =>
        {
            if (tampered == "request" && index == 3)
            {
                var body = BrokerProtocol.Parse(BrokerProtocol.Bytes(frame, "body")!);
                body["payload"] = Convert.ToBase64String(Statement("evil"));
                body["sha256"] = Convert.ToHexStringLower(SHA256.HashData("evil"u8));
                frame["body"] = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(body.ToJsonString()));
            }

            if (tampered == "response" && index == 4)
            {
                // A well-formed answer, just not the broker's.
                frame["body"] = Convert.ToBase64String("""{"error":{"code":"SSB2001","message":"forged"}}"""u8.ToArray());
            }

            return frame;
        });

        var signed = await SignAsync(client, "a");

        Assert.AreEqual(tampered == "request" ? 0 : 1, GetBroker(broker).RemoteRequestsSigned, "the broker signs nothing it was not asked for by the build");
        Assert.AreEqual(SigningCodes.SharedSessionUnavailable, client.DrainNotices().Single(n => n.Code is not null).Code);
        Assert.AreEqual(SharedSignerRole.Local, client.Role, "the node stops using a session it cannot reach safely");
        Verify(signed);
        var statement = System.Text.Encoding.UTF8.GetString(BundleSerializer.Load(signed.Path).DsseEnvelope!.Payload!);
        Assert.DoesNotContain("evil", statement);
    }

    [TestMethod]
    public async Task CapturedExchange_CannotBeReplayed()
    {
        var scope = Scope("job-1");
        using var broker = Join(scope);
        using var client = Join(scope);
        var moved = Path.Combine(_directory, "moved.sock");
        File.Move(scope.SocketPath, moved);
        var captured = new List<JsonObject>();
        await using (Relay.Start(scope.SocketPath, moved, (index, frame) =>
        {
            lock (captured)
            {
                captured.Add(frame.DeepClone().AsObject());
            }

            return frame;
        }))
        {
            Verify(await SignAsync(client, "a"));
        }

        Assert.AreEqual(1, GetBroker(broker).RemoteRequestsSigned);

        // Send the client's frames again on a new connection: the broker's nonce is new, so the proof is stale.
        using var socket = BrokerProtocol.NewSocket();
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(moved), TestContext.CancellationToken);
        await using var stream = new NetworkStream(socket);
        await BrokerProtocol.WriteAsync(stream, captured[0], TestContext.CancellationToken);
        await BrokerProtocol.ReadAsync(stream, BrokerProtocol.MaxHandshakeBytes, TestContext.CancellationToken);

        // The broker drops the connection at the stale proof: whether the next write or the read notices it first is a race.
        await Assert.ThrowsAsync<IOException>(async () =>
        {
            await BrokerProtocol.WriteAsync(stream, captured[2], TestContext.CancellationToken);
            await BrokerProtocol.WriteAsync(stream, captured[3], TestContext.CancellationToken);
            await BrokerProtocol.ReadAsync(stream, BrokerProtocol.MaxMessageBytes, TestContext.CancellationToken);
        });
        Assert.AreEqual(1, GetBroker(broker).RemoteRequestsSigned, "nothing more was signed");
    }

    [TestMethod]
    [DataRow("oversized")]
    [DataRow("version")]
    [DataRow("nonce")]
    public async Task BadHello_IsDroppedBeforeAnything(string fault)
    {
        var scope = Scope("job-1");
        using var broker = Join(scope);
        using var socket = BrokerProtocol.NewSocket();
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(scope.SocketPath), TestContext.CancellationToken);
        await using var stream = new NetworkStream(socket);
        if (fault == "oversized")
        {
            // A peer that has proven nothing cannot make the broker allocate a large frame.
            await stream.WriteAsync(new byte[] { 0, 0x10, 0, 0 }, TestContext.CancellationToken);
        }
        else
        {
            await BrokerProtocol.WriteAsync(stream, new JsonObject
            {
                ["v"] = fault == "version" ? "sigstorebuild-signing-session/1" : BrokerProtocol.Version,
                ["nonce"] = Convert.ToBase64String(new byte[fault == "nonce" ? 8 : BrokerProtocol.NonceLength]),
            }, TestContext.CancellationToken);
        }

        // At once: it neither waits for the rest of the frame nor answers.
        using var soon = CancellationTokenSource.CreateLinkedTokenSource(TestContext.CancellationToken);
        soon.CancelAfter(TimeSpan.FromSeconds(5));
        await Assert.ThrowsAsync<IOException>(() => BrokerProtocol.ReadAsync(stream, BrokerProtocol.MaxHandshakeBytes, soon.Token));
    }

    [TestMethod]
    public void FileLockingSwitchedOff_IsDetected()
    {
        // Without the lock every node would become a broker; Join then signs locally.
        Assert.IsTrue(SharedSigner.FileLockingDisabled(_ => null, name => name == "System.IO.DisableFileLocking" ? true : null));
        Assert.IsTrue(SharedSigner.FileLockingDisabled(name => name == "DOTNET_SYSTEM_IO_DISABLEFILELOCKING" ? "true" : null, _ => null));
        Assert.IsTrue(SharedSigner.FileLockingDisabled(name => name == "DOTNET_SYSTEM_IO_DISABLEFILELOCKING" ? "1" : null, _ => null));
        Assert.IsFalse(SharedSigner.FileLockingDisabled(name => name == "DOTNET_SYSTEM_IO_DISABLEFILELOCKING" ? "0" : null, _ => false));
        Assert.IsFalse(SharedSigner.FileLockingDisabled(_ => null, _ => null));
    }

    [TestMethod]
    public void Scope_DependsOnEveryPart_AndRevealsNoneInItsFileNames()
    {
        var a = SharedSigningScope.Create(_directory, ["settings", "SIGSTORE_ID_TOKEN", "secret-token"]);
        Assert.AreEqual(a.Name, SharedSigningScope.Create(_directory, ["settings", "SIGSTORE_ID_TOKEN", "secret-token"]).Name);
        Assert.AreNotEqual(a.Name, SharedSigningScope.Create(_directory, ["settings", "SIGSTORE_ID_TOKEN", "other-token"]).Name);
        Assert.AreNotEqual(a.Name, SharedSigningScope.Create(_directory, ["settings", "SIGSTORE_ID_TOKENsecret-token"]).Name, "parts cannot run together");
        Assert.AreNotEqual(a.Name, SharedSigningScope.Create(_directory, ["settings", "SIGSTORE_ID_TOKEN", null, "secret-token"]).Name);
        Assert.DoesNotContain("secret", a.LockPath + a.SocketPath);
        Assert.IsFalse(a.Key.SequenceEqual(Convert.FromHexString(a.Name.PadRight(64, '0'))));
    }

    private static SigningBroker GetBroker(SharedSigner signer) =>
        (SigningBroker)typeof(SharedSigner).GetField("_broker", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!.GetValue(signer)!;

    /// <summary>
    /// A process between a node and the broker that has no key: it accepts at <c>listenPath</c>, connects to
    /// <c>targetPath</c> and passes frames 0-4 of the protocol on, through <c>edit</c>.
    /// </summary>
    private sealed class Relay : IAsyncDisposable
    {
        private readonly Socket _listener = BrokerProtocol.NewSocket();
        private readonly CancellationTokenSource _stop = new();
        private Task _loop = Task.CompletedTask;

        public static Relay Start(string listenPath, string targetPath, Func<int, JsonObject, JsonObject> edit)
        {
            var relay = new Relay();
            relay._listener.Bind(new UnixDomainSocketEndPoint(listenPath));
            relay._listener.Listen();
            relay._loop = Task.Run(async () =>
            {
                while (!relay._stop.IsCancellationRequested)
                {
                    using var client = await relay._listener.AcceptAsync(relay._stop.Token);
                    using var server = BrokerProtocol.NewSocket();
                    await server.ConnectAsync(new UnixDomainSocketEndPoint(targetPath), relay._stop.Token);
                    await using var c = new NetworkStream(client);
                    await using var b = new NetworkStream(server);
                    try
                    {
                        // hello, challenge, auth, request (client to broker except the challenge), response.
                        var directions = new[] { (c, b), (b, c), (c, b), (c, b), (b, c) };
                        for (var i = 0; i < directions.Length; i++)
                        {
                            var frame = await BrokerProtocol.ReadAsync(directions[i].Item1, BrokerProtocol.MaxMessageBytes, relay._stop.Token);
                            await BrokerProtocol.WriteAsync(directions[i].Item2, edit(i, frame), relay._stop.Token);
                        }
                    }
                    catch (EndOfStreamException)
                    {
                        // One side hung up.
                    }
                    catch (IOException)
                    {
                    }
                }
            });
            return relay;
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            _listener.Dispose();
            try
            {
                await _loop;
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
            {
            }

            _stop.Dispose();
        }
    }

    private void CreatePrivateDirectory()
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(_directory);
            return;
        }

        Directory.CreateDirectory(_directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    private SharedSigningScope Scope(string job) => SharedSigningScope.Create(_directory, ["test settings", job]);

    private SharedSigner Join(SharedSigningScope scope) => SharedSigner.Join(scope, CreateSession, TestContext.CancellationToken);

    private SessionAttestationSigner CreateSession(Action<string, string> warn, Action<string> info)
    {
        Interlocked.Increment(ref _sessionsCreated);
        return new SessionAttestationSigner(new SigningSession(
            StaticSigningTrustProvider.Load(s_sigstore.TrustedRootPath, s_sigstore.SigningConfigPath),
            ExplicitTokenProvider.FromToken(s_sigstore.MintToken(Signer)),
            new SigstoreBundleVerifier()));
    }

    /// <summary>An in-toto v1 statement whose one subject is <paramref name="name"/>'s UTF-8 bytes.</summary>
    private static byte[] Statement(string name) => System.Text.Encoding.UTF8.GetBytes(new JsonObject
    {
        ["_type"] = "https://in-toto.io/Statement/v1",
        ["subject"] = new JsonArray(new JsonObject { ["name"] = name, ["digest"] = new JsonObject { ["sha256"] = Convert.ToHexStringLower(Sha256(name)) } }),
        ["predicateType"] = "https://sigstorebuild.invalid/tests/shared-session",
        ["predicate"] = new JsonObject { ["name"] = name },
    }.ToJsonString());

    private static byte[] Sha256(string name) => SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(name));

    private async Task<(string Name, string Path, SignedAttestation Signed)> SignAsync(SharedSigner signer, string name)
    {
        var path = Path.Combine(_directory, name + ".sigstore.json");
        Directory.CreateDirectory(_directory);
        var signed = await signer.SignAsync(Statement(name), Sha256(name), path, TestContext.CancellationToken);
        return (name, path, signed);
    }

    private static void Verify((string Name, string Path, SignedAttestation Signed) signed)
    {
        var verifier = new SigstoreVerifier(TrustedRoot.Load(s_sigstore.TrustedRootPath), VerifierOptions.PublicGood);
        var policy = VerificationPolicy.ForArtifact(System.Text.Encoding.UTF8.GetBytes(signed.Name))
            .RequireIdentity(CertificateIdentity.Exact(Signer, s_sigstore.Services.Oidc.Issuer));
        verifier.Verify(BundleSerializer.Load(signed.Path), policy);
    }

    private static string Certificate(string bundlePath) =>
        Convert.ToBase64String(BundleSerializer.Load(bundlePath).VerificationMaterial!.Certificate!.RawBytes!);

    /// <summary>A broken broker: signs, for real, a different statement than the one it was sent.</summary>
    private sealed class SwappingSigner(StatementSigner inner) : StatementSigner
    {
        public override Task<byte[]> ProduceBundleAsync(byte[] statementJson, byte[] subjectSha256, CancellationToken cancellationToken) =>
            inner.ProduceBundleAsync(Statement("swapped"), SHA256.HashData("swapped"u8), cancellationToken);

        protected override void Dispose(bool disposing) => inner.Dispose();
    }
}
