using SigstoreBuild.Diagnostics;

namespace SigstoreBuild.Tuf;

/// <summary>
/// The state machine of TUF §5.3–§5.6: each update is verified against what is already trusted, in order
/// root → timestamp → snapshot → targets → delegated targets. The reference time is fixed when the set is created (§5.1).
/// A local (cached) file may be loaded as trusted even when not "final" (e.g. expired), so that it still protects the
/// next remote update against rollback; the final checks then reject it and the caller downloads a new one.
/// </summary>
internal sealed class TrustedMetadataSet
{
    private readonly Dictionary<string, TargetsMetadata> _targets = new(StringComparer.Ordinal);

    public TrustedMetadataSet(ReadOnlySpan<byte> rootData, DateTimeOffset referenceTime, bool ignoreFreshnessExpiry = false)
    {
        ReferenceTime = referenceTime;
        IgnoreFreshnessExpiry = ignoreFreshnessExpiry;
        RootMetadata root;
        try
        {
            root = RootMetadata.Parse(rootData);
            root.VerifyDelegate(TufMetadata.RootType, root);
        }
        catch (SigstoreException ex) when (ex.Code != TufCodes.InvalidInitialRoot)
        {
            throw new SigstoreException(TufCodes.InvalidInitialRoot, $"The trusted TUF root cannot be used: {ex.Message} Re-initialise the trust root from a known good root.json.", ex);
        }

        Root = root;
    }

    public DateTimeOffset ReferenceTime { get; }

    /// <summary>Offline use: timestamp and snapshot only prove freshness, which offline mode explicitly gives up.</summary>
    public bool IgnoreFreshnessExpiry { get; }

    public RootMetadata Root { get; private set; }

    public TimestampMetadata? Timestamp { get; private set; }

    public SnapshotMetadata? Snapshot { get; private set; }

    public TargetsMetadata? TopLevelTargets => _targets.GetValueOrDefault(TufMetadata.TargetsType);

    public TargetsMetadata? GetTargets(string roleName) => _targets.GetValueOrDefault(roleName);

    /// <summary>§5.3.4–5.3.8: a new root signed by the trusted root's threshold and its own, with version N+1.</summary>
    public RootMetadata UpdateRoot(ReadOnlySpan<byte> data)
    {
        if (Timestamp is not null)
        {
            throw new InvalidOperationException("Root cannot be updated after the timestamp.");
        }

        RootMetadata newRoot = RootMetadata.Parse(data);
        Root.VerifyDelegate(TufMetadata.RootType, newRoot);
        if (newRoot.Version != Root.Version + 1)
        {
            throw new SigstoreException(TufCodes.BadVersion, $"The TUF mirror served root version {newRoot.Version} where version {Root.Version + 1} was expected. Refusing it.");
        }

        newRoot.VerifyDelegate(TufMetadata.RootType, newRoot);
        Root = newRoot;
        return newRoot;
    }

    /// <summary>§5.3.10: the final root must not be expired.</summary>
    public void CheckFinalRoot()
    {
        if (Root.IsExpired(ReferenceTime))
        {
            throw Expired(TufMetadata.RootType, Root);
        }
    }

    /// <summary>§5.4. Returns false when the new timestamp has the same version as the trusted one (keep the old).</summary>
    public bool UpdateTimestamp(ReadOnlySpan<byte> data)
    {
        if (Snapshot is not null)
        {
            throw new InvalidOperationException("Timestamp cannot be updated after the snapshot.");
        }

        CheckFinalRoot();
        TimestampMetadata newTimestamp = TimestampMetadata.Parse(data);
        Root.VerifyDelegate(TufMetadata.TimestampType, newTimestamp);
        if (Timestamp is not null)
        {
            if (newTimestamp.Version < Timestamp.Version)
            {
                throw Rollback($"timestamp version {newTimestamp.Version} is lower than the trusted version {Timestamp.Version}");
            }

            if (newTimestamp.Version == Timestamp.Version)
            {
                return false;
            }

            if (newTimestamp.SnapshotMeta.Version < Timestamp.SnapshotMeta.Version)
            {
                throw Rollback($"the timestamp lists snapshot version {newTimestamp.SnapshotMeta.Version}, lower than the trusted {Timestamp.SnapshotMeta.Version}");
            }
        }

        // Stored before the expiry check so an expired local timestamp still guards against rollback.
        Timestamp = newTimestamp;
        CheckFinalTimestamp();
        return true;
    }

    public void CheckFinalTimestamp()
    {
        if (Timestamp is null)
        {
            throw new InvalidOperationException("No trusted timestamp.");
        }

        if (!IgnoreFreshnessExpiry && Timestamp.IsExpired(ReferenceTime))
        {
            throw Expired(TufMetadata.TimestampType, Timestamp);
        }
    }

