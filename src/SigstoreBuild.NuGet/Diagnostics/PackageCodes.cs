namespace SigstoreBuild.Diagnostics;

/// <summary>
/// SSB54xx: a NuGet package that is not safe to hash, inspect or bind to an attestation (threat model N-01..N-07),
/// and package attestations that do not match. A sub-range of SSB5xxx (package policy); see
/// docs/diagnostics/packaging.md.
/// </summary>
public static class PackageCodes
{
    /// <summary>The file is not a well-formed zip archive under the strict layout rules (N-04, N-05).</summary>
    public const string MalformedArchive = "SSB5400";

    /// <summary>Bytes that belong to no zip structure: prepended data, gaps, trailing junk, a second archive (N-05).</summary>
    public const string UnaccountedBytes = "SSB5401";

    /// <summary>Local file header and central directory disagree, or entries overlap (N-04).</summary>
    public const string HeaderMismatch = "SSB5402";

    /// <summary>An archive feature the package format does not allow: Zip64, encryption, multi-disk, unknown compression.</summary>
    public const string UnsupportedArchiveFeature = "SSB5403";

    /// <summary>An entry exceeds the caps on count, size or compression ratio, or its data does not match its CRC (N-05).</summary>
    public const string ArchiveLimitExceeded = "SSB5404";

    /// <summary>Two entries that NuGet would extract to the same path (N-03).</summary>
    public const string EntryNameCollision = "SSB5405";

    /// <summary>An entry that would land outside the package folder, or a symbolic link (N-06).</summary>
    public const string UnsafeEntryPath = "SSB5406";

    /// <summary>The package signature entry is malformed, duplicated, or a near-miss of its name (N-02).</summary>
    public const string InvalidSignatureEntry = "SSB5407";

    /// <summary>Not exactly one root .nuspec, or it cannot be read (N-07).</summary>
    public const string InvalidNuspec = "SSB5408";

    /// <summary>The nuspec id or version differs from the identity that was requested (N-07).</summary>
    public const string IdentityMismatch = "SSB5409";

    /// <summary>The attestation has no subject for this package's name and content digest (N-01, N-07).</summary>
    public const string SubjectMismatch = "SSB5410";

    /// <summary>The attestation is not a DSSE in-toto statement of the expected shape.</summary>
    public const string InvalidStatement = "SSB5411";

    /// <summary>An entry name that is not valid UTF-8 or contains control characters.</summary>
    public const string InvalidEntryName = "SSB5412";

    /// <summary>The embedded Sigstore bundle entry is a near-miss of its name, or too large to be a bundle.</summary>
    public const string InvalidBundleEntry = "SSB5413";

    /// <summary>The package has no embedded Sigstore bundle, and no bundle file was given.</summary>
    public const string NoEmbeddedBundle = "SSB5414";

    /// <summary>The package is already NuGet-signed, so embedding a bundle would break its signature.</summary>
    public const string AlreadyNuGetSigned = "SSB5415";

    /// <summary>The package has no embedded SBOM attestation (<c>.sigstore/sbom.sigstore.json</c>).</summary>
    public const string NoEmbeddedSbom = "SSB5416";
}
