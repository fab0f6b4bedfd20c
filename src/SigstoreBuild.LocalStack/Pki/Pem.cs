using System.Security.Cryptography.X509Certificates;

namespace SigstoreBuild.LocalStack.Pki;

internal static class Pem
{
    /// <summary>PEM with 64-character lines and a final newline, the form Go's encoding/pem writes.</summary>
    public static string Certificate(byte[] der) => new string(System.Security.Cryptography.PemEncoding.Write("CERTIFICATE", der)) + "\n";

    public static string Certificate(X509Certificate2 cert) => Certificate(cert.RawData);

    public static string PublicKey(byte[] spki) => new string(System.Security.Cryptography.PemEncoding.Write("PUBLIC KEY", spki)) + "\n";
}
