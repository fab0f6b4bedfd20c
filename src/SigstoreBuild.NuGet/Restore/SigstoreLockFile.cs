using System.Text.Json;
using System.Text.Json.Nodes;
using SigstoreBuild.Diagnostics;
using SigstoreBuild.IO;

namespace SigstoreBuild.NuGet.Restore;

/// <summary>The signer first seen for a package ID.</summary>
public sealed record LockEntry(string Issuer, string Subject, string? SourceRepositoryIdentifier, string? OwnerIdentifier, string? SourceRepositoryUri, string FirstSeenVersion)
{
    public static LockEntry From(SignerIdentity signer, string version)
    {
        ArgumentNullException.ThrowIfNull(signer);
        return new(signer.Issuer, signer.Subject, signer.SourceRepositoryIdentifier, signer.OwnerIdentifier, signer.SourceRepositoryUri, version);
    }

    /// <summary>Null when the signer is the same identity; otherwise what changed. The URI may change on a rename; IDs may not (P-04).</summary>
    public string? Difference(SignerIdentity signer)
    {
        ArgumentNullException.ThrowIfNull(signer);
        if (!string.Equals(Issuer, signer.Issuer, StringComparison.Ordinal))
        {
            return $"issuer '{signer.Issuer}', locked '{Issuer}'";
        }

        if (!string.Equals(Subject, signer.Subject, StringComparison.Ordinal))
        {
            return $"subject '{signer.Subject}', locked '{Subject}'";
        }

        if (SourceRepositoryIdentifier is not null && !string.Equals(SourceRepositoryIdentifier, signer.SourceRepositoryIdentifier, StringComparison.Ordinal))
        {
            return $"source repository identifier '{signer.SourceRepositoryIdentifier ?? "(absent)"}', locked '{SourceRepositoryIdentifier}'";
        }

        if (OwnerIdentifier is not null && !string.Equals(OwnerIdentifier, signer.OwnerIdentifier, StringComparison.Ordinal))
        {
            return $"owner identifier '{signer.OwnerIdentifier ?? "(absent)"}', locked '{OwnerIdentifier}'";
        }

        return null;
    }
}

/// <summary>
/// <c>sigstore.lock.json</c>, meant to be committed: per package ID (lower case), the signer identity first seen. A later
/// version signed by someone else, or an unsigned version of a package that was signed, fails until the lock is
/// updated deliberately. Written only when it changes, keys sorted, so diffs stay reviewable.
/// </summary>
public sealed class SigstoreLockFile
{
    public const string DefaultFileName = "sigstore.lock.json";

    private readonly SortedDictionary<string, LockEntry> _entries = new(StringComparer.Ordinal);

    public IReadOnlyDictionary<string, LockEntry> Entries => _entries;

    public bool IsChanged { get; private set; }

    public LockEntry? Find(string packageId) => _entries.GetValueOrDefault(packageId.ToLowerInvariant());

    public void Set(string packageId, LockEntry entry)
    {
        _entries[packageId.ToLowerInvariant()] = entry;
        IsChanged = true;
    }

    public void Remove(string packageId) => IsChanged |= _entries.Remove(packageId.ToLowerInvariant());

    public static SigstoreLockFile Load(string path)
    {
        var lockFile = new SigstoreLockFile();
        if (!Path.Exists(path))
        {
            return lockFile;
        }

        try
        {
            var kind = new InputKind("lock file", InputFile.MaxDocumentBytes, "Check that it is a sigstore.lock.json, or delete it and run 'sigstore lock update'.") { Code = RestoreCodes.LockFileInvalid };
            var root = JsonNode.Parse(InputFile.ReadAllBytes(path, kind)) as JsonObject ?? throw new JsonException("the top level is not an object");
            if (root["version"]?.GetValue<int>() != 1)
            {
                throw new JsonException("'version' is not 1");
            }

            if (root["packages"] is JsonObject packages)
            {
                foreach (var (id, node) in packages)
                {
                    if (node is not JsonObject entry)
                    {
                        throw new JsonException($"the entry for '{id}' is not an object");
                    }

                    lockFile._entries[id.ToLowerInvariant()] = new LockEntry(
                        entry["issuer"]?.GetValue<string>() ?? throw new JsonException($"the entry for '{id}' has no issuer"),
                        entry["subject"]?.GetValue<string>() ?? throw new JsonException($"the entry for '{id}' has no subject"),
                        entry["sourceRepositoryIdentifier"]?.GetValue<string>(),
                        entry["ownerIdentifier"]?.GetValue<string>(),
                        entry["sourceRepositoryUri"]?.GetValue<string>(),
                        entry["firstSeenVersion"]?.GetValue<string>() ?? string.Empty);
                }
            }
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or FormatException)
        {
            throw new SigstoreException(RestoreCodes.LockFileInvalid, $"The lock file '{path}' is not valid: {ex.Message} Fix it, or delete it and run 'sigstore lock update' to record the current signers again.", ex);
        }

        return lockFile;
    }

    public string ToJson()
    {
        var packages = new JsonObject();
        foreach (var (id, entry) in _entries)
        {
            var node = new JsonObject { ["issuer"] = entry.Issuer, ["subject"] = entry.Subject };
            if (entry.SourceRepositoryIdentifier is not null)
            {
                node["sourceRepositoryIdentifier"] = entry.SourceRepositoryIdentifier;
            }

            if (entry.OwnerIdentifier is not null)
            {
                node["ownerIdentifier"] = entry.OwnerIdentifier;
            }

            if (entry.SourceRepositoryUri is not null)
            {
                node["sourceRepositoryUri"] = entry.SourceRepositoryUri;
            }

            node["firstSeenVersion"] = entry.FirstSeenVersion;
            packages[id] = node;
        }

        var root = new JsonObject { ["version"] = 1, ["packages"] = packages };
        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = true }).ReplaceLineEndings("\n") + "\n";
    }

    /// <summary>Writes the file if its text changed (atomically, through a temporary file beside it).</summary>
    public void Save(string path)
    {
        var text = ToJson();
        if (File.Exists(path) && string.Equals(File.ReadAllText(path).ReplaceLineEndings("\n"), text, StringComparison.Ordinal))
        {
            return;
        }

        FileWrites.WriteAtomically(path, System.Text.Encoding.UTF8.GetBytes(text));
    }
}

/// <summary>Atomic writes: a private temporary file in the same folder, then a rename (R-05).</summary>
internal static class FileWrites
{
    public static void WriteAtomically(string path, byte[] content)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(directory);
        var temporary = Path.Combine(directory, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");
        using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None))
        {
            stream.Write(content);
        }

        File.Move(temporary, path, overwrite: true);
    }
}
