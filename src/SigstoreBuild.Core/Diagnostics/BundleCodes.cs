namespace SigstoreBuild.Diagnostics;

/// <summary>SSB30xx: a bundle that cannot be read or has the wrong shape. Raised before any cryptography.</summary>
internal static class BundleCodes
{
    public const string Malformed = "SSB3000";
    public const string TooLarge = "SSB3001";
    public const string UnsupportedMediaType = "SSB3002";
    public const string InvalidContent = "SSB3003";
    public const string InvalidVerificationMaterial = "SSB3004";
    public const string InvalidTlogEntry = "SSB3005";
    public const string InvalidTimestamp = "SSB3006";
    public const string MalformedTrustedRoot = "SSB3010";
    public const string MalformedSigningConfig = "SSB3011";
}
