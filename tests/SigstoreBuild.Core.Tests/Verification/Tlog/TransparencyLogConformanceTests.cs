using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using SigstoreBuild.Bundles;
using SigstoreBuild.Diagnostics;
using SigstoreBuild.Trust;
using SigstoreBuild.Verification.Tlog;

namespace SigstoreBuild.Tests.Verification.Tlog;

/// <summary>Real entries from the conformance vectors, verified as they are and with exactly one thing broken.</summary>
[TestClass]
public sealed class TransparencyLogConformanceTests
{
    [TestMethod]
    [DataRow("happy-path-v0.1", true)]
    [DataRow("happy-path-v0.2", true)]
    [DataRow("happy-path-v0.3", true)]
    [DataRow("happy-path-v0.3-new-mediaType", true)]
    [DataRow("happy-path-intoto-in-dsse-v3", true)]
    [DataRow("intoto-with-custom-trust-root", true)]
    [DataRow("managed-key-happy-path", true)]
    [DataRow("trust-root-tlog-validity-end-inclusive", true)]
    [DataRow("rekor2-happy-path", false)]
    [DataRow("rekor2-dsse-happy-path", false)]
    [DataRow("rekor2-checkpoint-cosigned", false)]
    [DataRow("rekor2-checkpoint-multiple-cosigs", false)]
    [DataRow("rekor2-checkpoint-origin-not-first", false)]
    [DataRow("rekor2-checkpoint-two-sigs-cosigned", false)]
    [DataRow("rekor2-checkpoint-two-sigs-from-origin", false)]
    [DataRow("bundle-with-sct-with-extensions", false)]
    public void Valid_entries_verify(string name, bool hasSet)
    {
        var c = ConformanceVectors.Load(name);
        var result = TransparencyLogVerifier.Verify(c.Entry, c.Content, c.Trust, c.Bundle.MinorVersion);

        Assert.IsTrue(result.InclusionProofVerified);
        Assert.AreEqual(hasSet, result.IntegratedTime is not null);
        Assert.AreEqual(c.Entry.LogIndex, result.LogIndex);
        Assert.AreEqual(c.Entry.KindVersion!.Kind, result.Kind);
        CollectionAssert.AreEqual(c.Entry.LogId!.KeyId, result.Log.LogId);
        if (hasSet)
        {
            Assert.AreEqual(DateTimeOffset.FromUnixTimeSeconds(c.Entry.IntegratedTime), result.IntegratedTime);
        }
    }

    [TestMethod]
    [DataRow("bundle-from-wrong-instance_fail", TlogCodes.UnknownLog)]
    [DataRow("checkpoint-bad-keyhint_fail", TlogCodes.InvalidCheckpointSignature)]
    [DataRow("invalid-checkpoint-signature_fail", TlogCodes.InvalidCheckpointSignature)]
    [DataRow("checkpoint-wrong-roothash_fail", TlogCodes.CheckpointProofMismatch)]
    [DataRow("inclusion-proof-corrupted-hash_fail", TlogCodes.InvalidInclusionProof)]
    [DataRow("set-invalid-signature_fail", TlogCodes.InvalidSignedEntryTimestamp)]
    [DataRow("signature-mismatch_fail", TlogCodes.SignatureMismatch)]
    [DataRow("wrong-hashedrekord-artifact_fail", TlogCodes.SignatureMismatch)]
    [DataRow("wrong-hashedrekord-cert-and-sig_fail", TlogCodes.SignatureMismatch)]
    [DataRow("wrong-hashedrekord-entry_fail", TlogCodes.SignatureMismatch)]
    [DataRow("wrong-material_fail", TlogCodes.DigestMismatch)]
    [DataRow("incorrect-public-key_fail", TlogCodes.SignerMismatch)]
    [DataRow("managed-key-wrong-key_fail", TlogCodes.SignerMismatch)]
    [DataRow("intoto-log-entry-mismatch_fail", TlogCodes.MalformedEntryBody)]
    [DataRow("dsse-invalid-sig_fail", TlogCodes.SignatureMismatch)]
    [DataRow("dsse-mismatch-sig_fail", TlogCodes.SignatureMismatch)]
    [DataRow("dsse-mismatch-envelope_fail", TlogCodes.DigestMismatch)]
    [DataRow("rekor2-dsse-invalid-sig_fail", TlogCodes.SignatureMismatch)]
    [DataRow("rekor2-dsse-mismatch-sig_fail", TlogCodes.SignatureMismatch)]
    [DataRow("rekor2-dsse-mismatch-envelope_fail", TlogCodes.SignatureMismatch)]
    [DataRow("rekor2-checkpoint-missing-log-signature_fail", TlogCodes.InvalidCheckpointSignature)]
    [DataRow("rekor2-checkpoint-no-matching-signature_fail", TlogCodes.InvalidCheckpointSignature)]
    [DataRow("rekor2-checkpoint-missing-origin_fail", TlogCodes.MalformedCheckpoint)]
    [DataRow("rekor2-checkpoint-missing-size_fail", TlogCodes.MalformedCheckpoint)]
    [DataRow("rekor2-checkpoint-missing-root-hash_fail", TlogCodes.MalformedCheckpoint)]
    public void Conformance_failures_are_rejected_with_their_code(string name, string code)
    {
        var c = ConformanceVectors.Load(name);
        Expect(code, () => TransparencyLogVerifier.Verify(c.Entry, c.Content, c.Trust, c.Bundle.MinorVersion));
    }

