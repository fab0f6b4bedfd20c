using System.Security.Cryptography;
using SigstoreBuild.Diagnostics;
using SigstoreBuild.Verification.Tlog;
using static SigstoreBuild.Tests.Verification.Tlog.TransparencyLogConformanceTests;

namespace SigstoreBuild.Tests.Verification.Tlog;

/// <summary>Faults that need the log's own key (validly signed but wrong), made with a log generated in the test.</summary>
[TestClass]
public sealed class TransparencyLogSyntheticTests
{
    [TestMethod]
    [DataRow(true)]
    [DataRow(false)]
    public void Entry_from_the_test_log_verifies(bool rekorV2)
    {
        var log = new TestLog(rekorV2);
        var result = TransparencyLogVerifier.Verify(log.Entry(), log.Content, log.Trust, 3);
        Assert.IsTrue(result.InclusionProofVerified);
        Assert.AreEqual(!rekorV2, result.IntegratedTime is not null);
    }

    [TestMethod]
    [DataRow(true, "other.example.test")]
    [DataRow(true, TestLog.Host + " - 1234567")]
    [DataRow(false, "other.example.test - 1234567")]
    [DataRow(false, TestLog.Host + " - 12a")]
    [DataRow(false, TestLog.Host + "x")]
    public void Validly_signed_checkpoint_for_another_origin_is_rejected(bool rekorV2, string origin)
    {
        var log = new TestLog(rekorV2);
        Expect(TlogCodes.CheckpointOriginMismatch, () => TransparencyLogVerifier.Verify(log.Entry(origin: origin), log.Content, log.Trust, 3));
    }

    [TestMethod]
    public void Rekor_v1_origin_may_be_the_bare_host()
    {
        var log = new TestLog(rekorV2: false);
        Assert.IsTrue(TransparencyLogVerifier.Verify(log.Entry(origin: TestLog.Host), log.Content, log.Trust, 3).InclusionProofVerified);
    }

    [TestMethod]
    [DataRow(true)]
    [DataRow(false)]
    public void Validly_signed_checkpoint_of_another_size_is_rejected(bool rekorV2)
    {
        var log = new TestLog(rekorV2);
        Expect(TlogCodes.CheckpointProofMismatch, () => TransparencyLogVerifier.Verify(log.Entry(checkpointSize: 12), log.Content, log.Trust, 3));
    }

    [TestMethod]
    public void Only_unknown_cosigner_signatures_are_not_enough()
    {
        var log = new TestLog(rekorV2: true);
        var witness = new TestLog(rekorV2: true); // another key, signing under the log's name and under its own
        var entry = log.Entry();
        var proof = entry.InclusionProof!;
        var text = $"{TestLog.Host}\n{proof.TreeSize}\n{Convert.ToBase64String(proof.RootHash!)}\n";
        var witnessSignature = Convert.ToBase64String([.. witness.KeyHint, .. witness.SignNote(System.Text.Encoding.UTF8.GetBytes(text))]);
        proof.Checkpoint!.Envelope = $"{text}\n— witness.example {witnessSignature}\n— {TestLog.Host} {witnessSignature}\n— .* {witnessSignature}\n";
        Expect(TlogCodes.InvalidCheckpointSignature, () => TransparencyLogVerifier.Verify(entry, log.Content, log.Trust, 3));

        // The same witnesses next to the log's own signature are ignored.
        proof.Checkpoint.Envelope = log.Checkpoint(TestLog.Host, proof.TreeSize, proof.RootHash!, $"— witness.example {witnessSignature}\n— .* {witnessSignature}\n");
        Assert.IsTrue(TransparencyLogVerifier.Verify(entry, log.Content, log.Trust, 3).InclusionProofVerified);
    }

    [TestMethod]
    public void Log_signature_under_another_name_is_not_the_logs()
    {
        var log = new TestLog(rekorV2: false); // v1: the key hint does not depend on the name, so the name is compared
        var entry = log.Entry();
        var proof = entry.InclusionProof!;
        proof.Checkpoint!.Envelope = log.Checkpoint(log.DefaultOrigin, proof.TreeSize, proof.RootHash!, signerName: "evil.example.test");
        Expect(TlogCodes.InvalidCheckpointSignature, () => TransparencyLogVerifier.Verify(entry, log.Content, log.Trust, 3));
    }

