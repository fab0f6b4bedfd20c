namespace SigstoreBuild.Diagnostics;

/// <summary>SSB2xxx: signing services (Fulcio, Rekor, TSA) and the signing pipeline. SSB20xx-24xx errors, SSB25xx-29xx warnings.</summary>
internal static class SigningCodes
{
    public const string FulcioUnavailable = "SSB2000";
    public const string FulcioRejected = "SSB2001";
    public const string FulcioResponseInvalid = "SSB2002";

    public const string RekorUnavailable = "SSB2010";
    public const string RekorRejected = "SSB2011";
    public const string RekorEntryInvalid = "SSB2012";

    public const string TsaUnavailable = "SSB2020";
    public const string TsaRejected = "SSB2021";
    public const string TsaResponseInvalid = "SSB2022";

    public const string NoService = "SSB2030";
    public const string InsecureServiceUrl = "SSB2031";
    public const string RekorV2RequiresTimestamp = "SSB2032";
    public const string TrustRootUnavailable = "SSB2033";
    public const string ResponseTooLarge = "SSB2034";

    public const string FinalVerificationFailed = "SSB2040";
    public const string CertificateOutlived = "SSB2041";
    public const string BundleWriteFailed = "SSB2042";
    public const string ArtifactUnreadable = "SSB2043";

    /// <summary>The build's shared signing session (another MSBuild node) failed in a way that has no code of its own.</summary>
    public const string SharedSessionFailed = "SSB2044";

    /// <summary>The private key file cannot be read: missing, not a PKCS#8 PEM, or an algorithm this signer does not support.</summary>
    public const string SigningKeyUnreadable = "SSB2050";

    /// <summary>The private key is encrypted and SIGSTORE_PRIVATE_KEY_PASSWORD is not set.</summary>
    public const string SigningKeyPasswordMissing = "SSB2051";

    /// <summary>SIGSTORE_PRIVATE_KEY_PASSWORD does not decrypt the private key.</summary>
    public const string SigningKeyPasswordWrong = "SSB2052";

    /// <summary>An Ed25519 key cannot make a message signature that a hashedrekord log entry records.</summary>
    public const string Ed25519MessageSignature = "SSB2053";

    /// <summary>generate-key-pair: a key file already exists and is never overwritten.</summary>
    public const string KeyFileExists = "SSB2054";

    /// <summary>generate-key-pair: a key file could not be written (folder missing, no permission, disk full).</summary>
    public const string KeyFileUnwritable = "SSB2055";

    public const string ClockSkew = "SSB2500";
    public const string RetryingService = "SSB2501";

    /// <summary>Warning: this node could not share the build's signing session and signs with its own certificate.</summary>
    public const string SharedSessionUnavailable = "SSB2502";

    /// <summary>Warning: the generated private key is written unencrypted (no SIGSTORE_PRIVATE_KEY_PASSWORD).</summary>
    public const string PrivateKeyUnencrypted = "SSB2503";
}
