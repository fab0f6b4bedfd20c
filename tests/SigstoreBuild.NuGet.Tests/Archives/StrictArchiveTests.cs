using System.Text;
using SigstoreBuild.Diagnostics;
using SigstoreBuild.NuGet.Archives;
using SigstoreBuild.NuGet.Tests.Infrastructure;
using static SigstoreBuild.NuGet.Tests.Infrastructure.Packages;

namespace SigstoreBuild.NuGet.Tests.Archives;

/// <summary>Threat model N-04 and N-05: the archive layout must be exact.</summary>
[TestClass]
public sealed class StrictArchiveTests
{
    [TestMethod]
    public void WellFormedPackage_IsAccepted()
    {
        var inspection = Inspect(TestZip.Build(TestZip.PackageEntries()));
        Assert.AreEqual("Contoso.Lib", inspection.Identity.Id);
        Assert.IsFalse(inspection.IsSigned);
    }

    [TestMethod]
    public void PrependedData_IsRejected() =>
        AssertRejected(TestZip.Build(TestZip.PackageEntries(), prefix: Encoding.ASCII.GetBytes("#!/bin/sh\nexit 0\n")), PackageCodes.UnaccountedBytes);

    [TestMethod]
    public void TrailingJunk_IsRejected() =>
        AssertRejected(TestZip.Build(TestZip.PackageEntries(), suffix: [1, 2, 3, 4]), PackageCodes.UnaccountedBytes);

    [TestMethod]
    public void DataBeforeCentralDirectory_IsRejected() =>
        AssertRejected(TestZip.Build(TestZip.PackageEntries(), beforeCentralDirectory: new byte[64]), PackageCodes.UnaccountedBytes);

    [TestMethod]
    public void ConcatenatedArchives_AreRejected()
    {
        var first = TestZip.Build(TestZip.PackageEntries("Other.Lib"));
        AssertRejected(TestZip.Build(TestZip.PackageEntries(), prefix: first), PackageCodes.UnaccountedBytes);
    }

    [TestMethod]
    public void CommentHidingAFakeEndRecord_IsRejected()
    {
        // The comment holds a complete end record whose own (empty) comment also reaches the end of the file.
        var fake = TestZip.Build([]);
        AssertRejected(TestZip.Build(TestZip.PackageEntries(), comment: fake), PackageCodes.UnaccountedBytes);
    }

    [TestMethod]
    public void Zip64Locator_IsRejected() =>
        AssertRejected(TestZip.Build(TestZip.PackageEntries(), zip64Locator: true), PackageCodes.UnsupportedArchiveFeature);

    [TestMethod]
    public void Zip64ExtraField_IsRejected()
    {
        var entries = TestZip.PackageEntries(more: new TestZipEntry { Name = "x.txt", Data = [1], CentralExtra = [1, 0, 0, 0] });
        AssertRejected(TestZip.Build(entries), PackageCodes.UnsupportedArchiveFeature);
    }

    [TestMethod]
    public void EncryptedEntry_IsRejected()
    {
        var entries = TestZip.PackageEntries(more: new TestZipEntry { Name = "x.txt", Data = [1], Flags = 1 });
        AssertRejected(TestZip.Build(entries), PackageCodes.UnsupportedArchiveFeature);
    }

    [TestMethod]
    public void LocalNameDiffersFromCentralName_IsRejected()
    {
        var entries = TestZip.PackageEntries(more: new TestZipEntry { Name = "readme.txt", LocalName = "evil.dll", Data = [1, 2] });
        AssertRejected(TestZip.Build(entries), PackageCodes.HeaderMismatch);
    }

    [TestMethod]
    public void LocalCompressionDiffers_IsRejected()
    {
        var entries = TestZip.PackageEntries(more: new TestZipEntry { Name = "readme.txt", LocalMethod = 0, Data = [1, 2, 3] });
        AssertRejected(TestZip.Build(entries), PackageCodes.HeaderMismatch);
    }

    [TestMethod]
    public void LocalCrcDiffers_IsRejected()
    {
        var entries = TestZip.PackageEntries(more: new TestZipEntry { Name = "readme.txt", LocalCrc = 12345, Data = [1, 2, 3] });
        AssertRejected(TestZip.Build(entries), PackageCodes.HeaderMismatch);
    }

    [TestMethod]
    public void TwoCentralRecordsForOneLocalHeader_AreRejected()
    {
        var entries = TestZip.PackageEntries();
        entries.Add(new TestZipEntry { Name = "lib/net10.0/Contoso.Lib.dll", ShareLocalHeaderWith = 1, Data = entries[1].Data });
        var ex = Assert.ThrowsExactly<SigstoreException>(() => Inspect(TestZip.Build(entries)));
        Assert.AreEqual(PackageCodes.HeaderMismatch, ex.Code, ex.Message);
    }

    [TestMethod]
    public void WrongCrcEverywhere_IsRejectedOnRead()
    {
        var entries = TestZip.PackageEntries(more: new TestZipEntry { Name = "readme.txt", LocalCrc = 7, CentralCrc = 7, Data = [1, 2, 3] });
        AssertRejected(TestZip.Build(entries), PackageCodes.ArchiveLimitExceeded);
    }

    [TestMethod]
    public void ExtremeCompressionRatio_IsRejected()
    {
        var entries = TestZip.PackageEntries(more: new TestZipEntry { Name = "zeros.bin", Data = new byte[4 * 1024 * 1024] });
        AssertRejected(TestZip.Build(entries), PackageCodes.ArchiveLimitExceeded);
    }

    [TestMethod]
    public void TooManyEntries_AreRejected()
    {
        var entries = TestZip.PackageEntries(more: [.. Enumerable.Range(0, 10).Select(i => new TestZipEntry { Name = $"f{i}.txt", Data = [1] })]);
        AssertRejected(TestZip.Build(entries), PackageCodes.ArchiveLimitExceeded, ArchiveLimits.Default with { MaxEntries = 5 });
    }

    [TestMethod]
    public void NonAsciiNameWithoutUtf8Flag_IsRejected()
    {
        var entries = TestZip.PackageEntries(more: new TestZipEntry { Name = "caf\u00e9.txt", RawName = [0x63, 0x61, 0x66, 0x82, 0x2e, 0x74], Data = [1] });
        AssertRejected(TestZip.Build(entries), PackageCodes.InvalidEntryName);
    }

    [TestMethod]
    public void NotAZip_IsRejected() =>
        AssertRejected(Encoding.ASCII.GetBytes("this is certainly not a zip archive at all"), PackageCodes.MalformedArchive);
}
