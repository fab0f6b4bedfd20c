namespace SigstoreBuild.Diagnostics;

/// <summary>SSB340x (keys and signatures): public keys that cannot be used, signatures that do not verify.</summary>
internal static class KeyCodes
{
    public const string UnsupportedKey = "SSB3400";
    public const string InvalidSignature = "SSB3401";
    public const string KeyNeedsArtifactBytes = "SSB3402";
}
