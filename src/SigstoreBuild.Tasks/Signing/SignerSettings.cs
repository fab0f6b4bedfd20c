using SigstoreBuild.Diagnostics;

namespace SigstoreBuild.Tasks.Signing;

/// <summary>The validated signing settings of a task invocation; equal settings share one signer per build.</summary>
internal sealed record SignerSettings
{
    public static readonly string[] Instances = ["public-good", "staging", "custom"];

    public static readonly string[] OidcProviders =
        ["auto", "env", "github", "gitlab", "azure-pipelines", "buildkite", "circleci", "interactive", "device", "msal"];

    public required string Instance { get; init; }
    public string? TrustedRootPath { get; init; }
    public string? SigningConfigPath { get; init; }
    public required string OidcProvider { get; init; }
    public bool UnsafeAllowUntrustedTrigger { get; init; }

    public string CacheKey => string.Join('|', "SigstoreBuild.Signer.v1", Instance, TrustedRootPath, SigningConfigPath, OidcProvider);

    public static SignerSettings Create(string? instance, string? trustedRootPath, string? signingConfigPath, string? oidcProvider, bool unsafeAllowUntrustedTrigger)
    {
        trustedRootPath = FullPathOrNull(trustedRootPath);
        signingConfigPath = FullPathOrNull(signingConfigPath);
        var resolvedInstance = string.IsNullOrWhiteSpace(instance)
            ? (trustedRootPath is not null || signingConfigPath is not null ? "custom" : "public-good")
            : instance.Trim().ToLowerInvariant();
        if (!Instances.Contains(resolvedInstance, StringComparer.Ordinal))
        {
            throw new SigstoreException(TaskCodes.InvalidSetting, $"SigstoreInstance is '{instance}'. Use one of: {string.Join(", ", Instances)}.");
        }

        var provider = string.IsNullOrWhiteSpace(oidcProvider) ? "auto" : oidcProvider.Trim().ToLowerInvariant();
        if (!OidcProviders.Contains(provider, StringComparer.Ordinal))
        {
            throw new SigstoreException(TaskCodes.InvalidSetting, $"SigstoreOidcProvider is '{oidcProvider}'. Use one of: {string.Join(", ", OidcProviders)}.");
        }

        if (resolvedInstance == "custom" && (trustedRootPath is null || signingConfigPath is null))
        {
            throw new SigstoreException(TaskCodes.TrustFileMissing, "SigstoreInstance is 'custom' but SigstoreTrustedRootPath or SigstoreSigningConfigPath is not set. Set both to the instance's trusted_root.json and signing_config.json.");
        }

        foreach (var (name, path) in new[] { ("SigstoreTrustedRootPath", trustedRootPath), ("SigstoreSigningConfigPath", signingConfigPath) })
        {
            if (path is not null && !File.Exists(path))
            {
                throw new SigstoreException(TaskCodes.TrustFileMissing, $"{name} points to '{path}', which does not exist. Fix the path or remove the property.");
            }
        }

        return new SignerSettings
        {
            Instance = resolvedInstance,
            TrustedRootPath = trustedRootPath,
            SigningConfigPath = signingConfigPath,
            OidcProvider = provider,
            UnsafeAllowUntrustedTrigger = unsafeAllowUntrustedTrigger,
        };
    }

    private static string? FullPathOrNull(string? path) => string.IsNullOrWhiteSpace(path) ? null : Path.GetFullPath(path.Trim());
}