    /// <summary>§5.5. <paramref name="fromCache"/> skips the hash check against the timestamp: cached bytes were checked when received.</summary>
    public void UpdateSnapshot(ReadOnlySpan<byte> data, bool fromCache)
    {
        if (Timestamp is null)
        {
            throw new InvalidOperationException("Snapshot cannot be updated before the timestamp.");
        }

        if (TopLevelTargets is not null)
        {
            throw new InvalidOperationException("Snapshot cannot be updated after targets.");
        }

        CheckFinalTimestamp();
        TufFileInfo snapshotMeta = Timestamp.SnapshotMeta;
        if (!fromCache)
        {
            CheckLengthAndHashes(snapshotMeta, data, "snapshot.json");
        }

        SnapshotMetadata newSnapshot = SnapshotMetadata.Parse(data);
        Root.VerifyDelegate(TufMetadata.SnapshotType, newSnapshot);
        if (Snapshot is not null)
        {
            foreach (KeyValuePair<string, TufFileInfo> trusted in Snapshot.Meta)
            {
                if (!newSnapshot.Meta.TryGetValue(trusted.Key, out TufFileInfo? newInfo))
                {
                    throw Rollback($"the new snapshot no longer lists {trusted.Key}");
                }

                if (newInfo.Version < trusted.Value.Version)
                {
                    throw Rollback($"the new snapshot lists {trusted.Key} version {newInfo.Version}, lower than the trusted {trusted.Value.Version}");
                }
            }
        }

        Snapshot = newSnapshot;
        CheckFinalSnapshot();
    }

    public void CheckFinalSnapshot()
    {
        if (Snapshot is null || Timestamp is null)
        {
            throw new InvalidOperationException("No trusted snapshot.");
        }

        if (!IgnoreFreshnessExpiry && Snapshot.IsExpired(ReferenceTime))
        {
            throw Expired(TufMetadata.SnapshotType, Snapshot);
        }

        if (Snapshot.Version != Timestamp.SnapshotMeta.Version)
        {
            throw new SigstoreException(TufCodes.BadVersion, $"The TUF snapshot has version {Snapshot.Version} but the timestamp lists version {Timestamp.SnapshotMeta.Version}. Refusing the inconsistent snapshot.");
        }
    }

    /// <summary>§5.6: targets (or a delegated role) checked against the snapshot and verified by its delegator.</summary>
    public TargetsMetadata UpdateDelegatedTargets(ReadOnlySpan<byte> data, string roleName, string delegatorName)
    {
        if (Snapshot is null)
        {
            throw new InvalidOperationException("Targets cannot be updated before the snapshot.");
        }

        CheckFinalSnapshot();
        if (!Snapshot.Meta.TryGetValue(roleName + ".json", out TufFileInfo? meta))
        {
            throw new SigstoreException(TufCodes.Rollback, $"The TUF role \"{roleName}\" is not listed in the trusted snapshot. Refusing it; the mirror is inconsistent.");
        }

        CheckLengthAndHashes(meta, data, roleName + ".json");
        TargetsMetadata newTargets = TargetsMetadata.Parse(data);
        if (delegatorName == TufMetadata.RootType)
        {
            Root.VerifyDelegate(TufMetadata.TargetsType, newTargets);
        }
        else
        {
            TargetsMetadata delegator = GetTargets(delegatorName)
                ?? throw new InvalidOperationException($"The delegator {delegatorName} is not loaded.");
            delegator.VerifyDelegate(roleName, newTargets);
        }

        if (newTargets.Version != meta.Version)
        {
            throw new SigstoreException(TufCodes.BadVersion, $"The TUF role \"{roleName}\" has version {newTargets.Version} but the snapshot lists version {meta.Version}. Refusing it.");
        }

        if (newTargets.IsExpired(ReferenceTime))
        {
            throw Expired(roleName, newTargets);
        }

        _targets[roleName] = newTargets;
        return newTargets;
    }

    private static void CheckLengthAndHashes(TufFileInfo meta, ReadOnlySpan<byte> data, string fileName)
    {
        string? mismatch = meta.FindMismatch(data);
        if (mismatch is not null)
        {
            throw new SigstoreException(TufCodes.MetadataHashMismatch, $"TUF metadata {fileName}: {mismatch}. Refusing it; the mirror served a file that does not match what it signed.");
        }
    }

    private SigstoreException Expired(string roleName, TufMetadata metadata)
        => new(TufCodes.Expired, $"TUF {roleName} metadata version {metadata.Version} expired at {metadata.Expires:u} (reference time {ReferenceTime:u}). The mirror must publish fresh metadata; check the system clock, or use a newer trusted root.");

    private static SigstoreException Rollback(string what)
        => new(TufCodes.Rollback, $"TUF rollback refused: {what}. The mirror may be serving stale metadata or be under attack; the trusted versions are kept.");
}