    [TestMethod]
    public void Hashedrekord_over_dsse_binds_the_pae_digest()
    {
        var c = ConformanceVectors.Load("rekor2-dsse-happy-path");
        var envelope = c.Bundle.DsseEnvelope!;
        envelope.PayloadType = "application/other"; // same payload and signature, other PAE
        Expect(TlogCodes.DigestMismatch, () => TransparencyLogVerifier.Verify(c.Entry, c.Content, c.Trust, 3));
    }

    [TestMethod]
    public void Unknown_log_id_is_rejected()
    {
        var c = ConformanceVectors.Load("happy-path-v0.3");
        c.Entry.LogId!.KeyId![0] ^= 1;
        Expect(TlogCodes.UnknownLog, () => TransparencyLogVerifier.Verify(c.Entry, c.Content, c.Trust, 3));
    }

    [TestMethod]
    [DataRow("rekord", "0.0.1")]
    [DataRow("hashedrekord", "0.0.3")]
    [DataRow("intoto", "0.0.1")]
    [DataRow("dsse", "0.0.3")]
    [DataRow("HashedRekord", "0.0.1")]
    public void Kinds_outside_the_allowlist_are_rejected(string kind, string version)
    {
        var c = ConformanceVectors.Load("happy-path-v0.3");
        c.Entry.KindVersion = new KindVersion { Kind = kind, Version = version };
        Expect(TlogCodes.UnsupportedEntryKind, () => TransparencyLogVerifier.Verify(c.Entry, c.Content, c.Trust, 3));
    }

    [TestMethod]
    public void A_dsse_entry_cannot_attest_a_message_signature()
    {
        var message = ConformanceVectors.Load("happy-path-v0.3");
        var dsse = ConformanceVectors.Load("happy-path-intoto-in-dsse-v3");
        Expect(TlogCodes.UnsupportedEntryKind, () => TransparencyLogVerifier.Verify(dsse.Entry, message.Content, dsse.Trust, 3));
    }

    [TestMethod]
    public void A_v1_hashedrekord_entry_cannot_attest_a_dsse_envelope()
    {
        var message = ConformanceVectors.Load("happy-path-v0.3");
        var dsse = ConformanceVectors.Load("happy-path-intoto-in-dsse-v3");
        Expect(TlogCodes.UnsupportedEntryKind, () => TransparencyLogVerifier.Verify(message.Entry, dsse.Content, message.Trust, 3));
    }

    [TestMethod]
    public void Kind_version_disagreeing_with_the_body_is_rejected()
    {
        var c = ConformanceVectors.Load("happy-path-v0.3");
        c.Entry.KindVersion!.Version = "0.0.2"; // allowlisted, but the body says 0.0.1
        Expect(TlogCodes.MalformedEntryBody, () => TransparencyLogVerifier.Verify(c.Entry, c.Content, c.Trust, 3));
    }

    [TestMethod]
    public void A_body_that_is_not_json_is_rejected()
    {
        var c = ConformanceVectors.Load("happy-path-v0.3");
        c.Entry.CanonicalizedBody![0] ^= 0x20;
        Expect(TlogCodes.MalformedEntryBody, () => TransparencyLogVerifier.Verify(c.Entry, c.Content, c.Trust, 3));
    }

