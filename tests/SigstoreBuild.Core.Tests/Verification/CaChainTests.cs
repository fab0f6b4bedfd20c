using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using SigstoreBuild.Diagnostics;
using SigstoreBuild.Trust;
using SigstoreBuild.Verification.Certificates;

namespace SigstoreBuild.Tests.Verification;

/// <summary>
/// C-02, the trusted root's own Fulcio chains (<c>FulcioAuthorities.CheckChain</c>): each RFC 5280 constraint on a CA
/// certificate, broken alone, makes that CA unusable (SSB3101 with the reason), while its twin, differing only there, is used.
/// </summary>
[TestClass]
public sealed class CaChainTests
{
    private const string CodeSigning = "1.3.6.1.5.5.7.3.3";
    private const string ServerAuth = "1.3.6.1.5.5.7.3.1";
    private const string AnyExtendedKeyUsage = "2.5.29.37.0";

    private static readonly DateTimeOffset Now = new(2025, 6, 1, 12, 0, 0, TimeSpan.Zero);

    // ---- pathLenConstraint ----

    [TestMethod]
    public void RootPathLenZero_AboveAnIntermediate_Unusable()
    {
        Usable(new CaSpec { RootPathLength = 1 });
        Unusable(new CaSpec { RootPathLength = 0 }, "certificate 1 of the CA chain has pathLenConstraint 0, too small");
    }

    [TestMethod]
    public void IntermediatePathLenZero_AboveASubIntermediate_Unusable()
    {
        Usable(new CaSpec { RootPathLength = 2, IntermediatePathLength = 1, SubIntermediate = true });
        Unusable(new CaSpec { RootPathLength = 2, IntermediatePathLength = 0, SubIntermediate = true }, "certificate 1 of the CA chain has pathLenConstraint 0, too small");
    }

    // ---- keyCertSign ----

    [TestMethod]
    public void IntermediateWithoutKeyCertSign_Unusable()
    {
        Usable(new CaSpec { IntermediateKeyUsage = X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.DigitalSignature });
        Unusable(new CaSpec { IntermediateKeyUsage = X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.CrlSign }, "certificate 0 of the CA chain lacks keyCertSign");
    }

    [TestMethod]
    public void RootWithoutKeyCertSign_Unusable() =>
        Unusable(new CaSpec { RootKeyUsage = X509KeyUsageFlags.CrlSign | X509KeyUsageFlags.DigitalSignature }, "certificate 1 of the CA chain lacks keyCertSign");

    // ---- extended key usage ----

    [TestMethod]
    public void IntermediateEkuWithoutCodeSigning_Unusable()
    {
        Usable(new CaSpec { IntermediateEkus = [ServerAuth, CodeSigning] });
        Usable(new CaSpec { IntermediateEkus = [AnyExtendedKeyUsage] });
        Unusable(new CaSpec { IntermediateEkus = [ServerAuth] }, "certificate 0 of the CA chain restricts extended key usage without codeSigning");
    }

    [TestMethod]
    public void RootEkuWithoutCodeSigning_Unusable() =>
        Unusable(new CaSpec { RootEkus = [ServerAuth] }, "certificate 1 of the CA chain restricts extended key usage without codeSigning");

    // ---- critical and repeated extensions ----

    [TestMethod]
    public void IntermediateWithUnsupportedCriticalExtension_Unusable()
    {
        Usable(new CaSpec { IntermediateExtra = new X509Extension("1.3.6.1.4.1.99999.7", [0x05, 0x00], critical: false) });
        Unusable(new CaSpec { IntermediateExtra = new X509Extension("1.3.6.1.4.1.99999.7", [0x05, 0x00], critical: true) }, "CA certificate 0 has an unsupported critical extension 1.3.6.1.4.1.99999.7");
    }

    [TestMethod]
    public void RootWithUnsupportedCriticalExtension_Unusable() =>
        Unusable(new CaSpec { RootExtra = new X509Extension("1.3.6.1.4.1.99999.7", [0x05, 0x00], critical: true) }, "CA certificate 1 has an unsupported critical extension 1.3.6.1.4.1.99999.7");

