using System.Formats.Asn1;
using System.Security.Cryptography;
using SigstoreBuild.Crypto;

namespace SigstoreBuild.Verification.Certificates;

/// <summary>A CA public key able to check certificate signatures (and SCT issuer key hashes).</summary>
internal sealed class IssuerKey
{
    private readonly ECDsa? _ecdsa;
    private readonly RSA? _rsa;
    private readonly VerificationKey? _ed25519;

    public IssuerKey(byte[] subjectPublicKeyInfo)
    {
        SubjectPublicKeyInfo = subjectPublicKeyInfo;
        KeyHash = SHA256.HashData(subjectPublicKeyInfo);
        // One import per key: an EC import validates the point, which costs about as much as a P-384 verification.
        switch (AlgorithmOid(subjectPublicKeyInfo))
        {
            case "1.2.840.10045.2.1": // id-ecPublicKey
                _ecdsa = VerificationKey.ImportEcdsa(subjectPublicKeyInfo);
                break;
            case "1.2.840.113549.1.1.1": // rsaEncryption
                _rsa = RSA.Create();
                _rsa.ImportSubjectPublicKeyInfo(subjectPublicKeyInfo, out _);
                break;
            default:
                // Ed25519, or anything else, which VerificationKey refuses with its own error.
                var key = VerificationKey.FromSubjectPublicKeyInfo(subjectPublicKeyInfo);
                _ed25519 = key.IsEd25519 ? key : throw new CryptographicException("Unsupported CA key algorithm.");
                break;
        }
    }

    private static string? AlgorithmOid(byte[] spki)
    {
        try
        {
            return new AsnReader(spki, AsnEncodingRules.BER).ReadSequence().ReadSequence().ReadObjectIdentifier();
        }
        catch (AsnContentException)
        {
            return null; // VerificationKey reports the malformed key
        }
    }

    public byte[] SubjectPublicKeyInfo { get; }

    /// <summary>SHA-256 of the SubjectPublicKeyInfo: the RFC 6962 issuer_key_hash.</summary>
    public byte[] KeyHash { get; }

    /// <summary>Checks that <paramref name="certificate"/> was signed by this key, using the algorithm the certificate names.</summary>
    public bool Signed(ParsedCertificate certificate)
    {
        var tbs = certificate.Tbs.Span;
        switch (certificate.SignatureAlgorithm)
        {
            case "1.2.840.10045.4.3.2" when _ecdsa is not null:
                return _ecdsa.VerifyData(tbs, certificate.Signature, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
            case "1.2.840.10045.4.3.3" when _ecdsa is not null:
                return _ecdsa.VerifyData(tbs, certificate.Signature, HashAlgorithmName.SHA384, DSASignatureFormat.Rfc3279DerSequence);
            case "1.2.840.10045.4.3.4" when _ecdsa is not null:
                return _ecdsa.VerifyData(tbs, certificate.Signature, HashAlgorithmName.SHA512, DSASignatureFormat.Rfc3279DerSequence);
            case "1.2.840.113549.1.1.11" when _rsa is not null:
                return _rsa.VerifyData(tbs, certificate.Signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            case "1.2.840.113549.1.1.12" when _rsa is not null:
                return _rsa.VerifyData(tbs, certificate.Signature, HashAlgorithmName.SHA384, RSASignaturePadding.Pkcs1);
            case "1.2.840.113549.1.1.13" when _rsa is not null:
                return _rsa.VerifyData(tbs, certificate.Signature, HashAlgorithmName.SHA512, RSASignaturePadding.Pkcs1);
            case "1.3.101.112" when _ed25519 is not null:
                return _ed25519.VerifyData(tbs, certificate.Signature);
            default:
                return false;
        }
    }
}
