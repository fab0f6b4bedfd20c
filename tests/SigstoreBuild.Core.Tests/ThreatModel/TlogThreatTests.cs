using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using SigstoreBuild.Diagnostics;
using SigstoreBuild.LocalStack.Transparency;
using SigstoreBuild.Verification;

namespace SigstoreBuild.Tests.ThreatModel;

/// <summary>Threat model rows T-01..T-08: the log entry binds this signature, with a genuine proof, checkpoint and SET.</summary>
[TestClass]
public sealed class TlogThreatTests
{
    private static TestSigstore Sigstore => TestSigstore.Shared;

    // ---- T-01: an entry for something else ----

    [TestMethod]
    [DataRow(Rekor.V1, false)]
    [DataRow(Rekor.V2, false)]
    [DataRow(Rekor.V1, true)]
    [DataRow(Rekor.V2, true)]
    public void T01_GenuineEntryForAnotherSignature_Rejected(Rekor rekor, bool dsse)
    {
        var twin = Sigstore.Sign(new BundleSpec { Rekor = rekor, Dsse = dsse });
        var other = Sigstore.Sign(new BundleSpec { Rekor = rekor, Dsse = dsse, Signer = twin.Signer, Artifact = "another artifact"u8.ToArray() });
        Expect.Verifies(other);
        // DSSE entries are bound by payload hash first, then the signature.
        Expect.TwinVerifies_BrokenRejected(twin, b => b.TlogEntries[0] = other.Entry.DeepClone(), dsse ? TlogCodes.DigestMismatch : TlogCodes.SignatureMismatch);
    }

    [TestMethod]
    [DataRow(Rekor.V1)]
    [DataRow(Rekor.V2)]
    public void T01_GenuineEntryForTheSameSignatureUnderAnotherCertificate_Rejected(Rekor rekor)
    {
        // One key, two certificates (two identities): the entry logged with the first cannot vouch for the second.
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var alice = Sigstore.NewSigner(key: key);
        var mallory = Sigstore.NewSigner(key: key, identity: LocalStack.Pki.FulcioIdentity.ForEmail(Sigstore.BaseUrl, "mallory@example.test"));
        var logged = Sigstore.Sign(new BundleSpec { Rekor = rekor, Signer = alice });
        var twin = Sigstore.Sign(new BundleSpec { Rekor = rekor, Signer = mallory });
        Expect.Verifies(logged);
        Expect.TwinVerifies_BrokenRejected(twin, b =>
        {
            b.TlogEntries[0] = logged.Entry.DeepClone();
            b.Json["messageSignature"]!["signature"] = TestSigstore.B64(logged.Signature);
            if (b.Material["timestampVerificationData"] is not null)
            {
                b.Material["timestampVerificationData"] = logged.Material["timestampVerificationData"]!.DeepClone();
            }
        }, TlogCodes.SignerMismatch);
    }

    [TestMethod]
    public void T01_EntryWithThisSignatureAndCertificateButAnotherDigest_Rejected()
    {
        // A lenient (or compromised) log recorded a body it did not check; its SET and proof are genuine.
        var twin = Sigstore.Sign();
        var body = TestSigstore.HashedRekordV1(SHA256.HashData("another artifact"u8), twin.Signature, twin.Signer.CertificatePem);
        var entry = Sigstore.LogV1Raw(LocalStack.Transparency.RekorCanonicalJson.Serialize(body));
        Expect.TwinVerifies_BrokenRejected(twin, b => b.TlogEntries[0] = entry, TlogCodes.DigestMismatch);
    }

    // ---- T-02: inclusion proofs ----

