using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using SigstoreBuild.Attestations;
using SigstoreBuild.Crypto;
using SigstoreBuild.Diagnostics;
using SigstoreBuild.Trust;
using SigstoreBuild.Tuf;
using SigstoreBuild.Verification;
using SigstoreBuild.Verification.Timestamps;
using SigstoreBuild.Verification.Tlog;

namespace SigstoreBuild.Tests.Fuzzing;

/// <summary>
/// What fuzz/ (afl-fuzz over the project's parsers) found, each as the smallest input that showed it: every one made a
/// parser of untrusted bytes fail with something other than its coded <see cref="SigstoreException"/>.
/// </summary>
[TestClass]
public sealed class FuzzFindingTests
{
    private static readonly byte[] TimestampedSignature = [0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01];

    private static readonly byte[] P256CurveOid = [0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07];

    // System.Text.Json builds a document over a string that is invalid UTF-8 or escapes a lone surrogate, then throws
    // InvalidOperationException when the string is read.
    private static readonly byte[][] BrokenStrings = [[0x22, 0xFF, 0x22], "\"\\ud800\""u8.ToArray()];

    [TestMethod]
    public void LogEntryBody_WithBrokenString_IsMalformed()
    {
        var content = new SignedContent { Signature = [1], ArtifactDigest = new byte[32], ArtifactDigestAlgorithm = HashAlgorithmName.SHA256 };
        foreach (var broken in BrokenStrings)
        {
            var body = Concat("""{"apiVersion":"0.0.1","kind":"hashedrekord","spec":{"data":{"hash":{"algorithm":"sha256","value":"""u8, broken, "}}}}"u8);
            var ex = Assert.ThrowsExactly<VerificationException>(() => LogEntryBody.Bind(body, "hashedrekord", "0.0.1", content));
            Assert.AreEqual(TlogCodes.MalformedEntryBody, ex.Code);
        }
    }

    [TestMethod]
    public void InTotoStatement_WithBrokenString_IsMalformed()
    {
        foreach (var broken in BrokenStrings)
        {
            var statement = Concat("""{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"""u8, broken, ""","digest":{"sha256":"aa"}}],"predicateType":"x"}"""u8);
            var ex = Assert.ThrowsExactly<VerificationException>(() => InTotoStatement.Parse(statement));
            Assert.AreEqual(AttestationCodes.MalformedStatement, ex.Code);
        }
    }

    [TestMethod]
    public void TufMetadata_WithBrokenString_IsInvalid()
    {
        foreach (var broken in BrokenStrings)
        {
            var metadata = Concat("""{"signed":{"_type":"""u8, broken, """},"signatures":[]}"""u8);
            var ex = Assert.ThrowsExactly<SigstoreException>(() => RootMetadata.Parse(metadata));
            Assert.AreEqual(TufCodes.InvalidMetadata, ex.Code);
        }
    }

    [TestMethod]
    public void TrustedRoot_LogKeyOnUnknownCurve_IsMalformed()
    {
        var ex = Assert.ThrowsExactly<VerificationException>(() => TrustedRoot.Parse(PublicGoodWithLogKey(UnknownCurveKey())));
        Assert.AreEqual(BundleCodes.MalformedTrustedRoot, ex.Code);
    }

    [TestMethod]
    public void TrustedRoot_LogKeyNotAnEd25519Point_IsMalformed()
    {
        // id-Ed25519 SubjectPublicKeyInfo whose 32 bytes encode y = 2^255 - 1, above the field prime: no point.
        byte[] spki = [0x30, 0x2A, 0x30, 0x05, 0x06, 0x03, 0x2B, 0x65, 0x70, 0x03, 0x21, 0x00, .. Enumerable.Repeat((byte)0xFF, 31), 0x7F];
        var ex = Assert.ThrowsExactly<VerificationException>(() => TrustedRoot.Parse(PublicGoodWithLogKey(spki)));
        Assert.AreEqual(BundleCodes.MalformedTrustedRoot, ex.Code);
    }

