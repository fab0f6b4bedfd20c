namespace SigstoreBuild.Http;

/// <summary>
/// Timeouts, retry bounds and test seams for every HTTP call the library makes (TUF mirror, Fulcio, Rekor, TSA).
/// Immutable; derive variants with <c>with { ... }</c>.
/// </summary>
internal sealed record SigstoreHttpOptions
{
    public static SigstoreHttpOptions Default { get; } = new();

    /// <summary>Time allowed for one attempt, from sending the request to the last byte of the body.</summary>
    public TimeSpan AttemptTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Time allowed for all attempts and back-off delays together.</summary>
    public TimeSpan TotalDeadline { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>Attempts in total (1 = no retry). Only 5xx, 429, connection errors and attempt timeouts are retried.</summary>
    public int MaxAttempts { get; init; } = 4;

    /// <summary>Back-off before the second attempt; doubled each time, with jitter, capped by <see cref="MaxBackoff"/>.</summary>
    public TimeSpan InitialBackoff { get; init; } = TimeSpan.FromMilliseconds(500);

    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Largest <c>Retry-After</c> honoured; a server asking for more ends the retries.</summary>
    public TimeSpan MaxRetryAfter { get; init; } = TimeSpan.FromSeconds(60);

    public string UserAgent { get; init; } = "SigstoreBuild/" + (typeof(SigstoreHttpOptions).Assembly.GetName().Version?.ToString(3) ?? "0");

    /// <summary>Replaces the network stack (tests, proxies). The handler is not disposed by clients created from these options.</summary>
    public HttpMessageHandler? Handler { get; init; }

    /// <summary>Clock for timeouts and back-off delays.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    internal void Validate()
    {
        if (MaxAttempts < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxAttempts), MaxAttempts, "At least one attempt is required.");
        }

        if (AttemptTimeout <= TimeSpan.Zero || TotalDeadline <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(AttemptTimeout), "Timeouts must be positive.");
        }
    }
}