    [TestMethod]
    [DataRow(Rekor.V1)]
    [DataRow(Rekor.V2)]
    public void T02_CorruptedProofHash_Rejected(Rekor rekor)
    {
        Sigstore.Sign(new BundleSpec { Rekor = rekor });
        var twin = Sigstore.Sign(new BundleSpec { Rekor = rekor, Version = 2 });
        Expect.TwinVerifies_BrokenRejected(twin, b =>
        {
            var hashes = b.Entry["inclusionProof"]!["hashes"]!.AsArray();
            var first = Convert.FromBase64String(hashes[0]!.GetValue<string>());
            first[0] ^= 1;
            hashes[0] = TestSigstore.B64(first);
        }, TlogCodes.InvalidInclusionProof);
    }

    [TestMethod]
    public void T02_MissingOrTruncatedHashes_Rejected()
    {
        Sigstore.Sign();
        var twin = Sigstore.Sign();
        Expect.TwinVerifies_BrokenRejected(twin, b => b.Entry["inclusionProof"]!["hashes"] = new JsonArray(), TlogCodes.InvalidInclusionProof);
        // Omitted hashes are the empty list (proto3 JSON), not a proof that needs none (see Proto3JsonTests).
        Expect.TwinVerifies_BrokenRejected(twin, b => b.Entry["inclusionProof"]!.AsObject().Remove("hashes"), TlogCodes.InvalidInclusionProof);
    }

    [TestMethod]
    public void T02_IndexNotBelowTreeSize_Rejected() => Expect.TwinVerifies_BrokenRejected(Sigstore.Sign(),
        b => b.Entry["inclusionProof"]!["logIndex"] = b.Entry["inclusionProof"]!["treeSize"]!.GetValue<string>(), BundleCodes.InvalidTlogEntry);

    [TestMethod]
    public void T02_ProofUsesTheShardLocalIndex_NotTheGlobalOne()
    {
        var bundle = Sigstore.Sign();
        Sigstore.Sign();
        Sigstore.Sign();
        var entry = Sigstore.Reprove(bundle.Entry);
        var local = long.Parse(entry["logIndex"]!.GetValue<string>(), CultureInfo.InvariantCulture);
        var global = local + 1; // as if earlier shards held one more entry

        // Twin: the entry's (global) logIndex differs from the proof's (local) index, with a genuine SET over the global one.
        var body = Convert.FromBase64String(entry["canonicalizedBody"]!.GetValue<string>());
        var integratedTime = long.Parse(entry["integratedTime"]!.GetValue<string>(), CultureInfo.InvariantCulture);
        entry["logIndex"] = global.ToString(CultureInfo.InvariantCulture);
        entry["inclusionPromise"]!["signedEntryTimestamp"] = TestSigstore.B64(Sigstore.Services.RekorV1.Key.SignData(
            RekorV1Log.SetPayload(body, integratedTime, Sigstore.Services.RekorV1.LogId, global), HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence));
        bundle.TlogEntries[0] = entry;

        // Broken: the proof computed with the global index.
        Expect.TwinVerifies_BrokenRejected(bundle, b => b.Entry["inclusionProof"]!["logIndex"] = global.ToString(CultureInfo.InvariantCulture), TlogCodes.InvalidInclusionProof);
    }

    [TestMethod]
    public void T02_StaleProofUnderANewerCheckpoint_Rejected()
    {
        var twin = Sigstore.Sign();
        Sigstore.Sign();
        var (_, _, newer) = Sigstore.Services.RekorV1.Log.Head();
        Expect.TwinVerifies_BrokenRejected(twin, b => b.Entry["inclusionProof"]!["checkpoint"]!["envelope"] = newer, TlogCodes.CheckpointProofMismatch);
    }

    // ---- T-03: checkpoints ----

    private static void SetCheckpoint(SignedBundle bundle, string envelope) => bundle.Entry["inclusionProof"]!["checkpoint"]!["envelope"] = envelope;

    private static (long Size, byte[] Root) Proof(SignedBundle bundle) => (
        long.Parse(bundle.Entry["inclusionProof"]!["treeSize"]!.GetValue<string>(), CultureInfo.InvariantCulture),
        Convert.FromBase64String(bundle.Entry["inclusionProof"]!["rootHash"]!.GetValue<string>()));

