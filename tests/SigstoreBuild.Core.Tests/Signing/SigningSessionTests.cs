using System.Diagnostics;
using System.Text;
using SigstoreBuild.Attestations;
using SigstoreBuild.Bundles;
using SigstoreBuild.Diagnostics;
using SigstoreBuild.Identity;
using SigstoreBuild.LocalStack.Faults;
using SigstoreBuild.Signing;

namespace SigstoreBuild.Tests.Signing;

[TestClass]
public sealed class SigningSessionTests
{
    public TestContext TestContext { get; set; } = null!;

    private static SigningSession Session(TestSigstore.Http fake, IBundleVerifier verifier, SigningOptions options, IIdentityTokenProvider? identity = null, int rekorVersion = 1, bool withTsa = true) =>
        new(new StaticSigningTrustProvider(fake.Trust with { SigningConfig = fake.SigningConfig(rekorVersion, withTsa) }),
            identity ?? ExplicitTokenProvider.FromToken(TestSigstore.Http.MakeToken()), verifier, options);

    private static async Task<SigstoreException> FailsAsync(Func<Task> action)
    {
        try
        {
            await action();
        }
        catch (SigstoreException ex)
        {
            return ex;
        }

        Assert.Fail("Expected a SigstoreException.");
        return null!;
    }

    [TestMethod]
    public async Task TwentyFilesInOneSession_OneFulcioRequest_AllBundlesVerifiedAndWritten()
    {
        using var fake = new TestSigstore.Http();
        using var dir = new TempDirectory();
        var verifier = new RecordingVerifier();
        using var session = Session(fake, verifier, SigningTestSupport.Options());
        var requests = Enumerable.Range(0, 20).Select(i => new SigningRequest(dir.File($"a{i}.bin", $"artifact {i}"), dir.File($"a{i}.bin.sigstore.json"))).ToList();

        var sw = Stopwatch.StartNew();
        await session.SignFileAsync(requests[0].ArtifactPath, requests[0].BundlePath, TestContext.CancellationToken);
        var first = sw.Elapsed;
        var results = await session.SignFilesAsync(requests.Skip(1).ToList(), TestContext.CancellationToken);
        var rest = sw.Elapsed - first;
        Console.WriteLine($"first file (login + certificate): {first.TotalMilliseconds:0} ms; 19 more files: {rest.TotalMilliseconds:0} ms ({rest.TotalMilliseconds / 19:0.0} ms per extra file)");

        Assert.AreEqual(1, fake.FulcioRequests);
        Assert.AreEqual(1, session.CertificateRequests);
        Assert.AreEqual(20, dir.Bundles.Length);
        Assert.AreEqual(0, dir.Temps.Length);
        Assert.AreEqual(20, verifier.Calls.Count);
        Assert.AreEqual(20, fake.V1EntryCount);
        var certs = new HashSet<string>();
        foreach (var r in results)
        {
            var bundle = BundleSerializer.Load(r.BundlePath);
            Assert.AreEqual(Bundle.MediaTypeV03, bundle.MediaType);
            Assert.IsNotNull(bundle.VerificationMaterial!.Certificate);
            var entry = bundle.VerificationMaterial.TlogEntries!.Single();
            Assert.AreEqual("hashedrekord", entry.KindVersion!.Kind);
            Assert.IsNotNull(entry.InclusionPromise);
            Assert.IsNotNull(entry.InclusionProof!.Checkpoint);
            Assert.AreEqual(1, bundle.VerificationMaterial.TimestampVerificationData!.Rfc3161Timestamps!.Count);
            CollectionAssert.AreEqual(r.Sha256, bundle.MessageSignature!.MessageDigest!.Digest);
            certs.Add(Convert.ToBase64String(bundle.VerificationMaterial.Certificate.RawBytes!));
        }

        Assert.AreEqual(1, certs.Count, "one certificate for the whole batch");
        var call = verifier.Calls.First().Request;
        Assert.AreEqual(TestSigstore.Http.Email, call.ExpectedSubjectAlternativeName);
        Assert.AreEqual(TestSigstore.Http.Issuer, call.ExpectedIssuer);
    }

