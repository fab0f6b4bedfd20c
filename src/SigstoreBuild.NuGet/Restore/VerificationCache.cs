using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using SigstoreBuild.IO;

namespace SigstoreBuild.NuGet.Restore;

/// <summary>
/// Per-project state under obj/: the verified state of each package folder (so unchanged .nupkg files are not re-hashed),
/// and the signer of each successful verification, keyed by content hash + bundle digest + policy hash + trust root
/// fingerprint (so a warm build does no cryptography). Only successes are cached. A corrupt cache is simply discarded.
/// </summary>
internal sealed class VerificationCache
{
    private const int FormatVersion = 1;
    private readonly object _gate = new();
    private CacheDocument _document;

    private VerificationCache(CacheDocument document) => _document = document;

    public bool IsChanged { get; private set; }

    public static VerificationCache Load(string? path)
    {
        if (path is null || !File.Exists(path))
        {
            return new VerificationCache(new CacheDocument());
        }

        try
        {
            var kind = new InputKind("verification cache", 64 * 1024 * 1024, "It is rebuilt.");
            var document = JsonSerializer.Deserialize(InputFile.ReadAllBytes(path, kind), CacheJsonContext.Default.CacheDocument);
            return new VerificationCache(document is { Version: FormatVersion } ? document : new CacheDocument());
        }
        catch (Exception ex) when (ex is JsonException or Diagnostics.SigstoreException)
        {
            // Only a cache: an unusable one is started afresh.
            return new VerificationCache(new CacheDocument());
        }
    }

    public static string Key(byte[] contentHash, byte[] bundle, string policyHash, string trustRootFingerprint)
    {
        var text = $"{Convert.ToHexStringLower(contentHash)}|{Convert.ToHexStringLower(SHA256.HashData(bundle))}|{policyHash}|{trustRootFingerprint}";
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
    }

    public PackageFileState? GetFileState(string packageDirectory)
    {
        lock (_gate)
        {
            return _document.Files.GetValueOrDefault(packageDirectory);
        }
    }

    public void SetFileState(string packageDirectory, PackageFileState state)
    {
        lock (_gate)
        {
            if (_document.Files.GetValueOrDefault(packageDirectory) != state)
            {
                _document.Files[packageDirectory] = state;
                IsChanged = true;
            }
        }
    }

    public void RemoveFileState(string packageDirectory)
    {
        lock (_gate)
        {
            IsChanged |= _document.Files.Remove(packageDirectory);
        }
    }

    public SignerIdentity? GetVerified(string key)
    {
        lock (_gate)
        {
            return _document.Verified.TryGetValue(key, out var entry) ? new SignerIdentity(entry.Issuer, entry.Subject, entry.Extensions) : null;
        }
    }

    public void SetVerified(string key, SignerIdentity signer)
    {
        lock (_gate)
        {
            _document.Verified[key] = new CachedSigner(signer.Issuer, signer.Subject, new Dictionary<string, string>(signer.Extensions));
            IsChanged = true;
        }
    }

    /// <summary>Keeps only what this run used, so the file does not grow without bound.</summary>
    public void Retain(IReadOnlySet<string> directories, IReadOnlySet<string> keys)
    {
        lock (_gate)
        {
            foreach (var stale in _document.Files.Keys.Where(k => !directories.Contains(k)).ToList())
            {
                _document.Files.Remove(stale);
                IsChanged = true;
            }

            foreach (var stale in _document.Verified.Keys.Where(k => !keys.Contains(k)).ToList())
            {
                _document.Verified.Remove(stale);
                IsChanged = true;
            }
        }
    }

    public void Save(string path)
    {
        lock (_gate)
        {
            if (!IsChanged && File.Exists(path))
            {
                return;
            }

            FileWrites.WriteAtomically(path, JsonSerializer.SerializeToUtf8Bytes(_document, CacheJsonContext.Default.CacheDocument));
            IsChanged = false;
        }
    }

    internal sealed class CacheDocument
    {
        public int Version { get; set; } = FormatVersion;

        public Dictionary<string, PackageFileState> Files { get; set; } = new(StringComparer.Ordinal);

        public Dictionary<string, CachedSigner> Verified { get; set; } = new(StringComparer.Ordinal);
    }

    internal sealed record CachedSigner(string Issuer, string Subject, Dictionary<string, string> Extensions);
}

[JsonSerializable(typeof(VerificationCache.CacheDocument))]
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
internal sealed partial class CacheJsonContext : JsonSerializerContext;
