using System.Security.Cryptography;
using SigstoreBuild.LocalStack.Transparency;

namespace SigstoreBuild.LocalStack.Tests;

[TestClass]
public sealed class MerkleTreeTests
{
    [TestMethod]
    public void InclusionProofsVerifyForEveryLeafOfManyTreeSizes()
    {
        var tree = new MerkleTree();
        for (var size = 1; size <= 33; size++)
        {
            tree.AppendLeafHash(MerkleTree.HashLeaf(BitConverter.GetBytes(size)));
            var root = tree.RootHash();
            for (var index = 0; index < size; index++)
            {
                var proof = tree.InclusionProof(index, size);
                Assert.IsTrue(SigstoreBuild.Verification.Tlog.MerkleProof.VerifyInclusion(index, size, tree.LeafHash(index), proof, root), $"{index}/{size}");
                Assert.IsFalse(SigstoreBuild.Verification.Tlog.MerkleProof.VerifyInclusion(index, size, MerkleTree.HashLeaf("x"u8), proof, root));
            }
        }
    }

    [TestMethod]
    public void RootsMatchRfc6962Definition()
    {
        var tree = new MerkleTree();
        var leaves = Enumerable.Range(0, 7).Select(i => MerkleTree.HashLeaf([(byte)i])).ToArray();
        foreach (var leaf in leaves)
        {
            tree.AppendLeafHash(leaf);
        }

        CollectionAssert.AreEqual(SHA256.HashData([]), tree.RootHash(0));
        CollectionAssert.AreEqual(leaves[0], tree.RootHash(1));
        var left = MerkleTree.HashChildren(MerkleTree.HashChildren(leaves[0], leaves[1]), MerkleTree.HashChildren(leaves[2], leaves[3]));
        var right = MerkleTree.HashChildren(MerkleTree.HashChildren(leaves[4], leaves[5]), leaves[6]);
        CollectionAssert.AreEqual(MerkleTree.HashChildren(left, right), tree.RootHash(7));
    }

    [TestMethod]
    public void ConsistencyProofHasRfc6962Shape()
    {
        var tree = new MerkleTree();
        var leaves = Enumerable.Range(0, 7).Select(i => MerkleTree.HashLeaf([(byte)i])).ToArray();
        foreach (var leaf in leaves)
        {
            tree.AppendLeafHash(leaf);
        }

        // RFC 6962 §2.1.3 example: PROOF(3, D[7]) = [c, d, g, l].
        var proof = tree.ConsistencyProof(3, 7);
        Assert.HasCount(4, proof);
        CollectionAssert.AreEqual(leaves[2], proof[0]);
        CollectionAssert.AreEqual(leaves[3], proof[1]);
        CollectionAssert.AreEqual(MerkleTree.HashChildren(leaves[0], leaves[1]), proof[2]);
        CollectionAssert.AreEqual(MerkleTree.HashChildren(MerkleTree.HashChildren(leaves[4], leaves[5]), leaves[6]), proof[3]);
    }
}
