using System.Security.Cryptography;
using SigstoreBuild.LocalStack.Transparency;
using SigstoreBuild.Monitoring;

namespace SigstoreBuild.Core.Tests.Monitoring;

/// <summary>
/// RFC 9162 consistency proofs, checked against the local instance's Merkle tree (a separate implementation that
/// produces the proofs Rekor serves): every pair of sizes up to 40 verifies, and any change to a proof or a root is
/// refused. (The sizes come from signed checkpoints together with the roots, so the proof need not pin them alone.)
/// </summary>
[TestClass]
public sealed class ConsistencyProofTests
{
    private static readonly MerkleTree Tree = Build(40);

    [TestMethod]
    public void EveryPairOfSizes_Verifies()
    {
        for (long first = 1; first <= Tree.Size; first++)
        {
            for (var second = first; second <= Tree.Size; second++)
            {
                Assert.IsTrue(ConsistencyProof.Verify(first, second, Tree.RootHash(first), Tree.RootHash(second), Tree.ConsistencyProof(first, second)), $"{first} -> {second}");
            }
        }
    }

    [TestMethod]
    [DataRow(1L, 2L)]
    [DataRow(3L, 7L)]
    [DataRow(4L, 8L)]
    [DataRow(6L, 40L)]
    [DataRow(16L, 33L)]
    public void AlteredProofRootOrSize_IsRefused(long first, long second)
    {
        var proof = Tree.ConsistencyProof(first, second);
        var firstRoot = Tree.RootHash(first);
        var secondRoot = Tree.RootHash(second);

        for (var i = 0; i < proof.Count; i++)
        {
            var altered = proof.Select(p => p.ToArray()).ToList();
            altered[i][0] ^= 1;
            Assert.IsFalse(ConsistencyProof.Verify(first, second, firstRoot, secondRoot, altered), $"hash {i} changed");
        }

        Assert.IsFalse(ConsistencyProof.Verify(first, second, Tree.RootHash(first + 1 <= second ? first + 1 : first - 1), secondRoot, proof), "another old root");
        Assert.IsFalse(ConsistencyProof.Verify(first, second, firstRoot, Tree.RootHash(second - 1 >= first ? second - 1 : second), proof), "another new root");
        Assert.IsFalse(ConsistencyProof.Verify(second, first, secondRoot, firstRoot, proof), "the trees swapped");
        Assert.IsFalse(ConsistencyProof.Verify(first, second, firstRoot, secondRoot, proof.Take(proof.Count - 1).ToList()), "a hash short");
        Assert.IsFalse(ConsistencyProof.Verify(first, second, firstRoot, secondRoot, [.. proof, new byte[32]]), "a hash too many");
    }

    [TestMethod]
    public void ARewrittenLeaf_BreaksConsistencyWithTheOldRoot()
    {
        var rewritten = Build(20);
        var oldRoot = rewritten.RootHash(10);
        rewritten.ReplaceLeafHash(3, MerkleTree.HashLeaf("rewritten"u8));
        Assert.IsFalse(ConsistencyProof.Verify(10, 20, oldRoot, rewritten.RootHash(20), rewritten.ConsistencyProof(10, 20)));
    }

    [TestMethod]
    public void SameSize_NeedsTheSameRootAndAnEmptyProof()
    {
        Assert.IsTrue(ConsistencyProof.Verify(5, 5, Tree.RootHash(5), Tree.RootHash(5), []));
        Assert.IsFalse(ConsistencyProof.Verify(5, 5, Tree.RootHash(5), Tree.RootHash(6), []));
        Assert.IsFalse(ConsistencyProof.Verify(6, 5, Tree.RootHash(6), Tree.RootHash(5), []));
    }

    private static MerkleTree Build(int size)
    {
        var tree = new MerkleTree();
        for (var i = 0; i < size; i++)
        {
            tree.AppendLeafHash(MerkleTree.HashLeaf(SHA256.HashData(BitConverter.GetBytes(i))));
        }

        return tree;
    }
}
