using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using SigstoreBuild.NuGet.Restore;

namespace SigstoreBuild.Restore.Tests;

[TestClass]
public sealed class FulcioIdentityTests
{
    [TestMethod]
    public void ReadsSanIssuerAndExtensions()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddUri(new Uri("https://github.com/contoso/lib/.github/workflows/release.yml@refs/tags/v1"));
        request.CertificateExtensions.Add(san.Build(critical: true));
        request.CertificateExtensions.Add(Utf8Extension("1.3.6.1.4.1.57264.1.8", "https://token.actions.githubusercontent.com"));
        request.CertificateExtensions.Add(Utf8Extension("1.3.6.1.4.1.57264.1.15", "1001"));
        request.CertificateExtensions.Add(Utf8Extension("1.3.6.1.4.1.57264.1.17", "2002"));
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddMinutes(10));

        var identity = FulcioIdentity.Read(certificate.RawData);
        Assert.AreEqual("https://token.actions.githubusercontent.com", identity.Issuer);
        Assert.AreEqual("https://github.com/contoso/lib/.github/workflows/release.yml@refs/tags/v1", identity.Subject);
        Assert.AreEqual("1001", identity.SourceRepositoryIdentifier);
        Assert.AreEqual("2002", identity.OwnerIdentifier);
    }

    [TestMethod]
    public void CertificateWithoutIssuerIsRejected()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddEmailAddress("dev@example.com");
        request.CertificateExtensions.Add(san.Build());
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddMinutes(10));
        Assert.AreEqual(RestoreCodes.SignatureInvalid, Assert.ThrowsExactly<Diagnostics.SigstoreException>(() => FulcioIdentity.Read(certificate.RawData)).Code);
    }

    private static X509Extension Utf8Extension(string oid, string value)
    {
        var writer = new AsnWriter(AsnEncodingRules.DER);
        writer.WriteCharacterString(UniversalTagNumber.UTF8String, value);
        return new X509Extension(oid, writer.Encode(), critical: false);
    }
}
