namespace SigstoreBuild.Signing.Transport;

/// <summary>Timeouts, response caps and bounded retries for calls to Sigstore services (threat model F-01, F-04, F-07).</summary>
internal sealed record RetryPolicy
{
    public static readonly RetryPolicy Default = new();

    /// <summary>Attempts per request, the first included.</summary>
    public int MaxAttempts { get; init; } = 5;

    public TimeSpan InitialDelay { get; init; } = TimeSpan.FromSeconds(1);

    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Timeout of one attempt.</summary>
    public TimeSpan AttemptTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Everything, retries and waits included, must finish within this.</summary>
    public TimeSpan TotalDeadline { get; init; } = TimeSpan.FromMinutes(3);

    public int MaxResponseBytes { get; init; } = 4 * 1024 * 1024;
}
