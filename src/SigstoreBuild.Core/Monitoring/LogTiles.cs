using System.Globalization;
using System.Security.Cryptography;
using SigstoreBuild.Verification.Tlog;

namespace SigstoreBuild.Monitoring;

/// <summary>
/// One tree of a C2SP tlog-tiles log, read through its tiles: any subtree's hash, and from those the RFC 9162
/// inclusion and consistency proofs a Rekor v1 log would serve. The tiles are untrusted: every proof built here is
/// checked against signed roots by the caller, so a log that serves other tiles than it signed fails there.
/// </summary>
internal sealed class LogTiles(long treeSize, Func<string, CancellationToken, Task<byte[]?>> get)
{
    public const int Width = 256;
    private const int Height = 8;
    private const int HashSize = MerkleProof.HashSize;
    private readonly Dictionary<(int Level, long Index), byte[]> _tiles = [];
    private readonly Dictionary<(int Level, long Index), byte[]> _nodes = [];

    public long TreeSize => treeSize;

    /// <summary>The tile path of <paramref name="index"/>: groups of three digits, all but the last prefixed with <c>x</c>.</summary>
    public static string EncodeIndex(long index)
    {
        var groups = new List<string>();
        do
        {
            groups.Insert(0, (index % 1000).ToString("D3", CultureInfo.InvariantCulture));
            index /= 1000;
        }
        while (index > 0);
        return string.Join('/', groups.Select((g, i) => i < groups.Count - 1 ? "x" + g : g));
    }

    /// <summary>RFC 9162 MTH of the leaves [<paramref name="start"/>, <paramref name="start"/> + <paramref name="size"/>).</summary>
    public async Task<byte[]> HashAsync(long start, long size, CancellationToken cancellationToken)
    {
        if (size == 0)
        {
            return SHA256.HashData([]);
        }

        if ((size & (size - 1)) == 0 && start % size == 0)
        {
            return await NodeAsync(System.Numerics.BitOperations.Log2((ulong)size), start / size, cancellationToken).ConfigureAwait(false);
        }

        var k = LargestPowerOfTwoBelow(size);
        var left = await HashAsync(start, k, cancellationToken).ConfigureAwait(false);
        var right = await HashAsync(start + k, size - k, cancellationToken).ConfigureAwait(false);
        return MerkleProof.HashChildren(left, right);
    }

    /// <summary>RFC 9162 §2.1.3.1 PATH(index, D[0:treeSize]).</summary>
    public async Task<List<byte[]>> InclusionProofAsync(long index, CancellationToken cancellationToken)
    {
        var proof = new List<byte[]>();
        await PathAsync(index, 0, treeSize, proof, cancellationToken).ConfigureAwait(false);
        return proof;
    }

    /// <summary>RFC 9162 §2.1.4.1 PROOF(first, D[0:treeSize]).</summary>
    public async Task<List<byte[]>> ConsistencyProofAsync(long first, CancellationToken cancellationToken)
    {
        var proof = new List<byte[]>();
        if (first > 0 && first < treeSize)
        {
            await SubProofAsync(first, 0, treeSize, true, proof, cancellationToken).ConfigureAwait(false);
        }

        return proof;
    }

    /// <summary>The entries of entry bundle <paramref name="bundle"/> in this tree (up to 256, fewer in the last one).</summary>
    public async Task<IReadOnlyList<byte[]>> EntriesAsync(long bundle, CancellationToken cancellationToken)
    {
        var width = (int)Math.Min(Width, treeSize - (bundle * Width));
        var bytes = await GetTileAsync($"tile/entries/{EncodeIndex(bundle)}", width, cancellationToken).ConfigureAwait(false);
        var entries = new List<byte[]>(width);
        var at = 0;
        while (entries.Count < width)
        {
            if (bytes.Length - at < 2 || bytes.Length - at - 2 < ((bytes[at] << 8) | bytes[at + 1]))
            {
                throw Malformed($"entry bundle {bundle} ends inside an entry");
            }

            var length = (bytes[at] << 8) | bytes[at + 1];
            entries.Add(bytes.AsSpan(at + 2, length).ToArray());
            at += 2 + length;
        }

        // A full bundle fetched for a partial one carries later entries: only the first 'width' belong to this tree.
        if (at != bytes.Length && width == Width)
        {
            throw Malformed($"entry bundle {bundle} has data after its {Width} entries");
        }

        return entries;
    }

