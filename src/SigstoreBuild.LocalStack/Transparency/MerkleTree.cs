using System.Security.Cryptography;

namespace SigstoreBuild.LocalStack.Transparency;

/// <summary>RFC 6962 §2.1 Merkle tree over leaf hashes, with inclusion (PATH) and consistency (PROOF) proofs.</summary>
public sealed class MerkleTree
{
    private readonly List<byte[]> _leaves = [];
    private readonly Dictionary<(long Start, long Size), byte[]> _cache = [];

    public long Size => _leaves.Count;

    public static byte[] HashLeaf(ReadOnlySpan<byte> data)
    {
        var buffer = new byte[data.Length + 1];
        data.CopyTo(buffer.AsSpan(1));
        return SHA256.HashData(buffer);
    }

    public static byte[] HashChildren(ReadOnlySpan<byte> left, ReadOnlySpan<byte> right)
    {
        var buffer = new byte[1 + left.Length + right.Length];
        buffer[0] = 1;
        left.CopyTo(buffer.AsSpan(1));
        right.CopyTo(buffer.AsSpan(1 + left.Length));
        return SHA256.HashData(buffer);
    }

    public void AppendLeafHash(byte[] leafHash) => _leaves.Add(leafHash);

    /// <summary>Fault injection only: a log that rewrites history swaps a committed leaf.</summary>
    public void ReplaceLeafHash(long index, byte[] leafHash)
    {
        _leaves[checked((int)index)] = leafHash;
        _cache.Clear();
    }

    public byte[] LeafHash(long index) => _leaves[checked((int)index)];

    public byte[] RootHash() => RootHash(Size);

    /// <summary>The hash of the complete subtree of 2^<paramref name="level"/> leaves that is the <paramref name="index"/>th at its level.</summary>
    public byte[] NodeHash(int level, long index) => Subtree(index << level, 1L << level);

    public byte[] RootHash(long size)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(size, Size);
        return size == 0 ? SHA256.HashData([]) : Subtree(0, size);
    }

    /// <summary>The audit path for leaf <paramref name="index"/> in the tree of <paramref name="size"/> leaves.</summary>
    public List<byte[]> InclusionProof(long index, long size)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(size, Size);
        if (index < 0 || index >= size)
        {
            throw new ArgumentOutOfRangeException(nameof(index));
        }

        var proof = new List<byte[]>();
        Path(index, 0, size, proof);
        return proof;
    }

    /// <summary>Consistency proof between <paramref name="first"/> and <paramref name="second"/> tree sizes (RFC 6962 §2.1.2).</summary>
    public List<byte[]> ConsistencyProof(long first, long second)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(second, Size);
        var proof = new List<byte[]>();
        if (first > 0 && first < second)
        {
            SubProof(first, 0, second, true, proof);
        }

        return proof;
    }

    private void Path(long index, long start, long size, List<byte[]> proof)
    {
        if (size <= 1)
        {
            return;
        }

        var k = LargestPowerOfTwoBelow(size);
        if (index < k)
        {
            Path(index, start, k, proof);
            proof.Add(Subtree(start + k, size - k));
        }
        else
        {
            Path(index - k, start + k, size - k, proof);
            proof.Add(Subtree(start, k));
        }
    }

    private void SubProof(long m, long start, long n, bool whole, List<byte[]> proof)
    {
        if (m == n)
        {
            if (!whole)
            {
                proof.Add(Subtree(start, n));
            }

            return;
        }

        var k = LargestPowerOfTwoBelow(n);
        if (m <= k)
        {
            SubProof(m, start, k, whole, proof);
            proof.Add(Subtree(start + k, n - k));
        }
        else
        {
            SubProof(m - k, start + k, n - k, false, proof);
            proof.Add(Subtree(start, k));
        }
    }

    private byte[] Subtree(long start, long size)
    {
        if (size == 1)
        {
            return _leaves[checked((int)start)];
        }

        // Only complete (power of two) subtrees never change as the log grows, so only those are cached.
        var complete = (size & (size - 1)) == 0;
        if (complete && _cache.TryGetValue((start, size), out var cached))
        {
            return cached;
        }

        var k = LargestPowerOfTwoBelow(size);
        var hash = HashChildren(Subtree(start, k), Subtree(start + k, size - k));
        if (complete)
        {
            _cache[(start, size)] = hash;
        }

        return hash;
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
}
