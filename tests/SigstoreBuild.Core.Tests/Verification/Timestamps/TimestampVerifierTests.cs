using System.Security.Cryptography;
using SigstoreBuild.Diagnostics;
using SigstoreBuild.Tests.Verification.Tlog;
using SigstoreBuild.Verification.Timestamps;

namespace SigstoreBuild.Tests.Verification.Timestamps;

[TestClass]
public sealed class TimestampVerifierTests
{
    private static readonly byte[] Signature = RandomNumberGenerator.GetBytes(71);

    [TestMethod]
    [DataRow("rekor2-happy-path")]
    [DataRow("rekor2-timestamp-with-embedded-cert")]
    [DataRow("rekor2-timestamp-without-embedded-cert")]
    [DataRow("rekor2-timestamp-with-expired-cert-chain")]
    [DataRow("trust-root-tsa-validity-end-inclusive")]
    [DataRow("intoto-with-custom-trust-root")]
    [DataRow("managed-key-happy-path")]
    [DataRow("rekor2-dsse-happy-path")]
    public void Conformance_timestamps_verify(string name)
    {
        var c = ConformanceVectors.Load(name);
        var trust = c.Trust;
        var result = TimestampVerifier.Verify(c.Timestamp, c.Content.Signature, trust);
        CollectionAssert.Contains(trust.TimestampAuthorities.ToList(), result.Authority);
        Assert.AreEqual(32, result.SignerCertificateThumbprint.Length);
        Assert.IsTrue(result.Authority.ValidFor.Contains(result.Time));
    }

    [TestMethod]
    [DataRow("rekor2-timestamp-payload-mismatch_fail", TimestampCodes.ImprintMismatch)]
    [DataRow("rekor2-timestamp-untrusted-tsa-with-embedded-cert_fail", TimestampCodes.UntrustedAuthority)]
    [DataRow("rekor2-timestamp-untrusted-tsa-without-embedded-cert_fail", TimestampCodes.UntrustedAuthority)]
    [DataRow("rekor2-timestamp-outside-tsa-cert-validity_fail", TimestampCodes.CertificateNotValidAtTime)]
    [DataRow("rekor2-timestamp-outside-trust-root-tsa-validity_fail", TimestampCodes.OutsideAuthorityValidity)]
    public void Conformance_timestamp_failures_are_rejected(string name, string code)
    {
        var c = ConformanceVectors.Load(name);
        Expect(code, () => TimestampVerifier.Verify(c.Timestamp, c.Content.Signature, c.Trust));
    }

    [TestMethod]
    public void Conformance_timestamp_over_other_bytes_is_rejected()
    {
        var c = ConformanceVectors.Load("rekor2-happy-path");
        c.Content.Signature[0] ^= 1;
        Expect(TimestampCodes.ImprintMismatch, () => TimestampVerifier.Verify(c.Timestamp, c.Content.Signature, c.Trust));
    }

    [TestMethod]
    [DataRow(true, true)]
    [DataRow(false, true)]
    [DataRow(true, false)]
    [DataRow(false, false)]
    public void Token_or_response_with_or_without_embedded_leaf_verifies(bool embedLeaf, bool asResponse)
    {
        using var tsa = new TestSigstore.Tsa();
        var genTime = DateTimeOffset.UtcNow.AddMinutes(-3);
        var token = tsa.Token(Signature, genTime, embedLeaf);
        var trust = TestSigstore.Tsa.TrustOnly(tsa.TrustPart());

        var result = TimestampVerifier.Verify(asResponse ? TestSigstore.Tsa.Response(token) : token, Signature, trust);

        Assert.AreEqual(genTime.ToUnixTimeMilliseconds() / 1000, result.Time.ToUnixTimeSeconds());
        Assert.AreSame(trust.TimestampAuthorities[0], result.Authority);
        CollectionAssert.AreEqual(SHA256.HashData(tsa.Leaf.RawData), result.SignerCertificateThumbprint);
    }

    [TestMethod]
    public void Leaf_embedded_in_the_token_chains_to_a_trusted_root_without_the_leaf()
    {
        using var tsa = new TestSigstore.Tsa();
        var trust = TestSigstore.Tsa.TrustOnly(tsa.TrustPart(includeLeaf: false));
        Assert.IsNotNull(TimestampVerifier.Verify(tsa.Token(Signature, embedLeaf: true), Signature, trust));
        Expect(TimestampCodes.UntrustedAuthority, () => TimestampVerifier.Verify(tsa.Token(Signature, embedLeaf: false), Signature, trust));
    }

    [TestMethod]
    public void Timestamp_over_other_data_is_rejected()
    {
        using var tsa = new TestSigstore.Tsa();
        Expect(TimestampCodes.ImprintMismatch, () => TimestampVerifier.Verify(tsa.Token([.. Signature, 0]), Signature, TestSigstore.Tsa.TrustOnly(tsa.TrustPart())));
    }