    private static TransparencyLog LogOf(Rekor rekor) => rekor == Rekor.V1 ? Sigstore.Services.RekorV1.Log : Sigstore.Services.RekorV2.Log;

    [TestMethod]
    [DataRow(Rekor.V1)]
    [DataRow(Rekor.V2)]
    public void T03_CheckpointOverAnotherRootHash_Rejected(Rekor rekor)
    {
        var twin = Sigstore.Sign(new BundleSpec { Rekor = rekor });
        var log = LogOf(rekor);
        var (size, _) = Proof(twin);
        Expect.TwinVerifies_BrokenRejected(twin, b => SetCheckpoint(b, log.Signer.SignCheckpoint(log.Origin, size, SHA256.HashData("other root"u8))), TlogCodes.CheckpointProofMismatch);
    }

    [TestMethod]
    [DataRow(Rekor.V1)]
    [DataRow(Rekor.V2)]
    public void T03_InvalidLogSignature_Rejected(Rekor rekor) => Expect.TwinVerifies_BrokenRejected(Sigstore.Sign(new BundleSpec { Rekor = rekor }), b =>
    {
        var envelope = b.Entry["inclusionProof"]!["checkpoint"]!["envelope"]!.GetValue<string>();
        var lastSpace = envelope.LastIndexOf(' ');
        var blob = Convert.FromBase64String(envelope[(lastSpace + 1)..^1]);
        blob[^1] ^= 1;
        SetCheckpoint(b, envelope[..(lastSpace + 1)] + TestSigstore.B64(blob) + "\n");
    }, TlogCodes.InvalidCheckpointSignature);

    [TestMethod]
    [DataRow(Rekor.V1)]
    [DataRow(Rekor.V2)]
    public void T03_KeyHintMismatch_Rejected(Rekor rekor) => Expect.TwinVerifies_BrokenRejected(Sigstore.Sign(new BundleSpec { Rekor = rekor }), b =>
    {
        var envelope = b.Entry["inclusionProof"]!["checkpoint"]!["envelope"]!.GetValue<string>();
        var lastSpace = envelope.LastIndexOf(' ');
        var blob = Convert.FromBase64String(envelope[(lastSpace + 1)..^1]);
        blob[0] ^= 1;
        SetCheckpoint(b, envelope[..(lastSpace + 1)] + TestSigstore.B64(blob) + "\n");
    }, TlogCodes.InvalidCheckpointSignature);

    [TestMethod]
    [DataRow("origin")]
    [DataRow("size")]
    [DataRow("root")]
    public void T03_CheckpointMissingALine_Malformed(string missing)
    {
        var twin = Sigstore.Sign(new BundleSpec { Rekor = Rekor.V2 });
        var log = Sigstore.Services.RekorV2.Log;
        var (size, root) = Proof(twin);
        var lines = new List<string> { log.Origin, size.ToString(CultureInfo.InvariantCulture), TestSigstore.B64(root) };
        lines.RemoveAt(missing switch { "origin" => 0, "size" => 1, _ => 2 });
        var text = string.Join("\n", lines) + "\n";
        var signature = log.Signer.Sign(Encoding.UTF8.GetBytes(text));
        var envelope = text + "\n\u2014 " + log.Signer.Name + " " + TestSigstore.B64([.. log.Signer.KeyId[..4], .. signature]) + "\n";
        Expect.TwinVerifies_BrokenRejected(twin, b => SetCheckpoint(b, envelope), TlogCodes.MalformedCheckpoint);
    }

    [TestMethod]
    [DataRow(Rekor.V1)]
    [DataRow(Rekor.V2)]
    public void T03_OriginOfAnotherLog_Rejected(Rekor rekor)
    {
        var twin = Sigstore.Sign(new BundleSpec { Rekor = rekor });
        var log = LogOf(rekor);
        var (size, root) = Proof(twin);
        Expect.TwinVerifies_BrokenRejected(twin, b => SetCheckpoint(b, log.Signer.SignCheckpoint("rekor.evil.test", size, root)), TlogCodes.CheckpointOriginMismatch);
    }

