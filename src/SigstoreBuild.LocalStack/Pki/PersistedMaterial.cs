using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Pkcs;
using Org.BouncyCastle.Security;
using SigstoreBuild.Diagnostics;

namespace SigstoreBuild.LocalStack.Pki;

/// <summary>
/// Keys and certificates kept in the data directory so that a restarted instance keeps its identity
/// (same trusted root, same log IDs). Files are PEM; keys are unencrypted PKCS#8 because they are test keys.
/// </summary>
public sealed class PersistedMaterial
{
    private readonly string _directory;

    public PersistedMaterial(string dataDirectory)
    {
        _directory = Path.Combine(dataDirectory, "keys");
        try
        {
            Directory.CreateDirectory(_directory);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new SigstoreException(LocalStackCodes.DataDirectoryUnusable,
                $"The data directory '{dataDirectory}' cannot be created ({ex.Message}). Choose a writable --data-dir.", ex);
        }
    }

    public ECDsa LoadOrCreateEcdsa(string name, ECCurve curve) => LoadOrCreate(name, ECDsa.Create, () => ECDsa.Create(curve));

    public RSA LoadOrCreateRsa(string name, int keySize) => LoadOrCreate(name, RSA.Create, () => RSA.Create(keySize));

    /// <summary>The PKCS#8 PEM key persisted under <paramref name="name"/>, or a new one written atomically.</summary>
    private T LoadOrCreate<T>(string name, Func<T> empty, Func<T> create)
        where T : AsymmetricAlgorithm
    {
        var path = KeyPath(name);
        if (!File.Exists(path))
        {
            var created = create();
            WriteAtomically(path, created.ExportPkcs8PrivateKeyPem());
            return created;
        }

        var key = empty();
        try
        {
            key.ImportFromPem(File.ReadAllText(path));
        }
        catch (Exception ex) when (ex is CryptographicException or ArgumentException)
        {
            key.Dispose();
            throw Invalid(path, ex);
        }

        return key;
    }

    public Ed25519PrivateKeyParameters LoadOrCreateEd25519(string name)
    {
        var path = KeyPath(name);
        if (File.Exists(path))
        {
            try
            {
                var text = File.ReadAllText(path);
                var fields = PemEncoding.Find(text);
                var der = Convert.FromBase64String(text[fields.Base64Data]);
                return (Ed25519PrivateKeyParameters)PrivateKeyFactory.CreateKey(der);
            }
            catch (Exception ex) when (ex is FormatException or ArgumentException or InvalidCastException or IOException)
            {
                throw Invalid(path, ex);
            }
        }

        var created = new Ed25519PrivateKeyParameters(new SecureRandom());
        var info = PrivateKeyInfoFactory.CreatePrivateKeyInfo(created).GetDerEncoded();
        WriteAtomically(path, new string(PemEncoding.Write("PRIVATE KEY", info)));
        return created;
    }

    /// <summary>Loads a persisted certificate, or creates it with <paramref name="create"/> and persists it.</summary>
    public X509Certificate2 LoadOrCreateCertificate(string name, Func<X509Certificate2> create)
    {
        var path = Path.Combine(_directory, name + ".crt.pem");
        if (File.Exists(path))
        {
            try
            {
                return X509Certificate2.CreateFromPem(File.ReadAllText(path));
            }
            catch (CryptographicException ex)
            {
                throw Invalid(path, ex);
            }
        }

        var created = create();
        WriteAtomically(path, created.ExportCertificatePem());
        return created;
    }

    private string KeyPath(string name) => Path.Combine(_directory, name + ".key.pem");

    private static SigstoreException Invalid(string path, Exception ex) =>
        new(LocalStackCodes.PersistedMaterialInvalid,
            $"The persisted file '{path}' cannot be read ({ex.Message}). Delete the data directory to start a fresh instance.", ex);

    internal static void WriteAtomically(string path, string content)
    {
        var temp = path + ".tmp";
        File.WriteAllText(temp, content);
        File.Move(temp, path, overwrite: true);
    }
}
