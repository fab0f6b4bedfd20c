using System.Text;
using System.Text.Json.Nodes;
using SigstoreBuild.Diagnostics;
using SigstoreBuild.Tuf;

namespace SigstoreBuild.Tests.Tuf;

/// <summary>tuf-conformance test_basic.py, and U-06 (mix-and-match / inconsistency).</summary>
[TestClass]
public sealed class TufBasicTests : TufTestBase
{
    private static readonly string[] ColdRefreshRequests =
        ["metadata/2.root.json", "metadata/timestamp.json", "metadata/1.snapshot.json", "metadata/1.targets.json"];

    [TestMethod]
    public async Task BasicRefresh_RequestsRootTimestampSnapshotTargets_InOrder()
    {
        TufTrustState state = await RefreshAsync();

        CollectionAssert.AreEqual(ColdRefreshRequests, Repo.RequestList());
        Assert.AreEqual(1, state.RootVersion);
        Assert.AreEqual(1L, state.TimestampVersion);
        Assert.AreEqual(1L, state.SnapshotVersion);
        Assert.AreEqual(1L, state.TargetsVersion);
        Assert.AreEqual(4, state.Requests);
    }

    /// <summary>
    /// Nothing new: the root N+1 probe (404, required by §5.3 so a root published alone is seen) and timestamp.json;
    /// snapshot and targets are verified from the cache, not downloaded.
    /// </summary>
    [TestMethod]
    public async Task WarmRefresh_NothingNew_OnlyProbesRootAndTimestamp()
    {
        await RefreshAsync();
        Repo.ClearRequests();

        TufTrustState state = await RefreshAsync();

        CollectionAssert.AreEqual(new[] { "metadata/2.root.json", "metadata/timestamp.json" }, Repo.RequestList());
        Assert.AreEqual(2, state.Requests);
        Assert.AreEqual(1L, state.TargetsVersion);
    }

    [TestMethod]
    public async Task WarmRefresh_NewVersions_DownloadsOnlyWhatChanged()
    {
        await RefreshAsync();
        Repo.PublishSnapshot();
        Repo.PublishTimestamp();
        Repo.ClearRequests();

        TufTrustState state = await RefreshAsync();

        CollectionAssert.AreEqual(new[] { "metadata/2.root.json", "metadata/timestamp.json", "metadata/2.snapshot.json" }, Repo.RequestList());
        Assert.AreEqual(2L, state.SnapshotVersion);
        Assert.AreEqual(1L, state.TargetsVersion);
    }

    [TestMethod]
    public async Task ImplicitRefresh_DownloadBeforeRefresh_UpdatesMetadataFirst()
    {
        await DownloadFailsAsync("nonexistent artifact", TufCodes.TargetNotFound);

        CollectionAssert.AreEqual(ColdRefreshRequests, Repo.RequestList());
        Assert.AreEqual(1L, CachedVersion("targets"));
    }

    [TestMethod]
    public async Task RefreshTrustedData_CacheHoldsTheExactBytesServed()
    {
        await RefreshAsync();

        CollectionAssert.AreEqual(Repo.Files["metadata/1.root.json"], CachedBytes("root"));
        CollectionAssert.AreEqual(Repo.Files["metadata/timestamp.json"], CachedBytes("timestamp"));
        CollectionAssert.AreEqual(Repo.Files["metadata/1.snapshot.json"], CachedBytes("snapshot"));
        CollectionAssert.AreEqual(Repo.Files["metadata/1.targets.json"], CachedBytes("targets"));
    }

    [TestMethod]
    public async Task InvalidInitialRoot_FailsBeforeAnyRequest()
    {
        JsonNode root = JsonNode.Parse(Repo.InitialRoot)!;
        root["signed"]!.AsObject().Remove("version");
        TufOptions options = Options() with { InitialRoot = Encoding.UTF8.GetBytes(root.ToJsonString()) };

        await RefreshFailsAsync(TufCodes.InvalidInitialRoot, options);
        Assert.IsEmpty(Repo.RequestList());
    }

    [TestMethod]
    public async Task UnsignedInitialRoot_FailsBeforeAnyRequest()
    {
        JsonNode root = JsonNode.Parse(Repo.InitialRoot)!;
        root["signatures"]![0]!["sig"] = "3045022100ee448afe2d25dd1f05afedac83a24e7df90f203615221434979153dc7cea6d4702207710015851e571885a77db8a6e42c4b2983a59b9e1ebec91178dfa2fb0d42ab8";
        TufOptions options = Options() with { InitialRoot = Encoding.UTF8.GetBytes(root.ToJsonString()) };

        await RefreshFailsAsync(TufCodes.InvalidInitialRoot, options);
        Assert.IsEmpty(Repo.RequestList());
    }

