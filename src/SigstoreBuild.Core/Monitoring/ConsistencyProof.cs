using SigstoreBuild.Verification.Tlog;

namespace SigstoreBuild.Monitoring;

/// <summary>RFC 9162 §2.1.4.2: that the tree of size <c>second</c> extends the tree of size <c>first</c> (SHA-256).</summary>
internal static class ConsistencyProof
{
    private const int HashSize = MerkleProof.HashSize;

    public static bool Verify(long first, long second, ReadOnlySpan<byte> firstRoot, ReadOnlySpan<byte> secondRoot, IReadOnlyList<byte[]> proof)
    {
        if (first < 1 || second < first || firstRoot.Length != HashSize || secondRoot.Length != HashSize || proof.Any(p => p is not { Length: HashSize }))
        {
            return false;
        }

        if (first == second)
        {
            return proof.Count == 0 && firstRoot.SequenceEqual(secondRoot);
        }

        if (proof.Count == 0)
        {
            return false;
        }

        // A first tree that is a complete subtree is its own first node, which the proof leaves out.
        var path = (first & (first - 1)) == 0 ? [firstRoot.ToArray(), .. proof] : proof.ToList();
        var fn = (ulong)first - 1;
        var sn = (ulong)second - 1;
        while ((fn & 1) == 1)
        {
            fn >>= 1;
            sn >>= 1;
        }

        var fr = path[0];
        var sr = path[0];
        foreach (var c in path.Skip(1))
        {
            if (sn == 0)
            {
                return false;
            }

            if ((fn & 1) == 1 || fn == sn)
            {
                fr = MerkleProof.HashChildren(c, fr);
                sr = MerkleProof.HashChildren(c, sr);
                if ((fn & 1) == 0)
                {
                    while ((fn & 1) == 0 && fn != 0)
                    {
                        fn >>= 1;
                        sn >>= 1;
                    }
                }
            }
            else
            {
                sr = MerkleProof.HashChildren(sr, c);
            }

            fn >>= 1;
            sn >>= 1;
        }

        return sn == 0 && fr.AsSpan().SequenceEqual(firstRoot) && sr.AsSpan().SequenceEqual(secondRoot);
    }
}
