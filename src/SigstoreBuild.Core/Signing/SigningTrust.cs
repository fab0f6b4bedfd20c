using SigstoreBuild.IO;
using SigstoreBuild.Trust;

namespace SigstoreBuild.Signing;

/// <summary>The trust material and services a signing session uses.</summary>
public sealed record SigningTrust
{
    internal SigningTrust(TrustedRoot trustedRoot, SigningConfigDocument signingConfig)
    {
        TrustedRoot = trustedRoot;
        SigningConfig = signingConfig;
    }

    public TrustedRoot TrustedRoot { get; internal init; }

    internal SigningConfigDocument SigningConfig { get; init; }
}

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
        new(new SigningTrust(TrustedRoot.Load(trustedRootPath), TrustDocumentSerializer.ParseSigningConfig(InputFile.ReadAllBytes(signingConfigPath, TrustDocumentSerializer.SigningConfigFile))));

    public Task<SigningTrust> GetAsync(CancellationToken cancellationToken) => Task.FromResult(trust);
}

/// <summary>Trust material from a <see cref="Tuf.ITrustRootProvider"/> (TUF, the TUF cache or explicit files), read once per session.</summary>
public sealed class TrustRootSigningTrustProvider(Tuf.ITrustRootProvider provider) : ISigningTrustProvider
{
    public async Task<SigningTrust> GetAsync(CancellationToken cancellationToken)
    {
        var material = await provider.GetAsync(cancellationToken).ConfigureAwait(false);
        if (material.SigningConfigJson is null)
        {
            throw new Diagnostics.SigstoreException(Diagnostics.SigningCodes.TrustRootUnavailable,
                $"The trust configuration has no signing config, so the signing services are unknown. Either {material.SettingNames.Set(material.SettingNames.SigningConfigPath, "signing_config.json")} (a signing config v0.2, with the trusted root beside it), or use an instance whose TUF repository publishes one.");
        }

        return new SigningTrust(TrustedRoot.Parse(material.TrustedRootJson), TrustDocumentSerializer.ParseSigningConfig(material.SigningConfigJson));
    }
}