    [TestMethod]
    public void Sha1_imprint_is_rejected()
    {
        using var tsa = new TestSigstore.Tsa();
        Expect(TimestampCodes.UnsupportedHashAlgorithm,
            () => TimestampVerifier.Verify(tsa.Token(Signature, imprintAlgorithm: "1.3.14.3.2.26"), Signature, TestSigstore.Tsa.TrustOnly(tsa.TrustPart())));
    }

    [TestMethod]
    public void Sha512_imprint_verifies()
    {
        using var tsa = new TestSigstore.Tsa();
        Assert.IsNotNull(TimestampVerifier.Verify(tsa.Token(Signature, imprintAlgorithm: "2.16.840.1.101.3.4.2.3"), Signature, TestSigstore.Tsa.TrustOnly(tsa.TrustPart())));
    }

    [TestMethod]
    public void Untrusted_tsa_with_its_chain_embedded_is_rejected()
    {
        using var trusted = new TestSigstore.Tsa();
        using var attacker = new TestSigstore.Tsa(name: "Test TSA"); // same names, other keys
        var token = attacker.Token(Signature, embedLeaf: true, extraCertificates: [attacker.Root]);
        Expect(TimestampCodes.UntrustedAuthority, () => TimestampVerifier.Verify(token, Signature, TestSigstore.Tsa.TrustOnly(trusted.TrustPart())));
        Expect(TimestampCodes.UntrustedAuthority, () => TimestampVerifier.Verify(token, Signature, TestSigstore.Tsa.TrustOnly(trusted.TrustPart(includeLeaf: false))));
    }

    [TestMethod]
    public void Signer_must_be_bound_by_ess_cert_id()
    {
        using var tsa = new TestSigstore.Tsa();
        var trust = TestSigstore.Tsa.TrustOnly(tsa.TrustPart());
        Expect(TimestampCodes.SignerNotBound, () => TimestampVerifier.Verify(tsa.Token(Signature, signingCertificateAttribute: false), Signature, trust));
        Expect(TimestampCodes.UntrustedAuthority, () => TimestampVerifier.Verify(tsa.Token(Signature, essCertFor: tsa.Root), Signature, trust));
    }

    [TestMethod]
    public void Altered_token_signature_is_rejected()
    {
        using var tsa = new TestSigstore.Tsa();
        var token = tsa.Token(Signature, embedLeaf: false);
        token[^1] ^= 1; // last byte of the ECDSA signature's s
        Expect(TimestampCodes.InvalidSignature, () => TimestampVerifier.Verify(token, Signature, TestSigstore.Tsa.TrustOnly(tsa.TrustPart())));
    }

    [TestMethod]
    public void Tst_info_swapped_under_a_valid_signer_info_is_rejected()
    {
        using var tsa = new TestSigstore.Tsa();
        var original = Org.BouncyCastle.Asn1.Cms.SignedData.GetInstance(
            Org.BouncyCastle.Asn1.Cms.ContentInfo.GetInstance(tsa.Token(Signature, DateTimeOffset.UtcNow.AddDays(-1))).Content);
        var other = Org.BouncyCastle.Asn1.Cms.SignedData.GetInstance(
            Org.BouncyCastle.Asn1.Cms.ContentInfo.GetInstance(tsa.Token(Signature, DateTimeOffset.UtcNow.AddDays(-2))).Content);
        var swapped = new Org.BouncyCastle.Asn1.Cms.SignedData(original.DigestAlgorithms, other.EncapContentInfo, original.Certificates, original.CRLs, original.SignerInfos);
        var token = new Org.BouncyCastle.Asn1.Cms.ContentInfo(Org.BouncyCastle.Asn1.Cms.CmsObjectIdentifiers.SignedData, swapped).GetDerEncoded();
        Expect(TimestampCodes.InvalidSignature, () => TimestampVerifier.Verify(token, Signature, TestSigstore.Tsa.TrustOnly(tsa.TrustPart())));
    }

    [TestMethod]
    public void Token_signed_by_another_key_claiming_the_trusted_leaf_is_rejected()
    {
        using var trusted = new TestSigstore.Tsa();
        using var other = new TestSigstore.Tsa();
        // Names the trusted leaf (issuer/serial, ESSCertID) but is signed with another key.
        var token = trusted.Token(Signature, embedLeaf: false, signingKey: other.LeafKey);
        Expect(TimestampCodes.InvalidSignature, () => TimestampVerifier.Verify(token, Signature, TestSigstore.Tsa.TrustOnly(trusted.TrustPart())));
    }

