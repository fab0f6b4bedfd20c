using System.IO.Compression;
using SigstoreBuild.Bundles;
using SigstoreBuild.Diagnostics;
using SigstoreBuild.IO;
using SigstoreBuild.NuGet.Archives;

namespace SigstoreBuild.NuGet;

/// <summary>
/// The Sigstore bundle carried inside a package as the entry <c>.sigstore/bundle.sigstore.json</c>, so the signature
/// travels wherever the .nupkg goes (docs/embedded-bundle.md). The bundle signs the package digest, which leaves this
/// entry and <c>.signature.p7s</c> out, so embedding it and NuGet signing afterwards do not invalidate it.
/// </summary>
public static class EmbeddedBundle
{
    /// <summary>The entry name: outside every folder NuGet assigns a meaning to (lib, content, build, tools, ...).</summary>
    public const string EntryName = PackageEntryRules.BundleEntryName;

    /// <summary>The SBOM attestation's entry, beside the provenance's: a second bundle, signed in the same session.</summary>
    public const string SbomEntryName = PackageEntryRules.SbomBundleEntryName;

    private static readonly InputKind PackageFile = InputKind.AnySize("package");

    /// <summary>The embedded bundle's JSON, or null when the package has none. The archive is read strictly.</summary>
    public static byte[]? Read(string packagePath)
    {
        ArgumentException.ThrowIfNullOrEmpty(packagePath);
        using var stream = InputFile.Open(packagePath, PackageFile);
        var archive = StrictZipArchive.Read(stream, ArchiveLimits.Default);
        var entry = PackageEntryRules.Check(archive.Entries).Bundle;
        return entry is null ? null : archive.ReadEntry(stream, entry);
    }

    /// <summary>The embedded SBOM attestation bundle's JSON, or null when the package has none. The archive is read strictly.</summary>
    public static byte[]? ReadSbom(string packagePath)
    {
        ArgumentException.ThrowIfNullOrEmpty(packagePath);
        using var stream = InputFile.Open(packagePath, PackageFile);
        var archive = StrictZipArchive.Read(stream, ArchiveLimits.Default);
        var entry = PackageEntryRules.Check(archive.Entries).SbomBundle;
        return entry is null ? null : archive.ReadEntry(stream, entry);
    }

    /// <summary>The embedded bundle of an inspected package; SSB5414 when there is none.</summary>
    public static Bundle Parse(PackageInspection package)
    {
        ArgumentNullException.ThrowIfNull(package);
        var json = package.EmbeddedBundle ?? throw new SigstoreException(
            PackageCodes.NoEmbeddedBundle,
            $"{package.Identity.Id} {package.Identity.Version.ToNormalizedString()} carries no Sigstore bundle ('{EntryName}'). Pass the bundle file with --bundle, or sign the package with SigstoreBuild at dotnet pack.");
        return BundleSerializer.Parse(json);
    }

    /// <summary>
    /// Writes <paramref name="bundleJson"/> into the package as <see cref="EntryName"/> and, when given,
    /// <paramref name="sbomBundleJson"/> as <see cref="SbomEntryName"/>, replacing earlier ones (an SBOM entry is removed
    /// when none is given). Atomic: the package is rewritten to a temporary file that must pass the strict checks with the
    /// same package digest, then moved over the original; on any failure the original is untouched. A NuGet-signed package
    /// is refused (SSB5415): its signature covers every entry, so Sigstore signing has to come first.
    /// </summary>
    public static void Embed(string packagePath, byte[] bundleJson, byte[]? sbomBundleJson = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(packagePath);
        ArgumentNullException.ThrowIfNull(bundleJson);
        CheckSize(bundleJson, PackageEntryRules.MaxBundleEntryBytes, nameof(bundleJson));
        if (sbomBundleJson is not null)
        {
            CheckSize(sbomBundleJson, PackageEntryRules.MaxSbomBundleEntryBytes, nameof(sbomBundleJson));
        }

        var before = PackageInspector.Inspect(packagePath);
        if (before.IsSigned)
        {
            throw new SigstoreException(
                PackageCodes.AlreadyNuGetSigned,
                $"'{Path.GetFileName(packagePath)}' is already NuGet-signed (.signature.p7s); adding the Sigstore bundle now would invalidate that signature. Sign with Sigstore first (dotnet pack), then run dotnet nuget sign; or set SigstoreBundleLocation=sidecar to leave the package bytes untouched.");
        }

        var full = Path.GetFullPath(packagePath);
        var temp = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            File.Copy(full, temp);
            using (var zip = ZipFile.Open(temp, ZipArchiveMode.Update))
            {
                zip.GetEntry(EntryName)?.Delete();
                zip.GetEntry(SbomEntryName)?.Delete();

                // The nuspec's time, not now: galleries refuse entries dated in the future, and it keeps repacks stable.
                var nuspec = zip.Entries.First(e => !e.FullName.Contains('/', StringComparison.Ordinal) && e.FullName.EndsWith(".nuspec", StringComparison.OrdinalIgnoreCase));
                Write(zip, EntryName, bundleJson, nuspec.LastWriteTime);
                if (sbomBundleJson is not null)
                {
                    Write(zip, SbomEntryName, sbomBundleJson, nuspec.LastWriteTime);
                }
            }

            var after = PackageInspector.Inspect(temp);
            if (!after.PackageDigest.AsSpan().SequenceEqual(before.PackageDigest)
                || after.EmbeddedBundle is null || !after.EmbeddedBundle.AsSpan().SequenceEqual(bundleJson)
                || !(after.EmbeddedSbomBundle ?? []).AsSpan().SequenceEqual(sbomBundleJson ?? []))
            {
                throw new SigstoreException(PackageCodes.MalformedArchive, $"Embedding the bundle changed the content of '{Path.GetFileName(packagePath)}'; the package was left as it was. Report this with the package attached.");
            }

            File.Move(temp, full, overwrite: true);
        }
        finally
        {
            File.Delete(temp);
        }
    }

    private static void CheckSize(byte[] json, long maxBytes, string name)
    {
        if (json.Length == 0 || json.Length > maxBytes)
        {
            throw new ArgumentException($"A bundle has 1 to {maxBytes} bytes.", name);
        }
    }

    private static void Write(ZipArchive zip, string name, byte[] content, DateTimeOffset time)
    {
        var entry = zip.CreateEntry(name, CompressionLevel.Optimal);
        entry.LastWriteTime = time;
        using var stream = entry.Open();
        stream.Write(content);
    }
}
