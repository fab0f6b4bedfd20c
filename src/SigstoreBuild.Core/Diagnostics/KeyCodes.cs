namespace SigstoreBuild.Diagnostics;

/// <summary>SSB34xx (keys): public keys that cannot be used.</summary>
public static partial class KeyCodes
{
    public const string UnsupportedKey = "SSB3400";
}
