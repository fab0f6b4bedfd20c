using NuGet.Packaging.Core;

namespace SigstoreBuild.NuGet.Verification;

/// <summary>What a package must be, beyond a valid signature by a trusted identity.</summary>
public sealed record PackageVerificationPolicy
{
    public static PackageVerificationPolicy Default { get; } = new();

    /// <summary>The id and version the caller asked for (e.g. from a lock file or restore graph); null: take the nuspec's.</summary>
    public PackageIdentity? ExpectedIdentity { get; init; }

    /// <summary>Required predicate type, or null for any.</summary>
    public string? PredicateType { get; init; }

    /// <summary>
    /// The attestation must be SLSA v1 provenance that agrees with the signing certificate's Fulcio extensions (builder,
    /// source, invocation; threat model D-06). Enforced by the <see cref="IAttestationVerifier"/>, which sees the certificate.
    /// </summary>
    public bool RequireProvenanceConsistency { get; init; }

    /// <summary>
    /// UNSAFE, with <see cref="RequireProvenanceConsistency"/>: accept a certificate that corroborates nothing of the
    /// provenance (e.g. an email identity) with an SSB3560 warning, instead of failing with SSB3424.
    /// </summary>
    public bool UnsafeAllowUncorroboratedProvenance { get; init; }

    /// <summary>Revocations that fail the package's otherwise valid signature (SSB3490); the package digest is its subject's.</summary>
    public SigstoreBuild.Verification.RevocationList? Revocations { get; init; }

    public Archives.ArchiveLimits Limits { get; init; } = Archives.ArchiveLimits.Default;
}
