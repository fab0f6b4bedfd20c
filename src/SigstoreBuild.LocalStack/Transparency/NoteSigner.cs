using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Signers;
using Org.BouncyCastle.X509;

namespace SigstoreBuild.LocalStack.Transparency;

/// <summary>
/// Signs C2SP signed notes (checkpoints). The key hint is the first four bytes of the C2SP key ID: for Ed25519
/// SHA-256(name || 0x0A || 0x01 || key), for ECDSA SHA-256(DER SubjectPublicKeyInfo).
/// </summary>
public sealed class NoteSigner
{
    private readonly ECDsa? _ecdsa;
    private readonly Ed25519PrivateKeyParameters? _ed25519;

    private NoteSigner(string name, ECDsa? ecdsa, Ed25519PrivateKeyParameters? ed25519)
    {
        Name = name;
        _ecdsa = ecdsa;
        _ed25519 = ed25519;
        if (ecdsa is not null)
        {
            PublicKeySpki = ecdsa.ExportSubjectPublicKeyInfo();
            KeyId = SHA256.HashData(PublicKeySpki);
        }
        else
        {
            var publicKey = ed25519!.GeneratePublicKey();
            PublicKeySpki = SubjectPublicKeyInfoFactory.CreateSubjectPublicKeyInfo(publicKey).GetDerEncoded();
            var raw = publicKey.GetEncoded();
            var nameBytes = Encoding.UTF8.GetBytes(name);
            var material = new byte[nameBytes.Length + 2 + raw.Length];
            nameBytes.CopyTo(material, 0);
            material[nameBytes.Length] = 0x0A;
            material[nameBytes.Length + 1] = 0x01;
            raw.CopyTo(material, nameBytes.Length + 2);
            KeyId = SHA256.HashData(material);
        }
    }

    public static NoteSigner ForEcdsa(string name, ECDsa key) => new(name, key, null);

    public static NoteSigner ForEd25519(string name, Ed25519PrivateKeyParameters key) => new(name, null, key);

    /// <summary>The key name on the signature line.</summary>
    public string Name { get; }

    public byte[] PublicKeySpki { get; }

    /// <summary>The full (untruncated) C2SP key ID.</summary>
    public byte[] KeyId { get; }

    public bool IsEd25519 => _ed25519 is not null;

    public string KeyDetails => IsEd25519 ? "PKIX_ED25519" : "PKIX_ECDSA_P256_SHA_256";

    public byte[] Sign(byte[] data)
    {
        if (_ecdsa is not null)
        {
            return _ecdsa.SignData(data, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        }

        var signer = new Ed25519Signer();
        signer.Init(true, _ed25519);
        signer.BlockUpdate(data, 0, data.Length);
        return signer.GenerateSignature();
    }

    /// <summary>Builds "origin\nsize\nroot\n[extra lines]\n— name base64(hint||sig)\n".</summary>
    public string SignCheckpoint(string origin, long size, byte[] rootHash, IEnumerable<string>? extraLines = null)
    {
        var body = new StringBuilder()
            .Append(origin).Append('\n')
            .Append(size.ToString(CultureInfo.InvariantCulture)).Append('\n')
            .Append(Convert.ToBase64String(rootHash)).Append('\n');
        foreach (var line in extraLines ?? [])
        {
            body.Append(line).Append('\n');
        }

        var text = body.ToString();
        var signature = Sign(Encoding.UTF8.GetBytes(text));
        var blob = new byte[4 + signature.Length];
        KeyId.AsSpan(0, 4).CopyTo(blob);
        signature.CopyTo(blob, 4);
        return text + "\n\u2014 " + Name + " " + Convert.ToBase64String(blob) + "\n";
    }
}
