using SigstoreBuild.Diagnostics;
using SigstoreBuild.Tuf;

namespace SigstoreBuild.Tests.Tuf;

/// <summary>U-02 (freeze: test_expiration.py, test_faketime), U-01 (rollback) and U-05 (fast-forward recovery).</summary>
[TestClass]
public sealed class TufFreshnessTests : TufTestBase
{
    private DateTimeOffset Past => Repo.Time.Now - TimeSpan.FromDays(1);

    [TestMethod]
    public async Task RootExpired_NewRootIsPersistedThenRefused()
    {
        Repo.Root["expires"] = RepositorySimulator.Expiry(Past);
        Repo.PublishRoot();

        await RefreshFailsAsync(TufCodes.Expired);
        // §5.3.10: the verified chain is kept even though the final root cannot be used.
        Assert.AreEqual(2L, CachedVersion("root"));
        Assert.IsNull(CachedVersion("timestamp"));
    }

    [TestMethod]
    [DataRow("timestamp")]
    [DataRow("snapshot")]
    [DataRow("targets")]
    public async Task ExpiredMetadata_IsRefusedAndNotPersisted(string role)
    {
        await RefreshAsync();
        switch (role)
        {
            case "timestamp":
                Repo.Timestamp["expires"] = RepositorySimulator.Expiry(Past);
                Repo.PublishTimestamp();
                break;
            case "snapshot":
                Repo.Snapshot["expires"] = RepositorySimulator.Expiry(Past);
                Repo.PublishSnapshot();
                Repo.PublishTimestamp();
                break;
            default:
                Repo.Targets["targets"]["expires"] = RepositorySimulator.Expiry(Past);
                Repo.PublishAll();
                break;
        }

        await RefreshFailsAsync(TufCodes.Expired);
        Assert.AreEqual(1L, CachedVersion(role));
    }

    [TestMethod]
    public async Task ExpiredLocalRoot_IsReplacedByANewValidRoot()
    {
        await RefreshAsync();
        Repo.Time.Now += TimeSpan.FromDays(30);
        foreach (var signed in new[] { Repo.Root, Repo.Timestamp, Repo.Snapshot, Repo.Targets["targets"] })
        {
            signed["expires"] = RepositorySimulator.Expiry(Repo.Time.Now + TimeSpan.FromDays(7));
        }

        Repo.PublishRoot();
        Repo.PublishAll();

        TufTrustState state = await RefreshAsync();

        Assert.AreEqual(2, state.RootVersion);
        Assert.AreEqual(2L, state.TargetsVersion);
    }

    [TestMethod]
    public async Task ExpiredLocalTimestamp_IsReplacedAndStillGuardsRollback()
    {
        await RefreshAsync();
        Repo.PublishTimestamp(); // v2, which the client learns
        await RefreshAsync();
        Repo.Time.Now += TimeSpan.FromDays(8); // timestamp v2 (and the rest) expired locally
        foreach (var signed in new[] { Repo.Root, Repo.Timestamp, Repo.Snapshot, Repo.Targets["targets"] })
        {
            signed["expires"] = RepositorySimulator.Expiry(Repo.Time.Now + TimeSpan.FromDays(7));
        }

        Repo.PublishRoot();
        Repo.PublishAll(); // timestamp v3

        TufTrustState state = await RefreshAsync();
        Assert.AreEqual(3L, state.TimestampVersion);

        // An expired trusted timestamp still counts for rollback protection.
        Repo.Time.Now += TimeSpan.FromDays(8);
        Repo.Root["expires"] = RepositorySimulator.Expiry(Repo.Time.Now + TimeSpan.FromDays(7));
        Repo.PublishRoot();
        Repo.Timestamp["version"] = 1L;
        Repo.Timestamp["expires"] = RepositorySimulator.Expiry(Repo.Time.Now + TimeSpan.FromDays(7));
        Repo.PublishTimestamp(); // v2 < trusted v3
        await RefreshFailsAsync(TufCodes.Rollback);
    }

    [TestMethod]
    public async Task Faketime_ClockMovesPastExpiry_RefreshIsRefused()
    {
        await RefreshAsync();
        Repo.Time.Now += TimeSpan.FromDays(8);

        await RefreshFailsAsync(TufCodes.Expired);
    }

    [TestMethod]
    public async Task ReferenceTime_IsFixedAtTheStartOfTheUpdate()
    {
        // Every clock read after the first returns a time past every expiry: only the first read may count.
        var jumping = new JumpingTimeProvider(Repo.Time.Now, TimeSpan.FromDays(30));

        TufTrustState state = await RefreshAsync(Options() with { TimeProvider = jumping });

        Assert.AreEqual(1L, state.TargetsVersion);
    }