    [TestMethod]
    [DataRow("root")]
    [DataRow("timestamp")]
    [DataRow("snapshot")]
    [DataRow("targets")]
    public async Task UnsignedMetadata_IsRefused(string role)
    {
        await RefreshAsync();
        TestSigner stranger = TestSigner.Ecdsa();
        switch (role)
        {
            case "root":
                Repo.PublishRoot(signers: [stranger]);
                break;
            case "timestamp":
                Repo.PublishTimestamp(signers: [stranger]);
                break;
            case "snapshot":
                Repo.PublishSnapshot(signers: [stranger]);
                Repo.PublishTimestamp();
                break;
            default:
                Repo.PublishTargets(signers: [stranger]);
                Repo.PublishSnapshot();
                Repo.PublishTimestamp();
                break;
        }

        await RefreshFailsAsync(TufCodes.ThresholdNotMet);
        Assert.AreEqual(1L, CachedVersion(role));
    }

    [TestMethod]
    [DataRow(3L)]
    [DataRow(1L)]
    public async Task UrlAndMetadataVersionMismatch_IsRefused(long servedVersion)
    {
        Repo.Root["version"] = servedVersion - 1;
        byte[] root = Repo.PublishRoot();
        Repo.Files.TryRemove($"metadata/{servedVersion}.root.json", out _);
        Repo.Files["metadata/2.root.json"] = root;

        await RefreshFailsAsync(TufCodes.BadVersion);
        Assert.AreEqual(1L, CachedVersion("root"));
    }

    [TestMethod]
    public async Task TimestampContentChanges_WithoutVersionBump_KeepsTheTrustedTimestamp()
    {
        await RefreshAsync();
        byte[] trusted = CachedBytes("timestamp");
        Repo.Timestamp["meta"]!["snapshot.json"]!["version"] = 100;
        Repo.Timestamp["version"] = 1;
        Repo.Files["metadata/timestamp.json"] = RepositorySimulator.Sign(Repo.Timestamp, Repo.Signers["timestamp"]);

        TufTrustState state = await RefreshAsync();

        CollectionAssert.AreEqual(trusted, CachedBytes("timestamp"));
        Assert.AreEqual(1L, state.SnapshotVersion);
    }

    [TestMethod]
    public async Task MetadataHashes_DeclaredAndCorrect_AreAccepted()
    {
        Repo.ComputeMetaHashes = true;
        Repo.PublishAll();

        TufTrustState state = await RefreshAsync();

        Assert.AreEqual(2L, state.TargetsVersion);
        Assert.IsNotNull(Repo.Timestamp["meta"]!["snapshot.json"]!["hashes"]);
    }

    [TestMethod]
    public async Task SnapshotHashMismatch_IsRefused()
    {
        Repo.ComputeMetaHashes = true;
        Repo.Snapshot["x-extra"] = "a value longer than the tampered one";
        Repo.PublishAll();
        // Re-sign different (shorter) snapshot content under the same version: the timestamp's hash no longer matches.
        Repo.Snapshot["x-extra"] = "changed";
        Repo.Files["metadata/2.snapshot.json"] = RepositorySimulator.Sign(Repo.Snapshot, Repo.Signers["snapshot"]);

        await RefreshFailsAsync(TufCodes.MetadataHashMismatch);
        Assert.IsNull(CachedVersion("snapshot"));
    }

    [TestMethod]
    public async Task TargetsHashMismatch_IsRefused()
    {
        Repo.ComputeMetaHashes = true;
        await RefreshAsync();
        Repo.Targets["targets"]["x-extra"] = "a value longer than the tampered one";
        Repo.PublishAll();
        Repo.Targets["targets"]["x-extra"] = "changed";
        Repo.Files["metadata/2.targets.json"] = RepositorySimulator.Sign(Repo.Targets["targets"], Repo.Signers["targets"]);

        await RefreshFailsAsync(TufCodes.MetadataHashMismatch);
        Assert.AreEqual(1L, CachedVersion("targets"));
    }

