using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Org.BouncyCastle.Crypto.Generators;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Signers;
using Org.BouncyCastle.Security;
using SigstoreBuild.Bundles;
using SigstoreBuild.Trust;
using SigstoreBuild.Verification;
using SigstoreBuild.Verification.Tlog;

namespace SigstoreBuild.Tests.Verification.Tlog;

/// <summary>
/// A transparency log made in the test with keys generated at run time: Rekor v2 (Ed25519, C2SP key hint) or Rekor v1
/// (ECDSA P-256, SET). It produces entries, RFC 6962 proofs and signed checkpoints that tests can break one at a time.
/// </summary>
internal sealed class TestLog
{
    public const string Host = "log.example.test";

    private readonly Ed25519PrivateKeyParameters? _ed25519;
    private readonly ECDsa? _ecdsa;

    public TestLog(bool rekorV2, DateTimeOffset? validFrom = null, DateTimeOffset? validTo = null)
    {
        RekorV2 = rekorV2;
        if (rekorV2)
        {
            var generator = new Ed25519KeyPairGenerator();
            generator.Init(new Ed25519KeyGenerationParameters(new SecureRandom()));
            var pair = generator.GenerateKeyPair();
            _ed25519 = (Ed25519PrivateKeyParameters)pair.Private;
            var raw = ((Ed25519PublicKeyParameters)pair.Public).GetEncoded();
            PublicKeySpki = [0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00, .. raw];
            LogId = SHA256.HashData([.. Encoding.UTF8.GetBytes(Host), 0x0a, 0x01, .. raw]);
        }
        else
        {
            _ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            PublicKeySpki = _ecdsa.ExportSubjectPublicKeyInfo();
            LogId = SHA256.HashData(PublicKeySpki);
        }

        Document = new TrustedRootDocument
        {
            MediaType = TrustedRootDocument.MediaTypeV01,
            Tlogs =
            [
                new TransparencyLogInstance
                {
                    BaseUrl = "https://" + Host,
                    HashAlgorithm = "SHA2_256",
                    PublicKey = new PublicKeyDocument
                    {
                        RawBytes = PublicKeySpki,
                        KeyDetails = rekorV2 ? "PKIX_ED25519" : "PKIX_ECDSA_P256_SHA_256",
                        ValidFor = new TimeRangeDocument { Start = validFrom ?? DateTimeOffset.UnixEpoch, End = validTo },
                    },
                    LogId = new LogId { KeyId = LogId },
                },
            ],
        };

        // The signer: a throwaway certificate and its signature over an artifact.
        using var signerKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=signer", signerKey, HashAlgorithmName.SHA256);
        SignerCertificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddMinutes(5)).RawData;
        Artifact = RandomNumberGenerator.GetBytes(64);
        Signature = signerKey.SignData(Artifact, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
    }

    public bool RekorV2 { get; }

    public byte[] PublicKeySpki { get; }

    public byte[] LogId { get; }

    public TrustedRootDocument Document { get; }

    public TrustedRoot Trust => TrustedRoot.FromDocument(Document);

    public byte[] SignerCertificate { get; }

    public byte[] Artifact { get; }

    public byte[] Signature { get; }

    public SignedContent Content => new()
    {
        Signature = Signature,
        SignerCertificate = SignerCertificate,
        ArtifactDigest = SHA256.HashData(Artifact),
        ArtifactDigestAlgorithm = HashAlgorithmName.SHA256,
    };

    /// <summary>The canonical hashedrekord body for this signer (0.0.2 for Rekor v2, 0.0.1 for v1).</summary>
    public byte[] Body()
    {
        var digest = SHA256.HashData(Artifact);
        var json = RekorV2
            ? "{\"apiVersion\":\"0.0.2\",\"kind\":\"hashedrekord\",\"spec\":{\"hashedRekordV002\":{\"data\":{\"algorithm\":\"SHA2_256\",\"digest\":\"" + Convert.ToBase64String(digest)
                + "\"},\"signature\":{\"content\":\"" + Convert.ToBase64String(Signature)
                + "\",\"verifier\":{\"keyDetails\":\"PKIX_ECDSA_P256_SHA_256\",\"x509Certificate\":{\"rawBytes\":\"" + Convert.ToBase64String(SignerCertificate) + "\"}}}}}}"
            : "{\"apiVersion\":\"0.0.1\",\"kind\":\"hashedrekord\",\"spec\":{\"data\":{\"hash\":{\"algorithm\":\"sha256\",\"value\":\"" + Convert.ToHexStringLower(digest)
                + "\"}},\"signature\":{\"content\":\"" + Convert.ToBase64String(Signature)
                + "\",\"publicKey\":{\"content\":\"" + Convert.ToBase64String(Encoding.UTF8.GetBytes(PemEncoding.WriteString("CERTIFICATE", SignerCertificate))) + "\"}}}}";
        return Encoding.UTF8.GetBytes(json);
    }

