namespace SigstoreBuild.Diagnostics;

/// <summary>SSB0xxx setup and command line; SSB9xxx internal.</summary>
public static class SetupCodes
{
    public const string Cancelled = "SSB0001";
    public const string NoBundle = "SSB0010";
    public const string SubjectNotFound = "SSB0011";
    public const string TrustedRootNotFound = "SSB0012";
    public const string InvalidArgument = "SSB0014";
    public const string InputUnreadable = "SSB0020";
    public const string InputTooLarge = "SSB0021";
    public const string Internal = "SSB9000";
}
