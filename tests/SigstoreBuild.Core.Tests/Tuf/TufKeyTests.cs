using System.Text;
using System.Text.Json.Nodes;
using SigstoreBuild.Diagnostics;
using SigstoreBuild.Tuf;

namespace SigstoreBuild.Tests.Tuf;

/// <summary>U-03 (thresholds and keys: test_keys.py) and U-04 (root rotation: test_updater_key_rotations.py).</summary>
[TestClass]
public sealed class TufKeyTests : TufTestBase
{
    [TestMethod]
    public async Task SnapshotDoesNotMeetThreshold_IsRefused()
    {
        Repo.SetThreshold("snapshot", 3);
        Repo.AddKey("snapshot");
        Repo.AddKey("snapshot");
        Repo.PublishRoot();
        Repo.PublishAll();
        await RefreshAsync();

        Repo.Signers["snapshot"].RemoveAt(2);
        Repo.PublishAll();

        await RefreshFailsAsync(TufCodes.ThresholdNotMet);
        Assert.AreEqual(2L, CachedVersion("snapshot"));
    }

    [TestMethod]
    public async Task SnapshotHasTooFewKeys_IsRefused()
    {
        for (int i = 0; i < 4; i++)
        {
            Repo.AddKey("snapshot");
        }

        Repo.SetThreshold("snapshot", 6);
        Repo.PublishRoot();
        Repo.PublishSnapshot();
        Repo.PublishTimestamp();

        await RefreshFailsAsync(TufCodes.ThresholdNotMet);
        Assert.AreEqual(2L, CachedVersion("root"));
        Assert.IsNull(CachedVersion("snapshot"));
    }

    [TestMethod]
    public async Task DuplicateKeys_SameKeyUnderManyKeyIds_CountsOnce()
    {
        // One key listed under nine keyids (a custom field makes each keyid distinct), each with a valid signature.
        TestSigner signer = TestSigner.Ecdsa();
        var keyIds = (JsonArray)Repo.Root["roles"]!["snapshot"]!["keyids"]!;
        var clones = new List<string>();
        for (int i = 0; i < 9; i++)
        {
            string keyId = $"{signer.KeyId[..56]}{i:x8}";
            JsonObject key = signer.KeyJson();
            key["x-copy"] = i;
            ((JsonObject)Repo.Root["keys"]!)[keyId] = key;
            keyIds.Add(keyId);
            clones.Add(keyId);
        }

        Repo.SetThreshold("snapshot", 6);
        Repo.PublishRoot();
        Repo.PublishSnapshot();
        JsonNode snapshot = JsonNode.Parse(Repo.Files["metadata/2.snapshot.json"])!;
        string sig = signer.SignHex(CanonicalJson.Serialize(System.Text.Json.JsonSerializer.SerializeToElement(Repo.Snapshot)));
        foreach (string keyId in clones)
        {
            ((JsonArray)snapshot["signatures"]!).Add(new JsonObject { ["keyid"] = keyId, ["sig"] = sig });
        }

        Repo.Files["metadata/2.snapshot.json"] = Encoding.UTF8.GetBytes(snapshot.ToJsonString());
        Repo.PublishTimestamp();

        await RefreshFailsAsync(TufCodes.ThresholdNotMet);
        Assert.IsNull(CachedVersion("snapshot"));
    }

    [TestMethod]
    public async Task DuplicateSignatureKeyIds_AreRefused()
    {
        Repo.PublishSnapshot();
        JsonNode snapshot = JsonNode.Parse(Repo.Files["metadata/2.snapshot.json"])!;
        var signatures = (JsonArray)snapshot["signatures"]!;
        signatures.Add(signatures[0]!.DeepClone());
        Repo.Files["metadata/2.snapshot.json"] = Encoding.UTF8.GetBytes(snapshot.ToJsonString());
        Repo.PublishTimestamp();

        await RefreshFailsAsync(TufCodes.InvalidMetadata);
        Assert.IsNull(CachedVersion("snapshot"));
    }

    [TestMethod]
    public async Task DuplicateKeyIdsInRole_AreRefused()
    {
        var keyIds = (JsonArray)Repo.Root["roles"]!["snapshot"]!["keyids"]!;
        keyIds.Add(keyIds[0]!.GetValue<string>());
        Repo.PublishRoot();

        await RefreshFailsAsync(TufCodes.InvalidMetadata);
        Assert.AreEqual(1L, CachedVersion("root"));
    }

