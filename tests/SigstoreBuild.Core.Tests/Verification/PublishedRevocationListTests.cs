using SigstoreBuild.Tests;
using SigstoreBuild.Diagnostics;
using SigstoreBuild.Verification;

namespace SigstoreBuild.Tests.Verification;

/// <summary>The document's optional "issued" time, the bundle convention, and the published list's coded failures.</summary>
[TestClass]
public sealed class PublishedRevocationListTests
{
    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    public void Issued_IsAnOptionalRfc3339UtcTime()
    {
        Assert.IsNull(RevocationList.Parse("""{ "revocations": [] }"""u8, "r.json").Issued);
        Assert.AreEqual(new DateTimeOffset(2026, 12, 1, 15, 0, 0, TimeSpan.Zero), RevocationList.Parse("""{ "issued": "2026-12-01T15:00:00Z", "revocations": [] }"""u8, "r.json").Issued);
        var ex = Assert.ThrowsExactly<SigstoreException>(() => RevocationList.Parse("""{ "issued": "yesterday", "revocations": [] }"""u8, "r.json"));
        Assert.AreEqual("SSB3491", ex.Code);
        StringAssert.Contains(ex.Message, "$.issued");
    }

    [TestMethod]
    public void TheBundle_SitsBesideTheDocument_UnlessNamed()
    {
        Assert.AreEqual("https://contoso.example/revocations.json.sigstore.json", PublishedRevocationList.BundleLocation("https://contoso.example/revocations.json", null));
        Assert.AreEqual("b.json", PublishedRevocationList.BundleLocation("https://contoso.example/revocations.json", "b.json"));
        Assert.IsTrue(PublishedRevocationList.IsUrl("http://127.0.0.1:5000/r.json"));
        Assert.IsFalse(PublishedRevocationList.IsUrl("ftp://contoso.example/r.json"));
        Assert.IsFalse(PublishedRevocationList.IsUrl("revocations.json"));
    }

    [TestMethod]
    public async Task AMissingFile_IsSSB3492()
    {
        var missing = Path.Combine(Path.GetTempPath(), Guid.NewGuid().ToString("N") + ".json");
        var ex = await Assert.ThrowsExactlyAsync<SigstoreException>(() => PublishedRevocationList.DownloadAsync(missing, null, null, TestContext.CancellationToken));
        Assert.AreEqual("SSB3492", ex.Code);
    }

    [TestMethod]
    public void ABundleThatIsNotOne_IsSSB3493()
    {
        var ex = Assert.ThrowsExactly<SigstoreException>(() => PublishedRevocationList.Verify("""{ "revocations": [] }"""u8.ToArray(), "{}"u8, TestSigstore.Shared.Verifier(), "r.json"));
        Assert.AreEqual("SSB3493", ex.Code);
        StringAssert.Contains(ex.Message, "sigstore sign revocations.json");
    }
}
