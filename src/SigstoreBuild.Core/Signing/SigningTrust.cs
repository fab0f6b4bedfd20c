using SigstoreBuild.Trust;

namespace SigstoreBuild.Signing;

/// <summary>The trust material and services a signing session uses.</summary>
public sealed record SigningTrust(TrustedRoot TrustedRoot, SigningConfigDocument SigningConfig);

/// <summary>
/// Supplies fresh trust material at signing time (from TUF, or explicit files). Throwing makes signing stop before any
/// token is fetched (threat model F-12: never sign against a trust root that could not be refreshed).
/// </summary>
public interface ISigningTrustProvider
{
    Task<SigningTrust> GetAsync(CancellationToken cancellationToken);
}

/// <summary>Explicit trust material (e.g. <c>--trusted-root</c> and <c>--signing-config</c>).</summary>
public sealed class StaticSigningTrustProvider(SigningTrust trust) : ISigningTrustProvider
{
    public static StaticSigningTrustProvider Load(string trustedRootPath, string signingConfigPath) =>
        new(new SigningTrust(TrustedRoot.Load(trustedRootPath), TrustDocumentSerializer.ParseSigningConfig(File.ReadAllBytes(signingConfigPath))));

    public Task<SigningTrust> GetAsync(CancellationToken cancellationToken) => Task.FromResult(trust);
}
