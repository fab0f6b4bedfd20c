using System.Reflection;
using SigstoreBuild.Diagnostics;
using SigstoreBuild.Tuf;

namespace SigstoreBuild.Tests.Tuf;

/// <summary>A fresh simulator and cache directory per test.</summary>
public abstract class TufTestBase
{
    internal RepositorySimulator Repo { get; private set; } = null!;

    protected string CacheDirectory { get; private set; } = null!;

    protected string TempDirectory { get; private set; } = null!;

    public TestContext TestContext { get; set; } = null!;

    [TestInitialize]
    public void CreateRepository()
    {
        Repo = new RepositorySimulator();
        TempDirectory = Directory.CreateTempSubdirectory("ssb-tuf-").FullName;
        CacheDirectory = Path.Combine(TempDirectory, "cache");
    }

    [TestCleanup]
    public void DisposeRepository()
    {
        Repo.Dispose();
        try
        {
            Directory.Delete(TempDirectory, recursive: true);
        }
        catch (IOException)
        {
            // Best effort.
        }
    }

    internal TufOptions Options() => Repo.Options(CacheDirectory);

    internal async Task<TufTrustState> RefreshAsync(TufOptions? options = null)
    {
        using TufClient client = await TufClient.CreateAsync(options ?? Options(), TestContext.CancellationToken);
        return await client.RefreshAsync(TestContext.CancellationToken);
    }

    /// <summary>Refresh expecting a refusal with <paramref name="code"/>.</summary>
    internal async Task<SigstoreException> RefreshFailsAsync(string code, TufOptions? options = null)
    {
        SigstoreException ex = await Assert.ThrowsAsync<SigstoreException>(() => RefreshAsync(options));
        Assert.AreEqual(code, ex.Code, ex.Message);
        return ex;
    }

    internal async Task<byte[]> DownloadAsync(string target, TufOptions? options = null)
    {
        using TufClient client = await TufClient.CreateAsync(options ?? Options(), TestContext.CancellationToken);
        return await client.GetTargetBytesAsync(target, TestContext.CancellationToken);
    }

    internal async Task<SigstoreException> DownloadFailsAsync(string target, string code, TufOptions? options = null)
    {
        SigstoreException ex = await Assert.ThrowsAsync<SigstoreException>(() => DownloadAsync(target, options));
        Assert.AreEqual(code, ex.Code, ex.Message);
        return ex;
    }

    /// <summary>Version of a role as stored in the cache (null when absent): what the client trusts for next time.</summary>
    protected long? CachedVersion(string role)
    {
        string path = TufCache.IsTopLevel(role)
            ? Path.Combine(CacheDirectory, "metadata", role + ".json")
            : Path.Combine(CacheDirectory, "metadata", "delegated", TufCache.EncodeName(role) + ".json");
        if (!File.Exists(path))
        {
            return null;
        }

        using var document = System.Text.Json.JsonDocument.Parse(File.ReadAllBytes(path));
        return document.RootElement.GetProperty("signed").GetProperty("version").GetInt64();
    }

    protected byte[] CachedBytes(string role) => File.ReadAllBytes(Path.Combine(CacheDirectory, "metadata", role + ".json"));
}

internal static class SharedFiles
{
    /// <summary>shared/ beside the repository (worktree or CI clone), or null.</summary>
    public static string? FindSharedDirectory()
    {
        string? repoRoot = typeof(SharedFiles).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == "RepoRoot")?.Value;
        var candidates = new List<string>();
        if (!string.IsNullOrEmpty(repoRoot))
        {
            candidates.Add(Path.Combine(repoRoot, "..", "shared"));
            candidates.Add(Path.Combine(repoRoot, "shared"));
        }

        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            candidates.Add(Path.Combine(dir.FullName, "shared"));
        }

        return candidates.Select(Path.GetFullPath).FirstOrDefault(c => Directory.Exists(Path.Combine(c, "conformance", "trust", "tuf")));
    }

    public static string RequireTufDirectory()
    {
        string? shared = FindSharedDirectory();
        if (shared is null)
        {
            Assert.Inconclusive("shared/conformance/trust/tuf was not found beside the repository; the real root history is needed.");
        }

        return Path.Combine(shared!, "conformance", "trust", "tuf");
    }
}
