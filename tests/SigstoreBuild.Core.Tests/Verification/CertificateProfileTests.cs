using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using SigstoreBuild.Diagnostics;
using SigstoreBuild.Verification;
using SigstoreBuild.Verification.Certificates;

namespace SigstoreBuild.Tests.Verification;

[TestClass]
public sealed class CertificateProfileTests
{
    private static readonly TestSigstore.Pki Pki = new();

    [TestMethod]
    public void WellFormedLeaf_ParsesIdentityAndExtensions()
    {
        var leaf = FulcioLeaf.Parse(Pki.NewLeaf().Issue());
        Assert.AreEqual(SubjectAlternativeNameKind.Uri, leaf.SubjectAlternativeName.Kind);
        Assert.AreEqual(TestSigstore.Pki.San, leaf.SubjectAlternativeName.Value);
        Assert.AreEqual(TestSigstore.Pki.Issuer, leaf.Issuer);
        Assert.AreEqual("1234", leaf.Extensions[FulcioExtensions.SourceRepositoryIdentifier]);
    }

    [TestMethod]
    public void MissingCodeSigningEku_Rejected() => AssertRejected(CertificateCodes.MissingCodeSigningUsage,
        s => s.Replace("2.5.29.37", new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false)));

    [TestMethod]
    public void NoEku_Rejected() => AssertRejected(CertificateCodes.MissingCodeSigningUsage, s => s.Replace("2.5.29.37", null));

    [TestMethod]
    public void MissingDigitalSignatureKu_Rejected() => AssertRejected(CertificateCodes.MissingDigitalSignatureUsage,
        s => s.Replace("2.5.29.15", new X509KeyUsageExtension(X509KeyUsageFlags.KeyEncipherment, true)));

    [TestMethod]
    public void LeafThatIsCa_Rejected() => AssertRejected(CertificateCodes.LeafIsCertificateAuthority,
        s => s.Replace("2.5.29.19", new X509BasicConstraintsExtension(true, false, 0, true)));

    [TestMethod]
    public void NonCaBasicConstraints_Accepted()
    {
        var spec = Pki.NewLeaf().Replace("2.5.29.19", new X509BasicConstraintsExtension(false, false, 0, true));
        Assert.AreEqual(TestSigstore.Pki.San, FulcioLeaf.Parse(spec.Issue()).SubjectAlternativeName.Value);
    }

    [TestMethod]
    public void UnknownCriticalExtension_Rejected() => AssertRejected(CertificateCodes.UnknownCriticalExtension,
        s => s.Replace("1.2.3.4.5", new X509Extension("1.2.3.4.5", [0x05, 0x00], true)));

    [TestMethod]
    public void DuplicatedExtension_Rejected()
    {
        var der = Pki.Resign(Pki.NewLeaf().Issue(), tbs => TestSigstore.Pki.AppendExtension(tbs, FulcioExtensions.SourceRepositoryIdentifier, TestSigstore.Pki.Utf8StringValue("9999")));
        var ex = Assert.ThrowsExactly<VerificationException>(() => FulcioLeaf.Parse(der));
        Assert.AreEqual(CertificateCodes.DuplicateExtension, ex.Code);
    }

    [TestMethod]
    public void TwoSans_Rejected() => AssertRejected(CertificateCodes.InvalidSubjectAlternativeName,
        s => s.Replace("2.5.29.17", new X509Extension("2.5.29.17", TestSigstore.Pki.SanValue((6, TestSigstore.Pki.San), (1, "a@example.com")), true)));

    [TestMethod]
    public void NoSan_Rejected() => AssertRejected(CertificateCodes.InvalidSubjectAlternativeName, s => s.Replace("2.5.29.17", null));

    [TestMethod]
    public void DnsSan_Rejected() => AssertRejected(CertificateCodes.InvalidSubjectAlternativeName,
        s => s.Replace("2.5.29.17", new X509Extension("2.5.29.17", TestSigstore.Pki.SanValue((2, "example.com")), true)));

    [TestMethod]
    [DataRow(1, "someone@example.com", SubjectAlternativeNameKind.Email)]
    [DataRow(0, "user!example.com", SubjectAlternativeNameKind.OtherName)]
    public void EmailAndOtherNameSans_Accepted(int tag, string value, SubjectAlternativeNameKind kind)
    {
        var spec = Pki.NewLeaf().Replace("2.5.29.17", new X509Extension("2.5.29.17", TestSigstore.Pki.SanValue((tag, value)), true));
        var san = FulcioLeaf.Parse(spec.Issue()).SubjectAlternativeName;
        Assert.AreEqual(kind, san.Kind);
        Assert.AreEqual(value, san.Value);
    }

    [TestMethod]
    public void LegacyIssuerOnly_IsUsed()
    {
        var spec = Pki.NewLeaf()
            .Replace(FulcioExtensions.Issuer, null)
            .Replace(FulcioExtensions.IssuerV1, new X509Extension(FulcioExtensions.IssuerV1, "https://legacy.test"u8.ToArray(), false));
        Assert.AreEqual("https://legacy.test", FulcioLeaf.Parse(spec.Issue()).Issuer);
    }

    [TestMethod]
    public void ConflictingLegacyIssuer_Rejected() => AssertRejected(CertificateCodes.ConflictingIssuer,
        s => s.Replace(FulcioExtensions.IssuerV1, new X509Extension(FulcioExtensions.IssuerV1, "https://evil.test"u8.ToArray(), false)));

    [TestMethod]
    public void AgreeingLegacyIssuer_Accepted()
    {
        var spec = Pki.NewLeaf().Replace(FulcioExtensions.IssuerV1, new X509Extension(FulcioExtensions.IssuerV1, System.Text.Encoding.UTF8.GetBytes(TestSigstore.Pki.Issuer), false));
        Assert.AreEqual(TestSigstore.Pki.Issuer, FulcioLeaf.Parse(spec.Issue()).Issuer);
    }

    [TestMethod]
    public void NoIssuer_Rejected() => AssertRejected(CertificateCodes.MissingIssuer, s => s.Replace(FulcioExtensions.Issuer, null));

    [TestMethod]
    public void IssuerNotUtf8String_Rejected() => AssertRejected(CertificateCodes.InvalidExtensionEncoding,
        s => s.Replace(FulcioExtensions.Issuer, new X509Extension(FulcioExtensions.Issuer, System.Text.Encoding.UTF8.GetBytes(TestSigstore.Pki.Issuer), false)));

    [TestMethod]
    public void GarbageDer_Rejected()
    {
        var ex = Assert.ThrowsExactly<VerificationException>(() => FulcioLeaf.Parse([0x30, 0x03, 0x02, 0x01]));
        Assert.AreEqual(CertificateCodes.Malformed, ex.Code);
    }

    [TestMethod]
    public void NoKeyUsage_Rejected() => AssertRejected(CertificateCodes.MissingDigitalSignatureUsage, s => s.Replace("2.5.29.15", null));

    [TestMethod]
    public void MalformedKeyUsage_Rejected() => AssertRejected(CertificateCodes.Malformed,
        s => s.Replace("2.5.29.15", new X509Extension("2.5.29.15", [0x04, 0x01, 0x80], true)));

    [TestMethod]
    public void Version2Certificate_Rejected()
    {
        // Same extensions, version field 1 (v2): only v3 certificates carry a Fulcio profile.
        var der = Pki.Resign(Pki.NewLeaf().Issue(), tbs =>
        {
            var v3 = new byte[] { 0xA0, 0x03, 0x02, 0x01, 0x02 };
            var at = tbs.AsSpan().IndexOf(v3);
            Assert.IsLessThan(8, at);
            var copy = (byte[])tbs.Clone();
            copy[at + 4] = 0x01;
            return copy;
        });
        var ex = Assert.ThrowsExactly<VerificationException>(() => FulcioLeaf.Parse(der));
        Assert.AreEqual(CertificateCodes.Malformed, ex.Code);
        StringAssert.Contains(ex.Message, "not an X.509 v3 certificate");
    }

    [TestMethod]
    public void EmptySanSequence_Rejected() => AssertRejected(CertificateCodes.InvalidSubjectAlternativeName,
        s => s.Replace("2.5.29.17", new X509Extension("2.5.29.17", [0x30, 0x00], true)));

    [TestMethod]
    [DataRow(6)]
    [DataRow(1)]
    [DataRow(0)]
    public void EmptySanValue_Rejected(int tag) => AssertRejected(CertificateCodes.InvalidSubjectAlternativeName,
        s => s.Replace("2.5.29.17", new X509Extension("2.5.29.17", TestSigstore.Pki.SanValue((tag, string.Empty)), true)));

    [TestMethod]
    public void OtherNameSanOfAnotherType_Rejected()
    {
        // otherName [0] { type-id 1.3.6.1.4.1.311.20.2.3 (Microsoft UPN), [0] UTF8String }: not Fulcio's username SAN.
        var writer = new System.Formats.Asn1.AsnWriter(System.Formats.Asn1.AsnEncodingRules.DER);
        using (writer.PushSequence())
        using (writer.PushSequence(new System.Formats.Asn1.Asn1Tag(System.Formats.Asn1.TagClass.ContextSpecific, 0, true)))
        {
            writer.WriteObjectIdentifier("1.3.6.1.4.1.311.20.2.3");
            using (writer.PushSequence(new System.Formats.Asn1.Asn1Tag(System.Formats.Asn1.TagClass.ContextSpecific, 0, true)))
            {
                writer.WriteCharacterString(System.Formats.Asn1.UniversalTagNumber.UTF8String, "user@example.com");
            }
        }

        var spec = Pki.NewLeaf().Replace("2.5.29.17", new X509Extension("2.5.29.17", writer.Encode(), true));
        var ex = Assert.ThrowsExactly<VerificationException>(() => FulcioLeaf.Parse(spec.Issue()));
        Assert.AreEqual(CertificateCodes.InvalidSubjectAlternativeName, ex.Code);
        StringAssert.Contains(ex.Message, "otherName SAN has type 1.3.6.1.4.1.311.20.2.3");
    }

    [TestMethod]
    public void HugeVersionNumber_Malformed()
    {
        // Regression: the version INTEGER was cast to int, so a 5-byte version escaped as OverflowException.
        var der = Pki.Resign(Pki.NewLeaf().Issue(), tbs =>
        {
            var reader = new System.Formats.Asn1.AsnReader(tbs, System.Formats.Asn1.AsnEncodingRules.DER).ReadSequence();
            reader.ReadEncodedValue(); // [0] version
            var writer = new System.Formats.Asn1.AsnWriter(System.Formats.Asn1.AsnEncodingRules.DER);
            using (writer.PushSequence())
            {
                using (writer.PushSequence(new System.Formats.Asn1.Asn1Tag(System.Formats.Asn1.TagClass.ContextSpecific, 0, true)))
                {
                    writer.WriteInteger(long.MaxValue);
                }

                while (reader.HasData)
                {
                    writer.WriteEncodedValue(reader.ReadEncodedValue().Span);
                }
            }

            return writer.Encode();
        });
        var ex = Assert.ThrowsExactly<VerificationException>(() => FulcioLeaf.Parse(der));
        Assert.AreEqual(CertificateCodes.Malformed, ex.Code);
    }

    [TestMethod]
    public void LegacyIssuerNotUtf8_Rejected() => AssertRejected(CertificateCodes.InvalidExtensionEncoding,
        s => s.Replace(FulcioExtensions.Issuer, null).Replace(FulcioExtensions.IssuerV1, new X509Extension(FulcioExtensions.IssuerV1, [0x68, 0x74, 0xC3, 0x28], false)));

    private static void AssertRejected(string code, Action<TestSigstore.Pki.LeafSpec> mutate)
    {
        var spec = Pki.NewLeaf();
        mutate(spec);
        AssertRejected(code, spec);
    }

    private static void AssertRejected(string code, TestSigstore.Pki.LeafSpec spec)
    {
        var der = spec.Issue();
        var ex = Assert.ThrowsExactly<VerificationException>(() => FulcioLeaf.Parse(der));
        Assert.AreEqual(code, ex.Code, ex.Message);
    }
}
