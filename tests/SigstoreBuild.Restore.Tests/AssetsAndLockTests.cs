using SigstoreBuild.Diagnostics;
using SigstoreBuild.NuGet.Restore;
using SigstoreBuild.Restore.Tests.Infrastructure;

namespace SigstoreBuild.Restore.Tests;

[TestClass]
public sealed class AssetsAndLockTests
{
    [TestMethod]
    public void Assets_ReadsPackagesAndFoldersAndSkipsProjects()
    {
        using var feed = new TestFeed();
        feed.AddPackage("Contoso.Lib", "1.2.0");
        feed.AddPackage("Fabrikam.Core", "2.0.0-beta.1");
        var assets = AssetsFile.Load(feed.AssetsFile);
        CollectionAssert.AreEqual(new[] { "Contoso.Lib", "Fabrikam.Core" }, assets.Packages.Select(p => p.Id).ToArray());
        Assert.AreEqual("2.0.0-beta.1", assets.Packages[1].Version);
        Assert.AreEqual("contoso.lib/1.2.0", assets.Packages[0].Path);
        Assert.IsNotNull(assets.Packages[0].Sha512);
        CollectionAssert.AreEqual(new[] { feed.PackagesFolder }, assets.PackageFolders.ToArray());
    }

    [TestMethod]
    [DataRow("not json")]
    [DataRow("{\"version\": 3}")]
    [DataRow("{\"libraries\": {\"NoSlash\": {\"type\": \"package\"}}}")]
    public void Assets_MalformedIsACodedError(string text)
    {
        using var feed = new TestFeed();
        File.WriteAllText(feed.AssetsFile, text);
        Assert.AreEqual(RestoreCodes.AssetsFileInvalid, Assert.ThrowsExactly<SigstoreException>(() => AssetsFile.Load(feed.AssetsFile)).Code);
    }

    [TestMethod]
    public void Assets_MissingIsACodedError() =>
        Assert.AreEqual(RestoreCodes.AssetsFileInvalid, Assert.ThrowsExactly<SigstoreException>(() => AssetsFile.Load("/nonexistent/project.assets.json")).Code);

    [TestMethod]
    public void Lock_RoundTripsSortedAndWritesOnlyOnChange()
    {
        using var feed = new TestFeed();
        var lockFile = new SigstoreLockFile();
        lockFile.Set("Zeta.Lib", new LockEntry("i", "s2", "1", "2", "https://github.com/z/z", "1.0.0"));
        lockFile.Set("Alpha.Lib", new LockEntry("i", "s1", null, null, null, "3.0.0"));
        lockFile.Save(feed.LockFile);
        var text = File.ReadAllText(feed.LockFile);
        Assert.IsLessThan(text.IndexOf("zeta.lib", StringComparison.Ordinal), text.IndexOf("alpha.lib", StringComparison.Ordinal));

        var loaded = SigstoreLockFile.Load(feed.LockFile);
        Assert.AreEqual("s2", loaded.Find("ZETA.LIB")!.Subject);
        Assert.AreEqual("1", loaded.Find("zeta.lib")!.SourceRepositoryIdentifier);
        var stamp = File.GetLastWriteTimeUtc(feed.LockFile);
        File.SetLastWriteTimeUtc(feed.LockFile, stamp.AddHours(-1));
        loaded.Save(feed.LockFile);
        Assert.AreEqual(stamp.AddHours(-1), File.GetLastWriteTimeUtc(feed.LockFile), "An unchanged lock is not rewritten.");
    }

    [TestMethod]
    public void Lock_DifferenceCatchesNewRepositoryIdEvenWithSameSubject()
    {
        var entry = new LockEntry("i", "s", "1001", "2002", null, "1.0.0");
        Assert.IsNull(entry.Difference(Signer("i", "s", "1001", "2002")));
        Assert.IsNotNull(entry.Difference(Signer("i", "s", "6666", "2002")), "P-04: a re-registered repository has a new ID.");
        Assert.IsNotNull(entry.Difference(Signer("i", "s", "1001", "7777")));
        Assert.IsNotNull(entry.Difference(Signer("i", "other", "1001", "2002")));
        Assert.IsNotNull(entry.Difference(Signer("j", "s", "1001", "2002")));
    }

    [TestMethod]
    public void Lock_MalformedIsACodedError()
    {
        using var feed = new TestFeed();
        File.WriteAllText(feed.LockFile, "{\"version\": 1, \"packages\": {\"a\": {\"subject\": \"s\"}}}");
        Assert.AreEqual(RestoreCodes.LockFileInvalid, Assert.ThrowsExactly<SigstoreException>(() => SigstoreLockFile.Load(feed.LockFile)).Code);
    }

    private static SignerIdentity Signer(string issuer, string subject, string repositoryId, string ownerId) => new(issuer, subject, new Dictionary<string, string>
    {
        [SignerExtensions.SourceRepositoryIdentifier.Oid] = repositoryId,
        [SignerExtensions.OwnerIdentifier.Oid] = ownerId,
    });
}
