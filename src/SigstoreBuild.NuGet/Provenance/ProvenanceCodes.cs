namespace SigstoreBuild.Diagnostics;

/// <summary>
/// SSB042x (errors) and SSB095x (warnings): building SLSA provenance and the SBOM at pack and publish, in the range of the MSBuild
/// package (docs/diagnostics/packaging.md). Verification-side provenance codes are AttestationCodes (SSB342x).
/// </summary>
public static class ProvenanceCodes
{
    /// <summary>The inputs file the collection target wrote cannot be read.</summary>
    public const string InputsUnreadable = "SSB0420";

    /// <summary>project.assets.json is missing or not usable, so the resolved dependencies cannot be listed.</summary>
    public const string AssetsFileUnusable = "SSB0421";

    /// <summary>An SBOM to be attested breaks the CycloneDX 1.6 rules SigstoreBuild checks.</summary>
    public const string SbomInvalid = "SSB0422";

    /// <summary>No source repository and commit were found (no SourceLink data, no git, no CI metadata).</summary>
    public const string SourceUnknown = "SSB0950";
}