    [TestMethod]
    public async Task RekorV2_WithTimestamp_ProducesV2Entry()
    {
        using var fake = new TestSigstore.Http();
        using var dir = new TempDirectory();
        using var session = Session(fake, new RecordingVerifier(), SigningTestSupport.Options(), rekorVersion: 2);
        var result = await session.SignFileAsync(dir.File("a.bin", "x"), dir.File("a.sigstore.json"), TestContext.CancellationToken);
        var entry = result.Bundle.VerificationMaterial!.TlogEntries!.Single();
        Assert.AreEqual("0.0.2", entry.KindVersion!.Version);
        Assert.IsNull(entry.InclusionPromise);
        Assert.AreEqual(1, fake.V2EntryCount);
        Assert.AreEqual(1, result.Bundle.VerificationMaterial.TimestampVerificationData!.Rfc3161Timestamps!.Count);
    }

    [TestMethod]
    public async Task RekorV2_WithoutTimestampAuthority_IsRefused()
    {
        using var fake = new TestSigstore.Http();
        using var dir = new TempDirectory();
        using var session = Session(fake, new RecordingVerifier(), SigningTestSupport.Options(), rekorVersion: 2, withTsa: false);
        var ex = await FailsAsync(() => session.SignFileAsync(dir.File("a.bin", "x"), dir.File("a.sigstore.json"), TestContext.CancellationToken));
        Assert.AreEqual(SigningCodes.RekorV2RequiresTimestamp, ex.Code);
        Assert.AreEqual(0, fake.FulcioRequests);
    }

    [TestMethod]
    [DataRow(1)]
    [DataRow(2)]
    public async Task Attest_SignsInTotoStatementAsDsse(int rekorVersion)
    {
        using var fake = new TestSigstore.Http();
        using var dir = new TempDirectory();
        var verifier = new RecordingVerifier();
        using var session = Session(fake, verifier, SigningTestSupport.Options(), rekorVersion: rekorVersion);
        var results = await session.SignFilesAsync([new SigningRequest(dir.File("pkg.nupkg", "package"), dir.File("pkg.sigstore.json")) { PredicateType = "https://slsa.dev/provenance/v1" }], TestContext.CancellationToken);
        var env = results[0].Bundle.DsseEnvelope!;
        Assert.AreEqual(InTotoStatement.PayloadType, env.PayloadType);
        StringAssert.Contains(Encoding.UTF8.GetString(env.Payload!), Convert.ToHexStringLower(results[0].Sha256));
        Assert.AreEqual("dsse", results[0].Bundle.VerificationMaterial!.TlogEntries![0].KindVersion!.Kind);
        Assert.IsTrue(verifier.Calls.Single().Request.IsDsse);
    }

    [TestMethod]
    public async Task CsrStyle_IsAcceptedByFulcio()
    {
        using var fake = new TestSigstore.Http();
        using var dir = new TempDirectory();
        using var session = Session(fake, new RecordingVerifier(), SigningTestSupport.Options() with { FulcioRequestStyle = SigstoreBuild.Fulcio.FulcioRequestStyle.CertificateSigningRequest });
        await session.SignFileAsync(dir.File("a.bin", "x"), dir.File("a.sigstore.json"), TestContext.CancellationToken);
        Assert.AreEqual(1, dir.Bundles.Length);
    }

    // F-01
    [TestMethod]
    public async Task F01_FulcioDown_FailsAfterBoundedRetries_NoFiles()
    {
        using var fake = new TestSigstore.Http();
        using var dir = new TempDirectory();
        fake.Faults.Enqueue(SigstoreService.Fulcio, FaultKind.ServiceUnavailable, 100);
        using var session = Session(fake, new RecordingVerifier(), SigningTestSupport.Options());
        var ex = await FailsAsync(() => session.SignFileAsync(dir.File("a.bin", "x"), dir.File("a.sigstore.json"), TestContext.CancellationToken));
        Assert.AreEqual(SigningCodes.FulcioUnavailable, ex.Code);
        StringAssert.Contains(ex.Message, "Fulcio");
        Assert.AreEqual(SigningTestSupport.FastRetries.MaxAttempts, fake.FulcioRequests);
        Assert.AreEqual(0, dir.Bundles.Length);
        Assert.AreEqual(0, dir.Temps.Length);
    }

