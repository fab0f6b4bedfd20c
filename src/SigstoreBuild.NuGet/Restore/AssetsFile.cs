using System.Text.Json;
using SigstoreBuild.IO;

namespace SigstoreBuild.NuGet.Restore;

/// <summary>One package library from project.assets.json.</summary>
internal sealed record AssetsPackage(string Id, string Version, string? Sha512, string Path);

/// <summary>
/// The parts of <c>project.assets.json</c> that dependency verification needs: package libraries (ID, version,
/// recorded sha512, folder-relative path) and the package folders, in NuGet's lookup order.
/// </summary>
internal sealed class AssetsFile
{
    private AssetsFile(IReadOnlyList<AssetsPackage> packages, IReadOnlyList<string> packageFolders, string path)
    {
        Packages = packages;
        PackageFolders = packageFolders;
        FilePath = path;
    }

    public IReadOnlyList<AssetsPackage> Packages { get; }

    public IReadOnlyList<string> PackageFolders { get; }

    public string FilePath { get; }

    /// <summary>Large solutions have assets files of tens of MiB; this leaves room and still stops /dev/zero.</summary>
    internal const long MaxBytes = 256 * 1024 * 1024;

    public static AssetsFile Load(string path) => Parse(ReadBytes(path), path);

    public static byte[] ReadBytes(string path)
    {
        var kind = new InputKind("assets file", MaxBytes, "Pass the project.assets.json that 'dotnet restore' wrote.") { Code = RestoreCodes.AssetsFileInvalid };
        return InputFile.ReadAllBytes(path, kind);
    }

    public static AssetsFile Parse(ReadOnlySpan<byte> utf8Json, string path)
    {
        try
        {
            using var document = JsonDocument.Parse(utf8Json.ToArray(), new JsonDocumentOptions { MaxDepth = 64 });
            var root = document.RootElement;
            var folders = new List<string>();
            if (root.TryGetProperty("packageFolders", out var folderElement) && folderElement.ValueKind == JsonValueKind.Object)
            {
                folders.AddRange(folderElement.EnumerateObject().Select(p => p.Name));
            }

            var packages = new List<AssetsPackage>();
            if (!root.TryGetProperty("libraries", out var libraries) || libraries.ValueKind != JsonValueKind.Object)
            {
                throw Invalid(path, "it has no 'libraries' object");
            }

            foreach (var library in libraries.EnumerateObject())
            {
                var type = library.Value.TryGetProperty("type", out var t) ? t.GetString() : null;
                if (!string.Equals(type, "package", StringComparison.Ordinal))
                {
                    continue; // project references are built from source, not restored
                }

                var slash = library.Name.IndexOf('/', StringComparison.Ordinal);
                if (slash <= 0 || slash == library.Name.Length - 1)
                {
                    throw Invalid(path, $"the library key '{library.Name}' is not 'id/version'");
                }

                var id = library.Name[..slash];
                var version = library.Name[(slash + 1)..];
                var sha512 = library.Value.TryGetProperty("sha512", out var s) ? s.GetString() : null;
                var relative = library.Value.TryGetProperty("path", out var p) ? p.GetString() : null;
                relative ??= $"{id.ToLowerInvariant()}/{version.ToLowerInvariant()}";
                packages.Add(new AssetsPackage(id, version, sha512, relative));
            }

            packages.Sort((a, b) => StringComparer.OrdinalIgnoreCase.Compare(a.Id, b.Id) is var c && c != 0 ? c : string.CompareOrdinal(a.Version, b.Version));
            return new AssetsFile(packages, folders, path);
        }
        catch (JsonException ex)
        {
            throw new Diagnostics.SigstoreException(RestoreCodes.AssetsFileInvalid, $"The assets file '{path}' is not valid JSON: {ex.Message} Run 'dotnet restore' again.", ex);
        }
        catch (InvalidOperationException ex)
        {
            throw new Diagnostics.SigstoreException(RestoreCodes.AssetsFileInvalid, $"The assets file '{path}' has an unexpected shape: {ex.Message} Run 'dotnet restore' again.", ex);
        }
    }

    private static Diagnostics.SigstoreException Invalid(string path, string why) =>
        new(RestoreCodes.AssetsFileInvalid, $"The assets file '{path}' is not usable: {why}. Run 'dotnet restore' again.");
}
