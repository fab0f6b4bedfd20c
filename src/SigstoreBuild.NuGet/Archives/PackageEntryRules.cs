using System.Text;
using SigstoreBuild.Diagnostics;

namespace SigstoreBuild.NuGet.Archives;

/// <summary>
/// Rules on entry names and the signature entry, applied after the layout checks: collisions under NuGet's own
/// name mapping (N-03), paths that escape the package folder (N-06), and the signature entry's exact shape (N-02).
/// </summary>
internal static class PackageEntryRules
{
    /// <summary>NuGet's package signature entry name (SigningSpecificationsV1.SignaturePath).</summary>
    public const string SignatureEntryName = ".signature.p7s";

    /// <summary>SigstoreBuild's embedded bundle entry (docs/embedded-bundle.md).</summary>
    public const string BundleEntryName = ".sigstore/bundle.sigstore.json";

    /// <summary>SigstoreBuild's embedded SBOM attestation entry, beside the provenance bundle (docs/embedded-bundle.md).</summary>
    public const string SbomBundleEntryName = ".sigstore/sbom.sigstore.json";

    /// <summary>Bundles are a few KiB; the cap keeps a hostile package from making us parse megabytes of JSON.</summary>
    public const long MaxBundleEntryBytes = 4 * 1024 * 1024;

    /// <summary>An SBOM bundle carries the whole component list (base64 in its envelope): the bundle parser's own cap.</summary>
    public const long MaxSbomBundleEntryBytes = SigstoreBuild.Bundles.BundleSerializer.MaxBundleBytes;

    /// <summary>
    /// A nuspec is a few KiB; the cap bounds what reading one allocates (the entry is read whole, then parsed), which the
    /// compression ratio limit alone does not: a package of a few hundred KiB may inflate to a nuspec of hundreds of MiB.
    /// </summary>
    public const long MaxNuspecBytes = 4 * 1024 * 1024;

    private const int UnixHost = 3;
    private const uint UnixFileTypeMask = 0xF000;
    private const uint UnixSymbolicLink = 0xA000;

    /// <summary>Returns the signature entry and the embedded bundle entries, where present; throws on any rule violation.</summary>
    public static SpecialEntries Check(IReadOnlyList<ZipEntryRecord> entries)
    {
        var files = new Dictionary<string, string>(StringComparer.Ordinal);
        var directories = new HashSet<string>(StringComparer.Ordinal);
        ZipEntryRecord? signature = null;
        ZipEntryRecord? bundle = null;
        ZipEntryRecord? sbomBundle = null;

        foreach (var entry in entries)
        {
            CheckPath(entry);
            var key = CollisionKey(entry.Name);

            if (key == SignatureEntryName.ToUpperInvariant())
            {
                if (!string.Equals(entry.Name, SignatureEntryName, StringComparison.Ordinal))
                {
                    throw Fail(PackageCodes.InvalidSignatureEntry, $"entry '{entry.Name}' is a variant of the signature entry name '{SignatureEntryName}'");
                }

                if (signature is not null)
                {
                    throw Fail(PackageCodes.InvalidSignatureEntry, "the package has more than one signature entry");
                }

                CheckSignatureEntry(entry);
                signature = entry;
            }

            // One exact name each, so every reader finds the same bundle and a look-alike cannot shadow it.
            if (key == BundleEntryName.ToUpperInvariant())
            {
                bundle = CheckBundleEntry(entry, BundleEntryName, MaxBundleEntryBytes);
            }

            if (key == SbomBundleEntryName.ToUpperInvariant())
            {
                sbomBundle = CheckBundleEntry(entry, SbomBundleEntryName, MaxSbomBundleEntryBytes);
            }

            if (entry.IsDirectory)
            {
                directories.Add(key);
                continue;
            }

            if (!files.TryAdd(key, entry.Name))
            {
                throw Fail(PackageCodes.EntryNameCollision, $"entries '{files[key]}' and '{entry.Name}' extract to the same path");
            }

            for (var slash = key.IndexOf('/'); slash > 0; slash = key.IndexOf('/', slash + 1))
            {
                directories.Add(key[..slash]);
            }
        }

        foreach (var directory in directories)
        {
            if (files.TryGetValue(directory, out var name))
            {
                throw Fail(PackageCodes.EntryNameCollision, $"entry '{name}' is both a file and a folder");
            }
        }

        return new SpecialEntries(signature, bundle, sbomBundle);
    }