    /// <summary>
    /// An entry whose body sits at <paramref name="index"/> in a tree of <paramref name="treeSize"/> leaves (the others random),
    /// with a proof and a checkpoint signed by the log; for Rekor v1 also a SET at <paramref name="integratedTime"/>.
    /// </summary>
    public TransparencyLogEntry Entry(long index = 5, long treeSize = 11, long? integratedTime = null, string? origin = null, long? checkpointSize = null)
    {
        var body = Body();
        var leaves = new List<byte[]>();
        for (var i = 0; i < treeSize; i++)
        {
            leaves.Add(MerkleProof.HashLeaf(i == index ? body : RandomNumberGenerator.GetBytes(40)));
        }

        var root = MerkleTree.Root(leaves);
        var entry = new TransparencyLogEntry
        {
            LogIndex = index + 1000,
            LogId = new LogId { KeyId = LogId },
            KindVersion = new KindVersion { Kind = "hashedrekord", Version = RekorV2 ? "0.0.2" : "0.0.1" },
            CanonicalizedBody = body,
            InclusionProof = new InclusionProof
            {
                LogIndex = index,
                TreeSize = treeSize,
                RootHash = root,
                Hashes = MerkleTree.Path(leaves, (int)index),
                Checkpoint = new Checkpoint { Envelope = Checkpoint(origin ?? DefaultOrigin, checkpointSize ?? treeSize, root) },
            },
        };

        if (!RekorV2)
        {
            entry.IntegratedTime = integratedTime ?? DateTimeOffset.UtcNow.ToUnixTimeSeconds();
            entry.InclusionPromise = new InclusionPromise { SignedEntryTimestamp = SignSet(entry) };
        }

        return entry;
    }

    public string DefaultOrigin => RekorV2 ? Host : Host + " - 1234567";

    public string Checkpoint(string origin, long size, byte[] root, string? extraSignatureLines = null, string? signerName = null)
    {
        var text = $"{origin}\n{size.ToString(CultureInfo.InvariantCulture)}\n{Convert.ToBase64String(root)}\n";
        return $"{text}\n{extraSignatureLines}— {signerName ?? Host} {Convert.ToBase64String([.. KeyHint, .. SignNote(Encoding.UTF8.GetBytes(text))])}\n";
    }

    public byte[] KeyHint => RekorV2 ? LogId[..4] : SHA256.HashData(PublicKeySpki)[..4];

    public byte[] SignNote(byte[] text)
    {
        if (_ed25519 is not null)
        {
            var signer = new Ed25519Signer();
            signer.Init(true, _ed25519);
            signer.BlockUpdate(text, 0, text.Length);
            return signer.GenerateSignature();
        }

        return _ecdsa!.SignData(text, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
    }

    public byte[] SignSet(TransparencyLogEntry entry)
    {
        var payload = $"{{\"body\":\"{Convert.ToBase64String(entry.CanonicalizedBody!)}\",\"integratedTime\":{entry.IntegratedTime},\"logID\":\"{Convert.ToHexStringLower(entry.LogId!.KeyId!)}\",\"logIndex\":{entry.LogIndex}}}";
        return _ecdsa!.SignData(Encoding.UTF8.GetBytes(payload), HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
    }
}

/// <summary>A reference RFC 6962 tree built recursively (MTH and PATH of §2.1), to check the iterative verifier against.</summary>
internal static class MerkleTree
{
    public static byte[] Root(IReadOnlyList<byte[]> leaves)
    {
        if (leaves.Count == 1)
        {
            return leaves[0];
        }

        var k = LargestPowerOfTwoBelow(leaves.Count);
        return Node(Root(leaves.Take(k).ToList()), Root(leaves.Skip(k).ToList()));
    }

    public static List<byte[]> Path(IReadOnlyList<byte[]> leaves, int m)
    {
        if (leaves.Count == 1)
        {
            return [];
        }

        var k = LargestPowerOfTwoBelow(leaves.Count);
        var left = leaves.Take(k).ToList();
        var right = leaves.Skip(k).ToList();
        return m < k ? [.. Path(left, m), Root(right)] : [.. Path(right, m - k), Root(left)];
    }

    private static byte[] Node(byte[] left, byte[] right) => SHA256.HashData([0x01, .. left, .. right]);

    private static int LargestPowerOfTwoBelow(int n)
    {
        var k = 1;
        while (k * 2 < n)
        {
            k *= 2;
        }

        return k;
    }
}
