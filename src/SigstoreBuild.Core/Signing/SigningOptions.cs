using SigstoreBuild.Fulcio;
using SigstoreBuild.Signing.Transport;

namespace SigstoreBuild.Signing;

/// <summary>How a <see cref="SigningSession"/> talks to services and reports progress.</summary>
public sealed record SigningOptions
{
    public TimeProvider Time { get; init; } = TimeProvider.System;

    public ISigningLog Log { get; init; } = NullSigningLog.Instance;

    internal RetryPolicy RetryPolicy { get; init; } = RetryPolicy.Default;

    /// <summary>Concurrent artifacts (log and TSA submissions) per session.</summary>
    public int MaxParallelism { get; init; } = 4;

    internal FulcioRequestStyle FulcioRequestStyle { get; init; } = FulcioRequestStyle.PublicKey;

    /// <summary>Warn (SSB2500) when service times and the local clock differ by more than this (threat model F-08).</summary>
    public TimeSpan ClockSkewWarningThreshold { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>Use only Rekor logs of this major API version (1 or 2), when the signing config offers them.</summary>
    public int? RekorApiVersion { get; init; }

    /// <summary>Shared HTTP client; the session creates (and disposes) one when not given.</summary>
    public HttpClient? HttpClient { get; init; }
}
