using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using SigstoreBuild.Verification.Certificates;

namespace SigstoreBuild.Tests.Verification;

/// <summary>The issuer prefilter: key identifiers may only rule a CA out when both are present and differ.</summary>
[TestClass]
public sealed class KeyIdentifierTests
{
    [TestMethod]
    public void MatchingIdentifiers_AreCandidates_DifferentOnesAreNot_MissingOnesProveNothing()
    {
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var otherKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var ca = Ca(caKey, withSki: true);
        var other = Ca(otherKey, withSki: true);
        var caWithoutSki = Ca(caKey, withSki: false);
        var leafWithAki = Leaf(ca, caKey, withAki: true);
        var leafWithoutAki = Leaf(ca, caKey, withAki: false);

        Assert.IsTrue(FulcioAuthorities.KeyIdentifiersMayMatch(leafWithAki, ca));
        Assert.IsFalse(FulcioAuthorities.KeyIdentifiersMayMatch(leafWithAki, other));
        Assert.IsTrue(FulcioAuthorities.KeyIdentifiersMayMatch(leafWithAki, caWithoutSki));
        Assert.IsTrue(FulcioAuthorities.KeyIdentifiersMayMatch(leafWithoutAki, other));
    }

    private static ParsedCertificate Ca(ECDsa key, bool withSki)
    {
        var request = new CertificateRequest("CN=sigstore-intermediate", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        if (withSki)
        {
            request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        }

        using var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        return ParsedCertificate.Parse(cert.RawData);
    }

    private static ParsedCertificate Leaf(ParsedCertificate ca, ECDsa caKey, bool withAki)
    {
        using var leafKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=leaf", leafKey, HashAlgorithmName.SHA256);
        using var issuer = X509CertificateLoader.LoadCertificate(ca.RawData).CopyWithPrivateKey(caKey);
        if (withAki)
        {
            request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(issuer, includeKeyIdentifier: true, includeIssuerAndSerial: false));
        }

        using var cert = request.Create(issuer, DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddHours(1), [1, 2, 3]);
        return ParsedCertificate.Parse(cert.RawData);
    }
}
