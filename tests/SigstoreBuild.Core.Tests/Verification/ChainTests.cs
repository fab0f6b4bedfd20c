using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using SigstoreBuild.Diagnostics;
using SigstoreBuild.Trust;
using SigstoreBuild.Verification.Certificates;

namespace SigstoreBuild.Tests.Verification;

[TestClass]
public sealed class ChainTests
{
    private static readonly TestSigstore.Pki Pki = new();

    [TestMethod]
    public void LeafFromTrustedIntermediate_FindsIssuer_AndIsValidAtSigningTime()
    {
        var leaf = ParsedCertificate.Parse(Pki.NewLeaf().Issue());
        var issuers = new FulcioAuthorities(Pki.Trust).FindIssuers(leaf);
        Assert.HasCount(1, issuers);
        FulcioAuthorities.CheckValidAt(leaf, issuers, TestSigstore.Pki.SigningTime, "test");
    }

    [TestMethod]
    public void LeafFromOtherCaWithSameName_Untrusted()
    {
        var other = new TestSigstore.Pki(); // same subject names, different keys: name match alone must not be enough
        var leaf = ParsedCertificate.Parse(other.NewLeaf().Issue());
        var ex = Assert.ThrowsExactly<VerificationException>(() => new FulcioAuthorities(Pki.Trust).FindIssuers(leaf));
        Assert.AreEqual(CertificateCodes.Untrusted, ex.Code);
    }

    [TestMethod]
    public void TimeOutsideLeafValidity_Rejected()
    {
        var leaf = ParsedCertificate.Parse(Pki.NewLeaf().Issue());
        var issuers = new FulcioAuthorities(Pki.Trust).FindIssuers(leaf);
        var ex = Assert.ThrowsExactly<VerificationException>(() => FulcioAuthorities.CheckValidAt(leaf, issuers, TestSigstore.Pki.SigningTime.AddMinutes(6), "test"));
        Assert.AreEqual(CertificateCodes.NotValidAtTime, ex.Code);
    }

    [TestMethod]
    public void LeafValidityEndIsInclusive()
    {
        var spec = Pki.NewLeaf();
        var leaf = ParsedCertificate.Parse(spec.Issue());
        var issuers = new FulcioAuthorities(Pki.Trust).FindIssuers(leaf);
        FulcioAuthorities.CheckValidAt(leaf, issuers, spec.NotAfter, "test");
    }

    [TestMethod]
    public void TimeOutsideCaValidFor_Rejected()
    {
        var trust = TrustedRoot.Parse(Encoding.UTF8.GetBytes(Pki.TrustedRootJson(caEnd: TestSigstore.Pki.SigningTime.AddMinutes(-1))));
        var leaf = ParsedCertificate.Parse(Pki.NewLeaf().Issue());
        var issuers = new FulcioAuthorities(trust).FindIssuers(leaf);
        var ex = Assert.ThrowsExactly<VerificationException>(() => FulcioAuthorities.CheckValidAt(leaf, issuers, TestSigstore.Pki.SigningTime, "test"));
        Assert.AreEqual(CertificateCodes.AuthorityNotValidAtTime, ex.Code);
    }

    [TestMethod]
    public void BundleChainWithRoot_Rejected()
    {
        var ex = Assert.ThrowsExactly<VerificationException>(() => new FulcioAuthorities(Pki.Trust).CheckBundleChain([Pki.NewLeaf().Issue(), Pki.Intermediate.RawData, Pki.Root.RawData]));
        Assert.AreEqual(CertificateCodes.UntrustedChainCertificate, ex.Code);
    }

    [TestMethod]
    public void BundleChainWithUnknownIntermediate_Rejected()
    {
        var ex = Assert.ThrowsExactly<VerificationException>(() => new FulcioAuthorities(Pki.Trust).CheckBundleChain([Pki.NewLeaf().Issue(), new TestSigstore.Pki().Intermediate.RawData]));
        Assert.AreEqual(CertificateCodes.UntrustedChainCertificate, ex.Code);
    }

    [TestMethod]
    public void BundleChainWithTrustedIntermediate_Accepted() => new FulcioAuthorities(Pki.Trust).CheckBundleChain([Pki.NewLeaf().Issue(), Pki.Intermediate.RawData]);

