namespace SigstoreBuild.Diagnostics;

/// <summary>SSB341x-SSB344x: DSSE envelopes and in-toto statements.</summary>
internal static class AttestationCodes
{
    public const string UnsupportedPayloadType = "SSB3410";
    public const string SignatureCount = "SSB3411";
    public const string MalformedStatement = "SSB3412";
    public const string UnsupportedStatementType = "SSB3413";
    public const string SubjectMismatch = "SSB3414";
    public const string TooManySubjects = "SSB3415";
    public const string PredicateTypeMismatch = "SSB3416";

    /// <summary>Provenance consistency was required, but the bundle holds no SLSA v1 provenance signed by a certificate (D-06).</summary>
    public const string ProvenanceNotCheckable = "SSB3420";

    /// <summary>The provenance's runDetails.builder.id differs from the certificate's Build Signer URI, 1.9 (D-06).</summary>
    public const string ProvenanceBuilderMismatch = "SSB3421";

    /// <summary>The provenance's source (repository, commit or ref) differs from the certificate's 1.12/1.13/1.14 (D-06).</summary>
    public const string ProvenanceSourceMismatch = "SSB3422";

    /// <summary>The provenance's invocationId differs from the certificate's Run Invocation URI, 1.21 (D-06).</summary>
    public const string ProvenanceInvocationMismatch = "SSB3423";

    /// <summary>
    /// Provenance consistency was required, but the certificate has no build or source extensions (e.g. an email
    /// identity), so nothing the provenance claims can be corroborated (D-06).
    /// </summary>
    public const string ProvenanceNotCorroborated = "SSB3424";

    /// <summary>Warning: uncorroborated provenance accepted because UnsafeAllowUncorroboratedProvenance was set.</summary>
    public const string ProvenanceUncorroborated = "SSB3560";
}
