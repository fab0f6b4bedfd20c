using SigstoreBuild.Diagnostics;
using SigstoreBuild.Identity;

namespace SigstoreBuild.Tasks.Signing;

/// <summary>
/// The Entra ID properties of <c>SigstoreOidcProvider=msal</c> (SigstoreEntra*), validated. They name a certificate,
/// a password's environment variable and an assertion file, never a secret: binlogs record properties.
/// </summary>
internal sealed record EntraSettings
{
    public static readonly string[] Flows = ["device-code", "interactive", "client-certificate", "federated", "managed-identity"];

    public string? Authority { get; init; }
    public string? ClientId { get; init; }
    public required string Flow { get; init; }
    public string? Scope { get; init; }
    public string? CertificatePath { get; init; }
    public string? CertificatePasswordVariable { get; init; }
    public string? AssertionFile { get; init; }

    /// <summary>A person logs in: never in CI.</summary>
    public bool IsPersonal => Flow is "device-code" or "interactive";

    public string CacheKey => string.Join('|', Authority, ClientId, Flow, Scope, CertificatePath, CertificatePasswordVariable, AssertionFile);

    public static EntraSettings Create(string? authority, string? clientId, string? flow, string? scope, string? certificatePath, string? certificatePasswordVariable, string? assertionFile)
    {
        var name = string.IsNullOrWhiteSpace(flow) ? "device-code" : flow.Trim().ToLowerInvariant();
        if (!Flows.Contains(name, StringComparer.Ordinal))
        {
            throw new SigstoreException(TaskCodes.InvalidSetting, $"SigstoreEntraFlow is '{flow}'. Use one of: {string.Join(", ", Flows)}.");
        }

        return new EntraSettings
        {
            Authority = Trimmed(authority),
            ClientId = Trimmed(clientId),
            Flow = name,
            Scope = Trimmed(scope),
            CertificatePath = Trimmed(certificatePath) is { } path ? Path.GetFullPath(path) : null,
            CertificatePasswordVariable = Trimmed(certificatePasswordVariable),
            AssertionFile = Trimmed(assertionFile) is { } file ? Path.GetFullPath(file) : null,
        };
    }

    public IdentityOptions Apply(IdentityOptions options) => options with
    {
        EntraAuthority = Authority,
        EntraClientId = ClientId,
        EntraFlow = Flow switch
        {
            "interactive" => EntraIdFlow.Interactive,
            "client-certificate" => EntraIdFlow.ClientCertificate,
            "federated" => EntraIdFlow.Federated,
            "managed-identity" => EntraIdFlow.ManagedIdentity,
            _ => EntraIdFlow.DeviceCode,
        },
        EntraScope = Scope,
        EntraCertificatePath = CertificatePath,
        EntraCertificatePasswordVariable = CertificatePasswordVariable,
        EntraAssertionFile = AssertionFile,
    };

    private static string? Trimmed(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
