using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using SigstoreBuild.IO;

namespace SigstoreBuild.NuGet.Restore;

/// <summary>
/// The all-hit shortcut: after a clean run (every package verified or allowed unsigned, no diagnostic at all) this small
/// file records a key of everything the run depended on (assets file bytes, policy, mode, lock bytes, sources, trust root,
/// this assembly) and, per package, the size and time stamp of its .nupkg, of every extracted file and folder, and of every
/// local bundle path a source looked at (present or absent). A later run whose key and every stat match returns the same
/// outcomes without parsing the assets file or the cache, reading any archive, or loading the trust root. Any mismatch,
/// or a package that asked a network source, means the full run (which then rewrites or deletes this file).
/// </summary>
internal static class CacheIndex
{
    public const string FileName = "cache.index.json";
    private const int FormatVersion = 1;

    // Stat lengths that are not file sizes.
    internal const long Directory = -1;
    internal const long Absent = -2;

    public static string PathBeside(string cacheFilePath) => Path.Combine(Path.GetDirectoryName(Path.GetFullPath(cacheFilePath))!, FileName);

    /// <summary>The run key (the trust root is kept apart: only runs that verified a bundle depend on it).</summary>
    public static string RunKey(byte[] assetsFile, RestoreVerificationOptions options)
    {
        var lockBytes = options.LockFilePath is not null && File.Exists(options.LockFilePath) ? File.ReadAllBytes(options.LockFilePath) : null;
        var text = new StringBuilder()
            .Append(FormatVersion).Append('|').Append(typeof(CacheIndex).Assembly.ManifestModule.ModuleVersionId).Append('|')
            .Append(Convert.ToHexStringLower(SHA256.HashData(assetsFile))).Append('|')
            .Append(options.Mode).Append('|').Append(options.Policy.Hash).Append('|').Append(options.LockFilePath ?? "-").Append('|')
            .Append(lockBytes is null ? "-" : Convert.ToHexStringLower(SHA256.HashData(lockBytes))).Append('|').Append(options.LockedMode).Append('|')
            .AppendJoin(',', options.Sources.Select(s => s is DirectoryBundleSource d ? $"{s.Name}:{d.Directory}" : s.Name));
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }

    /// <summary>The stat of a path now: (length, ticks), length <see cref="Directory"/> for a folder, <see cref="Absent"/> when missing.</summary>
    public static StatEntry Stat(string path)
    {
        var file = new FileInfo(path);
        if (file.Exists)
        {
            return new StatEntry(path, file.Length, file.LastWriteTimeUtc.Ticks);
        }

        var directory = new DirectoryInfo(path);
        return directory.Exists ? new StatEntry(path, Directory, directory.LastWriteTimeUtc.Ticks) : new StatEntry(path, Absent, 0);
    }

    /// <summary>The recorded outcomes, or null when anything differs (or the file is missing or unreadable).</summary>
    public static IReadOnlyList<PackageOutcome>? TryMatch(string indexPath, string runKey, Func<string?> trustRootFingerprint)
    {
        IndexDocument? document;
        try
        {
            if (!File.Exists(indexPath))
            {
                return null;
            }

            document = JsonSerializer.Deserialize(InputFile.ReadAllBytes(indexPath, Kind), IndexJsonContext.Default.IndexDocument);
        }
        catch (Exception ex) when (ex is JsonException or IOException or Diagnostics.SigstoreException)
        {
            return null;
        }

        if (document is null || document.Version != FormatVersion || !string.Equals(document.RunKey, runKey, StringComparison.Ordinal))
        {
            return null;
        }

        foreach (var package in document.Packages)
        {
            foreach (var entry in package.Stats)
            {
                if (Stat(entry.Path) != entry)
                {
                    return null;
                }
            }
        }

        // Last, as it may need the trust material (TUF); a file-based root is only hashed.
        if (document.TrustRoot is not null && !string.Equals(document.TrustRoot, trustRootFingerprint(), StringComparison.Ordinal))
        {
            return null;
        }

        return document.Packages.Select(p => new PackageOutcome(
            p.Id,
            p.Version,
            p.Status,
            p.ContentHash,
            p.Signer < 0 ? null : document.Signers[p.Signer].ToSigner(),
            p.Bundle,
            p.Pattern,
            FromCache: p.Status == PackageStatus.Verified,
            Problem: null)).ToList();
    }

