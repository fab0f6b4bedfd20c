using System.Security.Cryptography;
using System.Text;
using SigstoreBuild.Bundles;
using SigstoreBuild.Crypto;
using SigstoreBuild.Diagnostics;
using SigstoreBuild.Verification;

namespace SigstoreBuild.Tests.Verification;

/// <summary>The whole verifier over test-PKI bundles, with log entries and timestamps substituted (see <see cref="TestSigstore.Pki"/>).</summary>
[TestClass]
public sealed class VerifierPipelineTests
{
    private static readonly TestSigstore.Pki Pki = new();
    private static readonly CertificateIdentity Identity = CertificateIdentity.Exact(TestSigstore.Pki.San, TestSigstore.Pki.Issuer);

    private static (Bundle Bundle, TestSigstore.Pki.LeafSpec Spec) Signed(Action<TestSigstore.Pki.LeafSpec>? change = null, string version = "0.0.1")
    {
        var spec = Pki.NewLeaf();
        change?.Invoke(spec);
        return (Pki.MessageBundle(spec.Issue(), spec.Key, version: version), spec);
    }

    private static VerificationPolicy ArtifactPolicy => VerificationPolicy.ForArtifact(TestSigstore.Pki.Artifact).RequireIdentity(Identity);

    private static void AssertCode(string code, Action action)
    {
        var ex = Assert.ThrowsExactly<VerificationException>(action);
        Assert.AreEqual(code, ex.Code, ex.Message);
    }

    [TestMethod]
    public void ValidBundle_Verifies_WithEvidence()
    {
        var seen = new List<SigstoreBuild.Verification.SignedContent>();
        var (bundle, spec) = Signed();
        var result = Pki.CreateVerifier(seen: seen).Verify(bundle, ArtifactPolicy);
        Assert.AreEqual(TestSigstore.Pki.San, result.Identity!.SubjectAlternativeName);
        Assert.AreEqual(TestSigstore.Pki.Issuer, result.Identity.Issuer);
        Assert.AreEqual("1234", result.Identity.Extensions["sourceRepositoryIdentifier"]);
        Assert.HasCount(1, result.VerifiedTimes);
        Assert.HasCount(1, result.LogEntries);
        Assert.AreEqual("https://ct.test", result.CertificateTransparencyLogs.Single());
        Assert.AreEqual("sha256:" + Convert.ToHexStringLower(SHA256.HashData(TestSigstore.Pki.Artifact)), result.ArtifactDigest);

        // The log verifier is bound to the computed digest, the signature and the certificate.
        Assert.IsTrue(seen[0].ArtifactDigest!.AsSpan().SequenceEqual(SHA256.HashData(TestSigstore.Pki.Artifact)));
        Assert.IsTrue(seen[0].Signature.AsSpan().SequenceEqual(bundle.MessageSignature!.Signature));
        Assert.IsNotNull(seen[0].SignerCertificate);
        StringAssert.Contains(result.ToJson(), "\"subjectAlternativeName\"");
    }

    [TestMethod]
    public void DigestPolicy_Verifies()
    {
        var (bundle, _) = Signed();
        var policy = VerificationPolicy.ForDigest("sha256:" + Convert.ToHexString(SHA256.HashData(TestSigstore.Pki.Artifact))).RequireIdentity(Identity);
        Assert.IsNotNull(Pki.CreateVerifier().Verify(bundle, policy).Identity);
    }

    [TestMethod]
    public void StreamPolicy_Verifies()
    {
        var (bundle, _) = Signed();
        using var stream = new MemoryStream(TestSigstore.Pki.Artifact);
        Assert.IsNotNull(Pki.CreateVerifier().Verify(bundle, VerificationPolicy.ForArtifact(stream).RequireIdentity(Identity)).Identity);
    }

