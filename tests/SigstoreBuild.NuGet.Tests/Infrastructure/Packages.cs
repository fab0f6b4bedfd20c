using SigstoreBuild.NuGet.Archives;
using SigstoreBuild.Diagnostics;

namespace SigstoreBuild.NuGet.Tests.Infrastructure;

internal static class Packages
{
    public static PackageInspection Inspect(byte[] archive, global::NuGet.Packaging.Core.PackageIdentity? expected = null, ArchiveLimits? limits = null)
    {
        using var stream = new MemoryStream(archive, writable: false);
        return PackageInspector.Inspect(stream, expected, limits);
    }

    /// <summary>Asserts the archive is rejected with exactly <paramref name="code"/>.</summary>
    public static void AssertRejected(byte[] archive, string code, ArchiveLimits? limits = null)
    {
        var ex = Assert.ThrowsExactly<SigstoreException>(() => Inspect(archive, limits: limits));
        Assert.AreEqual(code, ex.Code, ex.Message);
    }

    public static TestZipEntry SignatureEntry(byte[]? data = null, string name = ".signature.p7s", bool deflate = false, ushort flags = 0, uint attributes = 0) =>
        new() { Name = name, Data = data ?? [0x30, 0x03, 0x02, 0x01, 0x01], Deflate = deflate, Flags = flags, ExternalAttributes = attributes };
}
