namespace SigstoreBuild.Diagnostics;

/// <summary>SSB32xx: transparency log entries (Rekor v1 and v2) that cannot be trusted or do not match the bundle.</summary>
internal static class TlogCodes
{
    public const string UnknownLog = "SSB3200";
    public const string UnsupportedEntryKind = "SSB3201";
    public const string MalformedEntryBody = "SSB3202";
    public const string SignatureMismatch = "SSB3203";
    public const string SignerMismatch = "SSB3204";
    public const string DigestMismatch = "SSB3205";
    public const string InvalidSignedEntryTimestamp = "SSB3210";
    public const string IntegratedTimeOutsideLogValidity = "SSB3211";
    public const string MissingInclusionProof = "SSB3220";
    public const string InvalidInclusionProof = "SSB3221";
    public const string MalformedCheckpoint = "SSB3230";
    public const string InvalidCheckpointSignature = "SSB3231";
    public const string CheckpointOriginMismatch = "SSB3232";
    public const string CheckpointProofMismatch = "SSB3233";
}
