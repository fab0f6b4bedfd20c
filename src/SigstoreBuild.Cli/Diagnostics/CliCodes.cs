namespace SigstoreBuild.Cli.Diagnostics;

/// <summary>Codes only the <c>sigstore</c> command reports (SSB00xx, the command-line range; see docs/diagnostics/setup.md).</summary>
internal static class CliCodes
{
    /// <summary>The command line does not parse: unknown option, missing value, conflicting options.</summary>
    public const string UsageError = "SSB0002";

    /// <summary>No project file given and none in the current directory.</summary>
    public const string ProjectNotFound = "SSB0030";

    /// <summary>No project file given and several in the current directory.</summary>
    public const string ProjectAmbiguous = "SSB0031";

    /// <summary>verify DIR: a file the bundle lists is not in the folder.</summary>
    public const string FolderFileMissing = "SSB0040";

    /// <summary>verify DIR: a file's digest differs from the one the bundle lists.</summary>
    public const string FolderFileMismatch = "SSB0041";

    /// <summary>verify DIR --exact: the folder holds a file the bundle does not list.</summary>
    public const string FolderFileUnlisted = "SSB0042";

    /// <summary>verify DIR: a subject name is not a relative path inside the folder.</summary>
    public const string FolderSubjectInvalid = "SSB0043";

    /// <summary>verify DIR: the bundle is not an in-toto attestation, so it cannot list the folder's files.</summary>
    public const string FolderNeedsAttestation = "SSB0044";

    /// <summary>inspect --sbom: the bundle's statement is not a CycloneDX or SPDX SBOM.</summary>
    public const string NotAnSbom = "SSB0045";
}