    [TestMethod]
    public void Valid_set_with_time_outside_the_log_validity_is_rejected()
    {
        var from = DateTimeOffset.UtcNow.AddDays(-10);
        var to = DateTimeOffset.UtcNow.AddDays(-1);
        var log = new TestLog(rekorV2: false, from, to);
        Expect(TlogCodes.IntegratedTimeOutsideLogValidity,
            () => TransparencyLogVerifier.Verify(log.Entry(integratedTime: DateTimeOffset.UtcNow.ToUnixTimeSeconds()), log.Content, log.Trust, 3));
        Expect(TlogCodes.IntegratedTimeOutsideLogValidity,
            () => TransparencyLogVerifier.Verify(log.Entry(integratedTime: from.AddSeconds(-1).ToUnixTimeSeconds()), log.Content, log.Trust, 3));
        Assert.IsNotNull(TransparencyLogVerifier.Verify(log.Entry(integratedTime: from.AddDays(1).ToUnixTimeSeconds()), log.Content, log.Trust, 3).IntegratedTime);
    }

    [TestMethod]
    public void Rekor_v2_entries_never_report_an_integrated_time()
    {
        var log = new TestLog(rekorV2: true);
        var entry = log.Entry();
        entry.IntegratedTime = 1_700_000_000;
        entry.InclusionPromise = new Bundles.InclusionPromise { SignedEntryTimestamp = [1, 2, 3] };
        Assert.IsNull(TransparencyLogVerifier.Verify(entry, log.Content, log.Trust, 3).IntegratedTime);
    }

    [TestMethod]
    public void Rekor_v2_key_hint_is_the_c2sp_one()
    {
        var log = new TestLog(rekorV2: true);
        var entry = log.Entry();
        var proof = entry.InclusionProof!;
        // The Rekor v1 style hint (SHA-256 of the SPKI) is not the v2 log's.
        var text = $"{TestLog.Host}\n{proof.TreeSize}\n{Convert.ToBase64String(proof.RootHash!)}\n";
        var signature = log.SignNote(System.Text.Encoding.UTF8.GetBytes(text));
        proof.Checkpoint!.Envelope = $"{text}\n— {TestLog.Host} {Convert.ToBase64String([.. SHA256.HashData(log.PublicKeySpki)[..4], .. signature])}\n";
        Expect(TlogCodes.InvalidCheckpointSignature, () => TransparencyLogVerifier.Verify(entry, log.Content, log.Trust, 3));
    }

    [TestMethod]
    public void Every_position_of_small_trees_verifies_and_any_flip_fails()
    {
        for (var size = 1; size <= 33; size++)
        {
            var leaves = Enumerable.Range(0, size).Select(i => MerkleProof.HashLeaf(BitConverter.GetBytes(i))).ToList();
            var root = MerkleTree.Root(leaves);
            for (var index = 0; index < size; index++)
            {
                var path = MerkleTree.Path(leaves, index);
                Assert.IsTrue(MerkleProof.VerifyInclusion(index, size, leaves[index], path, root), $"size {size} index {index}");
                if (size > 1)
                {
                    Assert.IsFalse(MerkleProof.VerifyInclusion((index + 1) % size, size, leaves[index], path, root));
                }

                foreach (var hash in path)
                {
                    hash[7] ^= 1;
                    Assert.IsFalse(MerkleProof.VerifyInclusion(index, size, leaves[index], path, root));
                    hash[7] ^= 1;
                }
            }
        }
    }

    [TestMethod]
    [DataRow(-1L, 4L)]
    [DataRow(4L, 4L)]
    [DataRow(0L, 0L)]
    public void Out_of_range_indices_never_verify(long index, long size)
    {
        Assert.IsFalse(MerkleProof.VerifyInclusion(index, size, new byte[32], [], new byte[32]));
    }
}