    [TestMethod]
    public void Gen_time_outside_the_trusted_root_validity_is_rejected_and_the_end_is_inclusive()
    {
        using var tsa = new TestSigstore.Tsa();
        var end = DateTimeOffset.UtcNow.AddDays(-1);
        end = end.AddTicks(-(end.Ticks % TimeSpan.TicksPerSecond));
        var trust = TestSigstore.Tsa.TrustOnly(tsa.TrustPart(end.AddDays(-30), end));
        Expect(TimestampCodes.OutsideAuthorityValidity, () => TimestampVerifier.Verify(tsa.Token(Signature, end.AddSeconds(1)), Signature, trust));
        Expect(TimestampCodes.OutsideAuthorityValidity, () => TimestampVerifier.Verify(tsa.Token(Signature, end.AddDays(-31)), Signature, trust));
        Assert.AreEqual(end, TimestampVerifier.Verify(tsa.Token(Signature, end), Signature, trust).Time);
    }

    [TestMethod]
    public void Chain_expired_now_but_valid_at_gen_time_verifies()
    {
        var notBefore = DateTimeOffset.UtcNow.AddYears(-3);
        var notAfter = DateTimeOffset.UtcNow.AddYears(-2);
        using var tsa = new TestSigstore.Tsa(notBefore, notAfter);
        var trust = TestSigstore.Tsa.TrustOnly(tsa.TrustPart());
        Assert.IsNotNull(TimestampVerifier.Verify(tsa.Token(Signature, notBefore.AddDays(10)), Signature, trust));
        Expect(TimestampCodes.CertificateNotValidAtTime, () => TimestampVerifier.Verify(tsa.Token(Signature, notAfter.AddDays(10)), Signature, trust));
        Expect(TimestampCodes.CertificateNotValidAtTime, () => TimestampVerifier.Verify(tsa.Token(Signature, notBefore.AddDays(-10)), Signature, trust));
    }

    [TestMethod]
    public void Leaf_without_time_stamping_usage_is_rejected()
    {
        using var tsa = new TestSigstore.Tsa(timeStampingEku: false);
        Expect(TimestampCodes.MissingTimeStampingUsage, () => TimestampVerifier.Verify(tsa.Token(Signature), Signature, TestSigstore.Tsa.TrustOnly(tsa.TrustPart())));
        Expect(TimestampCodes.MissingTimeStampingUsage, () => TimestampVerifier.Verify(tsa.Token(Signature), Signature, TestSigstore.Tsa.TrustOnly(tsa.TrustPart(includeLeaf: false))));
    }

    [TestMethod]
    public void Trusted_chain_that_does_not_chain_is_rejected()
    {
        using var tsa = new TestSigstore.Tsa();
        using var other = new TestSigstore.Tsa();
        var authority = tsa.TrustPart();
        authority.CertChain!.Certificates![1] = new Bundles.X509CertificateBytes { RawBytes = other.Root.RawData };
        Expect(TimestampCodes.UntrustedAuthority, () => TimestampVerifier.Verify(tsa.Token(Signature), Signature, TestSigstore.Tsa.TrustOnly(authority)));
    }

    [TestMethod]
    [DataRow(2)]
    [DataRow(3)]
    public void Response_not_granted_is_rejected(int status)
    {
        using var tsa = new TestSigstore.Tsa();
        Expect(TimestampCodes.MalformedTimestamp, () => TimestampVerifier.Verify(TestSigstore.Tsa.Response(tsa.Token(Signature), status), Signature, TestSigstore.Tsa.TrustOnly(tsa.TrustPart())));
    }

    [TestMethod]
    public void Garbage_and_trailing_bytes_are_rejected()
    {
        using var tsa = new TestSigstore.Tsa();
        var trust = TestSigstore.Tsa.TrustOnly(tsa.TrustPart());
        Expect(TimestampCodes.MalformedTimestamp, () => TimestampVerifier.Verify([0x30, 0x03, 0x02, 0x01], Signature, trust));
        Expect(TimestampCodes.MalformedTimestamp, () => TimestampVerifier.Verify([.. tsa.Token(Signature), 0x00], Signature, trust));
    }

    [TestMethod]
    public void Two_tokens_from_one_tsa_share_the_thumbprint()
    {
        using var tsa = new TestSigstore.Tsa();
        var trust = TestSigstore.Tsa.TrustOnly(tsa.TrustPart());
        var first = TimestampVerifier.Verify(tsa.Token(Signature), Signature, trust);
        var second = TimestampVerifier.Verify(tsa.Token(Signature, DateTimeOffset.UtcNow.AddMinutes(-1)), Signature, trust);
        CollectionAssert.AreEqual(first.SignerCertificateThumbprint, second.SignerCertificateThumbprint);
        Assert.AreSame(first.Authority, second.Authority);
    }

    private static void Expect(string code, Action action)
    {
        var ex = Assert.ThrowsExactly<VerificationException>(action);
        Assert.AreEqual(code, ex.Code, ex.Message);
    }
}
