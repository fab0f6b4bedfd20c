using System.Security.Cryptography;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Signers;
using SigstoreBuild.Diagnostics;
using SigstoreBuild.IO;

namespace SigstoreBuild.Crypto;

/// <summary>
/// A public key able to check signatures: ECDSA (P-256/384/521), RSA (PKCS#1 v1.5 or PSS) or Ed25519.
/// The hash used for ECDSA and RSA follows the key details when known, otherwise the curve's natural hash.
/// </summary>
public sealed class VerificationKey
{
    private readonly ECDsa? _ecdsa;
    private readonly RSA? _rsa;
    private readonly Ed25519PublicKeyParameters? _ed25519;
    private readonly RSASignaturePadding _rsaPadding = RSASignaturePadding.Pkcs1;

    private VerificationKey(byte[] spki, ECDsa? ecdsa, RSA? rsa, Ed25519PublicKeyParameters? ed25519, HashAlgorithmName hash, RSASignaturePadding? padding)
    {
        SubjectPublicKeyInfo = spki;
        _ecdsa = ecdsa;
        _rsa = rsa;
        _ed25519 = ed25519;
        HashAlgorithm = hash;
        if (padding is not null)
        {
            _rsaPadding = padding;
        }
    }

    /// <summary>DER SubjectPublicKeyInfo of the key.</summary>
    public byte[] SubjectPublicKeyInfo { get; }

    /// <summary>The hash the key signs with (ignored for Ed25519, which signs the message itself).</summary>
    public HashAlgorithmName HashAlgorithm { get; }

    public bool IsEd25519 => _ed25519 is not null;

    public bool IsEcdsa => _ecdsa is not null;

    public bool IsRsa => _rsa is not null;

    /// <summary>Reads a DER SubjectPublicKeyInfo; <paramref name="keyDetails"/> is a protobuf-specs PublicKeyDetails name, if known.</summary>
    public static VerificationKey FromSubjectPublicKeyInfo(byte[] spki, string? keyDetails = null)
    {
        ArgumentNullException.ThrowIfNull(spki);
        if (keyDetails is not null && keyDetails.StartsWith("PKCS1_RSA", StringComparison.Ordinal))
        {
            // Some trusted roots carry bare PKCS#1 RSAPublicKey bytes for these key details.
            var pkcs1 = RSA.Create();
            pkcs1.ImportRSAPublicKey(spki, out _);
            return new VerificationKey(pkcs1.ExportSubjectPublicKeyInfo(), null, pkcs1, null, HashFromDetails(keyDetails) ?? HashAlgorithmName.SHA256,
                keyDetails.Contains("PSS", StringComparison.Ordinal) ? RSASignaturePadding.Pss : RSASignaturePadding.Pkcs1);
        }

        Org.BouncyCastle.Asn1.X509.SubjectPublicKeyInfo info;
        try
        {
            info = Org.BouncyCastle.Asn1.X509.SubjectPublicKeyInfo.GetInstance(spki);
        }
        catch (ArgumentException ex)
        {
            throw new CryptographicException("The public key is not a DER SubjectPublicKeyInfo.", ex);
        }

        var oid = info.Algorithm.Algorithm.Id;
        switch (oid)
        {
            case "1.2.840.10045.2.1": // id-ecPublicKey
                var ec = ImportEcdsa(spki);
                var hash = HashFromDetails(keyDetails) ?? (ec.KeySize switch
                {
                    <= 256 => HashAlgorithmName.SHA256,
                    <= 384 => HashAlgorithmName.SHA384,
                    _ => HashAlgorithmName.SHA512,
                });
                return new VerificationKey(spki, ec, null, null, hash, null);
            case "1.2.840.113549.1.1.1": // rsaEncryption
                var rsa = RSA.Create();
                rsa.ImportSubjectPublicKeyInfo(spki, out _);
                var padding = keyDetails is not null && keyDetails.Contains("PSS", StringComparison.Ordinal) ? RSASignaturePadding.Pss : RSASignaturePadding.Pkcs1;
                return new VerificationKey(spki, null, rsa, null, HashFromDetails(keyDetails) ?? HashAlgorithmName.SHA256, padding);
            case "1.3.101.112": // id-Ed25519
                Ed25519PublicKeyParameters ed25519;
                try
                {
                    ed25519 = new Ed25519PublicKeyParameters(info.PublicKey.GetOctets());
                }
                catch (Exception ex) when (ex is ArgumentException or IOException)
                {
                    // BouncyCastle's words for a point that is not on the curve or has the wrong length (ArgumentException)
                    // and for a key BIT STRING that is not whole bytes (IOException).
                    throw new CryptographicException("The Ed25519 public key is not a valid curve point.", ex);
                }

                return new VerificationKey(spki, null, null, ed25519, HashAlgorithmName.SHA512, null);
            default:
                throw new VerificationException(KeyCodes.UnsupportedKey, $"Unsupported public key algorithm {oid}. Use an ECDSA, RSA or Ed25519 key.");
        }
    }

