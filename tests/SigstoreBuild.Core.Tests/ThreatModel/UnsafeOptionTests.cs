using System.Globalization;
using System.Security.Cryptography;
using SigstoreBuild.Diagnostics;
using SigstoreBuild.Verification;

namespace SigstoreBuild.Tests.ThreatModel;

/// <summary>
/// P-06: <see cref="VerifierOptions.UnsafeSkipTransparencyLog"/> and <see cref="VerifierOptions.UnsafeAllowCurrentTime"/>
/// weaken exactly the one threshold they name, and every time they are relied on the result carries an SSB3550 warning.
/// </summary>
[TestClass]
public sealed class UnsafeOptionTests
{
    private static TestSigstore Sigstore => TestSigstore.Shared;

    private static readonly VerifierOptions SkipLog = VerifierOptions.PublicGood with { UnsafeSkipTransparencyLog = true };

    private static readonly VerifierOptions CurrentTime = VerifierOptions.PublicGood with { UnsafeAllowCurrentTime = true };

    private static readonly VerifierOptions Both = VerifierOptions.PublicGood with { UnsafeSkipTransparencyLog = true, UnsafeAllowCurrentTime = true };

    private static VerificationWarning[] UnsafeWarnings(VerificationResult result) =>
        result.Warnings.Where(w => w.Code == PolicyCodes.UnsafeOptionUsed).ToArray();

    // ---- UnsafeSkipTransparencyLog ----

    [TestMethod]
    public void SkipLog_AcceptsAnUnloggedBundle_WithOneWarning()
    {
        var unlogged = Sigstore.Sign(new BundleSpec { Rekor = Rekor.None, Timestamps = 1 });
        Expect.Rejects(PolicyCodes.TlogThresholdNotMet, unlogged);

        var result = Expect.Verifies(unlogged, verifier: Sigstore.Verifier(SkipLog));
        var warning = Assert.ContainsSingle(UnsafeWarnings(result));
        StringAssert.Contains(warning.Message, nameof(VerifierOptions.UnsafeSkipTransparencyLog));
        Assert.AreEqual(result.Warnings.Count, UnsafeWarnings(result).Length);
        Assert.IsEmpty(result.LogEntries);
        Assert.AreEqual("timestamp-authority", Assert.ContainsSingle(result.VerifiedTimes).Source);
    }

    [TestMethod]
    public void SkipLog_NotUsed_NoWarning()
    {
        var result = Expect.Verifies(Sigstore.Sign(), verifier: Sigstore.Verifier(SkipLog));
        Assert.IsEmpty(result.Warnings);
        Assert.HasCount(1, result.LogEntries);
    }

    [TestMethod]
    public void SkipLog_StillVerifiesTheEntriesThatArePresent() => Expect.TwinVerifies_BrokenRejected(
        Sigstore.Sign(), b => b.Entry["integratedTime"] = (long.Parse(b.Entry["integratedTime"]!.GetValue<string>(), CultureInfo.InvariantCulture) - 1).ToString(CultureInfo.InvariantCulture),
        TlogCodes.InvalidSignedEntryTimestamp, verifier: Sigstore.Verifier(SkipLog));

    [TestMethod]
    public void SkipLog_StillRequiresAVerifiedTime()
    {
        // No log entry and no timestamp: the log threshold is waived, the time threshold is not.
        var bare = Sigstore.Sign(new BundleSpec { Rekor = Rekor.None, Timestamps = 0 });
        Expect.Rejects(PolicyCodes.VerifiedTimeThresholdNotMet, bare, verifier: Sigstore.Verifier(SkipLog));
    }

    [TestMethod]
    public void SkipLog_StillChecksTheSignatureAndTheIdentity()
    {
        var unlogged = Sigstore.Sign(new BundleSpec { Rekor = Rekor.None, Timestamps = 1 });
        Expect.Rejects(PolicyCodes.ArtifactDigestMismatch, unlogged, VerificationPolicy.ForArtifact([1, 2, 3]).RequireIdentity(CertificateIdentity.Exact(TestSigstore.Email, Sigstore.BaseUrl)), Sigstore.Verifier(SkipLog));
        Expect.Rejects(PolicyCodes.SubjectAlternativeNameMismatch, unlogged, VerificationPolicy.ForArtifact(unlogged.Artifact).RequireIdentity(CertificateIdentity.Exact("mallory@example.test", Sigstore.BaseUrl)), Sigstore.Verifier(SkipLog));
    }

    [TestMethod]
    public void SkipLog_DoesNotWaiveTheSctThreshold()
    {
        var unlogged = Sigstore.Sign(new BundleSpec { Rekor = Rekor.None, Timestamps = 1, Leaf = t => t.EmbedSct = false });
        Expect.Rejects(CertificateCodes.SctThresholdNotMet, unlogged, verifier: Sigstore.Verifier(SkipLog));
    }

    [TestMethod]
    public void SkipLog_WaivesOnlyWhatIsMissing_ThresholdOfTwo()
    {
        // One verified log where two are required: accepted with the warning; the entry is still reported.
        var options = SkipLog with { TransparencyLogThreshold = 2 };
        var bundle = Sigstore.Sign();
        Expect.Rejects(PolicyCodes.TlogThresholdNotMet, bundle, verifier: Sigstore.Verifier(VerifierOptions.PublicGood with { TransparencyLogThreshold = 2 }));
        var result = Expect.Verifies(bundle, verifier: Sigstore.Verifier(options));
        Assert.ContainsSingle(UnsafeWarnings(result));
        Assert.HasCount(1, result.LogEntries);
    }

