namespace SigstoreBuild.Verification;

/// <summary>
/// How much independent evidence a bundle must carry. Thresholds count distinct witnesses: distinct Rekor logs,
/// distinct CT logs, distinct time sources (a log's SET-verified integrated time, or a TSA). Anything that weakens
/// verification below one witness has <c>Unsafe</c> in its name.
/// </summary>
public sealed record VerifierOptions
{
    private readonly int _transparencyLogThreshold = 1;
    private readonly int _certificateTransparencyLogThreshold = 1;
    private readonly int _verifiedTimeThreshold = 1;

    /// <summary>The public-good Sigstore instance's requirements: one log entry, one SCT, one verified time.</summary>
    public static VerifierOptions PublicGood { get; } = new();

    /// <summary>Distinct transparency logs that must have a verified entry for this signature (at least 1).</summary>
    public int TransparencyLogThreshold { get => _transparencyLogThreshold; init => _transparencyLogThreshold = AtLeastOne(value); }

    /// <summary>Distinct CT logs that must have a verified SCT embedded in the certificate (at least 1).</summary>
    public int CertificateTransparencyLogThreshold { get => _certificateTransparencyLogThreshold; init => _certificateTransparencyLogThreshold = AtLeastOne(value); }

    /// <summary>Distinct verified time sources (logs with a verified SET, TSAs) required (at least 1).</summary>
    public int VerifiedTimeThreshold { get => _verifiedTimeThreshold; init => _verifiedTimeThreshold = AtLeastOne(value); }

    /// <summary>Verified times may be at most this far ahead of the verifier's clock.</summary>
    public TimeSpan MaxClockSkew { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>RFC 3161 timestamps examined at most (after removing duplicates).</summary>
    public int MaxTimestamps { get; init; } = 32;

    /// <summary>UNSAFE: accept bundles with no transparency log entry (the signature may never have been public).</summary>
    public bool UnsafeSkipTransparencyLog { get; init; }

    /// <summary>UNSAFE: accept certificates without a verified SCT.</summary>
    public bool UnsafeSkipCertificateTransparency { get; init; }

    /// <summary>UNSAFE: with no verified time, check the certificate at the verifier's current time instead.</summary>
    public bool UnsafeAllowCurrentTime { get; init; }

    private static int AtLeastOne(int value) => value >= 1
        ? value
        : throw new ArgumentOutOfRangeException(nameof(value), value, "A threshold is at least 1. To skip a check use the matching Unsafe… option.");
}
