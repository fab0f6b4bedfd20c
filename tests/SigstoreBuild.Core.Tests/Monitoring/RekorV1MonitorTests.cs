using System.Text;
using SigstoreBuild.Diagnostics;
using SigstoreBuild.LocalStack;
using SigstoreBuild.Monitoring;
using SigstoreBuild.Trust;
using SigstoreBuild.Verification;

namespace SigstoreBuild.Core.Tests.Monitoring;

/// <summary>
/// Rekor v1 serves each entry with a proof against whatever tree is current when it answers. The monitor holds every
/// such tree to the checkpoint it read first: a log that grew meanwhile passes, a log that shows another history
/// (here: rewritten after the monitor read its checkpoint) fails even though each entry's proof verifies on its own.
/// </summary>
[TestClass]
public sealed class RekorV1MonitorTests
{
    private static LocalSigstore s_sigstore = null!;
    private static string s_root = null!;

    public TestContext TestContext { get; set; } = null!;

    private static SigstoreBuild.LocalStack.Transparency.TransparencyLog Log => s_sigstore.Services.RekorV1.Log;

    [ClassInitialize]
    public static async Task StartAsync(TestContext context)
    {
        s_root = Directory.CreateTempSubdirectory("ssb-monitor-v1-").FullName;
        s_sigstore = await LocalSigstore.StartAsync(Path.Combine(s_root, "instance"), 0, context.CancellationToken);
    }

    [ClassCleanup]
    public static async Task StopAsync()
    {
        await s_sigstore.DisposeAsync();
        Directory.Delete(s_root, recursive: true);
    }

    [TestMethod]
    public async Task ALogThatGrowsDuringTheRun_IsConsistent()
    {
        Fill(5);
        var report = await MonitorAsync(fromEnd: 3, afterCheckpoint: () => Fill(2));
        Assert.AreEqual(3, report.EntriesRead);
        Assert.AreEqual(Log.Size - 2, report.State.TreeSize, "the state is the checkpoint read first");
    }

    [TestMethod]
    public async Task ALogThatRewritesHistoryDuringTheRun_IsDetected()
    {
        Fill(5);
        var victim = Log.Get(Log.Size - 4)!;
        var error = await Assert.ThrowsExactlyAsync<SigstoreException>(() =>
            MonitorAsync(fromEnd: 2, afterCheckpoint: () => Log.RewriteHistory(victim.Index, [.. victim.Body, (byte)'!'])));
        Assert.AreEqual(MonitorCodes.LogRewritten, error.Code, error.Message);
        StringAssert.Contains(error.Message, "not consistent with its checkpoint");
    }

    [TestMethod]
    public async Task AnEntryServedForAnotherIndex_IsRefused()
    {
        // The log answers the request for one index with another committed entry, relabelled: its proof verifies for its
        // own position, which is not the one asked for, so the entry really at that index would go unseen.
        Fill(4);
        var asked = Log.Size - 1;
        using var http = new HttpClient(new Relabel(asked, asked - 2) { InnerHandler = new SocketsHttpHandler() });
        var error = await Assert.ThrowsExactlyAsync<SigstoreException>(() => new LogMonitor(TrustedRoot.Load(s_sigstore.TrustedRootPath), http).RunAsync(
            new Uri(s_sigstore.BaseUrl), CertificateIdentity.Exact("nobody@example.com", s_sigstore.BaseUrl), previous: null, fromIndex: asked, maxEntries: 10, TestContext.CancellationToken));
        Assert.AreEqual(MonitorCodes.EntryNotInLog, error.Code, error.Message);
        StringAssert.Contains(error.Message, $"proof for position {asked - 2}");
    }

    [TestMethod]
    public async Task EntriesAreReadTenPerRequest()
    {
        Fill(25);
        var counting = new Counting { InnerHandler = new SocketsHttpHandler() };
        using var http = new HttpClient(counting);
        var report = await new LogMonitor(TrustedRoot.Load(s_sigstore.TrustedRootPath), http).RunAsync(new Uri(s_sigstore.BaseUrl),
            CertificateIdentity.Exact("nobody@example.com", s_sigstore.BaseUrl), previous: null, fromIndex: Log.Size - 25, maxEntries: 100, TestContext.CancellationToken);

        Assert.AreEqual(25, report.EntriesRead);
        Assert.AreEqual(3, counting.Requests.Count(r => r == "POST /api/v1/log/entries/retrieve"), string.Join(", ", counting.Requests));
        Assert.IsFalse(counting.Requests.Any(r => r.StartsWith("GET /api/v1/log/entries", StringComparison.Ordinal)), "no request per entry");
    }