    [TestMethod]
    [DataRow(Rekor.V1)]
    [DataRow(Rekor.V2)]
    public void T03_OnlyUnknownSigners_Rejected_WitnessCosignatureIgnored(Rekor rekor)
    {
        var twin = Sigstore.Sign(new BundleSpec { Rekor = rekor });
        var log = LogOf(rekor);
        var (size, root) = Proof(twin);
        var witness = NoteSigner.ForEcdsa("witness.test", ECDsa.Create(ECCurve.NamedCurves.nistP256));

        // A witness cosignature next to the log's is ignored (positive case).
        var witnessLine = witness.SignCheckpoint(log.Origin, size, root).Split('\n')[^2] + "\n";
        var cosigned = twin.Clone();
        SetCheckpoint(cosigned, log.Signer.SignCheckpoint(log.Origin, size, root) + witnessLine);
        Expect.Verifies(cosigned);

        Expect.TwinVerifies_BrokenRejected(twin, b => SetCheckpoint(b, witness.SignCheckpoint(log.Origin, size, root)), TlogCodes.InvalidCheckpointSignature);
    }

    [TestMethod]
    public void T03_SignerNameIsComparedLiterally()
    {
        var twin = Sigstore.Sign();
        var log = Sigstore.Services.RekorV1.Log;
        var (size, root) = Proof(twin);
        var regexName = NoteSigner.ForEcdsa(".*", Sigstore.Services.RekorV1.Key);
        Expect.TwinVerifies_BrokenRejected(twin, b => SetCheckpoint(b, regexName.SignCheckpoint(log.Origin, size, root)), TlogCodes.InvalidCheckpointSignature);
    }

    // ---- T-04: no proof, no online lookup ----

    [TestMethod]
    [DataRow(2, Rekor.V1)]
    [DataRow(3, Rekor.V1)]
    [DataRow(3, Rekor.V2)]
    public void T04_NoInclusionProof_Rejected(int version, Rekor rekor) => Expect.TwinVerifies_BrokenRejected(
        Sigstore.Sign(new BundleSpec { Version = version, Rekor = rekor }), b => b.Entry.Remove("inclusionProof"), BundleCodes.InvalidTlogEntry);

    [TestMethod]
    public void T04_V01WithSetOnly_Verifies_WithNeither_Rejected()
    {
        var setOnly = Sigstore.Sign(new BundleSpec { Version = 1 });
        setOnly.Entry.Remove("inclusionProof");
        Expect.TwinVerifies_BrokenRejected(setOnly, b => b.Entry.Remove("inclusionPromise"), BundleCodes.InvalidTlogEntry);
    }

    // v0.1 too, where the entry keeps its valid SET: an inclusion proof whose root hash the log never signed proves nothing.
    [TestMethod]
    [DataRow(1, Rekor.V1)]
    [DataRow(2, Rekor.V1)]
    [DataRow(3, Rekor.V1)]
    [DataRow(3, Rekor.V2)]
    public void T04_ProofWithoutCheckpoint_Rejected(int version, Rekor rekor) => Expect.TwinVerifies_BrokenRejected(
        Sigstore.Sign(new BundleSpec { Version = version, Rekor = rekor }), b => b.Entry["inclusionProof"]!.AsObject().Remove("checkpoint"), BundleCodes.InvalidTlogEntry);

    // ---- T-05: SET and integrated time ----

    [TestMethod]
    public void T05_InvalidSet_Rejected() => Expect.TwinVerifies_BrokenRejected(Sigstore.Sign(), b =>
    {
        var set = Convert.FromBase64String(b.Entry["inclusionPromise"]!["signedEntryTimestamp"]!.GetValue<string>());
        set[^1] ^= 1;
        b.Entry["inclusionPromise"]!["signedEntryTimestamp"] = TestSigstore.B64(set);
    }, TlogCodes.InvalidSignedEntryTimestamp);

