using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Signers;
using Org.BouncyCastle.Security;

namespace SigstoreBuild.LocalStack.Pki;

/// <summary>Verifies signatures made by clients' keys (ECDSA, RSA PKCS#1 v1.5, Ed25519), given as SPKI, PEM key or certificate.</summary>
public static class SignatureCheck
{
    /// <summary>Extracts the SubjectPublicKeyInfo from PEM or DER holding a certificate or a public key.</summary>
    public static byte[] SpkiFromPemOrDer(byte[] data)
    {
        var text = System.Text.Encoding.ASCII.GetString(data);
        if (text.Contains("-----BEGIN", StringComparison.Ordinal))
        {
            var fields = PemEncoding.Find(text);
            var label = text[fields.Label];
            var der = Convert.FromBase64String(text[fields.Base64Data]);
            return label == "CERTIFICATE" ? SpkiFromCertificate(der) : der;
        }

        try
        {
            return SpkiFromCertificate(data);
        }
        catch (CryptographicException)
        {
            return data;
        }
    }

    public static byte[] SpkiFromCertificate(byte[] der)
    {
        using var certificate = X509CertificateLoader.LoadCertificate(der);
        return certificate.PublicKey.ExportSubjectPublicKeyInfo();
    }

    /// <summary>Verifies a signature over a precomputed digest (hashedrekord).</summary>
    public static bool VerifyDigest(byte[] spki, byte[] digest, HashAlgorithmName hash, byte[] signature)
    {
        using var ecdsa = TryEcdsa(spki);
        if (ecdsa is not null)
        {
            return ecdsa.VerifyHash(digest, signature, DSASignatureFormat.Rfc3279DerSequence);
        }

        using var rsa = TryRsa(spki);
        return rsa is not null && rsa.VerifyHash(digest, signature, hash, RSASignaturePadding.Pkcs1);
    }

    /// <summary>Verifies a signature over a whole message, hashing as the key type implies (P-256: SHA-256, P-384: SHA-384...).</summary>
    public static bool VerifyMessage(byte[] spki, byte[] message, byte[] signature)
    {
        using var ecdsa = TryEcdsa(spki);
        if (ecdsa is not null)
        {
            var hash = ecdsa.KeySize switch
            {
                384 => HashAlgorithmName.SHA384,
                521 => HashAlgorithmName.SHA512,
                _ => HashAlgorithmName.SHA256,
            };
            return ecdsa.VerifyData(message, signature, hash, DSASignatureFormat.Rfc3279DerSequence)
                || (hash != HashAlgorithmName.SHA256 && ecdsa.VerifyData(message, signature, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence));
        }

        using var rsa = TryRsa(spki);
        if (rsa is not null)
        {
            return rsa.VerifyData(message, signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        }

        try
        {
            if (PublicKeyFactory.CreateKey(spki) is Ed25519PublicKeyParameters ed25519)
            {
                var verifier = new Ed25519Signer();
                verifier.Init(false, ed25519);
                verifier.BlockUpdate(message, 0, message.Length);
                return verifier.VerifySignature(signature);
            }
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or IOException)
        {
            return false;
        }

        return false;
    }

    private static ECDsa? TryEcdsa(byte[] spki)
    {
        var key = ECDsa.Create();
        try
        {
            key.ImportSubjectPublicKeyInfo(spki, out _);
            return key;
        }
        catch (CryptographicException)
        {
            key.Dispose();
            return null;
        }
    }

    private static RSA? TryRsa(byte[] spki)
    {
        var key = RSA.Create();
        try
        {
            key.ImportSubjectPublicKeyInfo(spki, out _);
            return key;
        }
        catch (CryptographicException)
        {
            key.Dispose();
            return null;
        }
    }
}