    [TestMethod]
    [DataRow("ecdsa", "3046022100fa1f62d38e0f5c565fa23e5d230086258427d87f024c146071966deefde55468022100b3347b4bd9ba6701ca6cef949d04b5742394b9f8c4417933e5d4fa76c3ca3a98")]
    [DataRow("ecdsa-sha2-nistp256", "3046022100fa1f62d38e0f5c565fa23e5d230086258427d87f024c146071966deefde55468022100b3347b4bd9ba6701ca6cef949d04b5742394b9f8c4417933e5d4fa76c3ca3a98")]
    [DataRow("ed25519", "b61589620c287e23a00abf0e653421010a0ad33869e5a096d604e08d7b4f8eb9c58ebb8a02124576be776f86ab5a3b05dbb6f27cc47f4b144f32ba4012d4b302")]
    [DataRow("rsa", "00")]
    public async Task KeyTypeAndScheme_ValidSignatureCounts_BadSignatureIsRefused(string keyType, string badSignature)
    {
        TestSigner signer = TestSigner.Create(keyType);
        Repo.AddKey("root", signer);
        Repo.SetThreshold("root", 2);
        Repo.PublishRoot();
        Assert.AreEqual(2, (await RefreshAsync()).RootVersion);

        Repo.PublishRoot();
        JsonNode root = JsonNode.Parse(Repo.Files["metadata/3.root.json"])!;
        foreach (JsonNode? signature in (JsonArray)root["signatures"]!)
        {
            if (signature!["keyid"]!.GetValue<string>() == signer.KeyId)
            {
                signature["sig"] = badSignature;
            }
        }

        Repo.Files["metadata/3.root.json"] = Encoding.UTF8.GetBytes(root.ToJsonString());
        await RefreshFailsAsync(TufCodes.ThresholdNotMet);
        Assert.AreEqual(2L, CachedVersion("root"));
    }

    [TestMethod]
    [DataRow("3045022100ee448afe2d25dd1f05afedac83a24e7df90f203615221434979153dc7cea6d4702207710015851e571885a77db8a6e42c4b2983a59b9e1ebec91178dfa2fb0d42ab8")]
    [DataRow("")]
    [DataRow("not hex")]
    public async Task InvalidSignatureInValidMetadata_IsTolerated(string badSignature)
    {
        TestSigner second = Repo.AddKey("timestamp");
        Repo.PublishRoot();
        Repo.PublishTimestamp();
        JsonNode timestamp = JsonNode.Parse(Repo.Files["metadata/timestamp.json"])!;
        foreach (JsonNode? signature in (JsonArray)timestamp["signatures"]!)
        {
            if (signature!["keyid"]!.GetValue<string>() == second.KeyId)
            {
                signature["sig"] = badSignature;
            }
        }

        Repo.Files["metadata/timestamp.json"] = Encoding.UTF8.GetBytes(timestamp.ToJsonString());

        TufTrustState state = await RefreshAsync();
        Assert.AreEqual(2L, state.TimestampVersion);
    }

    [TestMethod]
    public async Task UnsupportedKeyType_NeverCountsTowardsThreshold()
    {
        var key = new JsonObject { ["keytype"] = "dsa", ["scheme"] = "dsa-sha1", ["keyval"] = new JsonObject { ["public"] = "00" } };
        ((JsonObject)Repo.Root["keys"]!)["unsupported"] = key;
        ((JsonArray)Repo.Root["roles"]!["timestamp"]!["keyids"]!).Add("unsupported");
        Repo.SetThreshold("timestamp", 2);
        Repo.PublishRoot();
        Repo.PublishTimestamp();

        await RefreshFailsAsync(TufCodes.ThresholdNotMet);
        Assert.AreEqual(2L, CachedVersion("root"));
    }

