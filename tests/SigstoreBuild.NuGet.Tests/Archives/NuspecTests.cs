using NuGet.Packaging.Core;
using NuGet.Versioning;
using SigstoreBuild.Diagnostics;
using SigstoreBuild.NuGet.Tests.Infrastructure;
using static SigstoreBuild.NuGet.Tests.Infrastructure.Packages;

namespace SigstoreBuild.NuGet.Tests.Archives;

/// <summary>Threat model N-07: one root nuspec, naming the requested identity.</summary>
[TestClass]
public sealed class NuspecTests
{
    [TestMethod]
    public void TwoRootNuspecs_AreRejected()
    {
        var entries = TestZip.PackageEntries(more: new TestZipEntry { Name = "Other.nuspec", Data = TestZip.Nuspec("Other") });
        AssertRejected(TestZip.Build(entries), PackageCodes.InvalidNuspec);
    }

    [TestMethod]
    public void OddCaseNuspec_IsRejected()
    {
        var entries = new List<TestZipEntry> { new() { Name = "Contoso.Lib.NUSPEC", Data = TestZip.Nuspec() } };
        AssertRejected(TestZip.Build(entries), PackageCodes.InvalidNuspec);
    }

    [TestMethod]
    public void MissingNuspec_IsRejected() =>
        AssertRejected(TestZip.Build([new TestZipEntry { Name = "lib/a.dll", Data = [1] }]), PackageCodes.InvalidNuspec);

    [TestMethod]
    public void NuspecWithDtd_IsRejected()
    {
        var xml = "<?xml version=\"1.0\"?><!DOCTYPE package [<!ENTITY x \"y\">]><package><metadata><id>&x;</id><version>1.0.0</version></metadata></package>"u8.ToArray();
        AssertRejected(TestZip.Build([new TestZipEntry { Name = "x.nuspec", Data = xml }]), PackageCodes.InvalidNuspec);
    }

    /// <summary>
    /// Found by fuzz/ (issue 20): the nuspec was read whole before parsing, so a package of a few hundred KiB whose nuspec
    /// inflates to tens of MiB (within the compression ratio limit) made inspection allocate twice that. Now it is refused
    /// unread, and inspecting it allocates little.
    /// </summary>
    [TestMethod]
    public void HugeNuspec_IsRejectedUnread()
    {
        var padding = new byte[20 * 1024 * 1024];
        padding.AsSpan().Fill((byte)' ');
        for (var i = 0; i < padding.Length; i += 1500)
        {
            padding[i] = (byte)('a' + (i / 1500 % 26)); // compressible, but within the compression ratio limit
        }

        byte[] nuspec = [.. TestZip.Nuspec(), .. "<!--"u8, .. padding, .. "-->"u8];
        var package = TestZip.Build(TestZip.PackageEntries().Select(e => e.Name.EndsWith(".nuspec", StringComparison.Ordinal) ? new TestZipEntry { Name = e.Name, Data = nuspec } : e).ToList());

        var before = GC.GetAllocatedBytesForCurrentThread();
        AssertRejected(package, PackageCodes.InvalidNuspec);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.IsLessThan(8L * 1024 * 1024, allocated, $"inspecting the package allocated {allocated} bytes");
    }

    [TestMethod]
    public void NestedNuspec_DoesNotCount()
    {
        var entries = TestZip.PackageEntries(more: new TestZipEntry { Name = "content/Other.nuspec", Data = TestZip.Nuspec("Other") });
        Assert.AreEqual("Contoso.Lib", Inspect(TestZip.Build(entries)).Identity.Id);
    }

    [TestMethod]
    [DataRow("Other.Lib", "1.0.0")]
    [DataRow("Contoso.Lib", "1.0.1")]
    public void IdentityMismatch_IsRejected(string id, string version)
    {
        var archive = TestZip.Build(TestZip.PackageEntries());
        var ex = Assert.ThrowsExactly<SigstoreException>(() => Inspect(archive, new PackageIdentity(id, NuGetVersion.Parse(version))));
        Assert.AreEqual(PackageCodes.IdentityMismatch, ex.Code);
    }

    [TestMethod]
    public void IdentityMatch_IsCaseInsensitiveAndNormalised()
    {
        var archive = TestZip.Build(TestZip.PackageEntries(version: "1.0"));
        var inspection = Inspect(archive, new PackageIdentity("CONTOSO.LIB", NuGetVersion.Parse("1.0.0.0")));
        Assert.AreEqual("pkg:nuget/Contoso.Lib@1.0.0", inspection.SubjectName);
    }
}
