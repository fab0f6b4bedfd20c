namespace SigstoreBuild.Diagnostics;

/// <summary>Trust root and TUF diagnostic codes (SSB4xxx). Each has a line in docs/diagnostics/tuf.md.</summary>
internal static class TufCodes
{
    /// <summary>Metadata is not valid JSON, lacks a field, has a wrong type or wrong <c>_type</c>.</summary>
    public const string InvalidMetadata = "SSB4001";

    /// <summary>Metadata is not signed by a threshold of distinct trusted keys.</summary>
    public const string ThresholdNotMet = "SSB4002";

    /// <summary>A version is not the one expected (root not N+1, snapshot/targets version differs from its meta).</summary>
    public const string BadVersion = "SSB4003";

    /// <summary>A version is lower than the trusted one, or a role disappeared from the snapshot.</summary>
    public const string Rollback = "SSB4004";

    /// <summary>Metadata has expired (reference time fixed at the start of the update).</summary>
    public const string Expired = "SSB4005";

    /// <summary>Metadata length or hash differs from what the timestamp or snapshot declares.</summary>
    public const string MetadataHashMismatch = "SSB4006";

    /// <summary>A download failed (HTTP error, 404, connection failure or timeout).</summary>
    public const string DownloadFailed = "SSB4007";

    /// <summary>A download exceeded its length bound.</summary>
    public const string DownloadTooLarge = "SSB4008";

    /// <summary>The target is not listed by any trusted targets role.</summary>
    public const string TargetNotFound = "SSB4009";

    /// <summary>A target file's length or hash differs from the trusted targets metadata.</summary>
    public const string TargetHashMismatch = "SSB4010";

    /// <summary>A hash algorithm named by the metadata is not supported.</summary>
    public const string UnsupportedHashAlgorithm = "SSB4011";

    /// <summary>The initial (embedded, given or cached) root is malformed or not signed by its own threshold.</summary>
    public const string InvalidInitialRoot = "SSB4012";

    /// <summary>The cache directory cannot be created, read or written.</summary>
    public const string CacheError = "SSB4013";

    /// <summary>Offline mode has no usable cached or embedded trust material, or it has expired.</summary>
    public const string OfflineUnavailable = "SSB4014";

    /// <summary>The TUF or trust options are inconsistent (bad mirror URL, missing initial root, unknown instance).</summary>
    public const string InvalidOptions = "SSB4015";

    /// <summary>An explicitly configured trusted_root.json or signing_config.json cannot be read or is not JSON.</summary>
    public const string InvalidTrustFile = "SSB4016";

    /// <summary>Warning: trust material came from the local cache or the embedded seed without contacting the mirror.</summary>
    public const string OfflineTrustUsed = "SSB4501";

    /// <summary>Warning: the cap on root rotations per update was reached; more roots may exist.</summary>
    public const string RootRotationCapReached = "SSB4502";
}
