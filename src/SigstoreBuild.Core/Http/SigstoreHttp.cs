using System.Net;
using System.Net.Http.Headers;

namespace SigstoreBuild.Http;

/// <summary>A response whose body was read completely within its size bound.</summary>
internal sealed record BoundedHttpResponse(HttpStatusCode StatusCode, byte[] Body, HttpResponseHeaders Headers, int Attempts)
{
    public bool IsSuccessStatusCode => (int)StatusCode is >= 200 and <= 299;
}

/// <summary>The body was longer than the caller allowed; the read stopped at the bound.</summary>
internal sealed class HttpResponseTooLargeException : IOException
{
    public HttpResponseTooLargeException(long maxBytes)
        : base($"The response is larger than the allowed {maxBytes} bytes.")
    {
        MaxBytes = maxBytes;
    }

    public long MaxBytes { get; }
}

/// <summary>
/// The one place HTTP clients are made and used: timeouts per attempt and overall, bounded retries on 5xx, 429 and
/// connection errors honouring <c>Retry-After</c>, and response bodies read only up to a caller-given size.
/// </summary>
internal static class SigstoreHttp
{
    /// <summary>Creates a client without its own timeout: <see cref="SendBoundedAsync"/> enforces per-attempt deadlines.</summary>
    public static HttpClient CreateClient(SigstoreHttpOptions? options = null)
    {
        options ??= SigstoreHttpOptions.Default;
        options.Validate();
        HttpClient client = options.Handler is null
            ? new HttpClient(new SocketsHttpHandler
            {
                AutomaticDecompression = DecompressionMethods.None,
                ConnectTimeout = options.AttemptTimeout,
                PooledConnectionLifetime = TimeSpan.FromMinutes(5),
                MaxAutomaticRedirections = 5,
            })
            : new HttpClient(options.Handler, disposeHandler: false);
        client.Timeout = Timeout.InfiniteTimeSpan;
        client.DefaultRequestHeaders.UserAgent.ParseAdd(options.UserAgent);
        return client;
    }

    /// <summary>GET <paramref name="uri"/> with retries, reading at most <paramref name="maxBytes"/> of a success body.</summary>
    public static Task<BoundedHttpResponse> GetBoundedAsync(
        HttpClient client, Uri uri, long maxBytes, SigstoreHttpOptions options, CancellationToken cancellationToken)
        => SendBoundedAsync(client, () => new HttpRequestMessage(HttpMethod.Get, uri), maxBytes, options, cancellationToken);

    /// <summary>
    /// Sends the request made by <paramref name="requestFactory"/> (called once per attempt), retrying 5xx, 429, connection
    /// errors and attempt timeouts within <see cref="SigstoreHttpOptions.MaxAttempts"/> and the total deadline. Returns the
    /// last response, whatever its status; only success bodies are read (bounded), others are read up to 64 KiB.
    /// Throws <see cref="HttpRequestException"/> or <see cref="TimeoutException"/> when no response was obtained, and
    /// <see cref="HttpResponseTooLargeException"/> (never retried) when the body exceeds the bound.
    /// </summary>
    public static async Task<BoundedHttpResponse> SendBoundedAsync(
        HttpClient client,
        Func<HttpRequestMessage> requestFactory,
        long maxBytes,
        SigstoreHttpOptions options,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(requestFactory);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        TimeProvider time = options.TimeProvider;
        long start = time.GetTimestamp();
        using var total = new CancellationTokenSource(options.TotalDeadline, time);
        using var linkedTotal = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, total.Token);

