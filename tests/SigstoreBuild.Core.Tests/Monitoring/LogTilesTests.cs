using System.Net;
using System.Text;
using SigstoreBuild.Diagnostics;
using SigstoreBuild.LocalStack;
using SigstoreBuild.Monitoring;
using SigstoreBuild.Trust;
using SigstoreBuild.Verification;
using SigstoreBuild.Verification.Tlog;

namespace SigstoreBuild.Core.Tests.Monitoring;

/// <summary>
/// Rekor v2's C2SP tlog-tiles read API, over real HTTP against the local instance's log of 700 entries (two full tiles
/// and a partial one at level 0, a partial one at level 1): subtree hashes, inclusion and consistency proofs built
/// from tiles equal the log's own, entry bundles give back the entries, and a monitor refuses tiles or entries the
/// log did not sign.
/// </summary>
[TestClass]
public sealed class LogTilesTests
{
    private const int Entries = 700;
    private static LocalSigstore s_sigstore = null!;
    private static string s_root = null!;
    private static HttpClient s_http = null!;

    public TestContext TestContext { get; set; } = null!;

    private static SigstoreBuild.LocalStack.Transparency.TransparencyLog Log => s_sigstore.Services.RekorV2.Log;

    [ClassInitialize]
    public static async Task StartAsync(TestContext context)
    {
        s_root = Directory.CreateTempSubdirectory("ssb-tiles-").FullName;
        s_sigstore = await LocalSigstore.StartAsync(Path.Combine(s_root, "instance"), 0, context.CancellationToken);
        s_http = new HttpClient { BaseAddress = new Uri(s_sigstore.RekorV2Url + "/") };
        for (var i = 0; i < Entries; i++)
        {
            // Entries of different lengths, so a wrong length prefix cannot go unnoticed.
            Log.Append(Encoding.UTF8.GetBytes($"{{\"entry\":{i},\"pad\":\"{new string('x', i % 37)}\"}}"), null);
        }
    }

    [ClassCleanup]
    public static async Task StopAsync()
    {
        s_http.Dispose();
        await s_sigstore.DisposeAsync();
        Directory.Delete(s_root, recursive: true);
    }

    [TestMethod]
    [DataRow(1L)]
    [DataRow(255L)]
    [DataRow(256L)]
    [DataRow(257L)]
    [DataRow(511L)]
    [DataRow(512L)]
    [DataRow(700L)]
    public async Task ProofsBuiltFromTiles_AreTheLogsOwn(long size)
    {
        var tiles = new LogTiles(size, GetAsync);
        var root = Log.RootHash(size);
        CollectionAssert.AreEqual(root, await tiles.HashAsync(0, size, TestContext.CancellationToken));

        foreach (var index in new[] { 0, size / 2, size - 1, 255, 256, 511 }.Where(i => i < size).Distinct())
        {
            var path = await tiles.InclusionProofAsync(index, TestContext.CancellationToken);
            Assert.IsTrue(MerkleProof.VerifyInclusion(index, size, MerkleProof.HashLeaf(Log.Get(index)!.Body), path, root), $"entry {index} of {size}");
        }

        foreach (var first in new[] { 1, 2, 3, 255, 256, 257, 300, size - 1 }.Where(f => f >= 1 && f < size).Distinct())
        {
            var proof = await tiles.ConsistencyProofAsync(first, TestContext.CancellationToken);
            CollectionAssert.AreEqual(Log.ConsistencyProof(first, size).Select(Convert.ToHexString).ToList(), proof.Select(Convert.ToHexString).ToList(), $"{first} -> {size}");
            Assert.IsTrue(ConsistencyProof.Verify(first, size, Log.RootHash(first), root, proof), $"{first} -> {size}");
        }

        for (long bundle = 0; bundle * LogTiles.Width < size; bundle++)
        {
            var entries = await tiles.EntriesAsync(bundle, TestContext.CancellationToken);
            Assert.HasCount((int)Math.Min(LogTiles.Width, size - (bundle * LogTiles.Width)), entries);
            for (var i = 0; i < entries.Count; i++)
            {
                CollectionAssert.AreEqual(Log.Get((bundle * LogTiles.Width) + i)!.Body, entries[i]);
            }
        }
    }

    [TestMethod]
    [DataRow(0L, "000")]
    [DataRow(999L, "999")]
    [DataRow(1000L, "x001/000")]
    [DataRow(1234067L, "x001/x234/067")]
    public void TileIndexes_AreGroupsOfThreeDigits(long index, string path) => Assert.AreEqual(path, LogTiles.EncodeIndex(index));