    /// <summary>
    /// The entries the package digest covers: every file but NuGet's signature and the two embedded bundles, which are
    /// added after signing by design (docs/embedded-bundle.md). Exact names only: anything else under <c>.sigstore/</c> is
    /// covered like any other file.
    /// </summary>
    public static bool IsCoveredByPackageDigest(ZipEntryRecord entry) =>
        !entry.IsDirectory
        && !string.Equals(entry.Name, SignatureEntryName, StringComparison.Ordinal)
        && !string.Equals(entry.Name, BundleEntryName, StringComparison.Ordinal)
        && !string.Equals(entry.Name, SbomBundleEntryName, StringComparison.Ordinal);

    private static ZipEntryRecord CheckBundleEntry(ZipEntryRecord entry, string name, long maxBytes)
    {
        if (!string.Equals(entry.Name, name, StringComparison.Ordinal))
        {
            throw Fail(PackageCodes.InvalidBundleEntry, $"entry '{entry.Name}' is a variant of the embedded bundle entry name '{name}'");
        }

        if (entry.UncompressedSize > maxBytes)
        {
            throw Fail(PackageCodes.InvalidBundleEntry, $"the embedded bundle entry '{name}' is {entry.UncompressedSize} bytes, more than a Sigstore bundle can be ({maxBytes})");
        }

        return entry;
    }

    /// <summary>
    /// The path NuGet would write, folded the way a case-insensitive, normalising file system folds it:
    /// percent-decoded (NuGet unescapes entry names), '\' as '/', Unicode NFC, upper case.
    /// </summary>
    public static string CollisionKey(string entryName)
    {
        var decoded = Uri.UnescapeDataString(entryName).Replace('\\', '/').TrimEnd('/');

        // Windows drops trailing dots and spaces of each path segment.
        var segments = decoded.Split('/').Select(segment => segment.TrimEnd('.', ' '));
        return string.Join('/', segments).Normalize(NormalizationForm.FormC).ToUpperInvariant();
    }

    private static void CheckPath(ZipEntryRecord entry)
    {
        if ((entry.VersionMadeBy >> 8) == UnixHost && ((entry.ExternalAttributes >> 16) & UnixFileTypeMask) == UnixSymbolicLink)
        {
            throw Fail(PackageCodes.UnsafeEntryPath, $"entry '{entry.Name}' is a symbolic link");
        }

        foreach (var candidate in new[] { entry.Name, Uri.UnescapeDataString(entry.Name) })
        {
            if (candidate.Contains(':', StringComparison.Ordinal) || candidate.Contains('\0', StringComparison.Ordinal)
                || candidate.StartsWith('/') || candidate.StartsWith('\\') || candidate.Any(char.IsControl))
            {
                throw Fail(PackageCodes.UnsafeEntryPath, $"entry '{entry.Name}' has an absolute path, a drive or stream name, or control characters");
            }

            var segments = candidate.Split('/', '\\');
            if (segments.Any(s => s is ".." or "."))
            {
                throw Fail(PackageCodes.UnsafeEntryPath, $"entry '{entry.Name}' has a relative path segment");
            }

            // The same test as NuGet's ValidatePackageEntry: the full path must stay under the destination folder.
            var root = Path.GetFullPath(Path.Combine(Path.GetTempPath(), "sigstore-entry-check")) + Path.DirectorySeparatorChar;
            var full = Path.GetFullPath(Path.Combine(root, candidate.Replace('/', Path.DirectorySeparatorChar).Replace('\\', Path.DirectorySeparatorChar)));
            if (!full.StartsWith(root, StringComparison.Ordinal))
            {
                throw Fail(PackageCodes.UnsafeEntryPath, $"entry '{entry.Name}' would be extracted outside the package folder");
            }
        }
    }

    // Mirrors NuGet's AssertSignatureEntryMetadata (NU3005): stored, no flags, sizes equal, no attributes.
    private static void CheckSignatureEntry(ZipEntryRecord entry)
    {
        if (entry.Flags != 0)
        {
            throw Fail(PackageCodes.InvalidSignatureEntry, "the signature entry has general-purpose flags set (e.g. UTF-8 or data descriptor)");
        }

        if (entry.CompressionMethod != ZipConstants.MethodStored || entry.CompressedSize != entry.UncompressedSize)
        {
            throw Fail(PackageCodes.InvalidSignatureEntry, "the signature entry is compressed");
        }

        if (entry.ExternalAttributes != 0)
        {
            throw Fail(PackageCodes.InvalidSignatureEntry, "the signature entry has external file attributes");
        }
    }

    private static SigstoreException Fail(string code, string what) => StrictZipArchive.Fail(code, what);
}

/// <summary>The entries SigstoreBuild and NuGet add after packing, each where present.</summary>
internal sealed record SpecialEntries(ZipEntryRecord? Signature, ZipEntryRecord? Bundle, ZipEntryRecord? SbomBundle);