    [TestMethod]
    public void FilePolicy_VerifiesAndAChangedFileDoesNot()
    {
        var (bundle, _) = Signed();
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllBytes(path, TestSigstore.Pki.Artifact);
            Assert.IsNotNull(Pki.CreateVerifier().Verify(bundle, VerificationPolicy.ForArtifactFile(path).RequireIdentity(Identity)).Identity);
            File.AppendAllText(path, "!");
            AssertCode(PolicyCodes.ArtifactDigestMismatch, () => Pki.CreateVerifier().Verify(bundle, VerificationPolicy.ForArtifactFile(path).RequireIdentity(Identity)));
            File.WriteAllBytes(path, []);
            AssertCode(PolicyCodes.EmptyArtifact, () => Pki.CreateVerifier().Verify(bundle, VerificationPolicy.ForArtifactFile(path).RequireIdentity(Identity)));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [TestMethod]
    public void FilePolicy_Dsse_MatchesTheSubject()
    {
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllBytes(path, TestSigstore.Pki.Artifact);
            Assert.IsNotNull(Pki.CreateVerifier().Verify(Dsse(), VerificationPolicy.ForArtifactFile(path).RequireIdentity(Identity)).Statement);
            File.WriteAllText(path, "other");
            AssertCode(AttestationCodes.SubjectMismatch, () => Pki.CreateVerifier().Verify(Dsse(), VerificationPolicy.ForArtifactFile(path).RequireIdentity(Identity)));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [TestMethod]
    public void OtherArtifact_DigestHintMismatch() // B-02
    {
        var (bundle, _) = Signed();
        AssertCode(PolicyCodes.ArtifactDigestMismatch, () => Pki.CreateVerifier().Verify(bundle, VerificationPolicy.ForArtifact("other"u8.ToArray()).RequireIdentity(Identity)));
    }

    [TestMethod]
    public void OtherArtifact_WithoutHint_SignatureFails()
    {
        var (bundle, _) = Signed();
        bundle.MessageSignature!.MessageDigest = null;
        AssertCode(KeyCodes.InvalidSignature, () => Pki.CreateVerifier().Verify(bundle, VerificationPolicy.ForArtifact("other"u8.ToArray()).RequireIdentity(Identity)));
    }

    [TestMethod]
    public void TamperedSignature_Rejected()
    {
        var (bundle, _) = Signed();
        bundle.MessageSignature!.Signature = Pki.NewLeaf().Key.SignHash(SHA256.HashData(TestSigstore.Pki.Artifact), DSASignatureFormat.Rfc3279DerSequence);
        AssertCode(KeyCodes.InvalidSignature, () => Pki.CreateVerifier().Verify(bundle, ArtifactPolicy));
    }

    [TestMethod]
    public void EmptyArtifact_Rejected() => AssertCode(PolicyCodes.EmptyArtifact, () => Pki.CreateVerifier().Verify(Signed().Bundle, VerificationPolicy.ForArtifact([]).RequireIdentity(Identity)));

    [TestMethod]
    public void NoArtifact_NoDefault() => AssertCode(PolicyCodes.MissingArtifact, () => Pki.CreateVerifier().Verify(Signed().Bundle, VerificationPolicy.UnsafeWithoutArtifact().RequireIdentity(Identity) is var p && false ? p : NoArtifactPolicy()));

    private static VerificationPolicy NoArtifactPolicy()
    {
        // There is no public way to build a policy without an artifact except the Unsafe one; emulate a caller that forgot it.
        var ctor = typeof(VerificationPolicy).GetConstructor(System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance, Type.EmptyTypes)!;
        return ((VerificationPolicy)ctor.Invoke(null)).RequireIdentity(Identity);
    }

    [TestMethod]
    public void NoIdentity_NoDefault() => AssertCode(PolicyCodes.MissingIdentity, () => Pki.CreateVerifier().Verify(Signed().Bundle, VerificationPolicy.ForArtifact(TestSigstore.Pki.Artifact)));

    [TestMethod]
    public void UnsafeOptions_WarnEachTime()
    {
        var result = Pki.CreateVerifier().Verify(Signed().Bundle, VerificationPolicy.UnsafeWithoutArtifact().UnsafeWithoutIdentity());
        Assert.HasCount(3, result.Warnings);
        Assert.IsTrue(result.Warnings.All(w => w.Code == PolicyCodes.UnsafeOptionUsed));
    }

    [TestMethod]
    public void KeyBundle_UnderKeylessPolicy_Rejected() // B-04
    {
        var (bundle, _) = Signed();
        bundle.VerificationMaterial!.Certificate = null;
        bundle.VerificationMaterial.PublicKey = new PublicKeyIdentifier { Hint = "x" };
        AssertCode(PolicyCodes.KeylessPolicyKeyBundle, () => Pki.CreateVerifier().Verify(bundle, ArtifactPolicy));
    }

    [TestMethod]
    public void CertificateBundle_UnderKeyPolicy_Rejected() // B-04: never fall back from one to the other
    {
        var (bundle, spec) = Signed();
        var key = VerificationKey.FromSubjectPublicKeyInfo(spec.Key.ExportSubjectPublicKeyInfo());
        AssertCode(PolicyCodes.KeyPolicyCertificateBundle, () => Pki.CreateVerifier().Verify(bundle, VerificationPolicy.ForArtifact(TestSigstore.Pki.Artifact).WithKey(key)));
    }

    [TestMethod]
    public void KeyBundle_WithRightKey_Verifies_WrongKey_Rejected()
    {
        var (bundle, spec) = Signed();
        bundle.VerificationMaterial!.Certificate = null;
        bundle.VerificationMaterial.PublicKey = new PublicKeyIdentifier { Hint = "x" };
        var right = VerificationKey.FromSubjectPublicKeyInfo(spec.Key.ExportSubjectPublicKeyInfo());
        var result = Pki.CreateVerifier().Verify(bundle, VerificationPolicy.ForArtifact(TestSigstore.Pki.Artifact).WithKey(right));
        Assert.IsNull(result.Identity);
        Assert.IsNotNull(result.KeySha256);

        var wrong = VerificationKey.FromSubjectPublicKeyInfo(ECDsa.Create(ECCurve.NamedCurves.nistP256).ExportSubjectPublicKeyInfo());
        AssertCode(KeyCodes.InvalidSignature, () => Pki.CreateVerifier().Verify(bundle, VerificationPolicy.ForArtifact(TestSigstore.Pki.Artifact).WithKey(wrong)));
    }

    [TestMethod]
    public void NoTlogEntry_ThresholdNotMet()
    {
        var (bundle, _) = Signed();
        bundle.VerificationMaterial!.TlogEntries = [];
        AssertCode(PolicyCodes.TlogThresholdNotMet, () => Pki.CreateVerifier().Verify(bundle, ArtifactPolicy));
    }

    [TestMethod]
    public void TwoEntriesFromOneLog_CountOnce() // T-08
    {
        var spec = Pki.NewLeaf();
        var bundle = Pki.MessageBundle(spec.Issue(), spec.Key, entries: 2);
        AssertCode(PolicyCodes.TlogThresholdNotMet, () => Pki.CreateVerifier(new VerifierOptions { TransparencyLogThreshold = 2 }).Verify(bundle, ArtifactPolicy));
    }

    [TestMethod]
    public void RekorV2WithoutTimestamp_Rejected() // S-04
    {
        var (bundle, _) = Signed(version: "0.0.2");
        AssertCode(PolicyCodes.MissingSignedTimestamp, () => Pki.CreateVerifier().Verify(bundle, ArtifactPolicy));
    }

    [TestMethod]
    public void RekorV2WithTimestamp_Verifies()
    {
        var (bundle, _) = Signed(version: "0.0.2");
        Pki.AddTimestamp(bundle, TestSigstore.Pki.SigningTime);
        var result = Pki.CreateVerifier().Verify(bundle, ArtifactPolicy);
        Assert.AreEqual("timestamp-authority", result.VerifiedTimes.Single().Source);
    }

    [TestMethod]
    public void TwoTimestampsFromOneTsa_CountOnce() // S-05
    {
        var (bundle, _) = Signed(version: "0.0.2");
        Pki.AddTimestamp(bundle, TestSigstore.Pki.SigningTime);
        Pki.AddTimestamp(bundle, TestSigstore.Pki.SigningTime.AddSeconds(1));
        AssertCode(PolicyCodes.VerifiedTimeThresholdNotMet, () => Pki.CreateVerifier(new VerifierOptions { VerifiedTimeThreshold = 2 }).Verify(bundle, ArtifactPolicy));
    }

    [TestMethod]
    public void BackdatedTimestamp_CertificateCheckedAtEveryTime() // S-05
    {
        var (bundle, _) = Signed();
        Pki.AddTimestamp(bundle, TestSigstore.Pki.SigningTime.AddHours(-1));
        AssertCode(CertificateCodes.NotValidAtTime, () => Pki.CreateVerifier().Verify(bundle, ArtifactPolicy));
    }

    [TestMethod]
    public void IntegratedTimeOutsideCertificate_Rejected() // T-05
    {
        var (bundle, _) = Signed(s => { s.NotBefore = TestSigstore.Pki.SigningTime.AddMinutes(-30); s.NotAfter = TestSigstore.Pki.SigningTime.AddMinutes(-20); });
        AssertCode(CertificateCodes.NotValidAtTime, () => Pki.CreateVerifier().Verify(bundle, ArtifactPolicy));
    }

    [TestMethod]
    public void VerifiedTimeInFuture_Rejected()
    {
        var (bundle, _) = Signed();
        var verifier = new SigstoreVerifier(Pki.Trust, VerifierOptions.PublicGood, new FixedTime(TestSigstore.Pki.SigningTime.AddHours(-1)), TestSigstore.Pki.FakeLog(), (_, _, _) => throw new InvalidOperationException());
        AssertCode(PolicyCodes.TimeInFuture, () => verifier.Verify(bundle, ArtifactPolicy));
    }

    [TestMethod]
    public void NoSct_ThresholdNotMet() // C-04
    {
        var (bundle, _) = Signed(s => s.EmbedSct = false);
        AssertCode(CertificateCodes.SctThresholdNotMet, () => Pki.CreateVerifier().Verify(bundle, ArtifactPolicy));
        var result = Pki.CreateVerifier(new VerifierOptions { UnsafeSkipCertificateTransparency = true }).Verify(bundle, ArtifactPolicy);
        Assert.HasCount(1, result.Warnings);
    }

    [TestMethod]
    public void Warnings_AreCodedRecords_WrittenToJsonAsCodedStrings()
    {
        var (bundle, _) = Signed(s => s.EmbedSct = false);
        var result = Pki.CreateVerifier(new VerifierOptions { UnsafeSkipCertificateTransparency = true }).Verify(bundle, ArtifactPolicy);
        var warning = Assert.ContainsSingle(result.Warnings);
        Assert.AreEqual(PolicyCodes.UnsafeOptionUsed, warning.Code);
        StringAssert.Contains(warning.Message, nameof(VerifierOptions.UnsafeSkipCertificateTransparency));

        // The CLI's JSON keeps its shape: one "SSBnnnn: message" string per warning.
        var json = System.Text.Json.Nodes.JsonNode.Parse(result.ToJson())!;
        Assert.AreEqual($"{warning.Code}: {warning.Message}", Assert.ContainsSingle(json["warnings"]!.AsArray())!.GetValue<string>());
    }

    [TestMethod]
    public void ForgedSct_ThresholdNotMet()
    {
        var (bundle, _) = Signed(s => s.MutateSctSignedData = d => { d[2] ^= 1; return d; });
        AssertCode(CertificateCodes.SctThresholdNotMet, () => Pki.CreateVerifier().Verify(bundle, ArtifactPolicy));
    }

    [TestMethod]
    public void LeafFromAnotherInstance_Untrusted() // B-05
    {
        var other = new TestSigstore.Pki();
        var spec = other.NewLeaf();
        AssertCode(CertificateCodes.Untrusted, () => Pki.CreateVerifier().Verify(Pki.MessageBundle(spec.Issue(), spec.Key), ArtifactPolicy));
    }

    [TestMethod]
    public void ProfileViolation_RejectedByVerifier()
    {
        var (bundle, _) = Signed(s => s.Replace("2.5.29.37", null));
        AssertCode(CertificateCodes.MissingCodeSigningUsage, () => Pki.CreateVerifier().Verify(bundle, ArtifactPolicy));
    }

    [TestMethod]
    public void WrongSan_Rejected()
    {
        AssertCode(PolicyCodes.SubjectAlternativeNameMismatch, () => Pki.CreateVerifier().Verify(Signed().Bundle,
            VerificationPolicy.ForArtifact(TestSigstore.Pki.Artifact).RequireIdentity(CertificateIdentity.Exact(TestSigstore.Pki.San + "x", TestSigstore.Pki.Issuer))));
    }

    [TestMethod]
    public void WrongIssuer_Rejected() // P-02
    {
        AssertCode(PolicyCodes.IssuerMismatch, () => Pki.CreateVerifier().Verify(Signed().Bundle,
            VerificationPolicy.ForArtifact(TestSigstore.Pki.Artifact).RequireIdentity(CertificateIdentity.Exact(TestSigstore.Pki.San, "https://token.test/"))));
    }

    [TestMethod]
    public void AnyOfIdentities_SecondMatches()
    {
        var policy = VerificationPolicy.ForArtifact(TestSigstore.Pki.Artifact).RequireIdentity(
            CertificateIdentity.Exact("someone@example.com", TestSigstore.Pki.Issuer), Identity);
        Assert.IsNotNull(Pki.CreateVerifier().Verify(Signed().Bundle, policy));
    }

    [TestMethod]
    public void PredicateTypeOnMessageSignature_Rejected() =>
        AssertCode(PolicyCodes.PredicateTypeForMessageSignature, () => Pki.CreateVerifier().Verify(Signed().Bundle, ArtifactPolicy.RequirePredicateType("https://slsa.dev/provenance/v1")));

    [TestMethod]
    public void BundleChainWithRoot_RejectedByVerifier() // C-01
    {
        var (bundle, _) = Signed();
        var leaf = bundle.VerificationMaterial!.Certificate!;
        bundle.MediaType = Bundle.MediaTypeV02;
        bundle.VerificationMaterial.Certificate = null;
        bundle.VerificationMaterial.X509CertificateChain = new X509CertificateChain { Certificates = [leaf, new() { RawBytes = Pki.Intermediate.RawData }, new() { RawBytes = Pki.Root.RawData }] };
        AssertCode(CertificateCodes.UntrustedChainCertificate, () => Pki.CreateVerifier().Verify(bundle, ArtifactPolicy));
        bundle.VerificationMaterial.X509CertificateChain.Certificates.RemoveAt(2);
        Assert.IsNotNull(Pki.CreateVerifier().Verify(bundle, ArtifactPolicy).Identity);
    }

    [TestMethod]
    public void WarmVerification_UsesCache()
    {
        var verifier = Pki.CreateVerifier();
        var (bundle, _) = Signed();
        var first = verifier.Verify(bundle, ArtifactPolicy);
        var second = verifier.Verify(bundle, ArtifactPolicy);
        Assert.AreEqual(first.Identity!.CertificateSha256, second.Identity!.CertificateSha256);
    }

    // ---- DSSE (D rows) ----

    private static VerificationPolicy DssePolicy => VerificationPolicy.ForArtifact(TestSigstore.Pki.Artifact).RequireIdentity(Identity);

    private static Bundle Dsse(string? statement = null, string payloadType = SigstoreBuild.Attestations.DssePae.InTotoPayloadType, int signatures = 1)
    {
        var spec = Pki.NewLeaf();
        return Pki.DsseBundle(spec.Issue(), spec.Key, statement ?? TestSigstore.Pki.Statement(TestSigstore.Pki.Artifact), payloadType, signatures);
    }

    [TestMethod]
    public void Dsse_Valid_Verifies_WithStatement()
    {
        var seen = new List<SigstoreBuild.Verification.SignedContent>();
        var bundle = Dsse();
        var result = Pki.CreateVerifier(seen: seen).Verify(bundle, DssePolicy.RequirePredicateType("https://slsa.dev/provenance/v1"));
        Assert.AreEqual("https://slsa.dev/provenance/v1", result.Statement!.PredicateType);
        Assert.AreSame(bundle.DsseEnvelope, seen[0].Envelope);
        var byDigest = VerificationPolicy.ForDigest("sha256:" + Convert.ToHexStringLower(SHA256.HashData(TestSigstore.Pki.Artifact))).RequireIdentity(Identity);
        Assert.IsNotNull(Pki.CreateVerifier().Verify(bundle, byDigest).Statement);
    }

    [TestMethod]
    public void Dsse_SubjectMismatch_Rejected() => // D-04
        AssertCode(AttestationCodes.SubjectMismatch, () => Pki.CreateVerifier().Verify(Dsse(TestSigstore.Pki.Statement("other"u8.ToArray())), DssePolicy));

    [TestMethod]
    public void Dsse_PredicateTypeMismatch_Rejected() => // D-05
        AssertCode(AttestationCodes.PredicateTypeMismatch, () => Pki.CreateVerifier().Verify(Dsse(), DssePolicy.RequirePredicateType("https://example.com/other")));

    [TestMethod]
    public void Dsse_WrongPayloadType_Rejected() => // D-02
        AssertCode(AttestationCodes.UnsupportedPayloadType, () => Pki.CreateVerifier().Verify(Dsse(payloadType: "application/json"), DssePolicy));

    [TestMethod]
    public void Dsse_TwoSignatures_Rejected() => // D-03
        AssertCode(AttestationCodes.SignatureCount, () => Pki.CreateVerifier().Verify(Dsse(signatures: 2), DssePolicy));

    [TestMethod]
    public void Dsse_SignatureOverRawPayload_Rejected() // D-02
    {
        var spec = Pki.NewLeaf();
        var bundle = Pki.DsseBundle(spec.Issue(), spec.Key, TestSigstore.Pki.Statement(TestSigstore.Pki.Artifact));
        bundle.DsseEnvelope!.Signatures![0].Sig = spec.Key.SignData(bundle.DsseEnvelope.Payload!, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        AssertCode(KeyCodes.InvalidSignature, () => Pki.CreateVerifier().Verify(bundle, DssePolicy));
    }

    [TestMethod]
    public void Dsse_UnknownStatementType_Rejected() =>
        AssertCode(AttestationCodes.UnsupportedStatementType, () => Pki.CreateVerifier().Verify(Dsse(TestSigstore.Pki.Statement(TestSigstore.Pki.Artifact, type: "https://in-toto.io/Statement/v2")), DssePolicy));
}