    [TestMethod]
    public async Task TargetsVersionMismatch_WithSnapshotMeta_IsRefused()
    {
        await RefreshAsync();
        Repo.PublishAll();
        // Serve targets v3 content where the snapshot lists v2.
        Repo.Targets["targets"]["version"] = 3;
        Repo.Files["metadata/2.targets.json"] = RepositorySimulator.Sign(Repo.Targets["targets"], Repo.Signers["targets"]);

        await RefreshFailsAsync(TufCodes.BadVersion);
        Assert.AreEqual(1L, CachedVersion("targets"));
    }

    [TestMethod]
    public async Task SnapshotVersionMismatch_WithTimestampMeta_IsRefused()
    {
        Repo.PublishAll();
        Repo.Snapshot["version"] = 5;
        Repo.Files["metadata/2.snapshot.json"] = RepositorySimulator.Sign(Repo.Snapshot, Repo.Signers["snapshot"]);

        await RefreshFailsAsync(TufCodes.BadVersion);
        Assert.IsNull(CachedVersion("snapshot"));
    }

    [TestMethod]
    public async Task CustomFields_AreKeptInTheSignedContent()
    {
        await RefreshAsync();
        Repo.Root["custom-field"] = "value";
        string keyId = Repo.Root["roles"]!["root"]!["keyids"]![0]!.GetValue<string>();
        Repo.Root["keys"]![keyId]!["extra-field"] = new JsonObject { ["b"] = 2, ["a"] = 1 };
        Repo.Root["roles"]!["root"]!["another-field"] = "value";
        Repo.PublishRoot();

        TufTrustState state = await RefreshAsync();

        Assert.AreEqual(2, state.RootVersion);
    }

    [TestMethod]
    public async Task DeprecatedKeyidHashAlgorithms_AreIgnored()
    {
        string keyId = Repo.Root["roles"]!["snapshot"]!["keyids"]![0]!.GetValue<string>();
        Repo.Root["keys"]![keyId]!["keyid_hash_algorithms"] = "md5";
        Repo.PublishRoot();

        TufTrustState state = await RefreshAsync();

        Assert.AreEqual(2, state.RootVersion);
        Assert.AreEqual(1L, state.SnapshotVersion);
    }

    [TestMethod]
    [DataRow("metadata/timestamp.json")]
    [DataRow("metadata/1.snapshot.json")]
    [DataRow("metadata/1.targets.json")]
    public async Task MissingMetadata_404_IsAnError(string path)
    {
        Repo.Files.TryRemove(path, out _);

        await RefreshFailsAsync(TufCodes.DownloadFailed);
    }

    [TestMethod]
    [DataRow("timestamp", "snapshot")]
    [DataRow("snapshot", "targets")]
    [DataRow("targets", "timestamp")]
    [DataRow("root", "targets")]
    public async Task IncorrectMetadataType_IsRefused(string role, string wrongType)
    {
        switch (role)
        {
            case "timestamp":
                Repo.Timestamp["_type"] = wrongType;
                Repo.PublishTimestamp();
                break;
            case "snapshot":
                Repo.Snapshot["_type"] = wrongType;
                Repo.PublishSnapshot();
                Repo.PublishTimestamp();
                break;
            case "targets":
                Repo.Targets["targets"]["_type"] = wrongType;
                Repo.PublishAll();
                break;
            default:
                Repo.Root["_type"] = wrongType;
                Repo.PublishRoot();
                break;
        }

        await RefreshFailsAsync(TufCodes.InvalidMetadata);
    }

    [TestMethod]
    public async Task NonCanonicalServedBytes_VerifyThroughCanonicalForm()
    {
        // The simulator serves indented JSON with "signed" after "signatures": signatures cover the canonical form only.
        string served = Encoding.UTF8.GetString(Repo.Files["metadata/1.root.json"]);
        Assert.Contains("\n", served);

        TufTrustState state = await RefreshAsync();

        Assert.AreEqual(1L, state.TimestampVersion);
    }

    [TestMethod]
    public async Task DuplicateJsonKeys_InSignedContent_AreRefused()
    {
        Repo.PublishTimestamp();
        string json = Encoding.UTF8.GetString(Repo.Files["metadata/timestamp.json"]);
        json = json.Replace("\"_type\": \"timestamp\",", "\"_type\": \"timestamp\", \"_type\": \"timestamp\",", StringComparison.Ordinal);
        Repo.Files["metadata/timestamp.json"] = Encoding.UTF8.GetBytes(json);

        await RefreshFailsAsync(TufCodes.InvalidMetadata);
    }
}
