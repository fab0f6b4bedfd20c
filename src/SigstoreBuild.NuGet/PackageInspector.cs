using System.Security.Cryptography;
using System.Xml;
using System.Xml.Linq;
using NuGet.Packaging;
using NuGet.Packaging.Core;
using NuGet.Versioning;
using SigstoreBuild.Diagnostics;
using SigstoreBuild.NuGet.Archives;
using SigstoreBuild.IO;

namespace SigstoreBuild.NuGet;

/// <summary>
/// Reads a .nupkg or .snupkg strictly (threat model N-02..N-07) and computes its digests. Any violation is a
/// <see cref="SigstoreException"/> with an SSB54xx code; nothing is hashed or trusted before the archive passed.
/// </summary>
public static class PackageInspector
{
    // The archive limits bound what is read from it.
    private static readonly InputKind PackageFile = InputKind.AnySize("package");

    public static PackageInspection Inspect(string packagePath, PackageIdentity? expectedIdentity = null, ArchiveLimits? limits = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(packagePath);
        using var stream = InputFile.Open(packagePath, PackageFile);
        return Inspect(stream, expectedIdentity, limits);
    }

    public static PackageInspection Inspect(Stream package, PackageIdentity? expectedIdentity = null, ArchiveLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(package);
        if (!package.CanSeek || !package.CanRead)
        {
            throw new ArgumentException("The package stream must be readable and seekable.", nameof(package));
        }

        var archive = StrictZipArchive.Read(package, limits ?? ArchiveLimits.Default);
        var special = PackageEntryRules.Check(archive.Entries);

        // Every entry must decompress to exactly its declared size and CRC (what lands on disk is what was hashed);
        // the same pass hashes the contents for the package digest.
        ZipEntryRecord? nuspec = null;
        var digest = new PackageDigest();
        foreach (var entry in archive.Entries)
        {
            if (PackageEntryRules.IsCoveredByPackageDigest(entry))
            {
                using var sink = digest.Entry(entry.Name);
                StrictZipArchive.CopyEntry(package, entry, sink);
            }
            else
            {
                StrictZipArchive.CopyEntry(package, entry, destination: null);
            }

            if (IsRootNuspec(entry))
            {
                if (nuspec is not null)
                {
                    throw new SigstoreException(PackageCodes.InvalidNuspec, $"The package has more than one root .nuspec ('{nuspec.Name}' and '{entry.Name}'). Repack it with dotnet pack.");
                }

                nuspec = entry;
            }
        }

        if (nuspec is null)
        {
            throw new SigstoreException(PackageCodes.InvalidNuspec, "The package has no root .nuspec file. Repack it with dotnet pack.");
        }

        if (!nuspec.Name.EndsWith(".nuspec", StringComparison.Ordinal))
        {
            throw new SigstoreException(PackageCodes.InvalidNuspec, $"The package's nuspec '{nuspec.Name}' has an unusual extension case. Repack it with dotnet pack.");
        }

        if (nuspec.UncompressedSize > PackageEntryRules.MaxNuspecBytes)
        {
            throw new SigstoreException(PackageCodes.InvalidNuspec, $"The package's nuspec '{nuspec.Name}' is {nuspec.UncompressedSize} bytes, more than the {PackageEntryRules.MaxNuspecBytes} a nuspec may have. Repack it with dotnet pack.");
        }

        var identity = ReadIdentity(archive.ReadEntry(package, nuspec), nuspec.Name);
        if (expectedIdentity is not null)
        {
            CheckIdentity(identity, expectedIdentity);
        }

        package.Seek(0, SeekOrigin.Begin);
        var sha256 = SHA256.HashData(package);
        package.Seek(0, SeekOrigin.Begin);
        var sha512 = SHA512.HashData(package);
        var contentHash = special.Signature is null ? sha512 : ComputeSignedContentHash(package);
        var embeddedBundle = special.Bundle is null ? null : archive.ReadEntry(package, special.Bundle);
        var embeddedSbomBundle = special.SbomBundle is null ? null : archive.ReadEntry(package, special.SbomBundle);

        return new PackageInspection
        {
            Identity = identity,
            FileSha256 = sha256,
            FileSha512 = sha512,
            ContentHashSha512 = contentHash,
            PackageDigest = digest.Complete(),
            IsSigned = special.Signature is not null,
            EmbeddedBundle = embeddedBundle,
            EmbeddedSbomBundle = embeddedSbomBundle,
        };
    }

    /// <summary>N-07: the nuspec must name exactly the package that was asked for.</summary>
    public static void CheckIdentity(PackageIdentity actual, PackageIdentity expected)
    {
        if (!string.Equals(actual.Id, expected.Id, StringComparison.OrdinalIgnoreCase)
            || !VersionComparer.Default.Equals(actual.Version, expected.Version))
        {
            throw new SigstoreException(
                PackageCodes.IdentityMismatch,
                $"The package's nuspec says {actual.Id} {actual.Version.ToNormalizedString()}, but {expected.Id} {expected.Version.ToNormalizedString()} was expected. The file may have been swapped; do not use it.");
        }
    }

    private static bool IsRootNuspec(ZipEntryRecord entry)
    {
        var name = Uri.UnescapeDataString(entry.Name);
        return !name.Contains('/', StringComparison.Ordinal) && !name.Contains('\\', StringComparison.Ordinal)
            && name.EndsWith(".nuspec", StringComparison.OrdinalIgnoreCase);
    }

    private static PackageIdentity ReadIdentity(byte[] nuspecBytes, string entryName)
    {
        try
        {
            var settings = new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null, MaxCharactersInDocument = PackageEntryRules.MaxNuspecBytes };
            using var reader = XmlReader.Create(new MemoryStream(nuspecBytes), settings);
            var nuspec = new NuspecReader(XDocument.Load(reader));
            var id = nuspec.GetId();
            var version = nuspec.GetVersion();
            if (string.IsNullOrWhiteSpace(id) || !PackageIdValidator.IsValidPackageId(id))
            {
                throw new SigstoreException(PackageCodes.InvalidNuspec, $"The nuspec '{entryName}' has an invalid package id. Repack the package with dotnet pack.");
            }

            return new PackageIdentity(id, version);
        }
        catch (Exception ex) when (ex is XmlException or PackagingException or InvalidDataException or ArgumentException)
        {
            throw new SigstoreException(PackageCodes.InvalidNuspec, $"The nuspec '{entryName}' cannot be read ({ex.Message}). Repack the package with dotnet pack.", ex);
        }
    }

    private static byte[] ComputeSignedContentHash(Stream package)
    {
        // NuGet's own algorithm (what .nupkg.metadata's contentHash records), run only after the strict checks passed.
        package.Seek(0, SeekOrigin.Begin);
        using var reader = new PackageArchiveReader(package, leaveStreamOpen: true);
        var base64 = reader.GetContentHash(CancellationToken.None);
        return Convert.FromBase64String(base64);
    }
}