    [TestMethod]
    public async Task F01_FulcioTransient503_IsRetried()
    {
        using var fake = new TestSigstore.Http();
        using var dir = new TempDirectory();
        fake.Faults.Enqueue(SigstoreService.Fulcio, FaultKind.ServiceUnavailable, 2);
        using var session = Session(fake, new RecordingVerifier(), SigningTestSupport.Options());
        await session.SignFileAsync(dir.File("a.bin", "x"), dir.File("a.sigstore.json"), TestContext.CancellationToken);
        Assert.AreEqual(3, fake.FulcioRequests);
        Assert.AreEqual(1, dir.Bundles.Length);
    }

    [TestMethod]
    public async Task F01_ConnectionRefused_IsCodedFulcioError()
    {
        using var fake = new TestSigstore.Http();
        using var dir = new TempDirectory();
        var config = fake.SigningConfig();
        config.CaUrls![0].Url = $"http://127.0.0.1:{TestHttpServer.FreePort()}";
        using var session = new SigningSession(new StaticSigningTrustProvider(fake.Trust with { SigningConfig = config }), ExplicitTokenProvider.FromToken(TestSigstore.Http.MakeToken()), new RecordingVerifier(), SigningTestSupport.Options());
        var ex = await FailsAsync(() => session.SignFileAsync(dir.File("a.bin", "x"), dir.File("a.sigstore.json"), TestContext.CancellationToken));
        Assert.AreEqual(SigningCodes.FulcioUnavailable, ex.Code);
        Assert.AreEqual(0, dir.Bundles.Length);
    }

    [TestMethod]
    public async Task NonHttpsServiceUrl_IsRefused()
    {
        using var fake = new TestSigstore.Http();
        var config = fake.SigningConfig();
        config.CaUrls![0].Url = "http://fulcio.example";
        using var session = new SigningSession(new StaticSigningTrustProvider(fake.Trust with { SigningConfig = config }), ExplicitTokenProvider.FromToken(TestSigstore.Http.MakeToken()), new RecordingVerifier(), SigningTestSupport.Options());
        var ex = await FailsAsync(() => session.SignDigestAsync(new byte[32], TestContext.CancellationToken));
        Assert.AreEqual(SigningCodes.InsecureServiceUrl, ex.Code);
    }

    // F-02
    [TestMethod]
    [DataRow(FulcioFault.WrongKey)]
    [DataRow(FulcioFault.RogueCa)]
    [DataRow(FulcioFault.WrongSan)]
    [DataRow(FulcioFault.NoSct)]
    [DataRow(FulcioFault.WrongIssuer)]
    public async Task F02_BadFulcioCertificate_IsRejectedBeforeSigning(FulcioFault fault)
    {
        using var fake = new TestSigstore.Http { FulcioFault = fault };
        using var dir = new TempDirectory();
        using var session = Session(fake, new RecordingVerifier(), SigningTestSupport.Options());
        var ex = await FailsAsync(() => session.SignFileAsync(dir.File("a.bin", "x"), dir.File("a.sigstore.json"), TestContext.CancellationToken));
        Assert.AreEqual(SigningCodes.FulcioResponseInvalid, ex.Code);
        StringAssert.Contains(ex.Message, "Fulcio response failed verification");
        Assert.AreEqual(0, fake.TsaRequests + fake.RekorRequests, "nothing may be signed or logged with a bad certificate");
        Assert.AreEqual(0, dir.Bundles.Length);
    }

