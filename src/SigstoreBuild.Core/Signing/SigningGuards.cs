using SigstoreBuild.Diagnostics;

namespace SigstoreBuild.Signing;

/// <summary>What keyless and key-based signing check alike before and while they sign.</summary>
internal static class SigningGuards
{
    /// <summary>The trust material, or a coded error: nothing is signed against a trust root that could not be refreshed (F-12).</summary>
    public static async Task<SigningTrust> GetTrustAsync(ISigningTrustProvider provider, CancellationToken cancellationToken)
    {
        try
        {
            return await provider.GetAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is SigstoreException or IOException or HttpRequestException or UnauthorizedAccessException)
        {
            var detail = ex is SigstoreException se ? $"{se.Code}: {se.Message}" : ex.Message;
            throw new SigstoreException(SigningCodes.TrustRootUnavailable,
                $"The trust root could not be refreshed ({detail}). Nothing was signed: signing against stale or unverified trust material is refused. Restore access to the TUF repository, or pass an explicit, unexpired trusted root.", ex);
        }
    }
}

/// <summary>Warns once per session when a service's clock and the local one differ by more than the threshold.</summary>
internal sealed class ClockSkewWarning(SigningOptions options)
{
    private int _warned;

    public void Check(string service, DateTimeOffset serviceTime)
    {
        var skew = serviceTime - options.Time.GetUtcNow();
        if (skew.Duration() > options.ClockSkewWarningThreshold && Interlocked.Exchange(ref _warned, 1) == 0)
        {
            options.Log.Write(SigningLogLevel.Warning, SigningCodes.ClockSkew,
                $"The local clock differs from {service}'s by about {skew.Duration().TotalMinutes:0.#} minutes. Signing uses the services' times, but fix the clock (NTP) to avoid surprises.");
        }
    }
}
