namespace SigstoreBuild.Diagnostics;

/// <summary>
/// SSB04xx (errors) and SSB09xx (warnings): the SigstoreBuild MSBuild package. Codes raised by the library (signing,
/// verification, packages) pass through the tasks unchanged. See docs/diagnostics/packaging.md.
/// </summary>
public static class TaskCodes
{
    /// <summary>.NET Framework MSBuild older than 18 cannot load the .NET task (raised from the targets).</summary>
    public const string UnsupportedMSBuild = "SSB0400";

    public const string InvalidSetting = "SSB0401";

    public const string TrustFileMissing = "SSB0402";

    /// <summary>Signing was required but no OIDC identity is available.</summary>
    public const string NoIdentity = "SSB0403";

    /// <summary>A privileged CI trigger that runs untrusted code .</summary>
    public const string UntrustedTrigger = "SSB0404";

    /// <summary>An unexpected failure inside the task (the boundary turns it into one coded error).</summary>
    public const string SigningFailed = "SSB0405";

    // SSB0406 (SignerUnavailable) is retired: TUF-backed trust replaced it. Not reused.

    public const string ArtifactMissing = "SSB0407";

    /// <summary>Signing was required and failed: the packages it left unsigned were deleted, so none looks finished.</summary>
    public const string UnsignedPackageRemoved = "SSB0408";

    /// <summary>No identity in auto mode: artifacts are left unsigned, explicitly .</summary>
    /// <summary>The container image cannot be signed: its manifest and digest disagree, or it is not in the registry.</summary>
    public const string ImageNotSignable = "SSB0409";

    public const string NotSigned = "SSB0900";

    public const string UnsafeOverride = "SSB0901";

    public const string SummaryNotWritten = "SSB0902";

    /// <summary>The base image's manifest could not be read: the provenance lists every layer and no base digest.</summary>
    public const string BaseImageUnreadable = "SSB0903";
}
