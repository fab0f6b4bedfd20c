namespace SigstoreBuild.Diagnostics;

/// <summary>Diagnostic codes of the local Sigstore instance (SSB6xxx). See docs/diagnostics/localstack.md.</summary>
public static class LocalStackCodes
{
    /// <summary>The data directory cannot be created, read or written.</summary>
    public const string DataDirectoryUnusable = "SSB6001";

    /// <summary>A persisted key or certificate in the data directory is unreadable or does not match its partner.</summary>
    public const string PersistedMaterialInvalid = "SSB6002";

    /// <summary>The HTTP listener could not start (port taken, bad arguments).</summary>
    public const string ListenerFailed = "SSB6003";

    /// <summary>The persisted TUF repository (DIR/tuf) is corrupt or no longer matches the TUF root key.</summary>
    public const string TufRepositoryInvalid = "SSB6004";

    /// <summary>The identity token presented to the local Fulcio is invalid (signature, issuer, audience, expiry).</summary>
    public const string IdentityTokenRejected = "SSB6101";

    /// <summary>The proof of possession in a certificate request does not verify.</summary>
    public const string ProofOfPossessionFailed = "SSB6102";

    /// <summary>The certificate request is malformed (missing fields, unsupported key).</summary>
    public const string CertificateRequestInvalid = "SSB6103";

    /// <summary>The token carries no identity that a Fulcio certificate can name (no email, URI subject or workflow).</summary>
    public const string IdentityNotCertifiable = "SSB6104";

    /// <summary>A proposed transparency log entry is malformed or its signature does not verify.</summary>
    public const string LogEntryInvalid = "SSB6201";

    /// <summary>The persisted transparency log is corrupt (unreadable line, index gap).</summary>
    public const string LogStorageCorrupt = "SSB6202";

    /// <summary>A requested log entry does not exist.</summary>
    public const string LogEntryNotFound = "SSB6203";

    /// <summary>A timestamp request is malformed or uses an unsupported hash algorithm.</summary>
    public const string TimestampRequestInvalid = "SSB6301";

    /// <summary>A token request to the local OIDC issuer is malformed.</summary>
    public const string TokenRequestInvalid = "SSB6401";

    /// <summary>A fault was injected by the test's FaultPlan (warning: expected in fault tests only).</summary>
    public const string FaultInjected = "SSB6501";
}
