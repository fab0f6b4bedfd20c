using System.Net;
using System.Text.Json;
using SigstoreBuild.Diagnostics;
using SigstoreBuild.LocalStack.Tuf;
using SigstoreBuild.Tuf;

namespace SigstoreBuild.LocalStack.Tests;

/// <summary>
/// The instance's TUF repository, read by the project's own <see cref="TufClient"/> over real HTTP, starting from the
/// out-of-band <c>DIR/tuf-root.json</c>.
/// </summary>
[TestClass]
public sealed class TufRepositoryTests
{
    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    public async Task TufClientInitialisesFromTufRootAndFetchesBothTargetsByteIdentical()
    {
        await using var instance = await Instance.StartAsync();
        var sigstore = instance.Sigstore;
        Assert.AreEqual(sigstore.BaseUrl + "/tuf", sigstore.TufMirrorUrl);
        Assert.AreEqual(Path.Combine(instance.Directory, "tuf-root.json"), sigstore.TufRootPath);

        using var client = await TufClient.CreateAsync(Options(sigstore, NewCache()), TestContext.CancellationToken);
        var state = await client.RefreshAsync(TestContext.CancellationToken);
        Assert.AreEqual(1, state.RootVersion);
        Assert.AreEqual(1, state.TargetsVersion);
        Assert.AreEqual(1, state.TimestampVersion);
        Assert.IsGreaterThan(DateTimeOffset.UtcNow.AddHours(12), state.TimestampExpires!.Value);
        Assert.IsLessThanOrEqualTo(DateTimeOffset.UtcNow.AddDays(1).AddMinutes(1), state.TimestampExpires!.Value);

        CollectionAssert.AreEqual(File.ReadAllBytes(sigstore.TrustedRootPath),
            await client.GetTargetBytesAsync(TrustRootProvider.TrustedRootTarget, TestContext.CancellationToken));
        CollectionAssert.AreEqual(File.ReadAllBytes(sigstore.SigningConfigPath),
            await client.GetTargetBytesAsync(TrustRootProvider.SigningConfigTarget, TestContext.CancellationToken));

        // Through the provider too, as the signer and verifier obtain it.
        var material = await new TrustRootProvider(TrustConfiguration.Custom(new Uri(sigstore.TufMirrorUrl), File.ReadAllBytes(sigstore.TufRootPath))
            .WithCacheDirectory(NewCache())).GetAsync(TestContext.CancellationToken);
        Assert.AreEqual(TrustMaterialSource.Tuf, material.Source);
        CollectionAssert.AreEqual(File.ReadAllBytes(sigstore.TrustedRootPath), material.TrustedRootJson);
        CollectionAssert.AreEqual(File.ReadAllBytes(sigstore.SigningConfigPath), material.SigningConfigJson);
    }