    [TestMethod]
    public async Task TheInstanceRefusesMoreThanTenEntriesPerRequest_AsRekorDoes()
    {
        using var http = new HttpClient();
        using var response = await http.PostAsync(new Uri(new Uri(s_sigstore.BaseUrl + "/"), "api/v1/log/entries/retrieve"),
            new StringContent("{\"logIndexes\": [0,1,2,3,4,5,6,7,8,9,10]}", Encoding.UTF8, "application/json"), TestContext.CancellationToken);
        Assert.IsFalse(response.IsSuccessStatusCode);
    }

    private static void Fill(int count)
    {
        for (var i = 0; i < count; i++)
        {
            Log.Append(Encoding.UTF8.GetBytes($"{{\"filler\":\"{Guid.NewGuid()}\"}}"), null);
        }
    }

    /// <summary>Reads the last <paramref name="fromEnd"/> entries; <paramref name="afterCheckpoint"/> runs once the monitor has read the log's checkpoint.</summary>
    private async Task<MonitorReport> MonitorAsync(int fromEnd, Action afterCheckpoint)
    {
        using var http = new HttpClient(new AfterCheckpoint(afterCheckpoint) { InnerHandler = new SocketsHttpHandler() });
        return await new LogMonitor(TrustedRoot.Load(s_sigstore.TrustedRootPath), http).RunAsync(new Uri(s_sigstore.BaseUrl),
            CertificateIdentity.Exact("nobody@example.com", s_sigstore.BaseUrl), previous: null, fromIndex: Log.Size - fromEnd, maxEntries: 100, TestContext.CancellationToken);
    }

    /// <summary>Serves entry <paramref name="served"/> when <paramref name="asked"/> is requested, with the asked index in its (unsigned) logIndex.</summary>
    private sealed class Relabel(long asked, long served) : DelegatingHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (!request.RequestUri!.AbsolutePath.EndsWith("/entries/retrieve", StringComparison.Ordinal))
            {
                return await base.SendAsync(request, cancellationToken);
            }

            var query = System.Text.Json.Nodes.JsonNode.Parse(await request.Content!.ReadAsStringAsync(cancellationToken))!;
            query["logIndexes"] = new System.Text.Json.Nodes.JsonArray([.. query["logIndexes"]!.AsArray().Select(i => (System.Text.Json.Nodes.JsonNode)((long)i! == asked ? served : (long)i!))]);
            request.Content = new StringContent(query.ToJsonString(), Encoding.UTF8, "application/json");
            var response = await base.SendAsync(request, cancellationToken);
            var body = System.Text.Json.Nodes.JsonNode.Parse(await response.Content.ReadAsStringAsync(cancellationToken))!.AsArray();
            foreach (var entry in body.Select(e => e!.AsObject().Single().Value!.AsObject()).Where(e => (long)e["logIndex"]! == served))
            {
                entry["logIndex"] = asked;
            }

            response.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
            return response;
        }
    }

    /// <summary>Counts the requests by method and path.</summary>
    private sealed class Counting : DelegatingHandler
    {
        public System.Collections.Concurrent.ConcurrentQueue<string> Requests { get; } = new();

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Requests.Enqueue($"{request.Method} {request.RequestUri!.AbsolutePath}");
            return base.SendAsync(request, cancellationToken);
        }
    }

    private sealed class AfterCheckpoint(Action action) : DelegatingHandler
    {
        private Action? _pending = action;

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var response = await base.SendAsync(request, cancellationToken);
            if (request.RequestUri!.AbsolutePath.EndsWith("/api/v1/log", StringComparison.Ordinal))
            {
                Interlocked.Exchange(ref _pending, null)?.Invoke();
            }

            return response;
        }
    }
}
