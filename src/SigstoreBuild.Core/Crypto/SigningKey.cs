using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.Pkcs;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Signers;
using SigstoreBuild.Diagnostics;
using SigstoreBuild.IO;
using SigstoreBuild.Signing;

namespace SigstoreBuild.Crypto;

/// <summary>The algorithms a long-lived signing key (<c>sign --key</c>) may use.</summary>
public enum SigningKeyAlgorithm
{
    EcdsaP256,
    EcdsaP384,
    Ed25519,
}

/// <summary>
/// A long-lived private key for key-based signing (cosign's <c>sign-blob --key</c>): generated here or read from a
/// PKCS#8 PEM, encrypted ("ENCRYPTED PRIVATE KEY", PBES2) or not. ECDSA through the BCL; Ed25519 through BouncyCastle,
/// which the BCL lacks. Key material and passwords never appear in messages.
/// </summary>
public sealed class SigningKey : IDisposable
{
    /// <summary>The environment variable holding the private key's password, for generating and for signing.</summary>
    public const string PasswordVariable = "SIGSTORE_PRIVATE_KEY_PASSWORD";

    private const string EcPublicKeyOid = "1.2.840.10045.2.1";
    private const string Ed25519Oid = "1.3.101.112";

    // PBKDF2-SHA256 at OWASP's recommended count: a second to unlock is nothing for signing, a lot for guessing.
    private static readonly PbeParameters Encryption = new(PbeEncryptionAlgorithm.Aes256Cbc, HashAlgorithmName.SHA256, 600_000);

    private static readonly InputKind KeyFile = new("private key", InputFile.MaxDocumentBytes, "Pass a PKCS#8 PEM private key, as generate-key-pair writes.") { Code = SigningCodes.SigningKeyUnreadable };

    private readonly ECDsa? _ecdsa;
    private readonly Ed25519PrivateKeyParameters? _ed25519;

    private SigningKey(SigningKeyAlgorithm algorithm, ECDsa? ecdsa, Ed25519PrivateKeyParameters? ed25519)
    {
        Algorithm = algorithm;
        _ecdsa = ecdsa;
        _ed25519 = ed25519;
        SubjectPublicKeyInfo = ecdsa is not null ? ecdsa.ExportSubjectPublicKeyInfo() : Ed25519Spki(ed25519!.GeneratePublicKey().GetEncoded());
    }

    public SigningKeyAlgorithm Algorithm { get; }

    /// <summary>DER SubjectPublicKeyInfo of the public half.</summary>
    internal byte[] SubjectPublicKeyInfo { get; }

    internal bool IsEd25519 => _ed25519 is not null;

    /// <summary>The hash an ECDSA key signs with (the curve's own); Ed25519 signs whole messages.</summary>
    internal HashAlgorithmName HashAlgorithm => Algorithm == SigningKeyAlgorithm.EcdsaP384 ? HashAlgorithmName.SHA384 : HashAlgorithmName.SHA256;

    /// <summary>The bundle's <c>publicKey.hint</c>: base64 of the SHA-256 of the SPKI, as sigstore-go and cosign use.</summary>
    public string Hint => Convert.ToBase64String(SHA256.HashData(SubjectPublicKeyInfo));

    /// <summary>The protobuf-specs PublicKeyDetails name (Rekor v2 verifiers).</summary>
    internal string KeyDetails => Algorithm switch
    {
        SigningKeyAlgorithm.EcdsaP384 => "PKIX_ECDSA_P384_SHA_384",
        SigningKeyAlgorithm.Ed25519 => "PKIX_ED25519",
        _ => "PKIX_ECDSA_P256_SHA_256",
    };

    internal string PublicKeyPem => PemEncoding.WriteString("PUBLIC KEY", SubjectPublicKeyInfo);

    public static SigningKey Generate(SigningKeyAlgorithm algorithm) => algorithm switch
    {
        SigningKeyAlgorithm.EcdsaP256 => new(algorithm, ECDsa.Create(ECCurve.NamedCurves.nistP256), null),
        SigningKeyAlgorithm.EcdsaP384 => new(algorithm, ECDsa.Create(ECCurve.NamedCurves.nistP384), null),
        // An Ed25519 private key is 32 random bytes (RFC 8032 §5.1.5).
        _ => new(algorithm, null, new Ed25519PrivateKeyParameters(RandomNumberGenerator.GetBytes(Ed25519PrivateKeyParameters.KeySize))),
    };