    [TestMethod]
    public void Duplicate_body_properties_are_rejected()
    {
        var c = ConformanceVectors.Load("happy-path-v0.3");
        var body = Encoding.UTF8.GetString(c.Entry.CanonicalizedBody!);
        c.Entry.CanonicalizedBody = Encoding.UTF8.GetBytes("{\"kind\":\"rekord\"," + body[1..]);
        Expect(TlogCodes.MalformedEntryBody, () => TransparencyLogVerifier.Verify(c.Entry, c.Content, c.Trust, 3));
    }

    [TestMethod]
    public void Unknown_top_level_body_property_is_rejected()
    {
        var c = ConformanceVectors.Load("rekor2-happy-path");
        var body = Encoding.UTF8.GetString(c.Entry.CanonicalizedBody!);
        c.Entry.CanonicalizedBody = Encoding.UTF8.GetBytes("{\"extra\":1," + body[1..]);
        Expect(TlogCodes.MalformedEntryBody, () => TransparencyLogVerifier.Verify(c.Entry, c.Content, c.Trust, 3));
    }

    [TestMethod]
    public void Other_artifact_digest_is_rejected()
    {
        var c = ConformanceVectors.Load("happy-path-v0.3");
        c.Content.ArtifactDigest![0] ^= 1;
        Expect(TlogCodes.DigestMismatch, () => TransparencyLogVerifier.Verify(c.Entry, c.Content, c.Trust, 3));
    }

    [TestMethod]
    public void Other_digest_algorithm_is_rejected()
    {
        var c = ConformanceVectors.Load("happy-path-v0.3");
        var content = new SigstoreBuild.Verification.SignedContent
        {
            Signature = c.Content.Signature,
            SignerCertificate = c.Content.SignerCertificate,
            ArtifactDigest = c.Content.ArtifactDigest,
            ArtifactDigestAlgorithm = System.Security.Cryptography.HashAlgorithmName.SHA384,
        };
        Expect(TlogCodes.DigestMismatch, () => TransparencyLogVerifier.Verify(c.Entry, content, c.Trust, 3));
    }

    [TestMethod]
    [DataRow("happy-path-v0.3")]
    [DataRow("rekor2-happy-path")]
    [DataRow("happy-path-intoto-in-dsse-v3")]
    [DataRow("intoto-with-custom-trust-root")]
    [DataRow("rekor2-dsse-happy-path")]
    public void Other_signature_is_rejected(string name)
    {
        var c = ConformanceVectors.Load(name);
        c.Content.Signature[^1] ^= 1;
        Expect(TlogCodes.SignatureMismatch, () => TransparencyLogVerifier.Verify(c.Entry, c.Content, c.Trust, c.Bundle.MinorVersion));
    }

    [TestMethod]
    [DataRow("happy-path-v0.3")]
    [DataRow("rekor2-happy-path")]
    [DataRow("happy-path-intoto-in-dsse-v3")]
    [DataRow("intoto-with-custom-trust-root")]
    [DataRow("rekor2-dsse-happy-path")]
    public void Other_signer_certificate_is_rejected(string name)
    {
        var c = ConformanceVectors.Load(name);
        c.Content.SignerCertificate![^1] ^= 1;
        Expect(TlogCodes.SignerMismatch, () => TransparencyLogVerifier.Verify(c.Entry, c.Content, c.Trust, c.Bundle.MinorVersion));
    }

    [TestMethod]
    [DataRow("happy-path-intoto-in-dsse-v3")]
    [DataRow("intoto-with-custom-trust-root")]
    public void Other_dsse_payload_is_rejected(string name)
    {
        var c = ConformanceVectors.Load(name);
        c.Bundle.DsseEnvelope!.Payload![0] ^= 1;
        Expect(TlogCodes.DigestMismatch, () => TransparencyLogVerifier.Verify(c.Entry, c.Content, c.Trust, c.Bundle.MinorVersion));
    }

    [TestMethod]
    public void Key_based_entry_requires_the_bundles_key()
    {
        var c = ConformanceVectors.Load("managed-key-happy-path");
        c.Content.SignerPublicKey![^1] ^= 1;
        Expect(TlogCodes.SignerMismatch, () => TransparencyLogVerifier.Verify(c.Entry, c.Content, c.Trust, 3));
    }

