using SigstoreBuild.NuGet.Restore;
using SigstoreBuild.Restore.Tests.Infrastructure;

namespace SigstoreBuild.Restore.Tests;

[TestClass]
public sealed class IntegrityTests
{
    [TestMethod]
    public void FreshFolder_HashesTheNupkgAndMatchesNuGetsContentHash()
    {
        using var feed = new TestFeed();
        var expected = feed.AddPackage("Contoso.Lib", "1.0.0");
        var result = Check(feed, null, rehash: false, out var calls);
        Assert.IsNull(result.Problem);
        Assert.IsTrue(result.Rehashed);
        Assert.AreEqual(1, calls);
        CollectionAssert.AreEqual(expected, result.ContentHash);
    }

    [TestMethod]
    public void UnchangedFolder_UsesTheCachedStateWithoutHashing()
    {
        using var feed = new TestFeed();
        feed.AddPackage("Contoso.Lib", "1.0.0");
        var first = Check(feed, null, rehash: false, out _);
        var second = Check(feed, first.State, rehash: false, out var calls);
        Assert.AreEqual(0, calls);
        Assert.IsFalse(second.Rehashed);
        CollectionAssert.AreEqual(first.ContentHash, second.ContentHash);
    }

    [TestMethod]
    public void RehashProperty_AlwaysHashes()
    {
        using var feed = new TestFeed();
        feed.AddPackage("Contoso.Lib", "1.0.0");
        var first = Check(feed, null, rehash: false, out _);
        Check(feed, first.State, rehash: true, out var calls);
        Assert.AreEqual(1, calls);
    }

    [TestMethod]
    public void ChangedNupkgTimestamp_Rehashes()
    {
        using var feed = new TestFeed();
        feed.AddPackage("Contoso.Lib", "1.0.0");
        var first = Check(feed, null, rehash: false, out _);
        File.SetLastWriteTimeUtc(Nupkg(feed), DateTime.UtcNow.AddMinutes(-5));
        var second = Check(feed, first.State, rehash: false, out var calls);
        Assert.AreEqual(1, calls);
        Assert.IsNull(second.Problem);
    }

    [TestMethod]
    public void ReplacedNupkgWithRewrittenMetadata_IsCaughtAgainstExtractedFiles()
    {
        // R-01: the attacker swaps the .nupkg and rewrites .nupkg.metadata and .sha512, but the extracted files are the old ones.
        using var feed = new TestFeed();
        feed.AddPackage("Contoso.Lib", "1.0.0");
        var first = Check(feed, null, rehash: false, out _);
        var other = TestFeed.CreateNupkg("Contoso.Lib", "1.0.0", "evil");
        File.WriteAllBytes(Nupkg(feed), other);
        var hash = Convert.ToBase64String(System.Security.Cryptography.SHA512.HashData(other));
        File.WriteAllText(Path.Combine(Dir(feed), ".nupkg.metadata"), $"{{\"version\":2,\"contentHash\":\"{hash}\"}}");
        var second = Check(feed, first.State, rehash: false, out _);
        Assert.AreEqual(RestoreCodes.ExtractedFileTampered, second.Problem?.Code);
    }

    [TestMethod]
    public void ExtractedFileEditedAfterRestore_IsCaughtEvenWithSameSizeAndTimestamp()
    {
        using var feed = new TestFeed();
        feed.AddPackage("Contoso.Lib", "1.0.0");
        var first = Check(feed, null, rehash: false, out _);
        var target = Path.Combine(Dir(feed), "lib", "net8.0", "readme.txt");
        var stamp = File.GetLastWriteTimeUtc(target);
        File.WriteAllText(target, "PAYLOAD");
        File.SetLastWriteTimeUtc(target, stamp);

        // Same size and time stamp slip past the cheap check; rehash (CI) compares the bytes.
        Assert.IsNull(Check(feed, first.State, rehash: false, out _).Problem);
        Assert.AreEqual(RestoreCodes.ExtractedFileTampered, Check(feed, first.State, rehash: true, out _).Problem?.Code);
    }

    [TestMethod]
    public void ExtractedFileEdited_IsCaughtOnTheNextBuild()
    {
        using var feed = new TestFeed();
        feed.AddPackage("Contoso.Lib", "1.0.0");
        var first = Check(feed, null, rehash: false, out _);
        File.WriteAllText(Path.Combine(Dir(feed), "build", "Contoso.Lib.targets"), "<Project><Target Name='Evil' /></Project>");
        Assert.AreEqual(RestoreCodes.ExtractedFileTampered, Check(feed, first.State, rehash: false, out _).Problem?.Code);
    }

    [TestMethod]
    public void FileAddedAfterRestore_IsCaught()
    {
        using var feed = new TestFeed();
        feed.AddPackage("Contoso.Lib", "1.0.0");
        File.WriteAllText(Path.Combine(Dir(feed), "build", "extra.props"), "<Project />");
        var result = Check(feed, null, rehash: false, out _);
        Assert.AreEqual(RestoreCodes.ExtractedFileTampered, result.Problem?.Code);
        StringAssert.Contains(result.Problem!.Message, "extra.props");
    }

    [TestMethod]
    public void MetadataHashDifferentFromNupkg_IsCaught()
    {
        using var feed = new TestFeed();
        feed.AddPackage("Contoso.Lib", "1.0.0");
        File.WriteAllText(Path.Combine(Dir(feed), ".nupkg.metadata"), "{\"version\":2,\"contentHash\":\"" + Convert.ToBase64String(new byte[64]) + "\"}");
        Assert.AreEqual(RestoreCodes.ContentHashMismatch, Check(feed, null, rehash: false, out _).Problem?.Code);
    }

    [TestMethod]
    public void BundleCachedNextToThePackage_IsNotAnAddedFile()
    {
        using var feed = new TestFeed();
        feed.AddPackage("Contoso.Lib", "1.0.0");
        File.WriteAllText(Path.Combine(Dir(feed), "contoso.lib.1.0.0.nupkg.sigstore.json"), "{}");
        Assert.IsNull(Check(feed, null, rehash: false, out _).Problem);
    }

    private static string Dir(TestFeed feed) => feed.PackageDirectory("Contoso.Lib", "1.0.0");

    private static string Nupkg(TestFeed feed) => Path.Combine(Dir(feed), "contoso.lib.1.0.0.nupkg");

    private static IntegrityResult Check(TestFeed feed, PackageFileState? cached, bool rehash, out int calls)
    {
        var count = 0;
        var result = PackageIntegrity.Check(Dir(feed), Nupkg(feed), "Contoso.Lib", cached, rehash, path =>
        {
            count++;
            return PackageIntegrity.NuGetContentHasher(path);
        });
        calls = count;
        return result;
    }
}
