namespace SigstoreBuild.Diagnostics;

/// <summary>SSB345x-SSB349x: the caller's policy (artifact, identity, key, thresholds) is not met. SSB355x: policy warnings.</summary>
internal static class PolicyCodes
{
    public const string MissingArtifact = "SSB3450";
    public const string MissingIdentity = "SSB3451";
    public const string ArtifactDigestMismatch = "SSB3452";
    public const string EmptyArtifact = "SSB3453";
    public const string UnsupportedDigestAlgorithm = "SSB3454";
    public const string KeylessPolicyKeyBundle = "SSB3455";
    public const string KeyPolicyCertificateBundle = "SSB3456";
    public const string SubjectAlternativeNameMismatch = "SSB3460";
    public const string IssuerMismatch = "SSB3461";
    public const string ExtensionMismatch = "SSB3462";
    public const string InvalidIdentityPattern = "SSB3463";
    public const string TlogThresholdNotMet = "SSB3470";
    public const string VerifiedTimeThresholdNotMet = "SSB3471";
    public const string MissingSignedTimestamp = "SSB3472";
    public const string TimeInFuture = "SSB3473";
    public const string PredicateTypeForMessageSignature = "SSB3480";

    /// <summary>The signature verified, but a revocation applies to it (identity and window, digest, log entry or key).</summary>
    public const string Revoked = "SSB3490";

    /// <summary>A revocation list cannot be read or names nothing.</summary>
    public const string RevocationListInvalid = "SSB3491";

    /// <summary>A published revocation document or its bundle cannot be fetched or read.</summary>
    public const string RevocationSourceUnavailable = "SSB3492";

    /// <summary>A published revocation document's bundle does not verify over the document's bytes, or is not keyless.</summary>
    public const string RevocationSignatureInvalid = "SSB3493";

    /// <summary>A published revocation document verifies, but its signer is not the identity it would revoke for.</summary>
    public const string RevocationSignerNotTrusted = "SSB3494";

    /// <summary>Warning: an option that weakens verification was used.</summary>
    public const string UnsafeOptionUsed = "SSB3550";
}
