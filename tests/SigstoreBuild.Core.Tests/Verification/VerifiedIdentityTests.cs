using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using SigstoreBuild.Diagnostics;
using SigstoreBuild.Verification;

namespace SigstoreBuild.Tests.Verification;

/// <summary>
/// The one reader of a Fulcio certificate's identity, as the CLI's inspect and the signer's summary use it (restore
/// takes the identity from the verification result, which the same reader produced).
/// </summary>
[TestClass]
public sealed class VerifiedIdentityTests
{
    [TestMethod]
    public void ReadsSanIssuerAndExtensions()
    {
        using var certificate = Certificate(san => san.AddUri(new Uri("https://github.com/contoso/lib/.github/workflows/release.yml@refs/tags/v1")),
            ("1.3.6.1.4.1.57264.1.8", "https://token.actions.githubusercontent.com"), ("1.3.6.1.4.1.57264.1.15", "1001"), ("1.3.6.1.4.1.57264.1.17", "2002"));

        var identity = VerifiedIdentity.ReadUnverified(certificate.RawData);
        Assert.AreEqual(SubjectAlternativeNameKind.Uri, identity.SubjectAlternativeNameKind);
        Assert.AreEqual("https://github.com/contoso/lib/.github/workflows/release.yml@refs/tags/v1", identity.SubjectAlternativeName);
        Assert.AreEqual("https://token.actions.githubusercontent.com", identity.Issuer);
        Assert.AreEqual("1001", identity.Extensions["sourceRepositoryIdentifier"]);
        Assert.AreEqual("2002", identity.Extensions["sourceRepositoryOwnerIdentifier"]);
        Assert.AreEqual(Convert.ToHexStringLower(SHA256.HashData(certificate.RawData)), identity.CertificateSha256);
    }

    [TestMethod]
    public void CertificateWithoutIssuerIsRejected()
    {
        using var certificate = Certificate(san => san.AddEmailAddress("dev@example.com"));
        var ex = Assert.ThrowsExactly<VerificationException>(() => VerifiedIdentity.ReadUnverified(certificate.RawData));
        Assert.AreEqual(CertificateCodes.MissingIssuer, ex.Code);
    }

    private static X509Certificate2 Certificate(Action<SubjectAlternativeNameBuilder> addSan, params (string Oid, string Value)[] extensions)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        addSan(san);
        request.CertificateExtensions.Add(san.Build(critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.3")], critical: false));
        foreach (var (oid, value) in extensions)
        {
            var writer = new AsnWriter(AsnEncodingRules.DER);
            writer.WriteCharacterString(UniversalTagNumber.UTF8String, value);
            request.CertificateExtensions.Add(new X509Extension(oid, writer.Encode(), critical: false));
        }

        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddMinutes(10));
    }
}