    [TestMethod]
    public void IntermediateRepeatingAnExtension_Unusable()
    {
        // A second, non-critical subjectKeyIdentifier: harmless alone, but which of two values applies is ambiguous.
        var ski = new X509SubjectKeyIdentifierExtension(new byte[] { 1, 2, 3, 4 }, false);
        Usable(new CaSpec { IntermediateExtra = ski, IntermediateAppended = ("1.3.6.1.4.1.99999.8", ski.RawData) });
        Unusable(new CaSpec { IntermediateExtra = ski, IntermediateAppended = ("2.5.29.14", ski.RawData) }, "CA certificate 0 repeats extension 2.5.29.14");
    }

    // ---- basicConstraints and signatures (the rest of CheckChain, pinned by message) ----

    [TestMethod]
    public void IntermediateNotACa_Unusable() =>
        Unusable(new CaSpec { IntermediateIsCa = false }, "certificate 0 of the CA chain is not a CA");

    [TestMethod]
    public void IntermediateWithNonCriticalBasicConstraints_Unusable() =>
        Unusable(new CaSpec { IntermediateBasicConstraintsCritical = false }, "certificate 0 of the CA chain has a non-critical basicConstraints extension");

    [TestMethod]
    public void ChainOutOfOrder_Unusable() =>
        Unusable(new CaSpec { RootPathLength = 2, SubIntermediate = true, SwapUpperCertificates = true }, "certificate 0 of the CA chain was not issued by certificate 1");

    [TestMethod]
    public void ChainEndingBelowTheRoot_Unusable() =>
        Unusable(new CaSpec { DropRoot = true }, "the last certificate of the CA chain is not a self-signed root");

    [TestMethod]
    public void IntermediateWithABrokenSignature_Unusable() =>
        Unusable(new CaSpec { CorruptIntermediateSignature = true }, "the signature on certificate 0 of the CA chain does not verify");

    /// <summary>What to put in a Fulcio CA chain (root, intermediate, optionally a sub-intermediate that issues the leaf).</summary>
    private sealed record CaSpec
    {
        public int? RootPathLength { get; init; } = 1;

        public X509KeyUsageFlags RootKeyUsage { get; init; } = X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign;

        public string[]? RootEkus { get; init; }

        public X509Extension? RootExtra { get; init; }

        public bool IntermediateIsCa { get; init; } = true;

        public bool IntermediateBasicConstraintsCritical { get; init; } = true;

        public int? IntermediatePathLength { get; init; } = 0;

        public X509KeyUsageFlags IntermediateKeyUsage { get; init; } = X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign;

        public string[]? IntermediateEkus { get; init; } = [CodeSigning];

        public X509Extension? IntermediateExtra { get; init; }

        /// <summary>An extension appended after signing (re-signed by the root), for encodings the BCL refuses to build.</summary>
        public (string Oid, byte[] Value)? IntermediateAppended { get; init; }

        public bool SubIntermediate { get; init; }

        public bool SwapUpperCertificates { get; init; }

        public bool DropRoot { get; init; }

        public bool CorruptIntermediateSignature { get; init; }
    }

    private static void Usable(CaSpec spec)
    {
        var (trust, leaf) = Build(spec);
        var authority = new FulcioAuthorities.TrustedAuthority(trust.CertificateAuthorities[0]);
        Assert.IsNull(authority.Problem, authority.Problem);
        Assert.HasCount(1, new FulcioAuthorities(trust).FindIssuers(leaf));
    }

    private static void Unusable(CaSpec spec, string reason)
    {
        var (trust, leaf) = Build(spec);
        var authority = new FulcioAuthorities.TrustedAuthority(trust.CertificateAuthorities[0]);
        Assert.IsNotNull(authority.Problem);
        StringAssert.StartsWith(authority.Problem, reason);
        var ex = Assert.ThrowsExactly<VerificationException>(() => new FulcioAuthorities(trust).FindIssuers(leaf));
        Assert.AreEqual(CertificateCodes.InvalidAuthorityChain, ex.Code, ex.Message);
        StringAssert.Contains(ex.Message, reason);
    }