    [TestMethod]
    public void TrustedCaThatIsNotACa_IsUnusable()
    {
        // A trusted root whose "intermediate" lacks cA=true: leaves under it must not verify (C-02).
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        var request = new CertificateRequest("O=sigstore.test, CN=test-intermediate", key, HashAlgorithmName.SHA384);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, true));
        var notCa = request.Create(Pki.Root, TestSigstore.Pki.SigningTime.AddYears(-1), TestSigstore.Pki.SigningTime.AddYears(1), [9]).CopyWithPrivateKey(key);
        var json = Pki.TrustedRootJson(caChain: [notCa, Pki.Root]);
        var trust = TrustedRoot.Parse(Encoding.UTF8.GetBytes(json));

        var leafRequest = new CertificateRequest(new X500DistinguishedName(string.Empty), ECDsa.Create(), HashAlgorithmName.SHA384);
        var leaf = ParsedCertificate.Parse(leafRequest.Create(notCa.SubjectName, X509SignatureGenerator.CreateForECDsa(key), TestSigstore.Pki.SigningTime.AddMinutes(-5), TestSigstore.Pki.SigningTime.AddMinutes(5), [7]).RawData);
        var ex = Assert.ThrowsExactly<VerificationException>(() => new FulcioAuthorities(trust).FindIssuers(leaf));
        Assert.AreEqual(CertificateCodes.InvalidAuthorityChain, ex.Code);
    }

    [TestMethod]
    public void EveryConformanceTrustedRoot_HasUsableFulcioCas()
    {
        foreach (var trustFile in SharedConformance.Cases().Select(c => c.GetProperty("trusted_root").GetString()!).Distinct())
        {
            TrustedRoot trust;
            try
            {
                trust = TrustedRoot.Load(Path.Combine(SharedConformance.Directory, trustFile));
            }
            catch (VerificationException)
            {
                continue; // deliberately malformed roots (trust-root-*_fail) are the trust root parser's business
            }

            foreach (var ca in trust.CertificateAuthorities)
            {
                var authority = new FulcioAuthorities.TrustedAuthority(ca);
                Assert.IsNull(authority.Problem, $"{trustFile}: {authority.Problem}");
            }
        }
    }

    [TestMethod]
    public void ConformanceLeaves_ChainToTheirTrustedRoot()
    {
        var checkedCount = 0;
        foreach (var c in SharedConformance.Cases().Where(c => c.GetProperty("expect").GetString() == "pass"))
        {
            var bundle = SharedConformance.Bundle(c);
            if (bundle.VerificationMaterial!.PublicKey is not null)
            {
                continue;
            }

            var leaf = ParsedCertificate.Parse(SharedConformance.Leaf(bundle));
            Assert.IsNotEmpty(new FulcioAuthorities(SharedConformance.Trust(c)).FindIssuers(leaf), c.GetProperty("id").GetString());
            checkedCount++;
        }

        Assert.IsGreaterThan(15, checkedCount);
    }

    [TestMethod]
    public void WrongInstanceBundle_Untrusted()
    {
        var c = SharedConformance.Case("bundle-from-wrong-instance_fail");
        var leaf = ParsedCertificate.Parse(SharedConformance.Leaf(SharedConformance.Bundle(c)));
        var ex = Assert.ThrowsExactly<VerificationException>(() => new FulcioAuthorities(SharedConformance.Trust(c)).FindIssuers(leaf));
        Assert.AreEqual(CertificateCodes.Untrusted, ex.Code);
    }

    [TestMethod]
    public void ConformanceBundleWithRootCert_Rejected()
    {
        // Read as JSON: the whole bundle is refused earlier, for its v0.1 inclusion proof without checkpoint (SSB3005).
        var c = SharedConformance.Case("bundle-with-root-cert_fail");
        var path = Path.Combine(SharedConformance.Directory, c.GetProperty("bundle").GetString()!);
        Assert.AreEqual(BundleCodes.InvalidTlogEntry, Assert.ThrowsExactly<VerificationException>(() => SigstoreBuild.Bundles.BundleSerializer.Load(path)).Code);
        using var json = System.Text.Json.JsonDocument.Parse(File.ReadAllBytes(path));
        var chain = json.RootElement.GetProperty("verificationMaterial").GetProperty("x509CertificateChain").GetProperty("certificates")
            .EnumerateArray().Select(x => x.GetProperty("rawBytes").GetBytesFromBase64()).ToArray();
        var ex = Assert.ThrowsExactly<VerificationException>(() => new FulcioAuthorities(SharedConformance.Trust(c)).CheckBundleChain(chain));
        Assert.AreEqual(CertificateCodes.UntrustedChainCertificate, ex.Code);
    }
}