    // ---- UnsafeAllowCurrentTime ----

    [TestMethod]
    public void CurrentTime_WaivesTheTimeThreshold_WithOneWarning()
    {
        // One SET-verified time where two are required.
        var bundle = Sigstore.Sign();
        Expect.Rejects(PolicyCodes.VerifiedTimeThresholdNotMet, bundle, verifier: Sigstore.Verifier(VerifierOptions.PublicGood with { VerifiedTimeThreshold = 2 }));
        var result = Expect.Verifies(bundle, verifier: Sigstore.Verifier(CurrentTime with { VerifiedTimeThreshold = 2 }));
        var warning = Assert.ContainsSingle(UnsafeWarnings(result));
        StringAssert.Contains(warning.Message, nameof(VerifierOptions.UnsafeAllowCurrentTime));

        // The verified time is kept; the clock is used only when there is no verified time at all.
        Assert.AreEqual("tlog", Assert.ContainsSingle(result.VerifiedTimes).Source);
    }

    [TestMethod]
    public void CurrentTime_NotUsed_NoWarning()
    {
        var result = Expect.Verifies(Sigstore.Sign(), verifier: Sigstore.Verifier(CurrentTime));
        Assert.IsEmpty(result.Warnings);
    }

    [TestMethod]
    public void CurrentTime_DoesNotWaiveTheLogThreshold()
    {
        var unlogged = Sigstore.Sign(new BundleSpec { Rekor = Rekor.None, Timestamps = 0 });
        Expect.Rejects(PolicyCodes.TlogThresholdNotMet, unlogged, verifier: Sigstore.Verifier(CurrentTime));
    }

    [TestMethod]
    public void CurrentTime_DoesNotExcuseALogEntryWithoutSignedTime()
    {
        // A Rekor v2 entry needs a TSA token to say when it was signed; the clock is not a substitute.
        Expect.TwinVerifies_BrokenRejected(Sigstore.Sign(new BundleSpec { Rekor = Rekor.V2 }),
            b => b.Material.Remove("timestampVerificationData"), PolicyCodes.MissingSignedTimestamp, verifier: Sigstore.Verifier(CurrentTime));
    }

    [TestMethod]
    public void BothOptions_CheckTheCertificateAtTheCurrentTime()
    {
        var bare = Sigstore.Sign(new BundleSpec { Rekor = Rekor.None, Timestamps = 0 });
        var result = Expect.Verifies(bare, verifier: Sigstore.Verifier(Both));
        Assert.HasCount(2, UnsafeWarnings(result));
        Assert.AreEqual(result.Warnings.Count, UnsafeWarnings(result).Length);
        var time = Assert.ContainsSingle(result.VerifiedTimes);
        Assert.AreEqual("current-time", time.Source);

        // A certificate that expired before now fails at the current time, even though nothing else dates the signature.
        var now = DateTimeOffset.UtcNow;
        var expired = Sigstore.Sign(new BundleSpec { Rekor = Rekor.None, Timestamps = 0, Leaf = t => { t.NotBefore = now.AddMinutes(-30); t.NotAfter = now.AddMinutes(-20); } });
        Expect.Rejects(CertificateCodes.NotValidAtTime, expired, verifier: Sigstore.Verifier(Both));
    }

    [TestMethod]
    public void BothOptions_StillCheckTheSignature()
    {
        var bare = Sigstore.Sign(new BundleSpec { Rekor = Rekor.None, Timestamps = 0 });
        Expect.Verifies(bare, verifier: Sigstore.Verifier(Both));
        var forged = bare.Clone();
        forged.Json["messageSignature"]!["signature"] = TestSigstore.B64(Sigstore.NewSigner().Key.SignData(forged.Artifact, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence));
        Expect.Rejects(KeyCodes.InvalidSignature, forged, verifier: Sigstore.Verifier(Both));
    }

    // ---- UnsafeAllowUncorroboratedProvenance ----

    [TestMethod]
    public void UncorroboratedProvenance_Refused_UnlessUnsafeAllowed_ThenWarned()
    {
        // SLSA provenance signed by an email identity: its certificate has no build or source extension to compare.
        var bundle = Sigstore.Sign(new BundleSpec { Dsse = true, Payload = VerifierCheckTests.Provenance(TestSigstore.DefaultArtifact) });
        var required = bundle.Policy().RequireProvenanceConsistency();

        Assert.IsEmpty(Expect.Verifies(bundle).Warnings, "without the check the signature alone decides");
        Expect.Rejects(AttestationCodes.ProvenanceNotCorroborated, bundle, required);

        var result = Expect.Verifies(bundle, required.UnsafeAllowUncorroboratedProvenance());
        var warning = Assert.ContainsSingle(result.Warnings);
        Assert.AreEqual(AttestationCodes.ProvenanceUncorroborated, warning.Code);
        StringAssert.Contains(warning.Message, nameof(VerificationPolicy.UnsafeAllowUncorroboratedProvenance));

        // The opt-out relaxes only the corroboration: a statement that is no SLSA provenance still fails.
        Assert.IsEmpty(Expect.Verifies(bundle, bundle.Policy().UnsafeAllowUncorroboratedProvenance()).Warnings, "not relied on without the check");
        var other = Sigstore.Sign(new BundleSpec { Dsse = true, Payload = TestSigstore.Statement(TestSigstore.DefaultArtifact, "https://example.test/other/v1") });
        Expect.Rejects(AttestationCodes.ProvenanceNotCheckable, other, other.Policy().RequireProvenanceConsistency().UnsafeAllowUncorroboratedProvenance());
    }
}