    [TestMethod]
    [DataRow(1L, 0L)]
    [DataRow(0L, 1L)]
    public void Altered_integrated_time_or_index_breaks_the_set(long timeDelta, long indexDelta)
    {
        var c = ConformanceVectors.Load("happy-path-v0.3");
        c.Entry.IntegratedTime += timeDelta;
        c.Entry.LogIndex += indexDelta;
        Expect(TlogCodes.InvalidSignedEntryTimestamp, () => TransparencyLogVerifier.Verify(c.Entry, c.Content, c.Trust, 3));
    }

    [TestMethod]
    public void Set_from_the_bundle_is_only_trusted_after_verification()
    {
        var c = ConformanceVectors.Load("happy-path-v0.3");
        c.Entry.InclusionPromise!.SignedEntryTimestamp![^1] ^= 1;
        Expect(TlogCodes.InvalidSignedEntryTimestamp, () => TransparencyLogVerifier.Verify(c.Entry, c.Content, c.Trust, 3));
    }

    [TestMethod]
    public void Integrated_time_outside_the_log_key_validity_is_rejected()
    {
        var c = ConformanceVectors.Load("happy-path-v0.3");
        var document = TrustDocumentSerializer.ParseTrustedRoot(c.TrustedRootJson);
        foreach (var log in document.Tlogs!)
        {
            log.PublicKey!.ValidFor!.End = DateTimeOffset.FromUnixTimeSeconds(c.Entry.IntegratedTime - 1);
            log.PublicKey.ValidFor.Start = DateTimeOffset.FromUnixTimeSeconds(c.Entry.IntegratedTime - 100);
        }

        Expect(TlogCodes.IntegratedTimeOutsideLogValidity, () => TransparencyLogVerifier.Verify(c.Entry, c.Content, TrustedRoot.FromDocument(document), 3));

        foreach (var log in document.Tlogs!)
        {
            log.PublicKey!.ValidFor!.End = DateTimeOffset.FromUnixTimeSeconds(c.Entry.IntegratedTime); // closed interval
        }

        Assert.IsNotNull(TransparencyLogVerifier.Verify(c.Entry, c.Content, TrustedRoot.FromDocument(document), 3).IntegratedTime);
    }

    [TestMethod]
    [DataRow("happy-path-v0.3")]
    [DataRow("rekor2-happy-path")]
    public void Corrupted_proof_hash_is_rejected(string name)
    {
        var c = ConformanceVectors.Load(name);
        c.Entry.InclusionProof!.Hashes![^1][0] ^= 1;
        Expect(TlogCodes.InvalidInclusionProof, () => TransparencyLogVerifier.Verify(c.Entry, c.Content, c.Trust, 3));
    }

    [TestMethod]
    [DataRow("happy-path-v0.3")]
    [DataRow("rekor2-happy-path")]
    public void Proof_with_a_missing_or_extra_hash_is_rejected(string name)
    {
        var c = ConformanceVectors.Load(name);
        c.Entry.InclusionProof!.Hashes!.RemoveAt(c.Entry.InclusionProof.Hashes.Count - 1);
        Expect(TlogCodes.InvalidInclusionProof, () => TransparencyLogVerifier.Verify(c.Entry, c.Content, c.Trust, 3));

        c = ConformanceVectors.Load(name);
        c.Entry.InclusionProof!.Hashes!.Add(new byte[32]);
        Expect(TlogCodes.InvalidInclusionProof, () => TransparencyLogVerifier.Verify(c.Entry, c.Content, c.Trust, 3));
    }

    [TestMethod]
    public void Index_at_or_beyond_tree_size_is_rejected()
    {
        var c = ConformanceVectors.Load("happy-path-v0.3");
        c.Entry.InclusionProof!.LogIndex = c.Entry.InclusionProof.TreeSize;
        Expect(TlogCodes.InvalidInclusionProof, () => TransparencyLogVerifier.Verify(c.Entry, c.Content, c.Trust, 3));
    }

    [TestMethod]
    public void Global_index_instead_of_shard_index_is_rejected()
    {
        var c = ConformanceVectors.Load("happy-path-v0.3");
        Assert.AreNotEqual(c.Entry.LogIndex, c.Entry.InclusionProof!.LogIndex);
        c.Entry.InclusionProof.LogIndex = c.Entry.LogIndex;
        Expect(TlogCodes.InvalidInclusionProof, () => TransparencyLogVerifier.Verify(c.Entry, c.Content, c.Trust, 3));
    }