    // F-03
    [TestMethod]
    public async Task F03_Fulcio401_RequestsFreshTokenOnce()
    {
        using var fake = new TestSigstore.Http();
        using var dir = new TempDirectory();
        fake.UnauthorizedFulcio(1);
        var provider = new CountingTokenProvider(_ => TestSigstore.Http.MakeToken());
        using var session = Session(fake, new RecordingVerifier(), SigningTestSupport.Options(), provider);
        await session.SignFileAsync(dir.File("a.bin", "x"), dir.File("a.sigstore.json"), TestContext.CancellationToken);
        Assert.AreEqual(2, provider.Calls);
        Assert.AreEqual(2, fake.FulcioRequests);
        var auths = fake.FulcioAuthorizations.ToArray();
        Assert.AreNotEqual(auths[0], auths[1], "the retry uses the fresh token");
    }

    [TestMethod]
    public async Task F03_Fulcio401Twice_FailsWithTokenRejected()
    {
        using var fake = new TestSigstore.Http();
        using var dir = new TempDirectory();
        fake.UnauthorizedFulcio(2);
        var provider = new CountingTokenProvider(_ => TestSigstore.Http.MakeToken());
        using var session = Session(fake, new RecordingVerifier(), SigningTestSupport.Options(), provider);
        var ex = await FailsAsync(() => session.SignFileAsync(dir.File("a.bin", "x"), dir.File("a.sigstore.json"), TestContext.CancellationToken));
        Assert.AreEqual(IdentityCodes.TokenRejected, ex.Code);
        Assert.AreEqual(0, dir.Bundles.Length);
    }

    [TestMethod]
    public async Task F03_ExpiredToken_IsRefreshedJustInTime_ThenFailsClearly()
    {
        using var fake = new TestSigstore.Http();
        using var dir = new TempDirectory();
        var refreshing = new CountingTokenProvider(n => TestSigstore.Http.MakeToken(expires: n == 1 ? DateTimeOffset.UtcNow.AddMinutes(-1) : null));
        using (var session = Session(fake, new RecordingVerifier(), SigningTestSupport.Options(), refreshing))
        {
            await session.SignFileAsync(dir.File("a.bin", "x"), dir.File("a.sigstore.json"), TestContext.CancellationToken);
            Assert.AreEqual(2, refreshing.Calls);
        }

        var stale = new CountingTokenProvider(_ => TestSigstore.Http.MakeToken(expires: DateTimeOffset.UtcNow.AddMinutes(-1)), canRefresh: false);
        using var session2 = Session(fake, new RecordingVerifier(), SigningTestSupport.Options(), stale);
        var ex = await FailsAsync(() => session2.SignFileAsync(dir.File("b.bin", "x"), dir.File("b.sigstore.json"), TestContext.CancellationToken));
        Assert.AreEqual(IdentityCodes.TokenExpired, ex.Code);
        Assert.AreEqual(1, fake.FulcioRequests, "no certificate request with an expired token");
    }

    // F-04
    [TestMethod]
    public async Task F04_RekorCommitsThenFails_RetryResubmitsIdenticalEntryAndUsesExisting()
    {
        using var fake = new TestSigstore.Http();
        using var dir = new TempDirectory();
        fake.Faults.Enqueue(SigstoreService.RekorV1, FaultKind.CommitThenServiceUnavailable, 1);
        using var session = Session(fake, new RecordingVerifier(), SigningTestSupport.Options());
        var result = await session.SignFileAsync(dir.File("a.bin", "x"), dir.File("a.sigstore.json"), TestContext.CancellationToken);
        Assert.AreEqual(1, fake.V1EntryCount, "one log entry, no orphan");
        var bodies = fake.RekorBodies.ToArray();
        Assert.AreEqual(2, bodies.Length);
        CollectionAssert.AreEqual(bodies[0], bodies[1], "the retry must send the identical entry");
        Assert.AreEqual(1000, result.Bundle.VerificationMaterial!.TlogEntries![0].LogIndex);
        Assert.AreEqual(1, fake.FulcioRequests);
    }

