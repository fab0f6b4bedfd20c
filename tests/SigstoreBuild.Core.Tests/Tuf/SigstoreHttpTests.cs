using System.Net;
using SigstoreBuild.Http;

namespace SigstoreBuild.Tests.Tuf;

/// <summary>The shared HTTP helper (used by the TUF client, later by the signer): retries, Retry-After, size bounds.</summary>
[TestClass]
public sealed class SigstoreHttpTests
{
    public TestContext TestContext { get; set; } = null!;

    private sealed class ScriptedHandler(params Func<HttpResponseMessage>[] responses) : HttpMessageHandler
    {
        public int Calls { get; private set; }

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Func<HttpResponseMessage> next = responses[Math.Min(Calls, responses.Length - 1)];
            Calls++;
            return Task.FromResult(next());
        }
    }

    private static HttpResponseMessage Status(HttpStatusCode code, string body = "", TimeSpan? retryAfter = null)
    {
        var response = new HttpResponseMessage(code) { Content = new StringContent(body) };
        if (retryAfter is TimeSpan delay)
        {
            response.Headers.RetryAfter = new System.Net.Http.Headers.RetryConditionHeaderValue(delay);
        }

        return response;
    }

    private static SigstoreHttpOptions Fast(HttpMessageHandler handler, int attempts = 4) => SigstoreHttpOptions.Default with
    {
        Handler = handler,
        MaxAttempts = attempts,
        InitialBackoff = TimeSpan.FromMilliseconds(1),
        MaxBackoff = TimeSpan.FromMilliseconds(5),
    };

    private async Task<BoundedHttpResponse> GetAsync(SigstoreHttpOptions options, long maxBytes = 1024)
    {
        using HttpClient client = SigstoreHttp.CreateClient(options);
        return await SigstoreHttp.GetBoundedAsync(client, new Uri("http://127.0.0.1/x"), maxBytes, options, TestContext.CancellationToken);
    }

    [TestMethod]
    [DataRow(HttpStatusCode.ServiceUnavailable)]
    [DataRow(HttpStatusCode.InternalServerError)]
    [DataRow(HttpStatusCode.TooManyRequests)]
    public async Task RetryableStatus_IsRetriedUntilSuccess(HttpStatusCode status)
    {
        var handler = new ScriptedHandler(() => Status(status), () => Status(status), () => Status(HttpStatusCode.OK, "ok"));

        BoundedHttpResponse response = await GetAsync(Fast(handler));

        Assert.AreEqual(HttpStatusCode.OK, response.StatusCode);
        Assert.AreEqual(3, response.Attempts);
        Assert.AreEqual(3, handler.Calls);
    }

    [TestMethod]
    [DataRow(HttpStatusCode.NotFound)]
    [DataRow(HttpStatusCode.BadRequest)]
    [DataRow(HttpStatusCode.Unauthorized)]
    public async Task ClientErrors_AreNotRetried(HttpStatusCode status)
    {
        var handler = new ScriptedHandler(() => Status(status), () => Status(HttpStatusCode.OK));

        BoundedHttpResponse response = await GetAsync(Fast(handler));

        Assert.AreEqual(status, response.StatusCode);
        Assert.AreEqual(1, handler.Calls);
    }

    [TestMethod]
    public async Task Attempts_AreBounded()
    {
        var handler = new ScriptedHandler(() => Status(HttpStatusCode.BadGateway));

        BoundedHttpResponse response = await GetAsync(Fast(handler, attempts: 3));

        Assert.AreEqual(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.AreEqual(3, handler.Calls);
    }

    [TestMethod]
    public async Task ConnectionErrors_AreRetriedThenThrown()
    {
        var handler = new ScriptedHandler(() => throw new HttpRequestException("connection refused"));

        await Assert.ThrowsAsync<HttpRequestException>(() => GetAsync(Fast(handler, attempts: 2)));
        Assert.AreEqual(2, handler.Calls);
    }

    [TestMethod]
    public async Task RetryAfter_BeyondTheAllowedWait_EndsTheRetries()
    {
        var handler = new ScriptedHandler(() => Status(HttpStatusCode.TooManyRequests, retryAfter: TimeSpan.FromHours(1)), () => Status(HttpStatusCode.OK));

        BoundedHttpResponse response = await GetAsync(Fast(handler));

        Assert.AreEqual(HttpStatusCode.TooManyRequests, response.StatusCode);
        Assert.AreEqual(1, handler.Calls);
    }

    [TestMethod]
    public void RetryAfter_DeltaAndDate_AreRead()
    {
        var clock = new ManualTimeProvider(new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero));
        using var delta = Status(HttpStatusCode.TooManyRequests, retryAfter: TimeSpan.FromSeconds(7));
        Assert.AreEqual(TimeSpan.FromSeconds(7), SigstoreHttp.GetRetryAfter(delta.Headers, clock));

        using var date = Status(HttpStatusCode.ServiceUnavailable);
        date.Headers.RetryAfter = new System.Net.Http.Headers.RetryConditionHeaderValue(clock.Now.AddSeconds(30));
        Assert.AreEqual(TimeSpan.FromSeconds(30), SigstoreHttp.GetRetryAfter(date.Headers, clock));
    }

    [TestMethod]
    [DataRow(true)]
    [DataRow(false)]
    public async Task Body_BeyondTheBound_Throws(bool declareLength)
    {
        var handler = new ScriptedHandler(() =>
        {
            var content = new StreamContent(new MemoryStream(new byte[5000]));
            if (declareLength)
            {
                content.Headers.ContentLength = 5000;
            }

            return new HttpResponseMessage(HttpStatusCode.OK) { Content = content };
        });

        HttpResponseTooLargeException ex = await Assert.ThrowsAsync<HttpResponseTooLargeException>(() => GetAsync(Fast(handler), maxBytes: 4096));
        Assert.AreEqual(4096, ex.MaxBytes);
        Assert.AreEqual(1, handler.Calls, "an oversized body is not retried");
    }

    [TestMethod]
    public async Task Body_WithinTheBound_IsReturnedWhole()
    {
        var handler = new ScriptedHandler(() => Status(HttpStatusCode.OK, new string('a', 4096)));

        BoundedHttpResponse response = await GetAsync(Fast(handler), maxBytes: 4096);

        Assert.HasCount(4096, response.Body);
    }
}
