using System.Text;
using SigstoreBuild.Diagnostics;
using SigstoreBuild.Tuf;

namespace SigstoreBuild.Tests.Tuf;

/// <summary>U-10: local state (exact bytes, atomic writes, resumable root walk, permissions, one cache per mirror).</summary>
[TestClass]
public sealed class TufCacheTests : TufTestBase
{
    [TestMethod]
    public async Task MetadataBytesMatch_AfterUpdates()
    {
        Repo.PublishRoot();
        Repo.PublishAll();

        await RefreshAsync();

        CollectionAssert.AreEqual(Repo.Files["metadata/2.root.json"], CachedBytes("root"));
        CollectionAssert.AreEqual(Repo.Files["metadata/timestamp.json"], CachedBytes("timestamp"));
        CollectionAssert.AreEqual(Repo.Files["metadata/2.snapshot.json"], CachedBytes("snapshot"));
        CollectionAssert.AreEqual(Repo.Files["metadata/2.targets.json"], CachedBytes("targets"));
    }

    [TestMethod]
    public async Task InterruptedRootWalk_ResumesFromTheLastGoodRoot()
    {
        Repo.PublishRoot(); // v2 good
        Repo.PublishRoot(); // v3, broken below
        Repo.Files["metadata/3.root.json"] = Encoding.UTF8.GetBytes("{\"signed\":");

        await RefreshFailsAsync(TufCodes.InvalidMetadata);
        Assert.AreEqual(2L, CachedVersion("root"));

        Repo.Files["metadata/3.root.json"] = RepositorySimulator.Sign(Repo.Root, Repo.Signers["root"]); // repaired
        Repo.ClearRequests();

        TufTrustState state = await RefreshAsync(Options() with { InitialRoot = ReadOnlyMemory<byte>.Empty });
        Assert.AreEqual(3, state.RootVersion);
        Assert.AreEqual("metadata/3.root.json", Repo.RequestList()[0]);
    }

    [TestMethod]
    public async Task CorruptCachedRoot_FallsBackToTheInitialRoot()
    {
        await RefreshAsync();
        // A crash of a non-atomic writer would leave this.
        File.WriteAllBytes(Path.Combine(CacheDirectory, "metadata", "root.json"), Encoding.UTF8.GetBytes("{\"signed\":{\"_ty"));

        TufTrustState state = await RefreshAsync();

        Assert.AreEqual(1, state.RootVersion);
        CollectionAssert.AreEqual(Repo.InitialRoot, CachedBytes("root"));
    }

    [TestMethod]
    public async Task CorruptCachedRoot_WithoutInitialRoot_IsAnError()
    {
        await RefreshAsync();
        File.WriteAllBytes(Path.Combine(CacheDirectory, "metadata", "root.json"), Encoding.UTF8.GetBytes("{}"));

        await RefreshFailsAsync(TufCodes.InvalidInitialRoot, Options() with { InitialRoot = ReadOnlyMemory<byte>.Empty });
    }

    [TestMethod]
    public void AtomicWrite_ReplacesWholeFiles_AndLeavesNoTemporaryFiles()
    {
        var cache = new TufCache(CacheDirectory);
        cache.EnsureCreated();
        string path = cache.TopLevelPath("timestamp");
        cache.WriteAtomic(path, Encoding.UTF8.GetBytes("first version, rather long"));
        cache.WriteAtomic(path, Encoding.UTF8.GetBytes("second"));

        Assert.AreEqual("second", File.ReadAllText(path));
        Assert.IsEmpty(Directory.GetFiles(cache.MetadataDirectory, "*.tmp"));
    }

    [TestMethod]
    public async Task LeftoverTemporaryFiles_AreIgnored()
    {
        await RefreshAsync();
        File.WriteAllText(Path.Combine(CacheDirectory, "metadata", ".root.json.0123456789ab.tmp"), "{\"partial\":");

        TufTrustState state = await RefreshAsync();

        Assert.AreEqual(1, state.RootVersion);
    }

    [TestMethod]
    public async Task CacheDirectory_IsPrivate()
    {
        if (OperatingSystem.IsWindows())
        {
            Assert.Inconclusive("Unix permissions only.");
            return;
        }

        Directory.CreateDirectory(CacheDirectory);
        File.SetUnixFileMode(CacheDirectory, (UnixFileMode)0x1FF); // 0777, as a careless earlier tool might leave it

        await RefreshAsync();

        const UnixFileMode others = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
            | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;
        foreach (string dir in new[] { CacheDirectory, Path.Combine(CacheDirectory, "metadata"), Path.Combine(CacheDirectory, "targets") })
        {
            Assert.AreEqual((UnixFileMode)0, File.GetUnixFileMode(dir) & others, dir);
        }

        foreach (string file in Directory.GetFiles(CacheDirectory, "*", SearchOption.AllDirectories))
        {
            Assert.AreEqual((UnixFileMode)0, File.GetUnixFileMode(file) & others, file);
        }
    }

    [TestMethod]
    public async Task CacheOfAnotherMirror_IsRefused()
    {
        await RefreshAsync();
        TufOptions other = Options() with { MetadataUri = new Uri("http://127.0.0.1:1/other/"), TargetsUri = null };

        SigstoreException ex = await Assert.ThrowsAsync<SigstoreException>(() => TufClient.CreateAsync(other, TestContext.CancellationToken));
        Assert.AreEqual(TufCodes.InvalidOptions, ex.Code);
    }

    [TestMethod]
    public async Task FromCache_ResumesTheRecordedMirrorAndRoot()
    {
        await RefreshAsync();
        Repo.PublishRoot();
        Repo.PublishAll();

        TufOptions resumed = TufOptions.FromCache(CacheDirectory) with { TimeProvider = Repo.Time };
        TufTrustState state = await RefreshAsync(resumed);

        Assert.AreEqual(2, state.RootVersion);
        Assert.AreEqual(2L, state.TargetsVersion);
        TufTrustState described = TufClient.DescribeCache(CacheDirectory);
        Assert.AreEqual(2, described.RootVersion);
        Assert.IsTrue(described.Unverified);
    }

    [TestMethod]
    public void DefaultCacheDirectory_HonoursTheEnvironmentVariable()
    {
        string baseDirectory = Path.Combine(TempDirectory, "env-cache");
        TufOptions options = TufOptions.PublicGood with
        {
            EnvironmentReader = name => name == TufOptions.CacheEnvironmentVariable ? baseDirectory : null,
        };

        string resolved = options.ResolveCacheDirectory();

        Assert.AreEqual(baseDirectory, Path.GetDirectoryName(resolved));
        Assert.AreNotEqual(
            resolved,
            (TufOptions.Staging with { EnvironmentReader = options.EnvironmentReader }).ResolveCacheDirectory(),
            "each mirror gets its own directory");
        string home = (TufOptions.PublicGood with { EnvironmentReader = _ => null }).ResolveCacheDirectory();
        StringAssert.Contains(home, Path.Combine(".sigstore-dotnet", "tuf"));
    }

    [TestMethod]
    [DataRow("../x", "..%2Fx")]
    [DataRow("..", "%2E%2E%00")]
    [DataRow(".", "%2E%00")]
    [DataRow("", "%00")]
    [DataRow("a b/c", "a%20b%2Fc")]
    public void EncodeName_CannotFormAPath(string name, string expected)
        => Assert.AreEqual(expected, TufCache.EncodeName(name));
}