    // F-05
    [TestMethod]
    [DataRow(RekorFault.BadBody)]
    [DataRow(RekorFault.BadProof)]
    [DataRow(RekorFault.WrongCheckpointKey)]
    [DataRow(RekorFault.UntrustedLog)]
    [DataRow(RekorFault.BadSet)]
    public async Task F05_BadLogEntry_FailsWithoutBundle(RekorFault fault)
    {
        using var fake = new TestSigstore.Http { RekorFault = fault };
        using var dir = new TempDirectory();
        var verifier = new RecordingVerifier();
        using var session = Session(fake, verifier, SigningTestSupport.Options());
        var ex = await FailsAsync(() => session.SignFileAsync(dir.File("a.bin", "x"), dir.File("a.sigstore.json"), TestContext.CancellationToken));
        Assert.AreEqual(SigningCodes.RekorEntryInvalid, ex.Code);
        Assert.AreEqual(0, verifier.Calls.Count);
        Assert.AreEqual(0, dir.Bundles.Length);
        Assert.AreEqual(0, dir.Temps.Length);
    }

    // F-06
    [TestMethod]
    [DataRow(TsaFault.WrongImprint, SigningCodes.TsaResponseInvalid)]
    [DataRow(TsaFault.UntrustedTsa, SigningCodes.TsaResponseInvalid)]
    public async Task F06_BadTimestamp_FailsBeforeLogging(TsaFault fault, string code)
    {
        using var fake = new TestSigstore.Http { TsaFault = fault };
        using var dir = new TempDirectory();
        using var session = Session(fake, new RecordingVerifier(), SigningTestSupport.Options());
        var ex = await FailsAsync(() => session.SignFileAsync(dir.File("a.bin", "x"), dir.File("a.sigstore.json"), TestContext.CancellationToken));
        Assert.AreEqual(code, ex.Code);
        Assert.AreEqual(0, fake.RekorRequests, "nothing is logged when the timestamp is bad");
        Assert.AreEqual(0, dir.Bundles.Length);
    }

    [TestMethod]
    [DataRow(1)]
    [DataRow(2)]
    public async Task F06_TsaDown_FailsAfterRetries(int rekorVersion)
    {
        using var fake = new TestSigstore.Http();
        using var dir = new TempDirectory();
        fake.Faults.Enqueue(SigstoreService.Tsa, FaultKind.ServiceUnavailable, 100);
        using var session = Session(fake, new RecordingVerifier(), SigningTestSupport.Options(), rekorVersion: rekorVersion);
        var ex = await FailsAsync(() => session.SignFileAsync(dir.File("a.bin", "x"), dir.File("a.sigstore.json"), TestContext.CancellationToken));
        Assert.AreEqual(SigningCodes.TsaUnavailable, ex.Code);
        Assert.AreEqual(SigningTestSupport.FastRetries.MaxAttempts, fake.TsaRequests);
        Assert.AreEqual(0, dir.Bundles.Length);
    }

    // F-07
    [TestMethod]
    public async Task F07_RateLimitedRekor_HonoursRetryAfterAndSucceeds()
    {
        using var fake = new TestSigstore.Http();
        using var dir = new TempDirectory();
        fake.Faults.Enqueue(SigstoreService.RekorV1, FaultKind.TooManyRequests, 3, retryAfter: TimeSpan.Zero);
        var log = new CapturingLog();
        using var session = Session(fake, new RecordingVerifier(), SigningTestSupport.Options(log));
        var requests = Enumerable.Range(0, 5).Select(i => new SigningRequest(dir.File($"a{i}", $"{i}"), dir.File($"a{i}.sigstore.json"))).ToList();
        await session.SignFilesAsync(requests, TestContext.CancellationToken);
        Assert.AreEqual(5, dir.Bundles.Length);
        Assert.AreEqual(5, fake.V1EntryCount);
        Assert.IsTrue(log.Entries.Any(e => e.Code == SigningCodes.RetryingService));
    }

