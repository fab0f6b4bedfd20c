using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Signers;

namespace SigstoreBuild.Verification.Timestamps;

/// <summary>
/// Checks that a certificate was signed by a given issuer, directly (no X509Chain: no system store, no network, about
/// the cost of one signature check).
/// </summary>
internal static class CertificateSignature
{
    public static bool IsSignedBy(X509Certificate2 child, X509Certificate2 issuer)
    {
        if (!child.IssuerName.RawData.AsSpan().SequenceEqual(issuer.SubjectName.RawData))
        {
            return false;
        }

        ReadOnlyMemory<byte> tbs;
        string algorithm;
        byte[] signature;
        try
        {
            var certificate = new AsnReader(child.RawData, AsnEncodingRules.DER).ReadSequence();
            tbs = certificate.ReadEncodedValue();
            var algorithmIdentifier = certificate.ReadSequence();
            algorithm = algorithmIdentifier.ReadObjectIdentifier();
            signature = certificate.ReadBitString(out var unused);
            if (unused != 0)
            {
                return false;
            }
        }
        catch (AsnContentException)
        {
            return false;
        }

        return VerifySignature(issuer, algorithm, null, tbs.Span, signature);
    }

    /// <summary>
    /// Verifies <paramref name="signature"/> over <paramref name="data"/> with the certificate's key. <paramref name="algorithm"/>
    /// is a signature algorithm OID, or a bare key algorithm OID with the hash given by <paramref name="digest"/> (CMS).
    /// </summary>
    public static bool VerifySignature(X509Certificate2 signer, string algorithm, HashAlgorithmName? digest, ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature)
    {
        try
        {
            return VerifySignatureCore(signer, algorithm, digest, data, signature);
        }
        catch (Exception ex) when (ex is CryptographicException or PlatformNotSupportedException)
        {
            return false; // a key the platform cannot load (e.g. an unknown curve) verifies nothing
        }
    }

    private static bool VerifySignatureCore(X509Certificate2 signer, string algorithm, HashAlgorithmName? digest, ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature)
    {
        switch (algorithm)
        {
            case "1.2.840.10045.4.3.2": // ecdsa-with-SHA256
            case "1.2.840.10045.4.3.3": // ecdsa-with-SHA384
            case "1.2.840.10045.4.3.4": // ecdsa-with-SHA512
            case "1.2.840.10045.2.1" when digest is not null: // id-ecPublicKey in CMS
                using (var ecdsa = signer.GetECDsaPublicKey())
                {
                    return ecdsa is not null && ecdsa.VerifyData(data, signature, digest ?? EcdsaHash(algorithm), DSASignatureFormat.Rfc3279DerSequence);
                }

            case "1.2.840.113549.1.1.11": // sha256WithRSAEncryption
            case "1.2.840.113549.1.1.12": // sha384WithRSAEncryption
            case "1.2.840.113549.1.1.13": // sha512WithRSAEncryption
            case "1.2.840.113549.1.1.1" when digest is not null: // rsaEncryption in CMS
                using (var rsa = signer.GetRSAPublicKey())
                {
                    return rsa is not null && rsa.VerifyData(data, signature, digest ?? RsaHash(algorithm), RSASignaturePadding.Pkcs1);
                }

            case "1.3.101.112": // Ed25519
                var spki = signer.PublicKey.ExportSubjectPublicKeyInfo();
                if (signature.Length != 64 || spki.Length != 44 || signer.PublicKey.Oid.Value != "1.3.101.112")
                {
                    return false;
                }

                var verifier = new Ed25519Signer();
                verifier.Init(false, new Ed25519PublicKeyParameters(spki, 12));
                verifier.BlockUpdate(data);
                return verifier.VerifySignature(signature.ToArray());
            default:
                return false; // unknown algorithms (including RSA-PSS with parameters) fail closed
        }
    }

    private static HashAlgorithmName EcdsaHash(string oid) => oid switch
    {
        "1.2.840.10045.4.3.2" => HashAlgorithmName.SHA256,
        "1.2.840.10045.4.3.3" => HashAlgorithmName.SHA384,
        _ => HashAlgorithmName.SHA512,
    };

    private static HashAlgorithmName RsaHash(string oid) => oid switch
    {
        "1.2.840.113549.1.1.11" => HashAlgorithmName.SHA256,
        "1.2.840.113549.1.1.12" => HashAlgorithmName.SHA384,
        _ => HashAlgorithmName.SHA512,
    };
}
