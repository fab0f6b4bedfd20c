using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using SigstoreBuild.Bundles;
using SigstoreBuild.Diagnostics;
using SigstoreBuild.Identity;
using SigstoreBuild.LocalStack;
using SigstoreBuild.LocalStack.Faults;
using SigstoreBuild.NuGet.Attestations;
using InTotoStatement = SigstoreBuild.NuGet.Attestations.InTotoStatement;
using SigstoreBuild.NuGet.Signing;
using SigstoreBuild.NuGet.Signing.Sharing;
using SigstoreBuild.Signing;
using SigstoreBuild.Trust;
using SigstoreBuild.Verification;

namespace SigstoreBuild.NuGet.Tests.Signing;

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
        var challenge = await BrokerProtocol.ReadAsync(stream, TestContext.CancellationToken);
        var brokerNonce = BrokerProtocol.Bytes(challenge, "nonce")!;
        await BrokerProtocol.WriteAsync(stream, new JsonObject
        {
            ["proof"] = Convert.ToBase64String(BrokerProtocol.Proof(impostor.Key, "client", brokerNonce, nonce)),
            ["op"] = "sign",
            ["payload"] = Convert.ToBase64String(Statement("evil").ToJson()),
            ["sha256"] = Convert.ToHexStringLower(SHA256.HashData("evil"u8)),
        }, TestContext.CancellationToken);

        await Assert.ThrowsAsync<EndOfStreamException>(() => BrokerProtocol.ReadAsync(stream, TestContext.CancellationToken));
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
                await BrokerProtocol.ReadAsync(stream, stop.Token);
                await BrokerProtocol.WriteAsync(stream, new JsonObject
                {
                    ["proof"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
                    ["nonce"] = Convert.ToBase64String(BrokerProtocol.NewNonce()),
                }, stop.Token);
                try
                {
                    await BrokerProtocol.ReadAsync(stream, stop.Token);
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
    public async Task RendezvousDirectoryOpenToOthers_IsNotUsed()
    {
        if (OperatingSystem.IsWindows())
        {
            Assert.Inconclusive("Unix permissions.");
            return;
        }

        Directory.CreateDirectory(_directory);
        File.SetUnixFileMode(_directory, (UnixFileMode)0b111_111_111);
        var scope = Scope("job-1");
        using var node = Join(scope);

        Assert.AreEqual(SharedSignerRole.Local, node.Role);
        var notice = node.DrainNotices().Single(n => n.Code is not null);
        Assert.AreEqual(SigningCodes.SharedSessionUnavailable, notice.Code);
        Assert.Contains("not private to the user (mode 777", notice.Message);
        Assert.IsFalse(File.Exists(scope.LockPath) || File.Exists(scope.SocketPath), "nothing is created in a shared directory");
        Verify(await SignAsync(node, "a"));
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

        var error = await Assert.ThrowsAsync<SigstoreException>(() => client.SignAsync(Statement("a"), bundlePath, TestContext.CancellationToken));

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
        using var broker = SigningBroker.TryStart(scope, () => new SwappingSigner(CreateSession((_, _) => { }, _ => { })))!;
        Assert.IsNotNull(broker);
        using var client = Join(scope);
        Assert.AreEqual(SharedSignerRole.Client, client.Role);
        var bundlePath = Path.Combine(_directory, "a.sigstore.json");

        var error = await Assert.ThrowsAsync<SigstoreException>(() => client.SignAsync(Statement("a"), bundlePath, TestContext.CancellationToken));

        Assert.AreEqual(SigningCodes.SharedSessionFailed, error.Code);
        Assert.IsFalse(File.Exists(bundlePath), "nothing is written");
        Assert.AreEqual(1, broker.RemoteRequestsSigned, "the broker did sign, just not what was asked");
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

    private static InTotoStatement Statement(string name) =>
        new([new StatementSubject(name, new Dictionary<string, string> { ["sha256"] = Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(name))) })],
            "https://sigstorebuild.invalid/tests/shared-session", new JsonObject { ["name"] = name });

    private async Task<(string Name, string Path, SignedAttestation Signed)> SignAsync(SharedSigner signer, string name)
    {
        var path = Path.Combine(_directory, name + ".sigstore.json");
        Directory.CreateDirectory(_directory);
        var signed = await signer.SignAsync(Statement(name), path, TestContext.CancellationToken);
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
            inner.ProduceBundleAsync(Statement("swapped").ToJson(), SHA256.HashData("swapped"u8), cancellationToken);

        protected override void Dispose(bool disposing) => inner.Dispose();
    }
}