    [TestMethod]
    public async Task F07_BatchIsAllOrNothing()
    {
        using var fake = new TestSigstore.Http();
        using var dir = new TempDirectory();
        using var session = Session(fake, new RecordingVerifier(), SigningTestSupport.Options());
        var requests = Enumerable.Range(0, 4).Select(i => new SigningRequest(dir.File($"a{i}", $"{i}"), dir.File($"a{i}.sigstore.json"))).ToList();
        requests.Add(new SigningRequest(dir.File("missing.bin"), dir.File("missing.sigstore.json")));
        var ex = await FailsAsync(() => session.SignFilesAsync(requests, TestContext.CancellationToken));
        Assert.AreEqual(SigningCodes.ArtifactUnreadable, ex.Code);
        Assert.AreEqual(0, dir.Bundles.Length);
        Assert.AreEqual(0, dir.Temps.Length);
    }

    // F-08
    [TestMethod]
    public async Task F08_ClockSkew_WarnsButSigns()
    {
        using var fake = new TestSigstore.Http();
        using var dir = new TempDirectory();
        var log = new CapturingLog();
        using var session = Session(fake, new RecordingVerifier(), SigningTestSupport.Options(log, new OffsetTimeProvider(TimeSpan.FromMinutes(-10))));
        await session.SignFileAsync(dir.File("a.bin", "x"), dir.File("a.sigstore.json"), TestContext.CancellationToken);
        Assert.AreEqual(1, dir.Bundles.Length);
        Assert.IsTrue(log.Entries.Any(e => e.Code == SigningCodes.ClockSkew && e.Level == SigningLogLevel.Warning));
    }

    // F-09
    [TestMethod]
    public async Task F09_CertificateOutlived_RestartsOnceWithNewKey()
    {
        using var fake = new TestSigstore.Http();
        using var dir = new TempDirectory();
        fake.Faults.Enqueue(SigstoreService.Tsa, FaultKind.GenTimeOutsideValidity, 1);
        using var session = Session(fake, new RecordingVerifier(), SigningTestSupport.Options());
        var result = await session.SignFileAsync(dir.File("a.bin", "x"), dir.File("a.sigstore.json"), TestContext.CancellationToken);
        Assert.AreEqual(2, fake.FulcioRequests, "a fresh certificate (and key) after the first expired");
        Assert.AreEqual(1, dir.Bundles.Length);
        Assert.IsNotNull(result.Bundle);
    }

    [TestMethod]
    public async Task F09_CertificateOutlivedTwice_Fails()
    {
        using var fake = new TestSigstore.Http();
        using var dir = new TempDirectory();
        fake.Faults.Enqueue(SigstoreService.Tsa, FaultKind.GenTimeOutsideValidity, 10);
        var verifier = new RecordingVerifier();
        using var session = Session(fake, verifier, SigningTestSupport.Options());
        var ex = await FailsAsync(() => session.SignFileAsync(dir.File("a.bin", "x"), dir.File("a.sigstore.json"), TestContext.CancellationToken));
        Assert.AreEqual(SigningCodes.CertificateOutlived, ex.Code);
        Assert.AreEqual(2, fake.FulcioRequests);
        Assert.AreEqual(0, verifier.Calls.Count);
        Assert.AreEqual(0, dir.Bundles.Length);
    }

    // F-10
    [TestMethod]
    public async Task F10_WriteFailure_LeavesNoBundleAndNoTempFile()
    {
        using var fake = new TestSigstore.Http();
        using var dir = new TempDirectory();
        var bundlePath = dir.File("a.sigstore.json");
        Directory.CreateDirectory(bundlePath); // the rename onto it must fail
        using var session = Session(fake, new RecordingVerifier(), SigningTestSupport.Options());
        var ex = await FailsAsync(() => session.SignFileAsync(dir.File("a.bin", "x"), bundlePath, TestContext.CancellationToken));
        Assert.AreEqual(SigningCodes.BundleWriteFailed, ex.Code);
        Assert.AreEqual(0, dir.Temps.Length);
        Assert.IsFalse(File.Exists(bundlePath));
    }

