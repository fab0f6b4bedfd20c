using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using SigstoreBuild.Diagnostics;

namespace SigstoreBuild.LocalStack.Transparency;

/// <summary>One leaf of a <see cref="TransparencyLog"/>: the canonicalized body and when it was integrated.</summary>
public sealed record LogRecord(long Index, byte[] Body, long IntegratedTime, byte[] LeafHash, string? ArtifactDigest);

/// <summary>
/// An append-only RFC 6962 log persisted as JSON lines in its directory (one line per leaf, appended and flushed
/// before the entry is acknowledged). Identical bodies are not appended twice.
/// </summary>
public sealed class TransparencyLog : IDisposable
{
    private readonly object _gate = new();
    private readonly MerkleTree _tree = new();
    private readonly List<LogRecord> _records = [];
    private readonly Dictionary<string, long> _byLeafHash = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<long>> _byArtifact = new(StringComparer.OrdinalIgnoreCase);
    private readonly FileStream _file;
    private readonly TimeProvider _time;

    public TransparencyLog(string directory, NoteSigner signer, string origin, TimeProvider time)
    {
        Signer = signer;
        Origin = origin;
        _time = time;
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, "entries.jsonl");
        if (File.Exists(path))
        {
            Load(path);
        }

        _file = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read);
    }

    public NoteSigner Signer { get; }

    /// <summary>The first line of every checkpoint.</summary>
    public string Origin { get; set; }

    public long Size
    {
        get
        {
            lock (_gate)
            {
                return _tree.Size;
            }
        }
    }

    /// <summary>Appends <paramref name="body"/> unless an identical body is already logged; returns the record and whether it existed.</summary>
    public (LogRecord Record, bool Existed) Append(byte[] body, string? artifactDigest)
    {
        var leafHash = MerkleTree.HashLeaf(body);
        var key = Convert.ToHexStringLower(leafHash);
        lock (_gate)
        {
            if (_byLeafHash.TryGetValue(key, out var existing))
            {
                return (_records[(int)existing], true);
            }

            var record = new LogRecord(_tree.Size, body, _time.GetUtcNow().ToUnixTimeSeconds(), leafHash, artifactDigest);
            var line = new JsonObject
            {
                ["index"] = record.Index,
                ["integratedTime"] = record.IntegratedTime,
                ["body"] = Convert.ToBase64String(body),
                ["artifact"] = artifactDigest,
            }.ToJsonString() + "\n";
            var bytes = Encoding.UTF8.GetBytes(line);
            _file.Write(bytes);
            _file.Flush(flushToDisk: true);
            Add(record);
            return (record, false);
        }
    }

    /// <summary>
    /// Fault injection: the log rewrites its history, replacing the body of an entry it already committed to (in memory
    /// only), so every later checkpoint is inconsistent with the earlier ones, as a monitor must notice.
    /// </summary>
    public void RewriteHistory(long index, byte[] body)
    {
        lock (_gate)
        {
            var old = _records[checked((int)index)];
            var leafHash = MerkleTree.HashLeaf(body);
            _byLeafHash.Remove(Convert.ToHexStringLower(old.LeafHash));
            _byLeafHash[Convert.ToHexStringLower(leafHash)] = index;
            _records[(int)index] = old with { Body = body, LeafHash = leafHash };
            _tree.ReplaceLeafHash(index, leafHash);
        }
    }

    public LogRecord? FindByLeafHash(byte[] leafHash)
    {
        lock (_gate)
        {
            return _byLeafHash.TryGetValue(Convert.ToHexStringLower(leafHash), out var index) ? _records[(int)index] : null;
        }
    }

    public LogRecord? Get(long index)
    {
        lock (_gate)
        {
            return index >= 0 && index < _records.Count ? _records[(int)index] : null;
        }
    }

    public IReadOnlyList<LogRecord> FindByArtifact(string digest)
    {
        lock (_gate)
        {
            return _byArtifact.TryGetValue(digest, out var indexes) ? indexes.Select(i => _records[(int)i]).ToList() : [];
        }
    }

    /// <summary>A consistent view of the tree: size, root, a fresh signed checkpoint, and the proof for one leaf.</summary>
    public LogProof Prove(long index)
    {
        lock (_gate)
        {
            var size = _tree.Size;
            var root = _tree.RootHash(size);
            var hashes = _tree.InclusionProof(index, size);
            return new LogProof(index, size, root, hashes, Signer.SignCheckpoint(Origin, size, root));
        }
    }

    public (long Size, byte[] Root, string Checkpoint) Head()
    {
        lock (_gate)
        {
            var size = _tree.Size;
            var root = _tree.RootHash(size);
            return (size, root, Signer.SignCheckpoint(Origin, size, root));
        }
    }

    public byte[] RootHash(long size)
    {
        lock (_gate)
        {
            return _tree.RootHash(size);
        }
    }

    public List<byte[]> ConsistencyProof(long first, long second)
    {
        lock (_gate)
        {
            return _tree.ConsistencyProof(first, second);
        }
    }

    /// <summary>
    /// The C2SP tlog-tiles hash tile <paramref name="index"/> at tile level <paramref name="level"/>: the hashes of
    /// <paramref name="width"/> consecutive nodes at tree level 8 × level, or null when the current tree lacks them.
    /// </summary>
    public byte[]? HashTile(int level, long index, int width)
    {
        var treeLevel = 8 * level;
        lock (_gate)
        {
            var nodes = treeLevel >= 62 ? 0 : _tree.Size >> treeLevel;
            if (index < 0 || index > (nodes / 256) || (index * 256) + width > nodes)
            {
                return null;
            }

            var tile = new byte[width * 32];
            for (var i = 0; i < width; i++)
            {
                _tree.NodeHash(treeLevel, (index * 256) + i).CopyTo(tile, i * 32);
            }

            return tile;
        }
    }

    /// <summary>The tlog-tiles entry bundle <paramref name="index"/>: each leaf's body after its big-endian 16-bit length.</summary>
    public byte[]? EntryBundle(long index, int width)
    {
        lock (_gate)
        {
            if (index < 0 || index > (_records.Count / 256) || (index * 256) + width > _records.Count)
            {
                return null;
            }

            using var bundle = new MemoryStream();
            for (var i = 0; i < width; i++)
            {
                var body = _records[checked((int)((index * 256) + i))].Body;
                bundle.WriteByte((byte)(body.Length >> 8));
                bundle.WriteByte((byte)body.Length);
                bundle.Write(body);
            }

            return bundle.ToArray();
        }
    }

    public void Dispose() => _file.Dispose();

    private void Add(LogRecord record)
    {
        _records.Add(record);
        _tree.AppendLeafHash(record.LeafHash);
        _byLeafHash[Convert.ToHexStringLower(record.LeafHash)] = record.Index;
        if (record.ArtifactDigest is not null)
        {
            if (!_byArtifact.TryGetValue(record.ArtifactDigest, out var list))
            {
                _byArtifact[record.ArtifactDigest] = list = [];
            }

            list.Add(record.Index);
        }
    }

    private void Load(string path)
    {
        var lineNumber = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNumber++;
            if (line.Length == 0)
            {
                continue;
            }

            try
            {
                var node = JsonNode.Parse(line)!.AsObject();
                var index = node["index"]!.GetValue<long>();
                if (index != _records.Count)
                {
                    throw new FormatException($"expected index {_records.Count}, found {index}");
                }

                var body = Convert.FromBase64String(node["body"]!.GetValue<string>());
                Add(new LogRecord(index, body, node["integratedTime"]!.GetValue<long>(), MerkleTree.HashLeaf(body),
                    node["artifact"]?.GetValue<string>()));
            }
            catch (Exception ex) when (ex is JsonException or FormatException or InvalidOperationException or NullReferenceException)
            {
                throw new SigstoreException(LocalStackCodes.LogStorageCorrupt,
                    $"Line {lineNumber.ToString(CultureInfo.InvariantCulture)} of '{path}' is corrupt ({ex.Message}). Restore the file or delete the data directory.", ex);
            }
        }
    }
}

/// <summary>An inclusion proof for one leaf against a signed checkpoint of the same tree size.</summary>
public sealed record LogProof(long Index, long TreeSize, byte[] RootHash, List<byte[]> Hashes, string Checkpoint);
