using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using SigstoreBuild.Diagnostics;
using SigstoreBuild.LocalStack.Pki;

namespace SigstoreBuild.LocalStack.Tuf;

/// <summary>
/// One ECDSA P-256 key of a TUF role, persisted as <c>DIR/keys/tuf-ROLE.key.pem</c>, described in metadata the way
/// Sigstore's root describes its keys: keytype <c>ecdsa</c>, scheme <c>ecdsa-sha2-nistp256</c>, PEM public key.
/// The keyid is the SHA-256 of the key object's canonical JSON (TUF §4.2).
/// </summary>
public sealed class TufSigningKey : IDisposable
{
    public const string KeyType = "ecdsa";
    public const string Scheme = "ecdsa-sha2-nistp256";

    private readonly ECDsa _key;

    private TufSigningKey(string role, ECDsa key)
    {
        Role = role;
        _key = key;
        PublicKeyPem = key.ExportSubjectPublicKeyInfoPem();
        KeyId = Convert.ToHexStringLower(SHA256.HashData(Canonical(ToJson())));
    }

    public string Role { get; }

    public string KeyId { get; }

    public string PublicKeyPem { get; }

    internal static TufSigningKey LoadOrCreate(PersistedMaterial material, string role)
    {
        var key = material.LoadOrCreateEcdsa("tuf-" + role, ECCurve.NamedCurves.nistP256);
        if (key.KeySize != 256)
        {
            key.Dispose();
            throw new SigstoreException(LocalStackCodes.PersistedMaterialInvalid,
                $"The TUF {role} key (keys/tuf-{role}.key.pem) is not an ECDSA P-256 key. Restore it, or delete it and the tuf directory to start a new TUF repository.");
        }

        return new TufSigningKey(role, key);
    }

    /// <summary>The key object as it appears in root metadata.</summary>
    public JsonObject ToJson() => new()
    {
        ["keytype"] = KeyType,
        ["keyval"] = new JsonObject { ["public"] = PublicKeyPem },
        ["scheme"] = Scheme,
    };

    /// <summary>A DER ECDSA signature over SHA-256 of <paramref name="canonicalSigned"/>, hex-encoded as TUF stores it.</summary>
    public string Sign(byte[] canonicalSigned) =>
        Convert.ToHexStringLower(_key.SignData(canonicalSigned, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence));

    public void Dispose() => _key.Dispose();

    /// <summary>The OLPC canonical form the TUF client verifies against (the client's own serialiser, so both agree byte for byte).</summary>
    internal static byte[] Canonical(JsonNode node)
    {
        using var document = JsonDocument.Parse(node.ToJsonString());
        return SigstoreBuild.Tuf.CanonicalJson.Serialize(document.RootElement);
    }
}
