using SigstoreBuild.Diagnostics;
using SigstoreBuild.Trust;
using SigstoreBuild.Verification;
using SigstoreBuild.Verification.Certificates;

namespace SigstoreBuild.Tests.Verification;

[TestClass]
public sealed class SctTests
{
    private static readonly TestSigstore.Pki Pki = new();

    private static IReadOnlyList<VerifiedSct> Verify(byte[] der, TrustedRoot? trust = null)
    {
        trust ??= Pki.Trust;
        var leaf = ParsedCertificate.Parse(der);
        var issuer = new FulcioAuthorities(trust).FindIssuers(leaf)[0];
        return EmbeddedSctVerifier.Verify(leaf, issuer.IssuingKey, trust);
    }

    [TestMethod]
    public void ValidEmbeddedSct_Verifies() => Assert.HasCount(1, Verify(Pki.NewLeaf().Issue()));

    [TestMethod]
    public void SctWithExtensions_Verifies()
    {
        var spec = Pki.NewLeaf();
        spec.SctExtensions = [0x00, 0x00, 0x05, 0x00, 0x00, 0x00, 0x00, 0x2a];
        Assert.HasCount(1, Verify(spec.Issue()));
    }

    [TestMethod]
    public void SctOverOtherTbs_DoesNotCount()
    {
        var spec = Pki.NewLeaf();
        spec.MutateSctSignedData = data => { data[^3] ^= 1; return data; }; // a byte of the TBS
        Assert.IsEmpty(Verify(spec.Issue()));
    }

    [TestMethod]
    public void SctWithWrongIssuerKeyHash_DoesNotCount()
    {
        var spec = Pki.NewLeaf();
        spec.MutateSctSignedData = data => { data[12] ^= 1; return data; };
        Assert.IsEmpty(Verify(spec.Issue()));
    }

    [TestMethod]
    public void TwoSctsFromOneLog_CountOnce()
    {
        var spec = Pki.NewLeaf();
        spec.SctCount = 2;
        var scts = Verify(spec.Issue());
        Assert.HasCount(2, scts);
        Assert.AreEqual(1, EmbeddedSctVerifier.DistinctLogs(scts));
    }

    [TestMethod]
    public void NoSct_NothingVerified()
    {
        var spec = Pki.NewLeaf();
        spec.EmbedSct = false;
        Assert.IsEmpty(Verify(spec.Issue()));
    }

    [TestMethod]
    public void MalformedSctList_Rejected()
    {
        var spec = Pki.NewLeaf();
        spec.EmbedSct = false;
        spec.Extensions.Add(new System.Security.Cryptography.X509Certificates.X509Extension(FulcioExtensions.EmbeddedSctList, TestSigstore.Pki.SctListValue([[0, 1, 2]]), false));
        var ex = Assert.ThrowsExactly<VerificationException>(() => Verify(spec.Issue()));
        Assert.AreEqual(CertificateCodes.MalformedSct, ex.Code);
    }

    [TestMethod]
    public void CtKeyOutsideValidFor_DoesNotCount()
    {
        var json = Pki.TrustedRootJson(ctEnd: new DateTimeOffset(2021, 1, 1, 0, 0, 0, TimeSpan.Zero));
        Assert.AreNotEqual(Pki.TrustedRootJson(), json);
        Assert.IsEmpty(Verify(Pki.NewLeaf().Issue(), TrustedRoot.Parse(System.Text.Encoding.UTF8.GetBytes(json))));
    }

    [TestMethod]
    public void ProductionLeaves_SctsVerifyAgainstRealCtKeys()
    {
        var checkedCount = 0;
        foreach (var c in SharedConformance.Cases().Where(c => c.GetProperty("expect").GetString() == "pass"))
        {
            var bundle = SharedConformance.Bundle(c);
            if (bundle.VerificationMaterial!.PublicKey is not null)
            {
                continue;
            }

            var scts = Verify(SharedConformance.Leaf(bundle), SharedConformance.Trust(c));
            Assert.IsNotEmpty(scts, c.GetProperty("id").GetString());
            checkedCount++;
        }

        Assert.IsGreaterThan(15, checkedCount);
    }

    [TestMethod]
    public void ProductionLeaf_MutatedTbs_SctFails()
    {
        var c = SharedConformance.Case("happy-path-v0.3");
        var trust = SharedConformance.Trust(c);
        var leaf = ParsedCertificate.Parse(SharedConformance.Leaf(SharedConformance.Bundle(c)));
        var issuer = new FulcioAuthorities(trust).FindIssuers(leaf)[0];
        Assert.HasCount(1, EmbeddedSctVerifier.Verify(leaf, issuer.IssuingKey, trust));

        // Flip one byte of the serial number inside the TBS (positions stay DER-valid).
        var der = (byte[])leaf.RawData.Clone();
        var serialOffset = der.AsSpan().IndexOf(new byte[] { 0x68, 0xbf, 0xed, 0xb2 });
        Assert.IsGreaterThan(0, serialOffset);
        der[serialOffset + 1] ^= 0x01;
        Assert.IsEmpty(EmbeddedSctVerifier.Verify(ParsedCertificate.Parse(der), issuer.IssuingKey, trust));
    }

    [TestMethod]
    public void ConformanceInvalidCtKey_NoSctVerifies()
    {
        var c = SharedConformance.Case("invalid-ct-key_fail");
        Assert.IsEmpty(Verify(SharedConformance.Leaf(SharedConformance.Bundle(c)), SharedConformance.Trust(c)));
    }
}