    /// <summary>Writes the index for a clean run; any package without a complete record (network source, failure) means none.</summary>
    public static void WriteOrDelete(string indexPath, string runKey, string? trustRoot, IReadOnlyList<PackageOutcome> outcomes, IReadOnlyList<IReadOnlyList<StatEntry>?> stats, bool clean)
    {
        if (!clean || (trustRoot is null && outcomes.Any(o => o.Signer is not null)) || outcomes.Count != stats.Count || stats.Any(s => s is null) || outcomes.Any(o => o.Status == PackageStatus.Failed))
        {
            Delete(indexPath);
            return;
        }

        var signers = new List<IndexSigner>();
        var signerIndex = new Dictionary<SignerIdentity, int>();
        var packages = new List<IndexPackage>(outcomes.Count);
        for (var i = 0; i < outcomes.Count; i++)
        {
            var o = outcomes[i];
            var signer = -1;
            if (o.Signer is { } s)
            {
                var key = signerIndex.Keys.FirstOrDefault(k => k.Issuer == s.Issuer && k.Subject == s.Subject && k.Extensions.Count == s.Extensions.Count && k.Extensions.All(e => s.Extensions.TryGetValue(e.Key, out var v) && v == e.Value));
                if (key is null)
                {
                    signerIndex[s] = signers.Count;
                    signers.Add(new IndexSigner(s.Issuer, s.Subject, new Dictionary<string, string>(s.Extensions)));
                    signer = signers.Count - 1;
                }
                else
                {
                    signer = signerIndex[key];
                }
            }

            packages.Add(new IndexPackage(o.Id, o.Version, o.Status, o.ContentHash, signer, o.BundleLocation, o.Pattern, [.. stats[i]!]));
        }

        var document = new IndexDocument { RunKey = runKey, TrustRoot = trustRoot, Signers = signers, Packages = packages };
        FileWrites.WriteAtomically(indexPath, JsonSerializer.SerializeToUtf8Bytes(document, IndexJsonContext.Default.IndexDocument));
    }

    public static void Delete(string indexPath)
    {
        if (File.Exists(indexPath))
        {
            File.Delete(indexPath);
        }
    }

    private static readonly InputKind Kind = new("verification cache index", 64 * 1024 * 1024, "It is rebuilt.");

    internal sealed class IndexDocument
    {
        public int Version { get; set; } = FormatVersion;

        public string RunKey { get; set; } = string.Empty;

        /// <summary>The trust root fingerprint the verified outcomes depend on; null when no bundle was verified.</summary>
        public string? TrustRoot { get; set; }

        public List<IndexSigner> Signers { get; set; } = [];

        public List<IndexPackage> Packages { get; set; } = [];
    }

    internal sealed record IndexSigner(string Issuer, string Subject, Dictionary<string, string> Extensions)
    {
        public SignerIdentity ToSigner() => new(Issuer, Subject, Extensions);
    }

    internal sealed record IndexPackage(string Id, string Version, PackageStatus Status, string? ContentHash, int Signer, string? Bundle, string? Pattern, List<StatEntry> Stats);
}

/// <summary>A path's size (or <see cref="CacheIndex.Directory"/>, <see cref="CacheIndex.Absent"/>) and last-write UTC ticks.</summary>
internal sealed record StatEntry(string Path, long Length, long Ticks);

[JsonSerializable(typeof(CacheIndex.IndexDocument))]
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, UseStringEnumConverter = true)]
internal sealed partial class IndexJsonContext : JsonSerializerContext;
