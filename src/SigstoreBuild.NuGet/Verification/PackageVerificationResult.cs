using SigstoreBuild.Attestations;
using SigstoreBuild.Verification;

namespace SigstoreBuild.NuGet.Verification;

/// <summary>A verified package: what was inspected, which subject of which statement it matched, and the verification.</summary>
public sealed class PackageVerificationResult
{
    public required PackageInspection Package { get; init; }

    public required InTotoStatement Statement { get; init; }

    public required InTotoSubject MatchedSubject { get; init; }

    /// <summary>The Sigstore verification: signer identity, verified times and log entries, warnings.</summary>
    public required VerificationResult Verification { get; init; }
}