    [TestMethod]
    [DataRow("tile/0/000", 256 * 32)]
    [DataRow("tile/0/002.p/188", 188 * 32)]
    [DataRow("tile/0/001.p/5", 5 * 32)]
    [DataRow("tile/1/000.p/2", 2 * 32)]
    [DataRow("tile/0/x000/000", -1)]
    [DataRow("tile/0/000.p/0", -1)]
    [DataRow("tile/0/000.p/256", -1)]
    [DataRow("tile/0/002", -1)]
    [DataRow("tile/0/002.p/189", -1)]
    [DataRow("tile/1/000", -1)]
    [DataRow("tile/2/000.p/1", -1)]
    [DataRow("tile/entries/x001/000", -1)]
    [DataRow("tile/00/000", -1)]
    [DataRow("tile/0/0", -1)]
    public async Task TheInstanceServesTheTilesOfItsTree_AndNoOthers(string path, int length)
    {
        using var response = await s_http.GetAsync(path, TestContext.CancellationToken);
        if (length < 0)
        {
            Assert.AreEqual(HttpStatusCode.NotFound, response.StatusCode, path);
            return;
        }

        Assert.AreEqual(HttpStatusCode.OK, response.StatusCode, path);
        Assert.HasCount(length, await response.Content.ReadAsByteArrayAsync(TestContext.CancellationToken));
    }

    [TestMethod]
    public async Task AMonitor_ReadsEveryEntryThroughTiles()
    {
        var report = await MonitorAsync(null);
        Assert.AreEqual("tlog-tiles", report.Api);
        Assert.AreEqual(Log.Size, report.EntriesRead);
        Assert.AreEqual(Convert.ToHexStringLower(Log.RootHash(Log.Size)), report.State.RootHash);
    }

    [TestMethod]
    [DataRow("/tile/1/000.p/2", MonitorCodes.TilesInconsistent, DisplayName = "the level-1 tile the root is built from")]
    [DataRow("/tile/0/002.p/188", MonitorCodes.TilesInconsistent, DisplayName = "the partial level-0 tile")]
    [DataRow("/tile/0/001", MonitorCodes.EntryNotInLog, DisplayName = "a level-0 tile under the level-1 tile: the entries' proofs fail")]
    public async Task AHashTileTheCheckpointDoesNotSign_IsRefused(string tile, string code)
    {
        var error = await Assert.ThrowsExactlyAsync<SigstoreException>(() => MonitorAsync(path => path.EndsWith(tile, StringComparison.Ordinal) ? 40 : null));
        Assert.AreEqual(code, error.Code, error.Message);
    }

    [TestMethod]
    public async Task ACheckpointTheLogsKeyDidNotSign_IsRefused()
    {
        // The tree size's first digit: '7' becomes '6', and the signature no longer matches.
        var sizeDigit = Log.Head().Checkpoint.IndexOf('\n', StringComparison.Ordinal) + 1;
        var error = await Assert.ThrowsExactlyAsync<SigstoreException>(() => MonitorAsync(path => path.EndsWith("/checkpoint", StringComparison.Ordinal) ? sizeDigit : null));
        Assert.AreEqual(MonitorCodes.CheckpointInvalid, error.Code, error.Message);
    }

    [TestMethod]
    public async Task AnEntryTheTreeDoesNotHold_IsRefused()
    {
        // A byte inside the 300th entry's body (bundle 1), not its length.
        var error = await Assert.ThrowsExactlyAsync<SigstoreException>(() => MonitorAsync(path => path.EndsWith("/tile/entries/001", StringComparison.Ordinal) ? EntryOffset(300 - 256) + 5 : null));
        Assert.AreEqual(MonitorCodes.EntryNotInLog, error.Code, error.Message);
        StringAssert.Contains(error.Message, "Entry 300 ");
    }

    private static int EntryOffset(int within) =>
        Enumerable.Range(256, within).Sum(i => 2 + Log.Get(i)!.Body.Length) + 2;

    /// <summary>Runs a monitor over the whole log; <paramref name="corrupt"/> names a byte to flip in a response, by path.</summary>
    private async Task<MonitorReport> MonitorAsync(Func<string, int?>? corrupt)
    {
        using var http = new HttpClient(new Corrupting(corrupt ?? (_ => null)) { InnerHandler = new SocketsHttpHandler() });
        var trustedRoot = TrustedRoot.Load(s_sigstore.TrustedRootPath);
        return await new LogMonitor(trustedRoot, http).RunAsync(new Uri(s_sigstore.RekorV2Url), CertificateIdentity.Exact("nobody@example.com", s_sigstore.BaseUrl),
            previous: null, fromIndex: 0, maxEntries: 10_000, TestContext.CancellationToken);
    }

    private static async Task<byte[]?> GetAsync(string path, CancellationToken cancellationToken)
    {
        using var response = await s_http.GetAsync(path, cancellationToken);
        return response.StatusCode == HttpStatusCode.NotFound ? null : await response.EnsureSuccessStatusCode().Content.ReadAsByteArrayAsync(cancellationToken);
    }

    private sealed class Corrupting(Func<string, int?> corrupt) : DelegatingHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var response = await base.SendAsync(request, cancellationToken);
            if (corrupt(request.RequestUri!.AbsolutePath) is { } at)
            {
                var body = await response.Content.ReadAsByteArrayAsync(cancellationToken);
                body[at] ^= 0x01;
                response.Content = new ByteArrayContent(body);
            }

            return response;
        }
    }
}
