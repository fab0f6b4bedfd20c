using SigstoreBuild.Attestations;

namespace SigstoreBuild.NuGet.Verification;

/// <summary>A verified package: what was inspected and which subject of which statement it matched.</summary>
public sealed class PackageVerificationResult
{
    public required PackageInspection Package { get; init; }

    public required InTotoStatement Statement { get; init; }

    public required InTotoSubject MatchedSubject { get; init; }

    /// <summary>True when the package carries a NuGet signature added after it was attested (matched by content hash).</summary>
    public bool MatchedThroughContentHash => Package.IsSigned;
}
