using System.Text.Json;
using NuGet.Versioning;
using SigstoreBuild.Diagnostics;
using SigstoreBuild.IO;

namespace SigstoreBuild.NuGet.Provenance;

/// <summary>One restored NuGet package: its identity, the assets file's sha512 (NuGet's content hash, lower-case hex) and the target frameworks that use it.</summary>
internal sealed record ResolvedPackage(string Id, NuGetVersion Version, string? Sha512, IReadOnlyList<string> TargetFrameworks)
{
    /// <summary>The package URL, <c>pkg:nuget/&lt;id&gt;@&lt;normalised version&gt;</c>.</summary>
    public string Uri => PackageSubject.Name(Id, Version);
}

/// <summary>
/// Every package of every target framework (and runtime) in <c>project.assets.json</c>: the union of the <c>targets</c>
/// sections, with each package's <c>sha512</c> from <c>libraries</c>. Project references are not packages and are left out.
/// </summary>
internal static class ResolvedPackages
{
    public static IReadOnlyList<ResolvedPackage> Load(string assetsFile)
    {
        var kind = new InputKind("assets file", Restore.AssetsFile.MaxBytes, "Run 'dotnet restore', or set SigstoreProvenance=false.") { Code = ProvenanceCodes.AssetsFileUnusable };
        return Parse(InputFile.ReadAllBytes(assetsFile, kind), assetsFile);
    }

    public static IReadOnlyList<ResolvedPackage> Parse(ReadOnlySpan<byte> utf8Json, string name)
    {
        try
        {
            using var document = JsonDocument.Parse(utf8Json.ToArray(), new JsonDocumentOptions { MaxDepth = 64 });
            var root = document.RootElement;
            if (!root.TryGetProperty("libraries", out var libraries) || libraries.ValueKind != JsonValueKind.Object)
            {
                throw Unusable(name, "it has no 'libraries' object");
            }

            // Which target frameworks use each library; "net8.0/linux-x64" counts for net8.0.
            var frameworks = new Dictionary<string, SortedSet<string>>(StringComparer.OrdinalIgnoreCase);
            if (root.TryGetProperty("targets", out var targets) && targets.ValueKind == JsonValueKind.Object)
            {
                foreach (var target in targets.EnumerateObject())
                {
                    var framework = target.Name.Split('/')[0];
                    if (target.Value.ValueKind != JsonValueKind.Object)
                    {
                        throw Unusable(name, $"the target '{target.Name}' is not an object");
                    }

                    foreach (var library in target.Value.EnumerateObject())
                    {
                        if (!frameworks.TryGetValue(library.Name, out var set))
                        {
                            frameworks[library.Name] = set = new SortedSet<string>(StringComparer.Ordinal);
                        }

                        set.Add(framework);
                    }
                }
            }

            var packages = new List<ResolvedPackage>();
            foreach (var library in libraries.EnumerateObject())
            {
                if (library.Value.ValueKind != JsonValueKind.Object
                    || !library.Value.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String || type.GetString() != "package")
                {
                    continue;
                }

                var slash = library.Name.IndexOf('/', StringComparison.Ordinal);
                if (slash <= 0 || !NuGetVersion.TryParse(library.Name[(slash + 1)..], out var version))
                {
                    throw Unusable(name, $"the library key '{library.Name}' is not 'id/version'");
                }

                string? sha512 = null;
                if (library.Value.TryGetProperty("sha512", out var hash) && hash.ValueKind == JsonValueKind.String)
                {
                    sha512 = Sha512Hex(hash.GetString()!) ?? throw Unusable(name, $"the sha512 of '{library.Name}' is not a base64 SHA-512");
                }

                var used = frameworks.TryGetValue(library.Name, out var set) ? set.ToArray() : [];
                packages.Add(new ResolvedPackage(library.Name[..slash], version, sha512, used));
            }

            packages.Sort((a, b) => string.CompareOrdinal(a.Uri, b.Uri));
            return packages;
        }
        catch (JsonException ex)
        {
            throw new SigstoreException(ProvenanceCodes.AssetsFileUnusable, $"The assets file '{name}' is not valid JSON ({ex.Message}). Run 'dotnet restore' again.", ex);
        }
    }

    /// <summary>NuGet records the content hash in base64; in-toto digests are lower-case hex.</summary>
    internal static string? Sha512Hex(string base64)
    {
        var buffer = new byte[64];
        return Convert.TryFromBase64String(base64, buffer, out var written) && written == 64 ? Convert.ToHexStringLower(buffer) : null;
    }

    private static SigstoreException Unusable(string name, string why) =>
        new(ProvenanceCodes.AssetsFileUnusable, $"The assets file '{name}' cannot be used for the provenance: {why}. Run 'dotnet restore' again.");
}
