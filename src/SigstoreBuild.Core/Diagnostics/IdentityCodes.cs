namespace SigstoreBuild.Diagnostics;

/// <summary>SSB1xxx: identity tokens and OIDC providers. SSB10xx-14xx errors, SSB15xx-19xx warnings.</summary>
internal static class IdentityCodes
{
    public const string NoTokenInCi = "SSB1000";
    public const string NoProvider = "SSB1001";
    public const string MalformedToken = "SSB1002";
    public const string TokenExpired = "SSB1003";
    public const string TokenRequestFailed = "SSB1004";
    public const string PrivilegedTrigger = "SSB1005";
    public const string LoginFailed = "SSB1006";
    public const string StateMismatch = "SSB1007";
    public const string DeviceCodeFailed = "SSB1008";
    public const string ToolFailed = "SSB1009";
    public const string InsecureIssuer = "SSB1010";
    public const string TokenFileUnreadable = "SSB1011";
    public const string MsalFailed = "SSB1012";
    public const string TokenRejected = "SSB1013";
    public const string EntraConfigInvalid = "SSB1014";
    public const string EntraCredentialUnreadable = "SSB1015";

    public const string PrivilegedTriggerAllowed = "SSB1500";
    public const string AudienceNotSigstore = "SSB1501";
}
