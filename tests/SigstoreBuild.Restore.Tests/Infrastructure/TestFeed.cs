using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace SigstoreBuild.Restore.Tests.Infrastructure;

/// <summary>
/// A temp directory laid out like a restore: a local folder feed, a global packages folder with packages extracted the
/// way NuGet does it (files, lower-case nuspec, .nupkg, .nupkg.sha512, .nupkg.metadata), and obj/project.assets.json.
/// </summary>
internal sealed class TestFeed : IDisposable
{
    private readonly List<(string Id, string Version, string Sha512)> _packages = [];

    public TestFeed()
    {
        Root = Path.Combine(Path.GetTempPath(), "ssb-restore-" + Guid.NewGuid().ToString("N")[..12]);
        Feed = Directory.CreateDirectory(Path.Combine(Root, "feed")).FullName;
        PackagesFolder = Directory.CreateDirectory(Path.Combine(Root, "packages")).FullName + Path.DirectorySeparatorChar;
        Obj = Directory.CreateDirectory(Path.Combine(Root, "obj")).FullName;
    }

    public string Root { get; }

    public string Feed { get; }

    public string PackagesFolder { get; }

    public string Obj { get; }

    public string AssetsFile => Path.Combine(Obj, "project.assets.json");

    public string StateDirectory => Path.Combine(Obj, "sigstore");

    public string CacheFile => Path.Combine(StateDirectory, "cache.json");

    public string LockFile => Path.Combine(Root, "sigstore.lock.json");

    public static byte[] CreateNupkg(string id, string version, string content = "payload")
    {
        using var stream = new MemoryStream();
        using (var zip = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: true))
        {
            Write(zip, $"{id}.nuspec", $"""
                <?xml version="1.0" encoding="utf-8"?>
                <package xmlns="http://schemas.microsoft.com/packaging/2013/05/nuspec.xsd">
                  <metadata>
                    <id>{id}</id>
                    <version>{version}</version>
                    <authors>test</authors>
                    <description>test package</description>
                    <repository type="git" url="https://github.com/contoso/{id.ToLowerInvariant()}" />
                  </metadata>
                </package>
                """);
            Write(zip, "lib/net8.0/readme.txt", content);
            Write(zip, "build/" + id + ".targets", "<Project />");
            Write(zip, "[Content_Types].xml", "<Types />");
            Write(zip, "_rels/.rels", "<Relationships />");
        }

        return stream.ToArray();
    }

    /// <summary>Publishes to the feed and "restores" into the packages folder; returns the content hash.</summary>
    public byte[] AddPackage(string id, string version, string content = "payload") => AddPackage(id, version, CreateNupkg(id, version, content));

    /// <summary>Publishes these package bytes (e.g. with embedded bundles) and "restores" them; returns the content hash.</summary>
    public byte[] AddPackage(string id, string version, byte[] bytes)
    {
        File.WriteAllBytes(Path.Combine(Feed, $"{id}.{version}.nupkg"), bytes);
        var directory = PackageDirectory(id, version);
        Directory.CreateDirectory(directory);
        File.WriteAllBytes(Path.Combine(directory, $"{id.ToLowerInvariant()}.{version.ToLowerInvariant()}.nupkg"), bytes);
        using (var zip = new ZipArchive(new MemoryStream(bytes), ZipArchiveMode.Read))
        {
            foreach (var entry in zip.Entries)
            {
                if (entry.FullName.StartsWith("_rels/", StringComparison.Ordinal) || entry.FullName == "[Content_Types].xml")
                {
                    continue;
                }

                var target = entry.FullName.EndsWith(".nuspec", StringComparison.Ordinal) ? id.ToLowerInvariant() + ".nuspec" : entry.FullName;
                var path = Path.Combine(directory, target);
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                entry.ExtractToFile(path);
            }
        }

        var sha512 = Convert.ToBase64String(SHA512.HashData(bytes));
        File.WriteAllText(Path.Combine(directory, $"{id.ToLowerInvariant()}.{version.ToLowerInvariant()}.nupkg.sha512"), sha512);
        File.WriteAllText(Path.Combine(directory, ".nupkg.metadata"), new JsonObject { ["version"] = 2, ["contentHash"] = sha512, ["source"] = Feed }.ToJsonString());
        _packages.RemoveAll(p => p.Id == id);
        _packages.Add((id, version, sha512));
        WriteAssets();
        return SHA512.HashData(bytes);
    }

    public string PackageDirectory(string id, string version) => Path.Combine(PackagesFolder, id.ToLowerInvariant(), version.ToLowerInvariant());

    public void WriteAssets()
    {
        var libraries = new JsonObject();
        foreach (var (id, version, sha512) in _packages)
        {
            libraries[$"{id}/{version}"] = new JsonObject { ["sha512"] = sha512, ["type"] = "package", ["path"] = $"{id.ToLowerInvariant()}/{version.ToLowerInvariant()}" };
        }

        libraries["MyLib/1.0.0"] = new JsonObject { ["type"] = "project", ["path"] = "../MyLib/MyLib.csproj" };
        var root = new JsonObject
        {
            ["version"] = 3,
            ["targets"] = new JsonObject { ["net10.0"] = new JsonObject() },
            ["libraries"] = libraries,
            ["packageFolders"] = new JsonObject { [PackagesFolder] = new JsonObject() },
        };
        File.WriteAllText(AssetsFile, root.ToJsonString());
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static void Write(ZipArchive zip, string name, string text)
    {
        var entry = zip.CreateEntry(name);
        using var writer = new StreamWriter(entry.Open(), new UTF8Encoding(false));
        writer.Write(text);
    }
}
