namespace SigstoreBuild.Verification;

/// <summary>
/// OIDs of the Fulcio certificate extensions (fulcio docs/oid-info.md). 1.1-1.6 are deprecated raw strings;
/// 1.8 and later are DER UTF8Strings. Policies can pin any of them through <see cref="CertificateIdentity"/>.
/// </summary>
public static class FulcioExtensions
{
    public const string IssuerV1 = "1.3.6.1.4.1.57264.1.1";
    public const string GitHubWorkflowTrigger = "1.3.6.1.4.1.57264.1.2";
    public const string GitHubWorkflowSha = "1.3.6.1.4.1.57264.1.3";
    public const string GitHubWorkflowName = "1.3.6.1.4.1.57264.1.4";
    public const string GitHubWorkflowRepository = "1.3.6.1.4.1.57264.1.5";
    public const string GitHubWorkflowRef = "1.3.6.1.4.1.57264.1.6";
    public const string OtherNameSan = "1.3.6.1.4.1.57264.1.7";
    public const string Issuer = "1.3.6.1.4.1.57264.1.8";
    public const string BuildSignerUri = "1.3.6.1.4.1.57264.1.9";
    public const string BuildSignerDigest = "1.3.6.1.4.1.57264.1.10";
    public const string RunnerEnvironment = "1.3.6.1.4.1.57264.1.11";
    public const string SourceRepositoryUri = "1.3.6.1.4.1.57264.1.12";
    public const string SourceRepositoryDigest = "1.3.6.1.4.1.57264.1.13";
    public const string SourceRepositoryRef = "1.3.6.1.4.1.57264.1.14";
    public const string SourceRepositoryIdentifier = "1.3.6.1.4.1.57264.1.15";
    public const string SourceRepositoryOwnerUri = "1.3.6.1.4.1.57264.1.16";
    public const string SourceRepositoryOwnerIdentifier = "1.3.6.1.4.1.57264.1.17";
    public const string BuildConfigUri = "1.3.6.1.4.1.57264.1.18";
    public const string BuildConfigDigest = "1.3.6.1.4.1.57264.1.19";
    public const string BuildTrigger = "1.3.6.1.4.1.57264.1.20";
    public const string RunInvocationUri = "1.3.6.1.4.1.57264.1.21";
    public const string SourceRepositoryVisibilityAtSigning = "1.3.6.1.4.1.57264.1.22";
    public const string DeploymentEnvironment = "1.3.6.1.4.1.57264.1.23";

    /// <summary>The embedded SCT list (RFC 6962 §3.3).</summary>
    public const string EmbeddedSctList = "1.3.6.1.4.1.11129.2.4.2";

    private const string Prefix = "1.3.6.1.4.1.57264.1.";

    /// <summary>A readable name for a Fulcio extension OID, or null for an OID outside 1.1-1.23.</summary>
    public static string? NameOf(string oid) => oid switch
    {
        IssuerV1 => "issuerV1",
        GitHubWorkflowTrigger => "githubWorkflowTrigger",
        GitHubWorkflowSha => "githubWorkflowSha",
        GitHubWorkflowName => "githubWorkflowName",
        GitHubWorkflowRepository => "githubWorkflowRepository",
        GitHubWorkflowRef => "githubWorkflowRef",
        Issuer => "issuer",
        BuildSignerUri => "buildSignerUri",
        BuildSignerDigest => "buildSignerDigest",
        RunnerEnvironment => "runnerEnvironment",
        SourceRepositoryUri => "sourceRepositoryUri",
        SourceRepositoryDigest => "sourceRepositoryDigest",
        SourceRepositoryRef => "sourceRepositoryRef",
        SourceRepositoryIdentifier => "sourceRepositoryIdentifier",
        SourceRepositoryOwnerUri => "sourceRepositoryOwnerUri",
        SourceRepositoryOwnerIdentifier => "sourceRepositoryOwnerIdentifier",
        BuildConfigUri => "buildConfigUri",
        BuildConfigDigest => "buildConfigDigest",
        BuildTrigger => "buildTrigger",
        RunInvocationUri => "runInvocationUri",
        SourceRepositoryVisibilityAtSigning => "sourceRepositoryVisibilityAtSigning",
        DeploymentEnvironment => "deploymentEnvironment",
        _ => null,
    };

    /// <summary>The OID of the extension <see cref="NameOf"/> names <paramref name="name"/>, or null.</summary>
    internal static string? OidOf(string name) =>
        Enumerable.Range(1, 23).Select(i => Prefix + i.ToString(System.Globalization.CultureInfo.InvariantCulture)).FirstOrDefault(oid => NameOf(oid) == name);

    /// <summary>True for 1.1-1.6: deprecated extensions whose value is the raw string, not DER.</summary>
    internal static bool IsLegacyRaw(string oid) => oid is IssuerV1 or GitHubWorkflowTrigger or GitHubWorkflowSha or GitHubWorkflowName or GitHubWorkflowRepository or GitHubWorkflowRef;

    internal static bool IsFulcio(string oid) => oid.StartsWith(Prefix, StringComparison.Ordinal);
}