    [TestMethod]
    public void Proof_root_not_matching_the_checkpoint_is_rejected()
    {
        // A proof that is internally consistent (root recomputed) but not the checkpoint's tree.
        var c = ConformanceVectors.Load("intoto-with-custom-trust-root"); // tree of size 1: root = leaf hash
        var other = (byte[])c.Entry.CanonicalizedBody!.Clone();
        c.Entry.InclusionProof!.RootHash = MerkleProof.HashLeaf([.. other, 0x20]);
        Expect(TlogCodes.InvalidInclusionProof, () => TransparencyLogVerifier.Verify(c.Entry, c.Content, c.Trust, 2));
    }

    [TestMethod]
    [DataRow("happy-path-v0.3", 3)]
    [DataRow("happy-path-v0.2", 2)]
    [DataRow("rekor2-happy-path", 3)]
    public void Missing_inclusion_proof_is_rejected_without_online_lookup(string name, int minor)
    {
        var c = ConformanceVectors.Load(name);
        c.Entry.InclusionProof = null;
        Expect(TlogCodes.MissingInclusionProof, () => TransparencyLogVerifier.Verify(c.Entry, c.Content, c.Trust, minor));
    }

    [TestMethod]
    public void V01_bundle_with_set_needs_no_proof_but_is_not_reported_as_proven()
    {
        var c = ConformanceVectors.Load("happy-path-v0.1");
        c.Entry.InclusionProof = null;
        var result = TransparencyLogVerifier.Verify(c.Entry, c.Content, c.Trust, 1);
        Assert.IsFalse(result.InclusionProofVerified);
        Assert.IsNotNull(result.IntegratedTime);

        c.Entry.InclusionPromise = null;
        Expect(TlogCodes.MissingInclusionProof, () => TransparencyLogVerifier.Verify(c.Entry, c.Content, c.Trust, 1));
    }

    [TestMethod]
    [DataRow("happy-path-v0.3")]
    [DataRow("happy-path-v0.1")] // its SET does not make an unsigned root hash proof of anything
    public void Proof_without_checkpoint_is_rejected(string name)
    {
        var c = ConformanceVectors.Load(name);
        TransparencyLogVerifier.Verify(c.Entry, c.Content, c.Trust, c.Bundle.MinorVersion);
        c.Entry.InclusionProof!.Checkpoint = null;
        Expect(TlogCodes.MalformedCheckpoint, () => TransparencyLogVerifier.Verify(c.Entry, c.Content, c.Trust, c.Bundle.MinorVersion));
    }

    [TestMethod]
    [DataRow("happy-path-v0.3")]
    [DataRow("rekor2-happy-path")]
    public void Checkpoint_with_a_flipped_signature_is_rejected(string name)
    {
        var c = ConformanceVectors.Load(name);
        var envelope = c.Entry.InclusionProof!.Checkpoint!.Envelope!;
        var line = envelope.IndexOf('\u2014', StringComparison.Ordinal);
        var blob = envelope[(envelope.IndexOf(' ', line + 2) + 1)..].TrimEnd('\n');
        var bytes = Convert.FromBase64String(blob);
        bytes[^1] ^= 1;
        c.Entry.InclusionProof.Checkpoint.Envelope = envelope.Replace(blob, Convert.ToBase64String(bytes), StringComparison.Ordinal);
        Expect(TlogCodes.InvalidCheckpointSignature, () => TransparencyLogVerifier.Verify(c.Entry, c.Content, c.Trust, 3));
    }

    [TestMethod]
    [DataRow("happy-path-v0.3")]
    [DataRow("rekor2-happy-path")]
    public void Checkpoint_note_text_altered_is_rejected(string name)
    {
        var c = ConformanceVectors.Load(name);
        var proof = c.Entry.InclusionProof!;
        var size = proof.TreeSize.ToString(System.Globalization.CultureInfo.InvariantCulture);
        proof.Checkpoint!.Envelope = proof.Checkpoint.Envelope!.Replace("\n" + size + "\n", "\n" + (proof.TreeSize + 1) + "\n", StringComparison.Ordinal);
        Expect(TlogCodes.InvalidCheckpointSignature, () => TransparencyLogVerifier.Verify(c.Entry, c.Content, c.Trust, 3));
    }

    internal static void Expect(string code, Action action)
    {
        var ex = Assert.ThrowsExactly<VerificationException>(action);
        Assert.AreEqual(code, ex.Code, ex.Message);
    }
}
