using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
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
    private const int FormatVersion = 2;   // 2: stats as flat [path, length, ticks] triples

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
    /// <remarks>
    /// One pass over the file with a <see cref="Utf8JsonReader"/>, stat by stat, stopping at the first difference: on a
    /// build where nothing changed this is the whole cost of the check, so no serializer metadata and no document model.
    /// </remarks>
    public static IReadOnlyList<PackageOutcome>? TryMatch(string indexPath, string runKey, Func<string?> trustRootFingerprint)
    {
        byte[] bytes;
        try
        {
            if (!File.Exists(indexPath))
            {
                return null;
            }

            bytes = InputFile.ReadAllBytes(indexPath, Kind);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or Diagnostics.SigstoreException)
        {
            return null;
        }

        try
        {
            var reader = new Utf8JsonReader(bytes, new JsonReaderOptions { MaxDepth = 8 });
            return ReadMatching(ref reader, runKey, trustRootFingerprint);
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or FormatException)
        {
            return null;
        }
    }

    private static List<PackageOutcome>? ReadMatching(ref Utf8JsonReader reader, string runKey, Func<string?> trustRootFingerprint)
    {
        Expect(ref reader, JsonTokenType.StartObject);
        bool versionSeen = false, keySeen = false;
        string? trustRoot = null;
        var signers = new List<SignerIdentity>();
        List<PackageOutcome>? outcomes = null;
        while (Next(ref reader) == JsonTokenType.PropertyName)
        {
            var name = reader.GetString();
            reader.Read();
            switch (name)
            {
                case "version" when reader.GetInt32() == FormatVersion:
                    versionSeen = true;
                    break;
                case "runKey" when versionSeen && reader.GetString() == runKey:
                    keySeen = true;
                    break;
                case "trustRoot":
                    trustRoot = reader.GetString();
                    break;
                case "signers" when keySeen:
                    ReadSigners(ref reader, signers);
                    break;
                case "packages" when keySeen:
                    outcomes = ReadPackagesMatching(ref reader, signers);
                    if (outcomes is null)
                    {
                        return null;
                    }

                    break;
                default:
                    return null;   // another format, another run key, or a field out of order
            }
        }

        // Last, as it may need the trust material (TUF); a file-based root is only hashed.
        if (outcomes is null || (trustRoot is not null && !string.Equals(trustRoot, trustRootFingerprint(), StringComparison.Ordinal)))
        {
            return null;
        }

        return outcomes;
    }

    private static void ReadSigners(ref Utf8JsonReader reader, List<SignerIdentity> signers)
    {
        Expect(ref reader, JsonTokenType.StartArray, current: true);
        while (Next(ref reader) == JsonTokenType.StartObject)
        {
            string? issuer = null, subject = null;
            var extensions = new Dictionary<string, string>(StringComparer.Ordinal);
            while (Next(ref reader) == JsonTokenType.PropertyName)
            {
                var name = reader.GetString();
                reader.Read();
                switch (name)
                {
                    case "issuer": issuer = reader.GetString(); break;
                    case "subject": subject = reader.GetString(); break;
                    case "extensions":
                        Expect(ref reader, JsonTokenType.StartObject, current: true);
                        while (Next(ref reader) == JsonTokenType.PropertyName)
                        {
                            var oid = reader.GetString()!;
                            reader.Read();
                            extensions[oid] = reader.GetString() ?? throw new FormatException();
                        }

                        break;
                    default: throw new FormatException();
                }
            }

            signers.Add(new SignerIdentity(issuer ?? throw new FormatException(), subject ?? throw new FormatException(), extensions));
        }
    }

    /// <summary>The packages, or null at the first path whose stat differs from the one recorded.</summary>
    private static List<PackageOutcome>? ReadPackagesMatching(ref Utf8JsonReader reader, List<SignerIdentity> signers)
    {
        Expect(ref reader, JsonTokenType.StartArray, current: true);
        var outcomes = new List<PackageOutcome>();
        while (Next(ref reader) == JsonTokenType.StartObject)
        {
            string? id = null, version = null, contentHash = null, bundle = null, pattern = null;
            PackageStatus? status = null;
            var signer = -1;
            while (Next(ref reader) == JsonTokenType.PropertyName)
            {
                var name = reader.GetString();
                reader.Read();
                switch (name)
                {
                    case "id": id = reader.GetString(); break;
                    case "version": version = reader.GetString(); break;
                    case "status": status = ParseStatus(reader.GetString()); break;
                    case "contentHash": contentHash = reader.GetString(); break;
                    case "signer": signer = reader.GetInt32(); break;
                    case "bundle": bundle = reader.GetString(); break;
                    case "pattern": pattern = reader.GetString(); break;
                    case "stats":
                        // [path, length, ticks, path, length, ticks, ...]
                        Expect(ref reader, JsonTokenType.StartArray, current: true);
                        while (Next(ref reader) == JsonTokenType.String)
                        {
                            var path = reader.GetString()!;
                            reader.Read();
                            var length = reader.GetInt64();
                            reader.Read();
                            var ticks = reader.GetInt64();
                            if (Stat(path) != new StatEntry(path, length, ticks))
                            {
                                return null;
                            }
                        }

                        break;
                    default: throw new FormatException();
                }
            }

            if (id is null || version is null || status is not { } known || signer >= signers.Count || (known == PackageStatus.Verified && signer < 0))
            {
                throw new FormatException();
            }

            outcomes.Add(new PackageOutcome(id, version, known, contentHash, signer < 0 ? null : signers[signer], bundle, pattern, FromCache: known == PackageStatus.Verified, Problem: null));
        }

        return outcomes;
    }

    private static PackageStatus ParseStatus(string? text) => text switch
    {
        nameof(PackageStatus.Verified) => PackageStatus.Verified,
        nameof(PackageStatus.UnsignedAllowed) => PackageStatus.UnsignedAllowed,
        _ => throw new FormatException(),   // a failed package never makes an index
    };

    private static JsonTokenType Next(ref Utf8JsonReader reader) => reader.Read() ? reader.TokenType : throw new FormatException();

    private static void Expect(ref Utf8JsonReader reader, JsonTokenType type, bool current = false)
    {
        if ((!current && !reader.Read()) || reader.TokenType != type)
        {
            throw new FormatException();
        }
    }

    /// <summary>Writes the index for a clean run; any package without a complete record (network source, failure) means none.</summary>
    public static void WriteOrDelete(string indexPath, string runKey, string? trustRoot, IReadOnlyList<PackageOutcome> outcomes, IReadOnlyList<IReadOnlyList<StatEntry>?> stats, bool clean)
    {
        if (!clean || (trustRoot is null && outcomes.Any(o => o.Signer is not null)) || outcomes.Count != stats.Count || stats.Any(s => s is null) || outcomes.Any(o => o.Status == PackageStatus.Failed))
        {
            Delete(indexPath);
            return;
        }

        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteNumber("version", FormatVersion);
            writer.WriteString("runKey", runKey);
            writer.WriteString("trustRoot", trustRoot);
            var signers = new List<SignerIdentity>();
            foreach (var signer in outcomes.Select(o => o.Signer).OfType<SignerIdentity>())
            {
                if (signers.FindIndex(known => SameSigner(known, signer)) < 0)
                {
                    signers.Add(signer);
                }
            }

            writer.WriteStartArray("signers");
            foreach (var signer in signers)
            {
                writer.WriteStartObject();
                writer.WriteString("issuer", signer.Issuer);
                writer.WriteString("subject", signer.Subject);
                writer.WriteStartObject("extensions");
                foreach (var (oid, value) in signer.Extensions)
                {
                    writer.WriteString(oid, value);
                }

                writer.WriteEndObject();
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteStartArray("packages");
            for (var i = 0; i < outcomes.Count; i++)
            {
                var o = outcomes[i];
                writer.WriteStartObject();
                writer.WriteString("id", o.Id);
                writer.WriteString("version", o.Version);
                writer.WriteString("status", o.Status.ToString());
                writer.WriteString("contentHash", o.ContentHash);
                writer.WriteNumber("signer", o.Signer is { } s ? signers.FindIndex(known => SameSigner(known, s)) : -1);
                writer.WriteString("bundle", o.BundleLocation);
                writer.WriteString("pattern", o.Pattern);
                writer.WriteStartArray("stats");
                foreach (var stat in stats[i]!)
                {
                    writer.WriteStringValue(stat.Path);
                    writer.WriteNumberValue(stat.Length);
                    writer.WriteNumberValue(stat.Ticks);
                }

                writer.WriteEndArray();
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        FileWrites.WriteAtomically(indexPath, buffer.WrittenSpan.ToArray());
    }

    private static bool SameSigner(SignerIdentity a, SignerIdentity b) =>
        a.Issuer == b.Issuer && a.Subject == b.Subject && a.Extensions.Count == b.Extensions.Count
        && a.Extensions.All(e => b.Extensions.TryGetValue(e.Key, out var v) && v == e.Value);

    public static void Delete(string indexPath)
    {
        if (File.Exists(indexPath))
        {
            File.Delete(indexPath);
        }
    }

    private static readonly InputKind Kind = new("verification cache index", 64 * 1024 * 1024, "It is rebuilt.");
}

/// <summary>A path's size (or <see cref="CacheIndex.Directory"/>, <see cref="CacheIndex.Absent"/>) and last-write UTC ticks.</summary>
internal sealed record StatEntry(string Path, long Length, long Ticks);
