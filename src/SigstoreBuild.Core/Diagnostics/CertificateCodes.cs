namespace SigstoreBuild.Diagnostics;

/// <summary>SSB31xx: the signing certificate, its path to a trusted Fulcio CA and its embedded SCTs.</summary>
internal static class CertificateCodes
{
    public const string Malformed = "SSB3100";
    public const string Untrusted = "SSB3101";
    public const string UntrustedChainCertificate = "SSB3102";
    public const string NotValidAtTime = "SSB3103";
    public const string AuthorityNotValidAtTime = "SSB3104";
    public const string InvalidAuthorityChain = "SSB3105";
    public const string MissingCodeSigningUsage = "SSB3110";
    public const string MissingDigitalSignatureUsage = "SSB3111";
    public const string LeafIsCertificateAuthority = "SSB3112";
    public const string UnknownCriticalExtension = "SSB3113";
    public const string DuplicateExtension = "SSB3114";
    public const string InvalidSubjectAlternativeName = "SSB3115";
    public const string MissingIssuer = "SSB3116";
    public const string ConflictingIssuer = "SSB3117";
    public const string InvalidExtensionEncoding = "SSB3118";
    public const string MalformedSct = "SSB3120";
    public const string SctThresholdNotMet = "SSB3121";
}
