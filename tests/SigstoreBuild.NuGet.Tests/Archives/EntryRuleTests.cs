using SigstoreBuild.Diagnostics;
using SigstoreBuild.NuGet.Tests.Infrastructure;
using static SigstoreBuild.NuGet.Tests.Infrastructure.Packages;

namespace SigstoreBuild.NuGet.Tests.Archives;

/// <summary>Threat model N-02 (signature entry), N-03 (collisions), N-06 (zip slip).</summary>
[TestClass]
public sealed class EntryRuleTests
{
    [TestMethod]
    [DataRow("lib/a.dll", "lib/a.dll", DisplayName = "exact duplicate")]
    [DataRow("lib/a.dll", "LIB/A.DLL", DisplayName = "case")]
    [DataRow("lib/a.dll", "lib\\a.dll", DisplayName = "backslash")]
    [DataRow("lib/a.dll", "lib/%61.dll", DisplayName = "percent-encoding")]
    [DataRow("lib/caf\u00e9.dll", "lib/cafe\u0301.dll", DisplayName = "Unicode normalisation")]
    [DataRow("lib/a.dll", "lib/a.dll.", DisplayName = "trailing dot")]
    [DataRow("lib", "lib/a.dll", DisplayName = "file and folder")]
    public void CollidingNames_AreRejected(string first, string second)
    {
        var entries = TestZip.PackageEntries(more:
        [
            new TestZipEntry { Name = first, Data = [1], Flags = 0x0800 },
            new TestZipEntry { Name = second, Data = [2], Flags = 0x0800 },
        ]);
        AssertRejected(TestZip.Build(entries), PackageCodes.EntryNameCollision);
    }

    [TestMethod]
    [DataRow("../evil.dll")]
    [DataRow("lib/../../evil.dll")]
    [DataRow("/etc/evil")]
    [DataRow("\\evil.dll")]
    [DataRow("C:/Windows/evil.dll")]
    [DataRow("%2e%2e/evil.dll")]
    [DataRow("lib/%2E%2E/%2E%2E/evil.dll")]
    [DataRow("lib/a.dll:stream")]
    public void EscapingPaths_AreRejected(string name)
    {
        var entries = TestZip.PackageEntries(more: new TestZipEntry { Name = name, Data = [1] });
        AssertRejected(TestZip.Build(entries), PackageCodes.UnsafeEntryPath);
    }

    [TestMethod]
    public void SymbolicLink_IsRejected()
    {
        var entries = TestZip.PackageEntries(more: new TestZipEntry
        {
            Name = "lib/link.dll",
            Data = "/etc/passwd"u8.ToArray(),
            VersionMadeBy = 3 << 8 | 20,
            ExternalAttributes = 0xA1FFu << 16,
        });
        AssertRejected(TestZip.Build(entries), PackageCodes.UnsafeEntryPath);
    }

    [TestMethod]
    public void WellFormedSignatureEntry_IsAccepted()
    {
        var inspection = Inspect(TestZip.Build(TestZip.PackageEntries(more: SignatureEntry())));
        Assert.IsTrue(inspection.IsSigned);
    }

    [TestMethod]
    public void TwoSignatureEntries_AreRejected() =>
        AssertRejected(TestZip.Build(TestZip.PackageEntries(more: [SignatureEntry(), SignatureEntry()])), PackageCodes.InvalidSignatureEntry);

    [TestMethod]
    public void CompressedSignatureEntry_IsRejected() =>
        AssertRejected(TestZip.Build(TestZip.PackageEntries(more: SignatureEntry(deflate: true))), PackageCodes.InvalidSignatureEntry);

    [TestMethod]
    public void SignatureEntryWithUtf8Flag_IsRejected() =>
        AssertRejected(TestZip.Build(TestZip.PackageEntries(more: SignatureEntry(flags: 0x0800))), PackageCodes.InvalidSignatureEntry);

    [TestMethod]
    public void SignatureEntryWithAttributes_IsRejected() =>
        AssertRejected(TestZip.Build(TestZip.PackageEntries(more: SignatureEntry(attributes: 0x20))), PackageCodes.InvalidSignatureEntry);

    [TestMethod]
    [DataRow(".SIGNATURE.P7S")]
    [DataRow(".Signature.p7s")]
    [DataRow("%2Esignature.p7s")]
    [DataRow(".signature.p7s.")]
    public void NearMissSignatureNames_AreRejected(string name) =>
        AssertRejected(TestZip.Build(TestZip.PackageEntries(more: SignatureEntry(name: name))), PackageCodes.InvalidSignatureEntry);
}