    /// <summary>
    /// Imports an EC SubjectPublicKeyInfo. A named curve the platform does not know surfaces from .NET as
    /// PlatformNotSupportedException; for a key read from outside that is a key that cannot be read, like any other.
    /// </summary>
    internal static ECDsa ImportEcdsa(ReadOnlySpan<byte> spki)
    {
        var ec = ECDsa.Create();
        try
        {
            ec.ImportSubjectPublicKeyInfo(spki, out _);
            return ec;
        }
        catch (PlatformNotSupportedException ex)
        {
            ec.Dispose();
            throw new CryptographicException($"The public key's elliptic curve is not supported: {ex.Message}", ex);
        }
        catch
        {
            ec.Dispose();
            throw;
        }
    }

    /// <summary>Reads a PEM <c>PUBLIC KEY</c> file (e.g. <c>--key</c>).</summary>
    public static VerificationKey FromPemFile(string path) =>
        FromPem(InputFile.ReadAllText(path, new InputKind("public key", InputFile.MaxDocumentBytes, "Pass a PEM 'PUBLIC KEY' file.")));

    /// <summary>Reads a PEM <c>PUBLIC KEY</c> (SubjectPublicKeyInfo).</summary>
    public static VerificationKey FromPem(string pem, string? keyDetails = null)
    {
        ArgumentNullException.ThrowIfNull(pem);
        if (!PemEncoding.TryFind(pem, out var fields) || pem[fields.Label] is not "PUBLIC KEY")
        {
            throw new VerificationException(KeyCodes.UnsupportedKey, "The key is not a PEM 'PUBLIC KEY'. Export the public key as SubjectPublicKeyInfo PEM.");
        }

        return FromSubjectPublicKeyInfo(Convert.FromBase64String(pem[fields.Base64Data]), keyDetails);
    }

    /// <summary>Checks <paramref name="signature"/> over <paramref name="data"/> (hashing it as the key requires).</summary>
    public bool VerifyData(ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature)
    {
        if (_ecdsa is not null)
        {
            return _ecdsa.VerifyData(data, signature, HashAlgorithm, DSASignatureFormat.Rfc3279DerSequence);
        }

        if (_rsa is not null)
        {
            return _rsa.VerifyData(data, signature, HashAlgorithm, _rsaPadding);
        }

        if (signature.Length != 64)
        {
            return false;
        }

        var signer = new Ed25519Signer();
        signer.Init(false, _ed25519);
        signer.BlockUpdate(data);
        return signer.VerifySignature(signature.ToArray());
    }

    /// <summary>
    /// Checks a signature over a precomputed digest. Not possible for Ed25519 (it signs the message), so that returns false.
    /// </summary>
    public bool VerifyDigest(ReadOnlySpan<byte> digest, ReadOnlySpan<byte> signature, HashAlgorithmName digestAlgorithm)
    {
        if (_ecdsa is not null)
        {
            return _ecdsa.VerifyHash(digest, signature, DSASignatureFormat.Rfc3279DerSequence);
        }

        if (_rsa is not null)
        {
            return _rsa.VerifyHash(digest, signature, digestAlgorithm, _rsaPadding);
        }

        return false;
    }

    private static HashAlgorithmName? HashFromDetails(string? keyDetails) => keyDetails switch
    {
        null => null,
        _ when keyDetails.EndsWith("SHA_256", StringComparison.Ordinal) || keyDetails.EndsWith("SHA256", StringComparison.Ordinal) => HashAlgorithmName.SHA256,
        _ when keyDetails.EndsWith("SHA_384", StringComparison.Ordinal) || keyDetails.EndsWith("SHA384", StringComparison.Ordinal) => HashAlgorithmName.SHA384,
        _ when keyDetails.EndsWith("SHA_512", StringComparison.Ordinal) || keyDetails.EndsWith("SHA512", StringComparison.Ordinal) => HashAlgorithmName.SHA512,
        _ => null,
    };
}
