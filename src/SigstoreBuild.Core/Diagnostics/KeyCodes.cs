namespace SigstoreBuild.Diagnostics;

/// <summary>SSB340x (keys and signatures): public keys that cannot be used, signatures that do not verify.</summary>
public static partial class KeyCodes
{
    public const string UnsupportedKey = "SSB3400";
    public const string InvalidSignature = "SSB3401";
    public const string KeyNeedsArtifactBytes = "SSB3402";
}

/// <summary>SSB341x-SSB344x: DSSE envelopes and in-toto statements.</summary>
public static class AttestationCodes
{
    public const string UnsupportedPayloadType = "SSB3410";
    public const string SignatureCount = "SSB3411";
    public const string MalformedStatement = "SSB3412";
    public const string UnsupportedStatementType = "SSB3413";
    public const string SubjectMismatch = "SSB3414";
    public const string TooManySubjects = "SSB3415";
    public const string PredicateTypeMismatch = "SSB3416";
}