    [TestMethod]
    public void T05_IntegratedTimeAlteredUnderTheSet_Rejected() => Expect.TwinVerifies_BrokenRejected(Sigstore.Sign(), b =>
        b.Entry["integratedTime"] = (long.Parse(b.Entry["integratedTime"]!.GetValue<string>(), CultureInfo.InvariantCulture) - 60).ToString(CultureInfo.InvariantCulture),
        TlogCodes.InvalidSignedEntryTimestamp);

    [TestMethod]
    public void T05_IntegratedTimeWithoutSet_NotUsedAsTime()
    {
        // v0.2: the proof alone logs the entry, but its integratedTime is unsigned and gives no verified time.
        var twin = Sigstore.Sign(new BundleSpec { Version = 2 });
        Expect.TwinVerifies_BrokenRejected(twin, b => b.Entry.Remove("inclusionPromise"), PolicyCodes.MissingSignedTimestamp);
    }

    [TestMethod]
    public void T05_GenuineSetOverAFutureTime_Rejected()
    {
        Expect.Verifies(Sigstore.Sign());
        var future = DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeSeconds();
        Expect.Rejects(PolicyCodes.TimeInFuture, Sigstore.Sign(new BundleSpec { LogRecord = r => r with { IntegratedTime = future } }));
    }

    [TestMethod]
    public void T05_GenuineSetOutsideTheCertificateValidity_Rejected()
    {
        Expect.Verifies(Sigstore.Sign());
        var past = DateTimeOffset.UtcNow.AddHours(-1).ToUnixTimeSeconds();
        Expect.Rejects(CertificateCodes.NotValidAtTime, Sigstore.Sign(new BundleSpec { LogRecord = r => r with { IntegratedTime = past } }));
    }

    // ---- T-06: entry type confusion ----

    [TestMethod]
    public void T06_UnknownKind_Rejected() => Expect.TwinVerifies_BrokenRejected(Sigstore.Sign(),
        b => b.Entry["kindVersion"] = new JsonObject { ["kind"] = "rekord", ["version"] = "0.0.1" }, TlogCodes.UnsupportedEntryKind);

    [TestMethod]
    public void T06_KindVersionDisagreesWithBody_Rejected() => Expect.TwinVerifies_BrokenRejected(Sigstore.Sign(),
        b => b.Entry["kindVersion"]!["version"] = "0.0.2", TlogCodes.MalformedEntryBody);

    [TestMethod]
    public void T06_DsseBundleWithMessageSignatureEntry_Rejected()
    {
        var twin = Sigstore.Sign(new BundleSpec { Dsse = true });
        var message = Sigstore.Sign(new BundleSpec { Signer = twin.Signer });
        Expect.TwinVerifies_BrokenRejected(twin, b => b.TlogEntries[0] = message.Entry.DeepClone(), TlogCodes.UnsupportedEntryKind);
        Expect.TwinVerifies_BrokenRejected(message, b => b.TlogEntries[0] = twin.Entry.DeepClone(), TlogCodes.UnsupportedEntryKind);
    }

    [TestMethod]
    public void T06_RekorV2BodyWithAnUnknownField_Rejected()
    {
        var twin = Sigstore.Sign(new BundleSpec { Rekor = Rekor.V2 });
        var body = TestSigstore.Body(twin.Entry);
        body["unexpected"] = "lenient parsers accept this";
        var entry = Sigstore.LogV2Raw(LocalStack.Transparency.RekorCanonicalJson.Serialize(body));
        Expect.TwinVerifies_BrokenRejected(twin, b => b.TlogEntries[0] = entry, TlogCodes.MalformedEntryBody);
    }

    // ---- T-07: log keys only from the trusted root ----

