using System.Security.Cryptography.X509Certificates;

namespace SigstoreBuild.Cli.Tests.Infrastructure;

/// <summary>An HTTP client that trusts exactly one server certificate (the local instance's), and no other.</summary>
internal static class PinnedHttps
{
    public static HttpClient Trusting(X509Certificate2 certificate)
    {
        var pinned = certificate.RawData;
        return new HttpClient(new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            SslOptions = { RemoteCertificateValidationCallback = (_, presented, _, _) => presented is not null && presented.GetRawCertData().AsSpan().SequenceEqual(pinned) },
        });
    }
}