    [TestMethod]
    public async Task F10_ExistingBundleIsReplacedAtomically()
    {
        using var fake = new TestSigstore.Http();
        using var dir = new TempDirectory();
        var bundlePath = dir.File("a.sigstore.json", "stale");
        using var session = Session(fake, new RecordingVerifier(), SigningTestSupport.Options());
        await session.SignFileAsync(dir.File("a.bin", "x"), bundlePath, TestContext.CancellationToken);
        Assert.AreEqual(Bundle.MediaTypeV03, BundleSerializer.Load(bundlePath).MediaType);
        Assert.AreEqual(0, dir.Temps.Length);
    }

    // F-11 (the library side: nothing is handed out for publishing unless the final verify accepted it)
    [TestMethod]
    public async Task F11_FinalVerifyRejects_NothingWritten()
    {
        using var fake = new TestSigstore.Http();
        using var dir = new TempDirectory();
        var previous = dir.File("a.sigstore.json", "previous good state");
        using var session = Session(fake, new RecordingVerifier { RejectWithCode = "SSB3101" }, SigningTestSupport.Options());
        var ex = await FailsAsync(() => session.SignFileAsync(dir.File("a.bin", "x"), previous, TestContext.CancellationToken));
        Assert.AreEqual(SigningCodes.FinalVerificationFailed, ex.Code);
        StringAssert.Contains(ex.Message, "SSB3101");
        Assert.AreEqual("previous good state", File.ReadAllText(previous));
        Assert.AreEqual(0, dir.Temps.Length);
    }

    // F-12
    [TestMethod]
    public async Task F12_TrustRootRefreshFails_NothingSignedNoTokenFetched()
    {
        using var fake = new TestSigstore.Http();
        using var dir = new TempDirectory();
        var provider = new CountingTokenProvider(_ => TestSigstore.Http.MakeToken());
        using var session = new SigningSession(new ThrowingTrustProvider(), provider, new RecordingVerifier(), SigningTestSupport.Options());
        var ex = await FailsAsync(() => session.SignFileAsync(dir.File("a.bin", "x"), dir.File("a.sigstore.json"), TestContext.CancellationToken));
        Assert.AreEqual(SigningCodes.TrustRootUnavailable, ex.Code);
        StringAssert.Contains(ex.Message, "trust root could not be refreshed");
        Assert.AreEqual(0, provider.Calls);
        Assert.AreEqual(0, fake.FulcioRequests);
        Assert.AreEqual(0, dir.Bundles.Length);
    }

    [TestMethod]
    public async Task SentinelToken_NeverAppearsInLogsOrExceptions()
    {
        const string Secret = "SENTINELxTOKENxSECRET";
        using var fake = new TestSigstore.Http { FulcioFault = FulcioFault.EchoTokenIn400 };
        using var dir = new TempDirectory();
        var log = new CapturingLog();
        var token = TestSigstore.Http.MakeToken(secret: Secret);
        using var session = Session(fake, new RecordingVerifier(), SigningTestSupport.Options(log), ExplicitTokenProvider.FromToken(token));
        var ex = await FailsAsync(() => session.SignFileAsync(dir.File("a.bin", "x"), dir.File("a.sigstore.json"), TestContext.CancellationToken));
        Assert.AreEqual(SigningCodes.FulcioRejected, ex.Code);

        // A successful run at the highest verbosity, too.
        fake.FulcioFault = FulcioFault.None;
        using var ok = Session(fake, new RecordingVerifier(), SigningTestSupport.Options(log), ExplicitTokenProvider.FromToken(token));
        await ok.SignFileAsync(dir.File("b.bin", "x"), dir.File("b.sigstore.json"), TestContext.CancellationToken);

        var everything = ex.ToString() + ex.Message + log.AllText + IdentityToken.Parse(token).ToString() + File.ReadAllText(dir.File("b.sigstore.json"));
        Assert.IsTrue(log.Entries.Any(e => e.Level == SigningLogLevel.Debug), "debug logging was on");
        Assert.IsFalse(everything.Contains(Secret, StringComparison.Ordinal));
        Assert.IsFalse(everything.Contains(token, StringComparison.Ordinal));
    }
}