    private static (TrustedRoot Trust, ParsedCertificate Leaf) Build(CaSpec spec)
    {
        using var rootKey = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        var rootRequest = new CertificateRequest("O=sigstore.test, CN=chain-root", rootKey, HashAlgorithmName.SHA384);
        rootRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, spec.RootPathLength is not null, spec.RootPathLength ?? 0, true));
        rootRequest.CertificateExtensions.Add(new X509KeyUsageExtension(spec.RootKeyUsage, true));
        AddEkus(rootRequest, spec.RootEkus);
        if (spec.RootExtra is not null)
        {
            rootRequest.CertificateExtensions.Add(spec.RootExtra);
        }

        using var rootWithKey = rootRequest.CreateSelfSigned(Now.AddYears(-1), Now.AddYears(1));
        var root = X509CertificateLoader.LoadCertificate(rootWithKey.RawData);

        var intermediateKey = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        var request = new CertificateRequest("O=sigstore.test, CN=chain-intermediate", intermediateKey, HashAlgorithmName.SHA384);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(spec.IntermediateIsCa, spec.IntermediatePathLength is not null, spec.IntermediatePathLength ?? 0, spec.IntermediateBasicConstraintsCritical));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(spec.IntermediateKeyUsage, true));
        AddEkus(request, spec.IntermediateEkus);
        if (spec.IntermediateExtra is not null)
        {
            request.CertificateExtensions.Add(spec.IntermediateExtra);
        }

        var intermediateDer = request.Create(root.SubjectName, X509SignatureGenerator.CreateForECDsa(rootKey), Now.AddMonths(-6), Now.AddMonths(6), [1, 2, 3]).RawData;
        if (spec.IntermediateAppended is { } appended)
        {
            intermediateDer = TestSigstore.Pki.Resign(intermediateDer, tbs => TestSigstore.Pki.AppendExtension(tbs, appended.Oid, appended.Value), rootKey);
        }

        if (spec.CorruptIntermediateSignature)
        {
            intermediateDer = TestSigstore.Pki.Resign(intermediateDer, tbs => tbs, ECDsa.Create(ECCurve.NamedCurves.nistP384));
        }

        var intermediate = X509CertificateLoader.LoadCertificate(intermediateDer);
        var chain = new List<byte[]> { intermediate.RawData, root.RawData };
        var issuerName = intermediate.SubjectName;
        var issuerKey = intermediateKey;
        if (spec.SubIntermediate)
        {
            var subKey = ECDsa.Create(ECCurve.NamedCurves.nistP384);
            var subRequest = new CertificateRequest("O=sigstore.test, CN=chain-sub-intermediate", subKey, HashAlgorithmName.SHA384);
            subRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
            subRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, true));
            AddEkus(subRequest, [CodeSigning]);
            var sub = subRequest.Create(intermediate.SubjectName, X509SignatureGenerator.CreateForECDsa(intermediateKey), Now.AddMonths(-3), Now.AddMonths(3), [4, 5, 6]);
            chain.Insert(0, sub.RawData);
            issuerName = sub.SubjectName;
            issuerKey = subKey;
            if (spec.SwapUpperCertificates)
            {
                (chain[1], chain[2]) = (chain[2], chain[1]);
            }
        }

        if (spec.DropRoot)
        {
            chain.RemoveAt(chain.Count - 1);
        }

        var leafRequest = new CertificateRequest(new X500DistinguishedName(string.Empty), ECDsa.Create(ECCurve.NamedCurves.nistP256), HashAlgorithmName.SHA384);
        var leaf = ParsedCertificate.Parse(leafRequest.Create(issuerName, X509SignatureGenerator.CreateForECDsa(issuerKey), Now.AddMinutes(-5), Now.AddMinutes(5), [7]).RawData);

        var certificates = string.Join(", ", chain.Select(c => $$"""{ "rawBytes": "{{Convert.ToBase64String(c)}}" }"""));
        var json = $$"""
        {
          "mediaType": "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
          "tlogs": [],
          "certificateAuthorities": [{ "subject": { "organization": "sigstore.test", "commonName": "chain-root" }, "uri": "https://fulcio.test",
            "certChain": { "certificates": [{{certificates}}] }, "validFor": { "start": "2020-01-01T00:00:00Z" } }],
          "ctlogs": [],
          "timestampAuthorities": []
        }
        """;
        return (TrustedRoot.Parse(Encoding.UTF8.GetBytes(json)), leaf);
    }

    private static void AddEkus(CertificateRequest request, string[]? ekus)
    {
        if (ekus is null)
        {
            return;
        }

        var oids = new OidCollection();
        foreach (var eku in ekus)
        {
            oids.Add(new Oid(eku));
        }

        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(oids, false));
    }
}
