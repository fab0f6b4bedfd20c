using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Org.BouncyCastle.Crypto.Generators;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Signers;
using Org.BouncyCastle.Security;
using SigstoreBuild.Tuf;

namespace SigstoreBuild.Tests.Tuf;

/// <summary>A TUF signing key generated at run time: ecdsa P-256, ed25519 or rsassa-pss-sha256.</summary>
internal sealed class TestSigner
{
    private readonly Func<byte[], byte[]> _sign;

    private TestSigner(string keyType, string scheme, string publicKey, Func<byte[], byte[]> sign)
    {
        KeyType = keyType;
        Scheme = scheme;
        PublicKey = publicKey;
        _sign = sign;
        KeyId = Convert.ToHexStringLower(SHA256.HashData(CanonicalJson.Serialize(JsonSerializer.SerializeToElement(KeyJson()))));
    }

    public string KeyType { get; }

    public string Scheme { get; }

    public string PublicKey { get; }

    public string KeyId { get; }

    public static TestSigner Create(string keyType = "ecdsa", string? scheme = null)
        => keyType switch
        {
            "ecdsa" or "ecdsa-sha2-nistp256" => Ecdsa(keyType),
            "ed25519" => Ed25519(),
            "rsa" => Rsa(),
            _ => throw new ArgumentException(keyType),
        };

    public static TestSigner Ecdsa(string keyType = "ecdsa")
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        return new TestSigner(keyType, "ecdsa-sha2-nistp256", key.ExportSubjectPublicKeyInfoPem(),
            data => key.SignData(data, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence));
    }

    public static TestSigner Ed25519()
    {
        var generator = new Ed25519KeyPairGenerator();
        generator.Init(new Ed25519KeyGenerationParameters(new SecureRandom()));
        var pair = generator.GenerateKeyPair();
        var publicKey = (Ed25519PublicKeyParameters)pair.Public;
        return new TestSigner("ed25519", "ed25519", Convert.ToHexStringLower(publicKey.GetEncoded()), data =>
        {
            var signer = new Ed25519Signer();
            signer.Init(true, pair.Private);
            signer.BlockUpdate(data, 0, data.Length);
            return signer.GenerateSignature();
        });
    }

    public static TestSigner Rsa()
    {
        var key = RSA.Create(2048);
        return new TestSigner("rsa", "rsassa-pss-sha256", key.ExportSubjectPublicKeyInfoPem(),
            data => key.SignData(data, HashAlgorithmName.SHA256, RSASignaturePadding.Pss));
    }

    public JsonObject KeyJson() => new()
    {
        ["keytype"] = KeyType,
        ["scheme"] = Scheme,
        ["keyval"] = new JsonObject { ["public"] = PublicKey },
    };

    public string SignHex(byte[] data) => Convert.ToHexStringLower(_sign(data));
}

/// <summary>A clock the test moves by hand. Timers still run on real time (HTTP timeouts).</summary>
internal sealed class ManualTimeProvider : TimeProvider
{
    public ManualTimeProvider(DateTimeOffset now) => Now = now;

    public DateTimeOffset Now { get; set; }

    public override DateTimeOffset GetUtcNow() => Now;
}

/// <summary>Returns a time that jumps forward after the first read: detects code that re-reads the clock mid-update.</summary>
internal sealed class JumpingTimeProvider(DateTimeOffset start, TimeSpan jump) : TimeProvider
{
    private int _reads;

    public override DateTimeOffset GetUtcNow() => Interlocked.Increment(ref _reads) == 1 ? start : start + jump;
}