    [TestMethod]
    public void TrustedRoot_LogKeyEd25519BitsNotWholeBytes_IsMalformed()
    {
        // id-Ed25519 SubjectPublicKeyInfo whose BIT STRING declares 4 unused bits.
        byte[] spki = [0x30, 0x2A, 0x30, 0x05, 0x06, 0x03, 0x2B, 0x65, 0x70, 0x03, 0x21, 0x04, .. new byte[32]];
        var ex = Assert.ThrowsExactly<VerificationException>(() => TrustedRoot.Parse(PublicGoodWithLogKey(spki)));
        Assert.AreEqual(BundleCodes.MalformedTrustedRoot, ex.Code);
    }

    [TestMethod]
    public void CaKeyOnUnknownCurve_IsAnUnreadableKey()
    {
        Assert.ThrowsExactly<CryptographicException>(() => VerificationKey.ImportEcdsa(UnknownCurveKey()));
    }

    [TestMethod]
    public void TufKey_PemOnUnknownCurve_IsUnsupported()
    {
        var pem = PemEncoding.WriteString("PUBLIC KEY", UnknownCurveKey());
        using var key = JsonDocument.Parse(new JsonObject
        {
            ["keytype"] = "ecdsa",
            ["scheme"] = "ecdsa-sha2-nistp256",
            ["keyval"] = new JsonObject { ["public"] = pem },
        }.ToJsonString());
        Assert.IsFalse(TufKey.Parse(key.RootElement).IsSupported);
    }

    [TestMethod]
    public void Timestamp_Empty_IsMalformed()
    {
        var trust = TrustedRoot.Parse(EmbeddedTrust.PublicGoodTrustedRoot);
        var ex = Assert.ThrowsExactly<VerificationException>(() => TimestampVerifier.Verify([], [1, 2, 3], trust));
        Assert.AreEqual(TimestampCodes.MalformedTimestamp, ex.Code);
    }

    [TestMethod]
    public void Timestamp_EmbeddedCertificateThatDoesNotParse_IsMalformed()
    {
        using var tsa = new TestSigstore.Tsa();
        // Without the leaf in the trusted root, the signer is looked for among the token's embedded certificates, which
        // BouncyCastle decodes only then.
        var trust = TestSigstore.Tsa.TrustOnly(tsa.TrustPart(includeLeaf: false));
        var token = tsa.Token(TimestampedSignature);
        var leafAt = token.AsSpan().IndexOf(tsa.Leaf.RawData);
        var commonNameAt = token.AsSpan(leafAt).IndexOf((ReadOnlySpan<byte>)[0x06, 0x03, 0x55, 0x04, 0x03]);
        token[leafAt + commonNameAt] = 0x80; // the issuer's attribute type, an OID, retagged [0]

        var ex = Assert.ThrowsExactly<VerificationException>(() => TimestampVerifier.Verify(token, TimestampedSignature, trust));
        Assert.AreEqual(TimestampCodes.MalformedTimestamp, ex.Code);
    }

    [TestMethod]
    public void Timestamp_SigningCertificateNamingNoCertificate_IsMalformed()
    {
        using var tsa = new TestSigstore.Tsa();
        var token = tsa.Token(TimestampedSignature, emptySigningCertificate: true);
        var ex = Assert.ThrowsExactly<VerificationException>(() => TimestampVerifier.Verify(token, TimestampedSignature, TestSigstore.Tsa.TrustOnly(tsa.TrustPart())));
        Assert.AreEqual(TimestampCodes.MalformedTimestamp, ex.Code);
    }

    /// <summary>A P-256 key whose named-curve OID was changed to one no platform knows (1.2.840.10045.3.1.99).</summary>
    private static byte[] UnknownCurveKey()
    {
        using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var spki = ec.ExportSubjectPublicKeyInfo();
        var at = spki.AsSpan().IndexOf(P256CurveOid);
        spki[at + P256CurveOid.Length - 1] = 99;
        return spki;
    }

    private static byte[] PublicGoodWithLogKey(byte[] spki)
    {
        var root = JsonNode.Parse(EmbeddedTrust.PublicGoodTrustedRoot)!;
        root["tlogs"]![0]!["publicKey"]!["rawBytes"] = Convert.ToBase64String(spki);
        return Encoding.UTF8.GetBytes(root.ToJsonString());
    }

    private static byte[] Concat(ReadOnlySpan<byte> head, byte[] middle, ReadOnlySpan<byte> tail) => [.. head, .. middle, .. tail];
}