    private async Task<byte[]> NodeAsync(int level, long index, CancellationToken cancellationToken)
    {
        if (_nodes.TryGetValue((level, index), out var cached))
        {
            return cached;
        }

        // The node is the root of 2^sub consecutive hashes at the bottom level of its tile.
        var tileLevel = level / Height;
        var sub = level % Height;
        var first = index << sub;
        var tileIndex = first / Width;
        var nodesAtTileLevel = treeSize >> (tileLevel * Height);
        var width = (int)Math.Min(Width, nodesAtTileLevel - (tileIndex * Width));
        if (!_tiles.TryGetValue((tileLevel, tileIndex), out var tile) || tile.Length < width * HashSize)
        {
            tile = await GetTileAsync($"tile/{tileLevel.ToString(CultureInfo.InvariantCulture)}/{EncodeIndex(tileIndex)}", width, cancellationToken).ConfigureAwait(false);
            if (tile.Length < width * HashSize || (width == Width && tile.Length != Width * HashSize) || tile.Length % HashSize != 0)
            {
                throw Malformed($"tile {tileLevel}/{tileIndex} has {tile.Length} bytes, not {width} hashes");
            }

            _tiles[(tileLevel, tileIndex)] = tile;
        }

        var hashes = new List<byte[]>(1 << sub);
        var offset = (int)(first % Width);
        for (var i = 0; i < 1 << sub; i++)
        {
            hashes.Add(tile.AsSpan((offset + i) * HashSize, HashSize).ToArray());
        }

        while (hashes.Count > 1)
        {
            hashes = [.. hashes.Chunk(2).Select(pair => MerkleProof.HashChildren(pair[0], pair[1]))];
        }

        return _nodes[(level, index)] = hashes[0];
    }

    /// <summary>A tile of <paramref name="width"/> items: the partial tile, or (once the log has grown past it) the full one.</summary>
    private async Task<byte[]> GetTileAsync(string path, int width, CancellationToken cancellationToken)
    {
        if (width < Width && await get($"{path}.p/{width.ToString(CultureInfo.InvariantCulture)}", cancellationToken).ConfigureAwait(false) is { } partial)
        {
            return partial;
        }

        return await get(path, cancellationToken).ConfigureAwait(false)
            ?? throw new SigstoreBuild.Diagnostics.SigstoreException(SigstoreBuild.Diagnostics.MonitorCodes.LogUnavailable,
                $"The log has no tile '{path}' for its tree of {treeSize} entries. Check the log URL, or try again later.");
    }

    private async Task PathAsync(long index, long start, long size, List<byte[]> proof, CancellationToken cancellationToken)
    {
        if (size <= 1)
        {
            return;
        }

        var k = LargestPowerOfTwoBelow(size);
        if (index < k)
        {
            await PathAsync(index, start, k, proof, cancellationToken).ConfigureAwait(false);
            proof.Add(await HashAsync(start + k, size - k, cancellationToken).ConfigureAwait(false));
        }
        else
        {
            await PathAsync(index - k, start + k, size - k, proof, cancellationToken).ConfigureAwait(false);
            proof.Add(await HashAsync(start, k, cancellationToken).ConfigureAwait(false));
        }
    }

    private async Task SubProofAsync(long m, long start, long n, bool whole, List<byte[]> proof, CancellationToken cancellationToken)
    {
        if (m == n)
        {
            if (!whole)
            {
                proof.Add(await HashAsync(start, n, cancellationToken).ConfigureAwait(false));
            }

            return;
        }

        var k = LargestPowerOfTwoBelow(n);
        if (m <= k)
        {
            await SubProofAsync(m, start, k, whole, proof, cancellationToken).ConfigureAwait(false);
            proof.Add(await HashAsync(start + k, n - k, cancellationToken).ConfigureAwait(false));
        }
        else
        {
            await SubProofAsync(m - k, start + k, n - k, false, proof, cancellationToken).ConfigureAwait(false);
            proof.Add(await HashAsync(start, k, cancellationToken).ConfigureAwait(false));
        }
    }

    private static long LargestPowerOfTwoBelow(long n)
    {
        long k = 1;
        while (k << 1 < n)
        {
            k <<= 1;
        }

        return k;
    }

    private static SigstoreBuild.Diagnostics.SigstoreException Malformed(string what) =>
        new(SigstoreBuild.Diagnostics.MonitorCodes.LogUnavailable, $"The log served a malformed tile: {what}. Check the log URL, or report it to the log's operator.");
}
