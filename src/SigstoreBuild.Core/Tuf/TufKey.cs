using System.Security.Cryptography;
using System.Text.Json;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Signers;

namespace SigstoreBuild.Tuf;

/// <summary>
/// A public key from TUF metadata. Supports what Sigstore and the TUF spec use: ecdsa P-256 (keytype <c>ecdsa</c> or the
/// legacy <c>ecdsa-sha2-nistp256</c>, PEM or hex-encoded point), ed25519 and rsassa-pss-sha256. An unsupported or
/// malformed key is kept but never verifies, so it cannot help reach a threshold and cannot break parsing.
/// </summary>
internal sealed class TufKey
{
    private readonly ECParameters? _ecdsa;
    private readonly RSAParameters? _rsa;
    private readonly byte[]? _ed25519;

    private TufKey(string keyType, string scheme, string? identity, ECParameters? ecdsa, RSAParameters? rsa, byte[]? ed25519)
    {
        KeyType = keyType;
        Scheme = scheme;
        MaterialIdentity = identity;
        _ecdsa = ecdsa;
        _rsa = rsa;
        _ed25519 = ed25519;
    }

    public string KeyType { get; }

    public string Scheme { get; }

    /// <summary>Identity of the key material, so one key listed under several keyids counts once towards a threshold.</summary>
    public string? MaterialIdentity { get; }

    public bool IsSupported => MaterialIdentity is not null;

    public static TufKey Parse(JsonElement key)
    {
        string keyType = TufJson.GetString(key, "keytype", "key");
        string scheme = TufJson.GetString(key, "scheme", "key");
        JsonElement keyValue = TufJson.GetObject(key, "keyval", "key");
        string publicKey = TufJson.GetString(keyValue, "public", "keyval");
        try
        {
            return (keyType, scheme) switch
            {
                ("ecdsa" or "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp256") => ParseEcdsa(keyType, scheme, publicKey),
                ("ed25519", "ed25519") => ParseEd25519(keyType, scheme, publicKey),
                ("rsa", "rsassa-pss-sha256") => ParseRsa(keyType, scheme, publicKey),
                _ => Unsupported(keyType, scheme),
            };
        }
        // A PEM key on a named curve the platform does not know surfaces as PlatformNotSupportedException.
        catch (Exception ex) when (ex is CryptographicException or FormatException or ArgumentException or PlatformNotSupportedException)
        {
            return Unsupported(keyType, scheme);
        }
    }

    public bool Verify(ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature)
    {
        try
        {
            if (_ecdsa is ECParameters ec)
            {
                using var ecdsa = ECDsa.Create(ec);
                return ecdsa.VerifyData(data, signature, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
            }

            if (_rsa is RSAParameters rsaParameters)
            {
                using var rsa = RSA.Create(rsaParameters);
                if (rsa.VerifyData(data, signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pss))
                {
                    return true;
                }

                return VerifyRsaPssAnySalt(rsaParameters, data, signature);
            }

            if (_ed25519 is byte[] ed)
            {
                var verifier = new Ed25519Signer();
                verifier.Init(false, new Ed25519PublicKeyParameters(ed, 0));
                verifier.BlockUpdate(data);
                return verifier.VerifySignature(signature.ToArray());
            }
        }
        catch (Exception ex) when (ex is CryptographicException or Org.BouncyCastle.Crypto.CryptoException or ArgumentException)
        {
            // A malformed signature is just not a valid one.
            return false;
        }

        return false;
    }

    // securesystemslib verifies PSS with "auto" salt length; .NET only accepts salt = digest length.
    private static bool VerifyRsaPssAnySalt(RSAParameters parameters, ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature)
    {
        var key = new RsaKeyParameters(false, new Org.BouncyCastle.Math.BigInteger(1, parameters.Modulus), new Org.BouncyCastle.Math.BigInteger(1, parameters.Exponent));
        int emLength = (parameters.Modulus!.Length * 8 - 1 + 7) / 8;
        int maxSalt = emLength - 32 - 2;
        if (maxSalt <= 32)
        {
            return false;
        }

        var signer = new PssSigner(new Org.BouncyCastle.Crypto.Engines.RsaBlindedEngine(), new Org.BouncyCastle.Crypto.Digests.Sha256Digest(), maxSalt);
        signer.Init(false, key);
        signer.BlockUpdate(data);
        return signer.VerifySignature(signature.ToArray());
    }

    private static TufKey ParseEcdsa(string keyType, string scheme, string publicKey)
    {
        ECParameters parameters;
        using (ECDsa ecdsa = ECDsa.Create())
        {
            if (publicKey.Contains("-----BEGIN", StringComparison.Ordinal))
            {
                ecdsa.ImportFromPem(publicKey);
            }
            else
            {
                // Sigstore roots 1-4 carry the uncompressed point in hex.
                byte[] point = Convert.FromHexString(publicKey);
                if (point.Length != 65 || point[0] != 0x04)
                {
                    return Unsupported(keyType, scheme);
                }

                ecdsa.ImportParameters(new ECParameters
                {
                    Curve = ECCurve.NamedCurves.nistP256,
                    Q = new ECPoint { X = point[1..33], Y = point[33..] },
                });
            }

            parameters = ecdsa.ExportParameters(false);
            if (parameters.Curve.Oid?.Value != ECCurve.NamedCurves.nistP256.Oid.Value)
            {
                return Unsupported(keyType, scheme);
            }

            string identity = "ecdsa:" + Convert.ToHexString(ecdsa.ExportSubjectPublicKeyInfo());
            return new TufKey(keyType, scheme, identity, parameters, null, null);
        }
    }

    private static TufKey ParseEd25519(string keyType, string scheme, string publicKey)
    {
        byte[] raw = Convert.FromHexString(publicKey);
        if (raw.Length != 32)
        {
            return Unsupported(keyType, scheme);
        }

        return new TufKey(keyType, scheme, "ed25519:" + Convert.ToHexString(raw), null, null, raw);
    }

    private static TufKey ParseRsa(string keyType, string scheme, string publicKey)
    {
        using var rsa = RSA.Create();
        rsa.ImportFromPem(publicKey);
        if (rsa.KeySize < 2048)
        {
            return Unsupported(keyType, scheme);
        }

        return new TufKey(keyType, scheme, "rsa:" + Convert.ToHexString(rsa.ExportSubjectPublicKeyInfo()), null, rsa.ExportParameters(false), null);
    }

    private static TufKey Unsupported(string keyType, string scheme) => new(keyType, scheme, null, null, null, null);
}
