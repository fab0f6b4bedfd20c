namespace SigstoreBuild.Diagnostics;

/// <summary>SSB33xx: RFC 3161 signed timestamps that cannot be trusted or do not cover the bundle's signature.</summary>
internal static class TimestampCodes
{
    public const string MalformedTimestamp = "SSB3300";
    public const string UnsupportedHashAlgorithm = "SSB3301";
    public const string ImprintMismatch = "SSB3302";
    public const string InvalidSignature = "SSB3303";
    public const string SignerNotBound = "SSB3304";
    public const string UntrustedAuthority = "SSB3305";
    public const string CertificateNotValidAtTime = "SSB3306";
    public const string MissingTimeStampingUsage = "SSB3307";
    public const string OutsideAuthorityValidity = "SSB3308";
}
