using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using NuGet.Packaging;
using SigstoreBuild.IO;

namespace SigstoreBuild.NuGet.Restore;

/// <summary>Computes a package's NuGet content hash (SHA-512 of the archive without its repository/author signature).</summary>
public delegate byte[] PackageContentHasher(string nupkgPath);

/// <summary>The cached state of one extracted package: what we hashed and what the folder looked like then.</summary>
internal sealed record PackageFileState(long NupkgLength, long NupkgWriteTicks, string ContentHash, string TreeFingerprint);

/// <summary>A package folder that differs from what NuGet recorded or from its own .nupkg.</summary>
internal sealed record IntegrityProblem(string Code, string Message);

/// <summary>The content hash to verify the signature against, or the problem that prevents it.</summary>
internal sealed record IntegrityResult(byte[]? ContentHash, PackageFileState? State, bool Rehashed, IntegrityProblem? Problem)
{
    /// <summary>The strict inspection behind <see cref="ContentHash"/> when it was computed now, so verification reuses it.</summary>
    public PackageInspection? Inspection { get; init; }

    /// <summary>The stats behind <see cref="State"/>, taken before anything was hashed or compared (for the cache index).</summary>
    public IReadOnlyList<StatEntry>? Stats { get; init; }
}

/// <summary>
/// the global packages folder is untrusted input. The content hash is computed from the .nupkg itself (never
/// taken from <c>.nupkg.metadata</c> or <c>.nupkg.sha512</c>), and every extracted file must equal its archive entry.
/// Both are redone whenever the .nupkg's size or time stamp, or the extracted folder's listing, size or time stamps,
/// differ from the last verified state, or always when <c>rehash</c> is set.
/// </summary>
internal static class PackageIntegrity
{
    /// <summary>NuGet's own computation (used by tests to cross-check the strict one).</summary>
    public static PackageContentHasher NuGetContentHasher { get; } = path =>
    {
        using var reader = new PackageArchiveReader(path);
        return Convert.FromBase64String(reader.GetContentHash(CancellationToken.None));
    };

    /// <summary>The content hash after the strict archive checks of the package library (N-02..N-06).</summary>
    public static PackageContentHasher StrictContentHasher { get; } = path => PackageInspector.Inspect(path).ContentHashSha512;

    private static readonly InputKind MetadataFile = new(".nupkg.metadata", InputFile.MaxDocumentBytes, "Clear the package from the global packages folder and restore again.");

    // Written next to an extracted package by NuGet or by us, and not part of the archive.
    private static readonly string[] KnownNonArchiveFiles = [".nupkg.metadata", ".nupkg.sha512", ".sigstore.json"];

    /// <summary><paramref name="hasher"/> null: the strict inspection, kept in the result for the signature check.</summary>
    public static IntegrityResult Check(string packageDirectory, string nupkgPath, string packageId, PackageFileState? cached, bool rehash, PackageContentHasher? hasher)
    {
        var nupkg = new FileInfo(nupkgPath);
        var (fingerprint, stats) = TreeState(packageDirectory, nupkgPath);
        stats.Add(new StatEntry(nupkg.FullName, nupkg.Length, nupkg.LastWriteTimeUtc.Ticks));
        if (!rehash && cached is not null && cached.NupkgLength == nupkg.Length && cached.NupkgWriteTicks == nupkg.LastWriteTimeUtc.Ticks
            && string.Equals(cached.TreeFingerprint, fingerprint, StringComparison.Ordinal))
        {
            return new IntegrityResult(Convert.FromBase64String(cached.ContentHash), cached, Rehashed: false, Problem: null) { Stats = stats };
        }

        byte[] contentHash;
        PackageInspection? inspection = null;
        try
        {
            if (hasher is null)
            {
                inspection = PackageInspector.Inspect(nupkgPath);
                contentHash = inspection.ContentHashSha512;
            }
            else
            {
                contentHash = hasher(nupkgPath);
            }
        }
        catch (Exception ex) when (ex is InvalidDataException or IOException or Diagnostics.SigstoreException or global::NuGet.Packaging.Core.PackagingException or FormatException)
        {
            return new IntegrityResult(null, null, true, new IntegrityProblem(RestoreCodes.ContentHashMismatch, $"its .nupkg '{nupkgPath}' cannot be hashed: {ex.Message}"));
        }

        var recorded = ReadRecordedContentHash(packageDirectory);
        if (recorded is not null && !CryptographicOperations.FixedTimeEquals(recorded, contentHash))
        {
            return new IntegrityResult(null, null, true, new IntegrityProblem(RestoreCodes.ContentHashMismatch, $"the content hash of '{nupkgPath}' differs from the one in .nupkg.metadata; the package folder was changed after restore"));
        }

        var tamper = CompareExtracted(packageDirectory, nupkgPath, packageId);
        if (tamper is not null)
        {
            return new IntegrityResult(null, null, true, new IntegrityProblem(RestoreCodes.ExtractedFileTampered, tamper));
        }

        var state = new PackageFileState(nupkg.Length, nupkg.LastWriteTimeUtc.Ticks, Convert.ToBase64String(contentHash), fingerprint);
        return new IntegrityResult(contentHash, state, Rehashed: true, Problem: null) { Inspection = inspection, Stats = stats };
    }

