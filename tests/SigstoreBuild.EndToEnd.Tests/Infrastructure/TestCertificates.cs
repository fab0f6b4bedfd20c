using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace SigstoreBuild.EndToEnd.Tests.Infrastructure;

internal static class TestCertificates
{
    /// <summary>A self-signed code-signing certificate made now, as dotnet nuget sign accepts it (untrusted root is a warning).</summary>
    public static byte[] AuthorPfx(string password)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=SigstoreBuild E2E Author", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyCertSign, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.3")], false));
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddHours(1));
        return certificate.Export(X509ContentType.Pfx, password);
    }
}