    /// <summary>Reads a PEM private key file; <paramref name="password"/> (from <see cref="PasswordVariable"/>) unlocks an encrypted one.</summary>
    public static SigningKey Load(string path, string? password)
    {
        ArgumentNullException.ThrowIfNull(path);
        var pem = InputFile.ReadAllText(path, KeyFile);
        if (!PemEncoding.TryFind(pem, out var fields))
        {
            throw Unreadable(path, "it is not a PEM file");
        }

        var label = pem[fields.Label];
        byte[] der;
        try
        {
            der = Convert.FromBase64String(pem[fields.Base64Data]);
        }
        catch (FormatException)
        {
            throw Unreadable(path, "its PEM body is not base64");
        }

        try
        {
            switch (label)
            {
                case "PRIVATE KEY":
                    return FromPkcs8(Pkcs8PrivateKeyInfo.Decode(der, out _, skipCopy: true), path);
                case "EC PRIVATE KEY":
                    var sec1 = ECDsa.Create();
                    sec1.ImportECPrivateKey(der, out _);
                    return FromEcdsa(sec1, path);
                case "ENCRYPTED PRIVATE KEY":
                    if (string.IsNullOrEmpty(password))
                    {
                        throw new SigstoreException(SigningCodes.SigningKeyPasswordMissing,
                            $"The private key '{path}' is encrypted, and {PasswordVariable} is not set. Set {PasswordVariable} to the key's password.");
                    }

                    Pkcs8PrivateKeyInfo info;
                    try
                    {
                        info = Pkcs8PrivateKeyInfo.DecryptAndDecode(password, der, out _);
                    }
                    catch (CryptographicException)
                    {
                        throw new SigstoreException(SigningCodes.SigningKeyPasswordWrong,
                            $"{PasswordVariable} does not decrypt the private key '{path}'. Set it to the password the key was generated with.");
                    }

                    return FromPkcs8(info, path);
                case "ENCRYPTED SIGSTORE PRIVATE KEY" or "ENCRYPTED COSIGN PRIVATE KEY":
                    throw Unreadable(path, "it is in cosign's own encrypted format (scrypt and secretbox), not PKCS#8. Convert it (openssl pkcs8 of cosign's decrypted key), or generate a key with 'sigstore generate-key-pair'");
                default:
                    throw Unreadable(path, $"a PEM '{label}' is not a private key");
            }
        }
        catch (Exception ex) when (ex is CryptographicException or AsnContentException)
        {
            throw Unreadable(path, "its key cannot be decoded");
        }
    }

    /// <summary>The private key as PKCS#8 PEM: encrypted (PBES2, AES-256-CBC, PBKDF2-SHA256) when a password is given.</summary>
    internal string ExportPrivateKeyPem(string? password)
    {
        var info = ToPkcs8();
        return string.IsNullOrEmpty(password)
            ? PemEncoding.WriteString("PRIVATE KEY", info.Encode())
            : PemEncoding.WriteString("ENCRYPTED PRIVATE KEY", info.Encrypt(password, Encryption));
    }

    /// <summary>
    /// Writes the key pair to new files: the private key owner-only from its creation (mode 0600 on Unix, never
    /// world-readable even for a moment), each file complete or absent. Existing files are never overwritten.
    /// </summary>
    public void WriteKeyPair(string privateKeyPath, string publicKeyPath, string? password, ISigningLog log)
    {
        ArgumentNullException.ThrowIfNull(privateKeyPath);
        ArgumentNullException.ThrowIfNull(publicKeyPath);
        ArgumentNullException.ThrowIfNull(log);
        foreach (var path in new[] { privateKeyPath, publicKeyPath })
        {
            if (Path.Exists(path))
            {
                throw new SigstoreException(SigningCodes.KeyFileExists, $"'{path}' already exists and is not overwritten. Choose another --output-key-prefix, or move the old key away first.");
            }
        }

        WriteNew(privateKeyPath, ExportPrivateKeyPem(password), ownerOnly: true);
        try
        {
            WriteNew(publicKeyPath, PublicKeyPem, ownerOnly: false);
        }
        catch
        {
            File.Delete(privateKeyPath);
            throw;
        }

        if (string.IsNullOrEmpty(password))
        {
            log.Write(SigningLogLevel.Warning, SigningCodes.PrivateKeyUnencrypted,
                $"The private key '{privateKeyPath}' is not encrypted ({PasswordVariable} is not set). Anyone who can read it can sign as you: keep it in a secret store, or generate it again with {PasswordVariable} set.");
        }
    }

    /// <summary>Signs a digest of the key's <see cref="HashAlgorithm"/> (ECDSA only: Ed25519 needs the message).</summary>
    internal byte[] SignDigest(byte[] digest) =>
        _ecdsa?.SignHash(digest, DSASignatureFormat.Rfc3279DerSequence)
        ?? throw new InvalidOperationException("Ed25519 signs messages, not digests.");

