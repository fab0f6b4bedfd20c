using System.Security.Cryptography;

namespace SigstoreBuild.Verification.Tlog;

/// <summary>RFC 6962 / RFC 9162 Merkle tree hashing and inclusion proof verification (SHA-256).</summary>
internal static class MerkleProof
{
    public const int HashSize = 32;

    /// <summary>SHA-256(0x00 || leaf).</summary>
    public static byte[] HashLeaf(ReadOnlySpan<byte> leaf)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        ReadOnlySpan<byte> prefix = [0x00];
        hash.AppendData(prefix);
        hash.AppendData(leaf);
        return hash.GetHashAndReset();
    }

    /// <summary>SHA-256(0x01 || left || right).</summary>
    public static byte[] HashChildren(ReadOnlySpan<byte> left, ReadOnlySpan<byte> right)
    {
        Span<byte> node = stackalloc byte[1 + HashSize + HashSize];
        node[0] = 0x01;
        left.CopyTo(node[1..]);
        right.CopyTo(node[(1 + HashSize)..]);
        return SHA256.HashData(node);
    }

    /// <summary>
    /// Computes the root implied by an inclusion proof (RFC 9162 §2.1.3.2) and compares it with <paramref name="expectedRoot"/>.
    /// Returns false for any malformed input (index out of range, wrong hash sizes, wrong number of hashes).
    /// </summary>
    public static bool VerifyInclusion(long index, long treeSize, ReadOnlySpan<byte> leafHash, IReadOnlyList<byte[]> proof, ReadOnlySpan<byte> expectedRoot)
    {
        if (index < 0 || treeSize <= 0 || index >= treeSize || leafHash.Length != HashSize || expectedRoot.Length != HashSize)
        {
            return false;
        }

        ulong fn = (ulong)index;
        ulong sn = (ulong)treeSize - 1;
        Span<byte> node = stackalloc byte[1 + HashSize + HashSize];
        Span<byte> r = stackalloc byte[HashSize];
        leafHash.CopyTo(r);
        node[0] = 0x01;

        foreach (var p in proof)
        {
            if (p is null || p.Length != HashSize || sn == 0)
            {
                return false;
            }

            if ((fn & 1) == 1 || fn == sn)
            {
                p.CopyTo(node[1..]);
                r.CopyTo(node[(1 + HashSize)..]);
                SHA256.HashData(node, r);
                while ((fn & 1) == 0 && fn != 0)
                {
                    fn >>= 1;
                    sn >>= 1;
                }
            }
            else
            {
                r.CopyTo(node[1..]);
                p.CopyTo(node[(1 + HashSize)..]);
                SHA256.HashData(node, r);
            }

            fn >>= 1;
            sn >>= 1;
        }

        return sn == 0 && CryptographicOperations.FixedTimeEquals(r, expectedRoot);
    }
}
