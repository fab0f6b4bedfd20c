namespace SigstoreBuild.Diagnostics;

/// <summary>SSB80xx (errors) and SSB85xx (findings): monitoring a transparency log for an identity (docs/diagnostics/monitor.md).</summary>
public static class MonitorCodes
{
    /// <summary>The log did not answer, or answered with something that is not what its API returns.</summary>
    public const string LogUnavailable = "SSB8001";

    /// <summary>The log's signed checkpoint does not verify with the key the trusted root gives for it.</summary>
    public const string CheckpointInvalid = "SSB8002";

    /// <summary>The log's new tree is not an extension of the tree seen last time: the log rewrote its history.</summary>
    public const string LogRewritten = "SSB8003";

    /// <summary>An entry the log served is not in its signed tree.</summary>
    public const string EntryNotInLog = "SSB8004";

    /// <summary>The state file is unreadable or belongs to another log.</summary>
    public const string StateInvalid = "SSB8005";

    /// <summary>More new entries than --max-entries allows in one run.</summary>
    public const string TooManyEntries = "SSB8006";

    /// <summary>The trusted root names no transparency log at that URL.</summary>
    public const string LogNotTrusted = "SSB8007";

    /// <summary>A tlog-tiles log's tiles do not hash to the root its signed checkpoint names.</summary>
    public const string TilesInconsistent = "SSB8008";

    /// <summary>Finding: the identity signed something from a workflow or ref outside the allow list.</summary>
    public const string UnexpectedSigning = "SSB8501";
}