    /// <summary>Signs a whole message (a DSSE PAE): ECDSA hashes it with the curve's hash, Ed25519 signs it as is.</summary>
    internal byte[] SignMessage(byte[] message)
    {
        if (_ecdsa is not null)
        {
            return _ecdsa.SignData(message, HashAlgorithm, DSASignatureFormat.Rfc3279DerSequence);
        }

        var signer = new Ed25519Signer();
        signer.Init(true, _ed25519);
        signer.BlockUpdate(message, 0, message.Length);
        return signer.GenerateSignature();
    }

    public void Dispose() => _ecdsa?.Dispose();

    private static void WriteNew(string path, string text, bool ownerOnly)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        var temp = Path.Combine(directory, $".{Path.GetFileName(path)}.{RandomNumberGenerator.GetHexString(8, lowercase: true)}.tmp");
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (ownerOnly && !OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        try
        {
            using (var stream = new FileStream(temp, options))
            {
                stream.Write(System.Text.Encoding.ASCII.GetBytes(text + "\n"));
                stream.Flush(flushToDisk: true);
            }

            // No overwrite: a file that appeared meanwhile is kept, and this write fails.
            File.Move(temp, path, overwrite: false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            File.Delete(temp);
            throw new SigstoreException(Path.Exists(path) ? SigningCodes.KeyFileExists : SigningCodes.KeyFileUnwritable,
                $"'{path}' could not be written ({ex.Message}). Check that its folder exists and is writable, and that no file of that name exists.", ex);
        }
    }

    private Pkcs8PrivateKeyInfo ToPkcs8()
    {
        if (_ecdsa is not null)
        {
            return Pkcs8PrivateKeyInfo.Decode(_ecdsa.ExportPkcs8PrivateKey(), out _);
        }

        // RFC 8410 §7: the private key is CurvePrivateKey ::= OCTET STRING (the 32-byte seed), and no parameters.
        var seed = new AsnWriter(AsnEncodingRules.DER);
        seed.WriteOctetString(_ed25519!.GetEncoded());
        return new Pkcs8PrivateKeyInfo(new Oid(Ed25519Oid), null, seed.Encode());
    }

    private static SigningKey FromPkcs8(Pkcs8PrivateKeyInfo info, string path)
    {
        switch (info.AlgorithmId.Value)
        {
            case EcPublicKeyOid:
                var ecdsa = ECDsa.Create();
                ecdsa.ImportPkcs8PrivateKey(info.Encode(), out _);
                return FromEcdsa(ecdsa, path);
            case Ed25519Oid:
                var seed = AsnDecoder.ReadOctetString(info.PrivateKeyBytes.Span, AsnEncodingRules.DER, out _);
                if (seed.Length != Ed25519PrivateKeyParameters.KeySize)
                {
                    throw Unreadable(path, "its Ed25519 key is not 32 bytes");
                }

                return new SigningKey(SigningKeyAlgorithm.Ed25519, null, new Ed25519PrivateKeyParameters(seed));
            default:
                throw Unreadable(path, $"its algorithm ({info.AlgorithmId.Value}) is not supported; use ECDSA P-256, ECDSA P-384 or Ed25519");
        }
    }

    private static SigningKey FromEcdsa(ECDsa ecdsa, string path)
    {
        var algorithm = ecdsa.KeySize switch
        {
            256 => SigningKeyAlgorithm.EcdsaP256,
            384 => SigningKeyAlgorithm.EcdsaP384,
            _ => (SigningKeyAlgorithm?)null,
        };
        if (algorithm is null || ecdsa.ExportParameters(false).Curve.Oid?.Value is not ("1.2.840.10045.3.1.7" or "1.3.132.0.34"))
        {
            ecdsa.Dispose();
            throw Unreadable(path, "its elliptic curve is neither P-256 nor P-384");
        }

        return new SigningKey(algorithm.Value, ecdsa, null);
    }

    private static byte[] Ed25519Spki(byte[] publicKey)
    {
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            using (writer.PushSequence())
            {
                writer.WriteObjectIdentifier(Ed25519Oid);
            }

            writer.WriteBitString(publicKey);
        }

        return writer.Encode();
    }

    private static SigstoreException Unreadable(string path, string why) =>
        new(SigningCodes.SigningKeyUnreadable, $"The private key '{path}' cannot be used: {why}. Pass a PKCS#8 PEM private key (ECDSA P-256, P-384 or Ed25519), as 'sigstore generate-key-pair' writes.");
}
