using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using SigstoreBuild.Diagnostics;
using SigstoreBuild.IO;

namespace SigstoreBuild.Tuf;

/// <summary>
/// The on-disk state of one TUF repository: <c>metadata/</c> (exact received bytes of accepted metadata),
/// <c>metadata/delegated/</c>, <c>targets/</c> and <c>mirror.json</c> (which mirror the state belongs to).
/// Every file is written atomically (temp file in the same directory, then rename), every directory is 0700 on Unix,
/// and every name derived from remote data is percent-encoded so it cannot leave its directory.
/// </summary>
internal sealed class TufCache
{
    private const UnixFileMode DirectoryMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode PrivateFileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    public TufCache(string directory)
    {
        Directory = Path.GetFullPath(directory);
        MetadataDirectory = Path.Combine(Directory, "metadata");
        DelegatedDirectory = Path.Combine(MetadataDirectory, "delegated");
        TargetsDirectory = Path.Combine(Directory, "targets");
    }

    public string Directory { get; }

    public string MetadataDirectory { get; }

    public string DelegatedDirectory { get; }

    public string TargetsDirectory { get; }

    public string MirrorFile => Path.Combine(Directory, "mirror.json");

    public void EnsureCreated(TrustSettingNames? names = null)
    {
        try
        {
            foreach (string dir in new[] { Directory, MetadataDirectory, DelegatedDirectory, TargetsDirectory })
            {
                CreatePrivateDirectory(dir);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new SigstoreException(TufCodes.CacheError, $"The TUF cache directory {Directory} cannot be created ({ex.Message}). Choose a writable directory: {(names ?? TrustSettingNames.CommandLine).Set((names ?? TrustSettingNames.CommandLine).CacheDirectory, "DIR")}, or set the environment variable {TufOptions.CacheEnvironmentVariable}.", ex);
        }
    }

    public static void CreatePrivateDirectory(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            System.IO.Directory.CreateDirectory(path);
            return;
        }

        System.IO.Directory.CreateDirectory(path, DirectoryMode);
        // An existing directory keeps its mode; tighten it, since group- or world-writable trust state can be replaced.
        if ((File.GetUnixFileMode(path) & ~DirectoryMode) != 0)
        {
            File.SetUnixFileMode(path, DirectoryMode);
        }
    }

    /// <summary>File name for a top-level role ("root" → "root.json").</summary>
    public string TopLevelPath(string role) => Path.Combine(MetadataDirectory, role + ".json");

    public string DelegatedPath(string role) => Path.Combine(DelegatedDirectory, EncodeName(role) + ".json");

    public string RolePath(string role) => IsTopLevel(role) ? TopLevelPath(role) : DelegatedPath(role);

    public string TargetPath(string targetName) => Path.Combine(TargetsDirectory, EncodeName(targetName));

    public static bool IsTopLevel(string role)
        => role is TufMetadata.RootType or TufMetadata.TimestampType or TufMetadata.SnapshotType or TufMetadata.TargetsType;

    /// <summary>
    /// Percent-encodes everything but unreserved characters, so "/", "\", ":" and NUL cannot form a path; a name made
    /// only of dots would still mean "here" or "parent", so dots are encoded there too.
    /// </summary>
    public static string EncodeName(string name)
    {
        string encoded = Uri.EscapeDataString(name);
        if (encoded.Length == 0 || encoded.All(c => c == '.'))
        {
            encoded = encoded.Replace(".", "%2E", StringComparison.Ordinal) + "%00";
        }

        return encoded;
    }

    /// <summary>The file's bytes, or null when it does not exist.</summary>
    public byte[]? TryRead(string path)
    {
        if (!Path.Exists(path))
        {
            return null;
        }

        // Above any metadata or target the client accepts by default: only a replaced file (a link to /dev/zero) hits it.
        var kind = new InputKind("TUF cache file", 64 * 1024 * 1024, $"Delete the cache directory {Directory} and initialise it again.") { Code = TufCodes.CacheError, TooLargeCode = TufCodes.CacheError };
        return InputFile.ReadAllBytes(path, kind);
    }

    /// <summary>Writes the exact bytes atomically: a crash leaves either the old file or the new one, never a mix.</summary>
    public void WriteAtomic(string path, ReadOnlySpan<byte> data)
    {
        string directory = Path.GetDirectoryName(path)!;
        string temp = Path.Combine(directory, "." + Path.GetFileName(path) + "." + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6)) + ".tmp");
        try
        {
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = PrivateFileMode;
            }

            using (var stream = new FileStream(temp, options))
            {
                stream.Write(data);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temp, path, overwrite: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            TryDelete(temp);
            throw new SigstoreException(TufCodes.CacheError, $"The TUF cache file {path} cannot be written ({ex.Message}). Check the permissions of the cache directory.", ex);
        }
    }

    public void Delete(string path) => TryDelete(path);

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // A stale temp file is harmless: it never has a name the cache reads.
        }
    }

    public void WriteMirror(Uri metadataUri, Uri targetsUri)
    {
        byte[] json = JsonSerializer.SerializeToUtf8Bytes(
            new Dictionary<string, string> { ["metadataUrl"] = metadataUri.AbsoluteUri, ["targetsUrl"] = targetsUri.AbsoluteUri },
            TufJsonContext.Default.DictionaryStringString);
        byte[]? existing = TryRead(MirrorFile);
        if (existing is null || !existing.AsSpan().SequenceEqual(json))
        {
            WriteAtomic(MirrorFile, json);
        }
    }

    public (Uri MetadataUri, Uri TargetsUri)? ReadMirror()
    {
        byte[]? data = TryRead(MirrorFile);
        if (data is null)
        {
            return null;
        }

        try
        {
            Dictionary<string, string>? values = JsonSerializer.Deserialize(data, TufJsonContext.Default.DictionaryStringString);
            if (values is not null && values.TryGetValue("metadataUrl", out string? metadata) && values.TryGetValue("targetsUrl", out string? targets))
            {
                return (new Uri(metadata), new Uri(targets));
            }
        }
        catch (Exception ex) when (ex is JsonException or UriFormatException)
        {
            throw new SigstoreException(TufCodes.CacheError, $"The TUF cache file {MirrorFile} is corrupt ({ex.Message}). Initialise the cache again with a mirror and root.", ex);
        }

        throw new SigstoreException(TufCodes.CacheError, $"The TUF cache file {MirrorFile} is incomplete. Initialise the cache again with a mirror and root.");
    }

    /// <summary>Default cache: $SIGSTORE_TUF_CACHE or ~/.sigstore-dotnet/tuf, then a directory per mirror URL.</summary>
    public static string DefaultDirectory(Uri metadataUri, Func<string, string?>? environment = null)
    {
        environment ??= Environment.GetEnvironmentVariable;
        string? baseDirectory = environment(TufOptions.CacheEnvironmentVariable);
        if (string.IsNullOrWhiteSpace(baseDirectory))
        {
            string home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
            if (string.IsNullOrEmpty(home))
            {
                home = Path.GetTempPath();
            }

            baseDirectory = Path.Combine(home, ".sigstore-dotnet", "tuf");
        }

        string urlHash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(metadataUri.AbsoluteUri)))[..16];
        return Path.Combine(baseDirectory, urlHash);
    }
}

[System.Text.Json.Serialization.JsonSerializable(typeof(Dictionary<string, string>))]
internal sealed partial class TufJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
