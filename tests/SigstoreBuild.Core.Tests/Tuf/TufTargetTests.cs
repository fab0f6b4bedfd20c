using System.Net;
using System.Security.Cryptography;
using System.Text;
using SigstoreBuild.Diagnostics;
using SigstoreBuild.Http;
using SigstoreBuild.Tuf;

namespace SigstoreBuild.Tests.Tuf;

/// <summary>U-07 (endless data, slow retrieval) and U-08 (wrong target: test_file_download.py).</summary>
[TestClass]
public sealed class TufTargetTests : TufTestBase
{
    private static readonly byte[] Content = Encoding.UTF8.GetBytes("{\"mediaType\":\"application/vnd.dev.sigstore.trustedroot+json;version=0.1\"}");

    [TestMethod]
    [DataRow("trusted_root.json")]
    [DataRow("dir/sub dir/file.txt")]
    public async Task ClientDownloadsExpectedFile_FromTheConsistentSnapshotPath(string name)
    {
        Repo.AddTarget(name, Content);
        Repo.PublishAll();

        byte[] data = await DownloadAsync(name);

        CollectionAssert.AreEqual(Content, data);
        string hash = Convert.ToHexStringLower(SHA256.HashData(Content));
        int slash = name.LastIndexOf('/');
        string expected = "targets/" + (slash < 0 ? $"{hash}.{name}" : $"{name[..(slash + 1)]}{hash}.{name[(slash + 1)..]}");
        Assert.AreEqual(expected, Repo.RequestList()[^1]);
        CollectionAssert.AreEqual(Content, File.ReadAllBytes(Path.Combine(CacheDirectory, "targets", TufCache.EncodeName(name))));
    }

    [TestMethod]
    public async Task RepositorySubstitutesTargetFile_IsRefused()
    {
        Repo.AddTarget("trusted_root.json", Content);
        Repo.PublishAll();
        string hash = Convert.ToHexStringLower(SHA256.HashData(Content));
        byte[] evil = (byte[])Content.Clone();
        evil[5] ^= 0x20;
        Repo.Files[$"targets/{hash}.trusted_root.json"] = evil;

        await DownloadFailsAsync("trusted_root.json", TufCodes.TargetHashMismatch);
        Assert.IsFalse(File.Exists(Path.Combine(CacheDirectory, "targets", "trusted_root.json")));
    }

    [TestMethod]
    public async Task TargetShorterThanDeclared_IsRefused()
    {
        Repo.AddTarget("trusted_root.json", Content);
        Repo.PublishAll();
        string hash = Convert.ToHexStringLower(SHA256.HashData(Content));
        Repo.Files[$"targets/{hash}.trusted_root.json"] = Content[..^3];

        await DownloadFailsAsync("trusted_root.json", TufCodes.TargetHashMismatch);
    }

    [TestMethod]
    public async Task TargetLongerThanDeclared_StopsAtTheDeclaredLength()
    {
        Repo.AddTarget("trusted_root.json", Content);
        Repo.PublishAll();
        string hash = Convert.ToHexStringLower(SHA256.HashData(Content));
        Repo.Files[$"targets/{hash}.trusted_root.json"] = [.. Content, .. new byte[100_000]];

        await DownloadFailsAsync("trusted_root.json", TufCodes.DownloadTooLarge);
    }

    [TestMethod]
    public async Task TargetDeclaredLargerThanTheCap_IsNotDownloaded()
    {
        Repo.AddTarget("big.bin", new byte[4096]);
        Repo.PublishAll();

        await DownloadFailsAsync("big.bin", TufCodes.DownloadTooLarge, Options() with { TargetFileMaxLength = 1024 });
        Assert.IsFalse(Repo.RequestList().Any(r => r.StartsWith("targets/", StringComparison.Ordinal)));
    }

    [TestMethod]
    public async Task MultipleChangesToTarget_AlwaysYieldTheCurrentContent()
    {
        for (int round = 0; round < 3; round++)
        {
            byte[] content = Encoding.UTF8.GetBytes($"{{\"round\":{round}}}");
            Repo.AddTarget("trusted_root.json", content);
            Repo.PublishAll();

            CollectionAssert.AreEqual(content, await DownloadAsync("trusted_root.json"));
        }
    }

    [TestMethod]
    [DataRow("sha256")]
    [DataRow("sha512")]
    [DataRow("sha384")]
    [DataRow("sha256", "sha512")]
    public async Task DownloadWithHashAlgorithms_AllAreChecked(params string[] algorithms)
    {
        Repo.AddTarget("trusted_root.json", Content, "targets", algorithms);
        Repo.PublishAll();

        CollectionAssert.AreEqual(Content, await DownloadAsync("trusted_root.json"));

        // Tamper with the last listed digest only: every digest must be checked, not just the first.
        var hashes = (System.Text.Json.Nodes.JsonObject)Repo.Targets["targets"]["targets"]!["trusted_root.json"]!["hashes"]!;
        string last = algorithms[^1];
        string zeros = new('0', hashes[last]!.GetValue<string>().Length);
        hashes[last] = zeros;
        Repo.Files[$"targets/{zeros}.trusted_root.json"] = Content; // where a first-listed digest points the client
        Repo.PublishAll();
        Directory.Delete(Path.Combine(CacheDirectory, "targets"), recursive: true);
        Directory.CreateDirectory(Path.Combine(CacheDirectory, "targets"));

        await DownloadFailsAsync("trusted_root.json", TufCodes.TargetHashMismatch);
    }