    /// <summary>
    /// test_root_rotation: keys 0-4; root v1 uses <paramref name="oldKeys"/> with <paramref name="oldThreshold"/>, v2 uses
    /// <paramref name="newKeys"/> with <paramref name="newThreshold"/> and is signed by <paramref name="signedBy"/>.
    /// </summary>
    [TestMethod]
    [DataRow("0", 1, "1", 1, "0,1", true, DisplayName = "1-of-1 key rotation")]
    [DataRow("0", 1, "1", 1, "1", false, DisplayName = "1-of-1 rotation fail: not signed by old key")]
    [DataRow("0", 1, "1", 1, "0", false, DisplayName = "1-of-1 rotation fail: not signed by new key")]
    [DataRow("0,1,2,3,4", 3, "0,1,2,3,4", 3, "0,2,4", true, DisplayName = "3-of-5 sign with different keys")]
    [DataRow("0,1,2,3,4", 3, "0,1,2,3,4", 3, "1,3", false, DisplayName = "3-of-5 fail: only 2 signatures")]
    [DataRow("0,1,2", 1, "0,1,2", 2, "0,1", true, DisplayName = "threshold increase met")]
    [DataRow("0,1,2", 1, "0,1,2", 2, "0", false, DisplayName = "threshold increase fail: new threshold not met")]
    [DataRow("0,1,2", 2, "0,1,2", 1, "0,1", true, DisplayName = "threshold decrease met")]
    [DataRow("0,1,2", 2, "0,1,2", 1, "2", false, DisplayName = "threshold decrease fail: old threshold not met")]
    [DataRow("0,1,2", 2, "3,4", 2, "0,1,3,4", true, DisplayName = "all keys replaced")]
    [DataRow("0,1,2", 2, "3,4", 2, "0,3,4", false, DisplayName = "all keys replaced fail: one old signature")]
    [DataRow("0,1,2", 2, "3,4", 2, "0,1,3", false, DisplayName = "all keys replaced fail: one new signature")]
    public async Task RootRotation(string oldKeys, int oldThreshold, string newKeys, int newThreshold, string signedBy, bool succeeds)
    {
        TestSigner[] pool = Enumerable.Range(0, 5).Select(_ => TestSigner.Ecdsa()).ToArray();
        SetRootKeys(pool, oldKeys, oldThreshold);
        Repo.PublishRoot(signers: Pick(pool, oldKeys)); // v2 becomes the client's starting point
        TufOptions options = Options() with { InitialRoot = Repo.Files["metadata/2.root.json"] };
        Repo.Files.TryRemove("metadata/1.root.json", out _);
        Assert.AreEqual(2, (await RefreshAsync(options)).RootVersion);

        SetRootKeys(pool, newKeys, newThreshold);
        Repo.PublishRoot(signers: Pick(pool, signedBy));

        if (succeeds)
        {
            Assert.AreEqual(3, (await RefreshAsync(options)).RootVersion);
        }
        else
        {
            await RefreshFailsAsync(TufCodes.ThresholdNotMet, options);
            Assert.AreEqual(2L, CachedVersion("root"));
        }
    }

    [TestMethod]
    public async Task NonRootRotation_TimestampKey_OldKeyIsNoLongerTrusted()
    {
        await RefreshAsync();
        List<TestSigner> oldSigners = Repo.Signers["timestamp"];
        Repo.RotateKeys("timestamp");
        Repo.PublishRoot();
        Repo.PublishTimestamp(signers: oldSigners);

        await RefreshFailsAsync(TufCodes.ThresholdNotMet);

        Repo.PublishTimestamp();
        Assert.AreEqual(3L, (await RefreshAsync()).TimestampVersion);
    }

    [TestMethod]
    [DataRow(3L)]
    [DataRow(1L)]
    public async Task NewRootNonConsecutiveVersion_IsRefused(long version)
    {
        Repo.Root["version"] = version;
        byte[] data = RepositorySimulator.Sign(Repo.Root, Repo.Signers["root"]);
        Repo.Files["metadata/2.root.json"] = data;

        await RefreshFailsAsync(TufCodes.BadVersion);
    }

    [TestMethod]
    public async Task MaxRootRotations_CapsTheWalk()
    {
        for (int i = 0; i < 9; i++)
        {
            Repo.PublishRoot(); // v2..v10
        }

        TufTrustState state = await RefreshAsync(Options() with { MaxRootRotations = 3 });

        Assert.AreEqual(4, state.RootVersion);
        Assert.AreEqual(3, state.RootRotations);
        Assert.IsTrue(state.Warnings.Any(w => w.Code == TufCodes.RootRotationCapReached));
        Assert.DoesNotContain("metadata/5.root.json", Repo.RequestList());

        Assert.AreEqual(7, (await RefreshAsync(Options() with { MaxRootRotations = 3 })).RootVersion);
    }

    private void SetRootKeys(TestSigner[] pool, string indices, int threshold)
    {
        var keyIds = (JsonArray)Repo.Root["roles"]!["root"]!["keyids"]!;
        keyIds.Clear();
        foreach (TestSigner signer in Pick(pool, indices))
        {
            Repo.AddKeyToRoot("root", signer);
        }

        Repo.SetThreshold("root", threshold);
    }

    private static TestSigner[] Pick(TestSigner[] pool, string indices)
        => indices.Split(',').Select(i => pool[int.Parse(i, System.Globalization.CultureInfo.InvariantCulture)]).ToArray();
}