        for (int attempt = 1; ; attempt++)
        {
            Exception? failure;
            TimeSpan delay = Backoff(options, attempt);
            using (var attemptTimer = new CancellationTokenSource(options.AttemptTimeout, time))
            using (var attemptCts = CancellationTokenSource.CreateLinkedTokenSource(linkedTotal.Token, attemptTimer.Token))
            {
                try
                {
                    using HttpRequestMessage request = requestFactory();
                    using HttpResponseMessage response = await client
                        .SendAsync(request, HttpCompletionOption.ResponseHeadersRead, attemptCts.Token)
                        .ConfigureAwait(false);
                    bool retryable = IsRetryable(response.StatusCode);
                    if (!retryable || attempt >= options.MaxAttempts)
                    {
                        long bound = response.IsSuccessStatusCode ? maxBytes : Math.Min(maxBytes, 64 * 1024);
                        byte[] body = await ReadBoundedAsync(response.Content, bound, attemptCts.Token, truncate: !response.IsSuccessStatusCode).ConfigureAwait(false);
                        return new BoundedHttpResponse(response.StatusCode, body, response.Headers, attempt);
                    }

                    TimeSpan? retryAfter = GetRetryAfter(response.Headers, time);
                    delay = retryAfter ?? delay;
                    if (retryAfter > options.MaxRetryAfter || delay >= options.TotalDeadline - time.GetElapsedTime(start))
                    {
                        byte[] body = await ReadBoundedAsync(response.Content, Math.Min(maxBytes, 64 * 1024), attemptCts.Token, truncate: true).ConfigureAwait(false);
                        return new BoundedHttpResponse(response.StatusCode, body, response.Headers, attempt);
                    }

                    failure = null;
                }
                catch (HttpRequestException ex)
                {
                    failure = ex;
                }
                catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
                {
                    failure = total.IsCancellationRequested
                        ? new TimeoutException($"No complete response within the total deadline of {options.TotalDeadline.TotalSeconds:0.#} s.", ex)
                        : new TimeoutException($"No complete response within {options.AttemptTimeout.TotalSeconds:0.#} s.", ex);
                    if (total.IsCancellationRequested)
                    {
                        throw failure;
                    }
                }
            }

            if (attempt >= options.MaxAttempts)
            {
                throw failure!;
            }

            if (failure is not null && delay >= options.TotalDeadline - time.GetElapsedTime(start))
            {
                throw failure;
            }

            try
            {
                await Task.Delay(delay, time, linkedTotal.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"No complete response within the total deadline of {options.TotalDeadline.TotalSeconds:0.#} s.", ex);
            }
        }
    }

    /// <summary>
    /// Reads <paramref name="content"/> up to <paramref name="maxBytes"/>. A longer body throws
    /// <see cref="HttpResponseTooLargeException"/> (or is cut when <paramref name="truncate"/>), whatever Content-Length said.
    /// </summary>
    public static async Task<byte[]> ReadBoundedAsync(HttpContent content, long maxBytes, CancellationToken cancellationToken, bool truncate = false)
    {
        ArgumentNullException.ThrowIfNull(content);
        ArgumentOutOfRangeException.ThrowIfNegative(maxBytes);
        if (!truncate && content.Headers.ContentLength is long declared && declared > maxBytes)
        {
            throw new HttpResponseTooLargeException(maxBytes);
        }

        using Stream stream = await content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        using var buffer = new MemoryStream();
        byte[] chunk = new byte[16 * 1024];
        while (true)
        {
            int read = await stream.ReadAsync(chunk, cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                return buffer.ToArray();
            }

            if (buffer.Length + read > maxBytes)
            {
                if (truncate)
                {
                    buffer.Write(chunk, 0, (int)(maxBytes - buffer.Length));
                    return buffer.ToArray();
                }

                throw new HttpResponseTooLargeException(maxBytes);
            }

            buffer.Write(chunk, 0, read);
        }
    }

    internal static bool IsRetryable(HttpStatusCode status) => status == HttpStatusCode.TooManyRequests || (int)status >= 500;

    internal static TimeSpan? GetRetryAfter(HttpResponseHeaders headers, TimeProvider time)
    {
        RetryConditionHeaderValue? value = headers.RetryAfter;
        if (value?.Delta is TimeSpan delta)
        {
            return delta < TimeSpan.Zero ? TimeSpan.Zero : delta;
        }

        if (value?.Date is DateTimeOffset date)
        {
            TimeSpan wait = date - time.GetUtcNow();
            return wait < TimeSpan.Zero ? TimeSpan.Zero : wait;
        }

        return null;
    }

    private static TimeSpan Backoff(SigstoreHttpOptions options, int attempt)
    {
        double exponential = options.InitialBackoff.TotalMilliseconds * Math.Pow(2, attempt - 1);
        double capped = Math.Min(exponential, options.MaxBackoff.TotalMilliseconds);
        // Jitter spreads parallel build nodes apart; not security relevant.
        double jittered = capped * (0.5 + (Random.Shared.NextDouble() * 0.5));
        return TimeSpan.FromMilliseconds(jittered);
    }
}