    [TestMethod]
    public void T07_EntryFromAnUnknownLog_Rejected()
    {
        var twin = Sigstore.Sign(new BundleSpec { Rekor = Rekor.V2 });
        Expect.TwinVerifies_BrokenRejected(twin, b => b.Entry["logId"] = new JsonObject { ["keyId"] = TestSigstore.B64(SHA256.HashData("some other log"u8)) }, TlogCodes.UnknownLog);
    }

    [TestMethod]
    public void T07_EntryFromAnotherInstancesLog_Rejected()
    {
        var twin = Sigstore.Sign();
        var foreignEntry = TestSigstore.Other.LogV1(TestSigstore.HashedRekordV1(SHA256.HashData(twin.Artifact), twin.Signature, twin.Signer.CertificatePem));
        Expect.TwinVerifies_BrokenRejected(twin, b => b.TlogEntries[0] = foreignEntry, TlogCodes.UnknownLog);
    }

    // ---- T-08: thresholds count distinct logs ----

    [TestMethod]
    public void T08_DuplicatedEntry_CountsOnce()
    {
        var threshold2 = Sigstore.Verifier(VerifierOptions.PublicGood with { TransparencyLogThreshold = 2 });
        var twoLogs = Sigstore.Sign();
        var v2Entry = Sigstore.LogV2(TestSigstore.HashedRekordV2(SHA256.HashData(twoLogs.Artifact), twoLogs.Signature, twoLogs.Signer));
        twoLogs.TlogEntries.Add(v2Entry);
        Expect.TwinVerifies_BrokenRejected(twoLogs, b => b.TlogEntries[1] = b.Entry.DeepClone(), PolicyCodes.TlogThresholdNotMet, verifier: threshold2);
    }

    [TestMethod]
    public void T08_RepeatedEntryAndToken_ListedOnce_WhatEitherCopyProvedKept()
    {
        var bundle = Sigstore.Sign(new BundleSpec { Timestamps = 1 });
        var copy = bundle.Entry.DeepClone().AsObject();
        bundle.TlogEntries.Insert(0, copy);
        copy.Remove("inclusionPromise"); // v0.3: the copy logs the entry by its proof alone; the SET of the other copy still counts
        var tokens = bundle.Material["timestampVerificationData"]!["rfc3161Timestamps"]!.AsArray();
        tokens.Add(tokens[0]!.DeepClone());

        var result = Expect.Verifies(bundle);
        Assert.HasCount(1, result.LogEntries);
        Assert.IsNotNull(result.LogEntries[0].IntegratedTime);
        Assert.HasCount(2, result.VerifiedTimes); // the SET's time and the TSA's, once each
        Assert.AreEqual(2, result.DuplicatesCountedOnce);
    }

    [TestMethod]
    public void T08_TwoIndicesInOneLog_CountOnce()
    {
        var threshold2 = Sigstore.Verifier(VerifierOptions.PublicGood with { TransparencyLogThreshold = 2 });
        var twoLogs = Sigstore.Sign();
        twoLogs.TlogEntries.Add(Sigstore.LogV2(TestSigstore.HashedRekordV2(SHA256.HashData(twoLogs.Artifact), twoLogs.Signature, twoLogs.Signer)));

        // The same content again as a second leaf of the same log (other key order, so another leaf hash).
        var body = TestSigstore.Body(twoLogs.Entry);
        var reordered = new JsonObject { ["spec"] = body["spec"]!.DeepClone(), ["kind"] = "hashedrekord", ["apiVersion"] = "0.0.1" };
        var secondIndex = Sigstore.LogV1Raw(Encoding.UTF8.GetBytes(reordered.ToJsonString()));
        Assert.AreNotEqual(twoLogs.Entry["logIndex"]!.GetValue<string>(), secondIndex["logIndex"]!.GetValue<string>());
        Expect.TwinVerifies_BrokenRejected(twoLogs, b => b.TlogEntries[1] = secondIndex, PolicyCodes.TlogThresholdNotMet, verifier: threshold2);
    }
}