    [TestMethod]
    public async Task DownloadWithUnknownHashAlgorithm_IsRefused()
    {
        Repo.AddTarget("trusted_root.json", Content, "targets", "sha256", "made-up-hash");
        Repo.PublishAll();

        await DownloadFailsAsync("trusted_root.json", TufCodes.UnsupportedHashAlgorithm);
    }

    [TestMethod]
    public async Task ArtifactCache_IsUsedWhileItMatches_AndReplacedWhenItDoesNot()
    {
        Repo.AddTarget("trusted_root.json", Content);
        Repo.PublishAll();
        await DownloadAsync("trusted_root.json");
        Repo.ClearRequests();

        CollectionAssert.AreEqual(Content, await DownloadAsync("trusted_root.json"));
        Assert.IsFalse(Repo.RequestList().Any(r => r.StartsWith("targets/", StringComparison.Ordinal)));

        // A stale or tampered cached copy is not trusted: it is fetched again.
        File.WriteAllText(Path.Combine(CacheDirectory, "targets", "trusted_root.json"), "{\"stale\":true}");
        Repo.ClearRequests();
        CollectionAssert.AreEqual(Content, await DownloadAsync("trusted_root.json"));
        Assert.IsTrue(Repo.RequestList().Any(r => r.StartsWith("targets/", StringComparison.Ordinal)));
    }

    [TestMethod]
    [DataRow("root", false)]
    [DataRow("root", true)]
    [DataRow("timestamp", false)]
    [DataRow("timestamp", true)]
    [DataRow("snapshot", false)]
    [DataRow("targets", true)]
    public async Task EndlessData_MetadataBeyondItsBound_IsRefused(string role, bool chunked)
    {
        // Valid JSON padded with whitespace; no length is declared for any of these files.
        string path = role switch
        {
            "root" => "metadata/2.root.json",
            "timestamp" => "metadata/timestamp.json",
            "snapshot" => "metadata/1.snapshot.json",
            _ => "metadata/1.targets.json",
        };
        byte[] original = Repo.Files.TryGetValue(path, out byte[]? existing) ? existing : Repo.Files["metadata/1.root.json"];
        byte[] huge = [.. original, .. Enumerable.Repeat((byte)' ', 600_000)];
        Repo.Intercept = async (requested, context) =>
        {
            if (requested != path)
            {
                return false;
            }

            context.Response.SendChunked = chunked;
            if (!chunked)
            {
                context.Response.ContentLength64 = huge.Length;
            }

            await context.Response.OutputStream.WriteAsync(huge);
            context.Response.Close();
            return true;
        };
        TufOptions options = Options() with { SnapshotMaxLength = 100_000, TargetsMaxLength = 100_000 };

        await RefreshFailsAsync(TufCodes.DownloadTooLarge, options);
    }

    [TestMethod]
    public async Task EndlessData_SnapshotBeyondDeclaredLength_IsRefused()
    {
        Repo.ComputeMetaHashes = true;
        Repo.PublishAll();
        Repo.Files["metadata/2.snapshot.json"] = [.. Repo.Files["metadata/2.snapshot.json"], .. new byte[10_000]];

        await RefreshFailsAsync(TufCodes.DownloadTooLarge);
    }

    [TestMethod]
    public async Task SlowRetrieval_DripFeed_TimesOut()
    {
        byte[] timestamp = Repo.Files["metadata/timestamp.json"];
        Repo.Intercept = async (requested, context) =>
        {
            if (requested != "metadata/timestamp.json")
            {
                return false;
            }

            // Eventually a complete, valid answer: only a timeout tells this apart from a slow but honest mirror.
            context.Response.ContentLength64 = timestamp.Length;
            foreach (byte b in timestamp)
            {
                await context.Response.OutputStream.WriteAsync(new[] { b });
                await context.Response.OutputStream.FlushAsync();
                await Task.Delay(20);
            }

            context.Response.Close();
            return true;
        };
        TufOptions options = Options() with { Http = Options().Http with { AttemptTimeout = TimeSpan.FromSeconds(1), MaxAttempts = 1 } };

        SigstoreException ex = await RefreshFailsAsync(TufCodes.DownloadFailed, options);
        Assert.IsInstanceOfType<TimeoutException>(ex.InnerException);
    }

    [TestMethod]
    public async Task ServerErrors_AreRetriedThenReported()
    {
        int failures = 0;
        Repo.Intercept = (requested, context) =>
        {
            if (requested != "metadata/timestamp.json" || failures >= 2)
            {
                return Task.FromResult(false);
            }

            failures++;
            context.Response.StatusCode = (int)HttpStatusCode.ServiceUnavailable;
            context.Response.Close();
            return Task.FromResult(true);
        };
        TufOptions options = Options() with
        {
            Http = SigstoreHttpOptions.Default with { MaxAttempts = 3, InitialBackoff = TimeSpan.FromMilliseconds(10) },
        };

        TufTrustState state = await RefreshAsync(options);

        Assert.AreEqual(2, failures);
        Assert.AreEqual(1L, state.TimestampVersion);
    }
}
