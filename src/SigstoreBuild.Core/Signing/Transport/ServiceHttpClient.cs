using System.Net;
using System.Net.Http.Headers;
using SigstoreBuild.Diagnostics;

namespace SigstoreBuild.Signing.Transport;

/// <summary>A response from a Sigstore service, read fully (within the size cap).</summary>
internal sealed record ServiceResponse(HttpStatusCode StatusCode, byte[] Body, Uri? Location, string? ContentType)
{
    public bool IsSuccess => (int)StatusCode is >= 200 and < 300;

    /// <summary>A short, printable excerpt of the body for error messages (services echo no secrets of ours).</summary>
    public string BodyExcerpt()
    {
        var text = System.Text.Encoding.UTF8.GetString(Body, 0, Math.Min(Body.Length, 300));
        return new string(text.Select(c => char.IsControl(c) ? ' ' : c).ToArray()).Trim();
    }
}

/// <summary>
/// The signer's HTTP helper: per-attempt timeout, a total deadline, response-size caps, and bounded retries with
/// exponential backoff and jitter on 5xx, 429 and connection failures only, honouring <c>Retry-After</c>. Each retry
/// resends a request built by the same factory, so the body is identical. Nothing here logs headers.
/// </summary>
internal sealed class ServiceHttpClient
{
    private readonly HttpClient _client;
    private readonly RetryPolicy _policy;
    private readonly TimeProvider _time;
    private readonly ISigningLog _log;

    public ServiceHttpClient(HttpClient client, RetryPolicy policy, TimeProvider time, ISigningLog log)
    {
        _client = client;
        _policy = policy;
        _time = time;
        _log = log;
    }

    public RetryPolicy Policy => _policy;

    public static HttpClient CreateHttpClient() => new(new SocketsHttpHandler
    {
        ConnectTimeout = TimeSpan.FromSeconds(15),
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        AllowAutoRedirect = false,
        AutomaticDecompression = DecompressionMethods.None,
    })
    {
        Timeout = Timeout.InfiniteTimeSpan,
    };

    /// <param name="service">The service's name for messages, e.g. "Fulcio".</param>
    /// <param name="unavailableCode">The code thrown when every attempt failed.</param>
    /// <param name="createRequest">Builds the (identical) request for each attempt.</param>
    public async Task<ServiceResponse> SendAsync(string service, string unavailableCode, Func<HttpRequestMessage> createRequest, CancellationToken cancellationToken)
    {
        var started = _time.GetTimestamp();
        string lastFailure = "no attempt was made";
        for (var attempt = 1; ; attempt++)
        {
            using var request = createRequest();
            var target = $"{request.Method} {request.RequestUri?.GetLeftPart(UriPartial.Path)}";
            TimeSpan? retryAfter = null;
            using (var attemptCts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                attemptCts.CancelAfter(Min(_policy.AttemptTimeout, Remaining(started)));
                try
                {
                    using var response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, attemptCts.Token).ConfigureAwait(false);
                    _log.Write(SigningLogLevel.Debug, null, $"{target} -> {(int)response.StatusCode} (attempt {attempt})");
                    var retryable = (int)response.StatusCode >= 500 || response.StatusCode == HttpStatusCode.TooManyRequests;
                    if (!retryable)
                    {
                        var body = await ReadCappedAsync(response.Content, service, attemptCts.Token).ConfigureAwait(false);
                        return new ServiceResponse(response.StatusCode, body, ResolveLocation(request.RequestUri, response.Headers.Location), response.Content.Headers.ContentType?.MediaType);
                    }

                    lastFailure = $"HTTP {(int)response.StatusCode}";
                    retryAfter = ParseRetryAfter(response.Headers.RetryAfter);
                }
                catch (HttpRequestException ex)
                {
                    lastFailure = $"connection failed ({ex.HttpRequestError})";
                    _log.Write(SigningLogLevel.Debug, null, $"{target} -> {lastFailure} (attempt {attempt})");
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    lastFailure = "timed out";
                    _log.Write(SigningLogLevel.Debug, null, $"{target} -> timed out (attempt {attempt})");
                }
            }

            var remaining = Remaining(started);
            var delay = retryAfter ?? Backoff(attempt);
            if (attempt >= _policy.MaxAttempts || delay >= remaining)
            {
                throw new SigstoreException(unavailableCode,
                    $"{service} could not be reached at {target} after {attempt} attempt(s) (last: {lastFailure}). The service may be down or rate limiting; retry later, or check the service URL and network.");
            }

            _log.Write(SigningLogLevel.Info, SigningCodes.RetryingService, $"{service}: {lastFailure}; retrying in {delay.TotalSeconds:0.###}s (attempt {attempt + 1} of {_policy.MaxAttempts}).");
            await Task.Delay(delay, _time, cancellationToken).ConfigureAwait(false);
        }
    }

    private TimeSpan Remaining(long started)
    {
        var left = _policy.TotalDeadline - _time.GetElapsedTime(started);
        return left > TimeSpan.Zero ? left : TimeSpan.FromMilliseconds(1);
    }

    private TimeSpan Backoff(int attempt)
    {
        var exponential = _policy.InitialDelay.TotalMilliseconds * Math.Pow(2, attempt - 1);
        var capped = Math.Min(exponential, _policy.MaxDelay.TotalMilliseconds);
        // Equal jitter: half fixed, half random, so parallel signers spread out.
        return TimeSpan.FromMilliseconds((capped / 2) + (Random.Shared.NextDouble() * capped / 2));
    }

    private TimeSpan? ParseRetryAfter(RetryConditionHeaderValue? header)
    {
        TimeSpan? value = header switch
        {
            { Delta: { } delta } => delta,
            { Date: { } date } => date - _time.GetUtcNow(),
            _ => null,
        };
        return value is { } v ? (v < TimeSpan.Zero ? TimeSpan.Zero : v) : null;
    }

    private async Task<byte[]> ReadCappedAsync(HttpContent content, string service, CancellationToken cancellationToken)
    {
        var cap = _policy.MaxResponseBytes;
        if (content.Headers.ContentLength is { } declared && declared > cap)
        {
            throw TooLarge(service, cap);
        }

        await using var stream = await content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await stream.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > cap)
            {
                throw TooLarge(service, cap);
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }

    private static SigstoreException TooLarge(string service, int cap) =>
        new(SigningCodes.ResponseTooLarge, $"{service} sent a response larger than {cap} bytes, which the signer refuses to read. Check the service URL.");

    private static Uri? ResolveLocation(Uri? requestUri, Uri? location) =>
        location is null ? null : location.IsAbsoluteUri || requestUri is null ? location : new Uri(requestUri, location);

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;
}