    [TestMethod]
    public async Task RepositoryUsesSigstoreShapedKeysAndConsistentSnapshots()
    {
        await using var instance = await Instance.StartAsync();
        using var root = JsonDocument.Parse(File.ReadAllBytes(instance.Sigstore.TufRootPath));
        var signed = root.RootElement.GetProperty("signed");
        Assert.IsTrue(signed.GetProperty("consistent_snapshot").GetBoolean());
        var keys = signed.GetProperty("keys").EnumerateObject().ToArray();
        Assert.HasCount(4, keys);
        foreach (var key in keys)
        {
            Assert.AreEqual("ecdsa", key.Value.GetProperty("keytype").GetString());
            Assert.AreEqual("ecdsa-sha2-nistp256", key.Value.GetProperty("scheme").GetString());
            StringAssert.StartsWith(key.Value.GetProperty("keyval").GetProperty("public").GetString(), "-----BEGIN PUBLIC KEY-----");
        }

        CollectionAssert.AreEqual(File.ReadAllBytes(instance.Sigstore.TufRootPath), await instance.Http.GetByteArrayAsync("tuf/1.root.json", TestContext.CancellationToken));
        Assert.AreEqual(HttpStatusCode.OK, (await instance.Http.GetAsync("tuf/1.snapshot.json", TestContext.CancellationToken)).StatusCode);
        Assert.AreEqual(HttpStatusCode.OK, (await instance.Http.GetAsync("tuf/1.targets.json", TestContext.CancellationToken)).StatusCode);
        var hash = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(instance.Sigstore.TrustedRootPath)));
        CollectionAssert.AreEqual(File.ReadAllBytes(instance.Sigstore.TrustedRootPath),
            await instance.Http.GetByteArrayAsync($"tuf/targets/{hash}.trusted_root.json", TestContext.CancellationToken));
        Assert.AreEqual(HttpStatusCode.NotFound, (await instance.Http.GetAsync("tuf/targets/trusted_root.json", TestContext.CancellationToken)).StatusCode);
    }

    [TestMethod]
    [DataRow("tuf/%2E%2E%2Fkeys%2Ftuf-root.key.pem")]
    [DataRow("tuf/..%2Fkeys%2Ftuf-root.key.pem")]
    [DataRow("tuf/targets/..%2F..%2Ftrusted_root.json")]
    [DataRow("tuf/2.root.json")]
    public async Task OnlyPublishedFilesAreServed(string path)
    {
        await using var instance = await Instance.StartAsync();
        var response = await instance.Http.GetAsync(path, TestContext.CancellationToken);
        Assert.AreEqual(HttpStatusCode.NotFound, response.StatusCode);
        Assert.IsNull(instance.Sigstore.Services.Tuf.ReadPublished("../keys/tuf-root.key.pem"));
        Assert.IsNull(instance.Sigstore.Services.Tuf.ReadPublished("targets/../../trusted_root.json"));
    }

    [TestMethod]
    public async Task RestartKeepsTheRepositoryValidAndBumpsVersionsOnlyWhenTargetsChange()
    {
        var directory = Instance.NewDirectory();
        var cache = NewCache();
        int port;
        TufTrustState first;
        await using (var instance = await Instance.StartAsync(directory))
        {
            port = instance.Sigstore.Port;
            first = await RefreshAndCheckTargetsAsync(instance.Sigstore, cache);
        }

        // Same port, same material: the targets are unchanged, only a new timestamp is signed.
        TufTrustState second;
        await using (var instance = await Instance.StartAsync(directory, new LocalSigstoreOptions { DataDirectory = directory, Port = port }))
        {
            second = await RefreshAndCheckTargetsAsync(instance.Sigstore, cache);
        }

        Assert.AreEqual(first.RootVersion, second.RootVersion);
        Assert.AreEqual(first.TargetsVersion, second.TargetsVersion);
        Assert.AreEqual(first.SnapshotVersion, second.SnapshotVersion);
        Assert.AreEqual(first.TimestampVersion + 1, second.TimestampVersion);

        // Another Rekor v2 key changes trusted_root.json: new targets, snapshot and timestamp versions, same root.
        await using (var instance = await Instance.StartAsync(directory, new LocalSigstoreOptions { DataDirectory = directory, Port = port, RekorV2KeyType = CheckpointKeyType.EcdsaP256 }))
        {
            var third = await RefreshAndCheckTargetsAsync(instance.Sigstore, cache);
            Assert.AreEqual(second.RootVersion, third.RootVersion);
            Assert.AreEqual(second.TargetsVersion + 1, third.TargetsVersion);
            Assert.AreEqual(second.SnapshotVersion + 1, third.SnapshotVersion);
            Assert.AreEqual(second.TimestampVersion + 1, third.TimestampVersion);
        }
    }

    [TestMethod]
    public async Task ALostOnlineKeyRotatesTheRootAndClientsFollow()
    {
        var directory = Instance.NewDirectory();
        var cache = NewCache();
        int port;
        byte[] firstRoot;
        await using (var instance = await Instance.StartAsync(directory))
        {
            port = instance.Sigstore.Port;
            firstRoot = File.ReadAllBytes(instance.Sigstore.TufRootPath);
            await RefreshAndCheckTargetsAsync(instance.Sigstore, cache);
        }

        File.Delete(Path.Combine(directory, "keys", "tuf-timestamp.key.pem"));
        await using (var instance = await Instance.StartAsync(directory, new LocalSigstoreOptions { DataDirectory = directory, Port = port }))
        {
            Assert.AreEqual(2, instance.Sigstore.Services.Tuf.RootVersion);

            // The cache (root 1) is resumed on its own, as `trust-root update` does: the client must walk to root 2.
            using var resumed = await TufClient.CreateAsync(TufOptions.FromCache(cache), TestContext.CancellationToken);
            var state = await resumed.RefreshAsync(TestContext.CancellationToken);
            Assert.AreEqual(2, state.RootVersion);
            Assert.AreEqual(1, state.RootRotations);
            CollectionAssert.AreEqual(File.ReadAllBytes(instance.Sigstore.TrustedRootPath),
                await resumed.GetTargetBytesAsync(TrustRootProvider.TrustedRootTarget, TestContext.CancellationToken));

            // A client holding only the first root walks the chain as well.
            using var fresh = await TufClient.CreateAsync(TufOptions.Custom(new Uri(instance.Sigstore.TufMirrorUrl), firstRoot) with { CacheDirectory = NewCache() }, TestContext.CancellationToken);
            Assert.AreEqual(2, (await fresh.RefreshAsync(TestContext.CancellationToken)).RootVersion);
        }
    }

    [TestMethod]
    public async Task AReplacedRootKeyStopsTheStartWithACode()
    {
        var directory = Instance.NewDirectory();
        await using (await Instance.StartAsync(directory))
        {
        }

        File.Delete(Path.Combine(directory, "keys", "tuf-root.key.pem"));
        var error = await Assert.ThrowsExactlyAsync<SigstoreException>(() => LocalSigstore.StartAsync(directory, 0, TestContext.CancellationToken));
        Assert.AreEqual(LocalStackCodes.TufRepositoryInvalid, error.Code);
    }

    [TestMethod]
    public async Task AMissingSnapshotInThePersistedChainStopsTheStartWithACode()
    {
        var directory = Instance.NewDirectory();
        await using (await Instance.StartAsync(directory))
        {
        }

        File.Delete(Path.Combine(directory, "tuf", "1.snapshot.json"));
        var error = await Assert.ThrowsExactlyAsync<SigstoreException>(() => LocalSigstore.StartAsync(directory, 0, TestContext.CancellationToken));
        Assert.AreEqual(LocalStackCodes.TufRepositoryInvalid, error.Code);
    }

    [TestMethod]
    public async Task ALongRunningInstanceRenewsTheTimestampBeforeItExpires()
    {
        var clock = new ManualClock(DateTimeOffset.UtcNow);
        var directory = Instance.NewDirectory();
        await using var instance = await Instance.StartAsync(directory, new LocalSigstoreOptions { DataDirectory = directory, TimeProvider = clock });
        var cache = NewCache();
        var options = Options(instance.Sigstore, cache) with { TimeProvider = clock };
        using (var client = await TufClient.CreateAsync(options, TestContext.CancellationToken))
        {
            Assert.AreEqual(1, (await client.RefreshAsync(TestContext.CancellationToken)).TimestampVersion);
        }

        // Without renewal the timestamp (one day) would have expired; the snapshot (seven days) is past half its life.
        clock.Advance(TimeSpan.FromDays(4));
        using (var client = await TufClient.CreateAsync(options, TestContext.CancellationToken))
        {
            var state = await client.RefreshAsync(TestContext.CancellationToken);
            Assert.AreEqual(2, state.TimestampVersion);
            Assert.AreEqual(2, state.SnapshotVersion);
            Assert.AreEqual(1, state.TargetsVersion);
            Assert.IsGreaterThan(clock.GetUtcNow().AddHours(12), state.TimestampExpires!.Value);
            CollectionAssert.AreEqual(File.ReadAllBytes(instance.Sigstore.TrustedRootPath),
                await client.GetTargetBytesAsync(TrustRootProvider.TrustedRootTarget, TestContext.CancellationToken));
        }
    }

    private async Task<TufTrustState> RefreshAndCheckTargetsAsync(LocalSigstore sigstore, string cache)
    {
        using var client = await TufClient.CreateAsync(Options(sigstore, cache), TestContext.CancellationToken);
        var state = await client.RefreshAsync(TestContext.CancellationToken);
        CollectionAssert.AreEqual(File.ReadAllBytes(sigstore.TrustedRootPath),
            await client.GetTargetBytesAsync(TrustRootProvider.TrustedRootTarget, TestContext.CancellationToken));
        CollectionAssert.AreEqual(File.ReadAllBytes(sigstore.SigningConfigPath),
            await client.GetTargetBytesAsync(TrustRootProvider.SigningConfigTarget, TestContext.CancellationToken));
        return state;
    }

    private static TufOptions Options(LocalSigstore sigstore, string cache) =>
        TufOptions.Custom(new Uri(sigstore.TufMirrorUrl), File.ReadAllBytes(sigstore.TufRootPath)) with { CacheDirectory = cache };

    private static string NewCache() => Directory.CreateTempSubdirectory("ssb-tuf-cache-").FullName;

    private sealed class ManualClock(DateTimeOffset start) : TimeProvider
    {
        private DateTimeOffset _now = start;

        public override DateTimeOffset GetUtcNow() => _now;

        public void Advance(TimeSpan by) => _now += by;
    }
}