    internal static byte[]? ReadRecordedContentHash(string packageDirectory)
    {
        var metadata = Path.Combine(packageDirectory, ".nupkg.metadata");
        if (!File.Exists(metadata))
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(InputFile.ReadAllBytes(metadata, MetadataFile));
            return document.RootElement.TryGetProperty("contentHash", out var hash) && hash.GetString() is { } text ? Convert.FromBase64String(text) : null;
        }
        catch (Exception ex) when (ex is JsonException or FormatException or InvalidOperationException or Diagnostics.SigstoreException)
        {
            return [];  // unreadable metadata never matches a real hash
        }
    }

    internal static string? ReadRecordedSource(string packageDirectory)
    {
        var metadata = Path.Combine(packageDirectory, ".nupkg.metadata");
        try
        {
            using var document = JsonDocument.Parse(InputFile.ReadAllBytes(metadata, MetadataFile));
            return document.RootElement.TryGetProperty("source", out var source) ? source.GetString() : null;
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or Diagnostics.SigstoreException)
        {
            return null;
        }
    }

    /// <summary>Listing, sizes and time stamps of the extracted files: cheap to compute, changes when any file does.</summary>
    internal static string TreeFingerprint(string packageDirectory, string nupkgPath) => TreeState(packageDirectory, nupkgPath).Fingerprint;

    /// <summary>
    /// The fingerprint, and the stat of every extracted file and of every folder (a folder's time stamp changes when a
    /// file is added to or removed from it), so the cache index can re-check a package by stat alone.
    /// </summary>
    internal static (string Fingerprint, List<StatEntry> Stats) TreeState(string packageDirectory, string nupkgPath)
    {
        var root = new DirectoryInfo(packageDirectory);
        var stats = new List<StatEntry> { new(root.FullName, CacheIndex.Directory, root.LastWriteTimeUtc.Ticks) };
        var files = new List<(string Relative, FileInfo Info)>();
        var nupkgFullPath = Path.GetFullPath(nupkgPath);
        var options = new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0, IgnoreInaccessible = false, ReturnSpecialDirectories = false };
        foreach (var info in root.EnumerateFileSystemInfos("*", options))
        {
            if (info is DirectoryInfo directory)
            {
                stats.Add(new StatEntry(directory.FullName, CacheIndex.Directory, directory.LastWriteTimeUtc.Ticks));
            }
            else if (info is FileInfo file && Extracted(root, file, nupkgFullPath) is { } relative)
            {
                files.Add((relative, file));
                stats.Add(new StatEntry(file.FullName, file.Length, file.LastWriteTimeUtc.Ticks));
            }
        }

        var builder = new StringBuilder();
        foreach (var file in files.OrderBy(f => f.Relative, StringComparer.Ordinal))
        {
            builder.Append(file.Relative).Append('|').Append(file.Info.Length).Append('|').Append(file.Info.LastWriteTimeUtc.Ticks).Append('\n');
        }

        return (Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(builder.ToString()))), stats);
    }

    /// <summary>The archive-relative name of an extracted file, or null for the .nupkg and the files NuGet or we add.</summary>
    private static string? Extracted(DirectoryInfo root, FileInfo file, string nupkgFullPath)
    {
        if (string.Equals(file.FullName, nupkgFullPath, StringComparison.Ordinal))
        {
            return null;
        }

        var relative = Path.GetRelativePath(root.FullName, file.FullName).Replace('\\', '/');
        return !relative.Contains('/', StringComparison.Ordinal) && KnownNonArchiveFiles.Any(s => relative.EndsWith(s, StringComparison.OrdinalIgnoreCase)) ? null : relative;
    }

    private static IEnumerable<(string Relative, FileInfo Info)> EnumerateExtracted(string packageDirectory, string nupkgPath)
    {
        var root = new DirectoryInfo(packageDirectory);
        var options = new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0, IgnoreInaccessible = false, ReturnSpecialDirectories = false };
        var nupkgFullPath = Path.GetFullPath(nupkgPath);
        foreach (var file in root.EnumerateFiles("*", options))
        {
            if (Extracted(root, file, nupkgFullPath) is { } relative)
            {
                yield return (relative, file);
            }
        }
    }

    /// <summary>Null when every extracted file equals its archive entry and nothing was added; otherwise what differs.</summary>
    internal static string? CompareExtracted(string packageDirectory, string nupkgPath, string packageId)
    {
        var expected = new Dictionary<string, ZipArchiveEntry>(StringComparer.Ordinal);
        using var archive = ZipFile.OpenRead(nupkgPath);
        foreach (var entry in archive.Entries)
        {
            if (entry.FullName.EndsWith('/') || IsNotExtracted(entry.FullName))
            {
                continue;
            }

            var target = !entry.FullName.Contains('/', StringComparison.Ordinal) && entry.FullName.EndsWith(".nuspec", StringComparison.OrdinalIgnoreCase)
                ? packageId.ToLowerInvariant() + ".nuspec"
                : Uri.UnescapeDataString(entry.FullName);
            expected[target] = entry;
        }

        foreach (var (relative, info) in EnumerateExtracted(packageDirectory, nupkgPath))
        {
            if (!expected.Remove(relative, out var entry))
            {
                return $"'{relative}' in '{packageDirectory}' is not in the package; a file was added after restore";
            }

            if (info.Length != entry.Length || !SameContent(entry, info.FullName))
            {
                return $"'{relative}' in '{packageDirectory}' differs from the package; a file was changed after restore";
            }
        }

        // A deleted file cannot run code; NuGet restores it only when the whole folder is removed, so just report it.
        return expected.Count == 0 ? null : $"'{expected.Keys.First()}' is missing from '{packageDirectory}'; the folder was changed after restore";
    }

    private static bool IsNotExtracted(string name) =>
        name.StartsWith("_rels/", StringComparison.OrdinalIgnoreCase)
        || name.StartsWith("package/", StringComparison.OrdinalIgnoreCase)
        || string.Equals(name, "[Content_Types].xml", StringComparison.OrdinalIgnoreCase);

    private static bool SameContent(ZipArchiveEntry entry, string path)
    {
        using var fromArchive = entry.Open();
        using var fromDisk = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
        var a = new byte[81920];
        var b = new byte[81920];
        while (true)
        {
            var read = fromArchive.ReadAtLeast(a, a.Length, throwOnEndOfStream: false);
            var readDisk = fromDisk.ReadAtLeast(b, read == 0 ? 1 : read, throwOnEndOfStream: false);
            if (read != readDisk || !a.AsSpan(0, read).SequenceEqual(b.AsSpan(0, readDisk)))
            {
                return false;
            }

            if (read == 0)
            {
                return true;
            }
        }
    }
}