    [TestMethod]
    public async Task NewTimestampVersionRollback_IsRefused()
    {
        Repo.PublishTimestamp(); // v2
        await RefreshAsync();
        Repo.Timestamp["version"] = 0L;
        Repo.PublishTimestamp(); // v1

        await RefreshFailsAsync(TufCodes.Rollback);
        Assert.AreEqual(2L, CachedVersion("timestamp"));
    }

    [TestMethod]
    public async Task NewTimestampSnapshotVersionRollback_IsRefused()
    {
        Repo.PublishSnapshot(); // v2
        Repo.PublishTimestamp();
        await RefreshAsync();
        Repo.Snapshot["version"] = 0L;
        Repo.PublishSnapshot(); // v1
        Repo.PublishTimestamp(); // lists snapshot v1

        await RefreshFailsAsync(TufCodes.Rollback);
        Assert.AreEqual(2L, CachedVersion("snapshot"));
    }

    [TestMethod]
    public async Task TargetsRollback_InNewSnapshot_IsRefused()
    {
        Repo.PublishAll(); // targets v2
        await RefreshAsync();
        Repo.Targets["targets"]["version"] = 0L;
        Repo.PublishAll(); // targets v1, snapshot v3

        await RefreshFailsAsync(TufCodes.Rollback);
        Assert.AreEqual(2L, CachedVersion("snapshot"));
        Assert.AreEqual(2L, CachedVersion("targets"));
    }

    [TestMethod]
    public async Task TargetsRoleRemoval_FromSnapshot_IsRefused()
    {
        Repo.AddDelegation("targets", "role1");
        Repo.PublishAll();
        await RefreshAsync();
        Repo.Targets.Remove("role1");
        ((System.Text.Json.Nodes.JsonObject)Repo.Snapshot["meta"]!).Remove("role1.json");
        Repo.PublishSnapshot();
        Repo.PublishTimestamp();

        await RefreshFailsAsync(TufCodes.Rollback);
    }

    [TestMethod]
    public async Task NewTimestampFastForwardRecovery_AfterTimestampKeyRotation()
    {
        Repo.Timestamp["version"] = 99_998L;
        Repo.PublishTimestamp(); // attacker with the timestamp key: v99999
        Assert.AreEqual(99_999L, (await RefreshAsync()).TimestampVersion);

        Repo.RotateKeys("timestamp");
        Repo.PublishRoot();
        Repo.Timestamp["version"] = 0L;
        Repo.PublishTimestamp(); // v1 with the new key

        TufTrustState state = await RefreshAsync();
        Assert.AreEqual(1L, state.TimestampVersion);
    }

    [TestMethod]
    public async Task NewSnapshotFastForwardRecovery_AfterSnapshotAndTimestampKeyRotation()
    {
        Repo.Snapshot["version"] = 99_998L;
        Repo.PublishSnapshot();
        Repo.PublishTimestamp();
        Assert.AreEqual(99_999L, (await RefreshAsync()).SnapshotVersion);

        Repo.RotateKeys("snapshot");
        Repo.RotateKeys("timestamp");
        Repo.PublishRoot();
        Repo.Snapshot["version"] = 0L;
        Repo.PublishSnapshot();
        Repo.PublishTimestamp();

        TufTrustState state = await RefreshAsync();
        Assert.AreEqual(1L, state.SnapshotVersion);
    }

    [TestMethod]
    public async Task TargetsFastForwardRecovery_AfterSnapshotKeyRotation()
    {
        Repo.Targets["targets"]["version"] = 99_998L;
        Repo.PublishAll();
        Assert.AreEqual(99_999L, (await RefreshAsync()).TargetsVersion);

        Repo.RotateKeys("snapshot");
        Repo.PublishRoot();
        Repo.Targets["targets"]["version"] = 0L;
        Repo.PublishAll();

        TufTrustState state = await RefreshAsync();
        Assert.AreEqual(1L, state.TargetsVersion);
    }

    [TestMethod]
    public async Task FastForward_WithoutKeyRotation_StaysRefused()
    {
        Repo.Timestamp["version"] = 99_998L;
        Repo.PublishTimestamp();
        await RefreshAsync();
        Repo.Timestamp["version"] = 0L;
        Repo.PublishTimestamp();

        await RefreshFailsAsync(TufCodes.Rollback);
    }
}
