using System.IO.Compression;
using System.Security.Cryptography;
using SigstoreBuild.Diagnostics;
using SigstoreBuild.NuGet.Attestations;
using SigstoreBuild.NuGet.Tests.Infrastructure;
using SigstoreBuild.NuGet.Verification;

namespace SigstoreBuild.NuGet.Tests.Verification;

/// <summary>
/// Threat model N-01: a real package from dotnet pack, author-signed afterwards with dotnet nuget sign, keeps its content
/// hash, so its attestation still verifies; a changed package does not.
/// </summary>
[TestClass]
public sealed class SignedPackageTests
{
    private static string s_directory = null!;
    private static string s_package = null!;
    private static string s_signed = null!;

    private static readonly SlsaBuildContext Context = new() { Project = "Lib.csproj", BuilderId = "local", Step = "pack" };

    [ClassInitialize]
    public static void PackAndSign(TestContext context)
    {
        s_directory = RealPackages.NewTempDirectory();
        s_package = RealPackages.Pack(s_directory, "Contoso.Signed", "2.0.0-beta.1");
        s_signed = RealPackages.AuthorSign(s_package, s_directory);
    }

    [ClassCleanup]
    public static void Cleanup()
    {
        if (s_directory is not null && Directory.Exists(s_directory))
        {
            Directory.Delete(s_directory, recursive: true);
        }
    }

    [TestMethod]
    public void UnsignedPackage_ContentHashIsFileSha512()
    {
        var inspection = PackageInspector.Inspect(s_package);
        var bytes = File.ReadAllBytes(s_package);
        Assert.IsFalse(inspection.IsSigned);
        CollectionAssert.AreEqual(SHA512.HashData(bytes), inspection.ContentHashSha512);
        CollectionAssert.AreEqual(SHA256.HashData(bytes), inspection.FileSha256);
        Assert.AreEqual("pkg:nuget/Contoso.Signed@2.0.0-beta.1", inspection.SubjectName);
    }

    [TestMethod]
    public void AuthorSigning_ChangesTheFileButNotTheContentHash()
    {
        var before = PackageInspector.Inspect(s_package);
        var after = PackageInspector.Inspect(s_signed);
        Assert.IsTrue(after.IsSigned);
        CollectionAssert.AreNotEqual(before.FileSha512, after.FileSha512);
        CollectionAssert.AreEqual(before.ContentHashSha512, after.ContentHashSha512);
    }

    [TestMethod]
    public void SignedCopy_StillVerifies()
    {
        var statement = PackageStatements.ForPackages([PackageInspector.Inspect(s_package)], Context);
        var verifier = new DigestOnlyAttestationVerifier();
        var result = new PackageVerifier(verifier).Verify(s_signed, DigestOnlyAttestationVerifier.BundleFor(statement));
        Assert.IsTrue(result.Package.IsSigned);
        Assert.AreEqual("pkg:nuget/Contoso.Signed@2.0.0-beta.1", result.MatchedSubject.Name);
        CollectionAssert.AreEqual(result.Package.PackageDigest, verifier.LastDigest);
    }

    [TestMethod]
    public void TamperedCopy_DoesNotVerify()
    {
        var statement = PackageStatements.ForPackages([PackageInspector.Inspect(s_package)], Context);
        var tampered = Path.Combine(s_directory, "tampered.nupkg");
        File.Copy(s_signed, tampered, overwrite: true);
        using (var zip = ZipFile.Open(tampered, ZipArchiveMode.Update))
        {
            var entry = zip.CreateEntry("lib/net10.0/extra.txt");
            using var writer = new StreamWriter(entry.Open());
            writer.Write("added after signing");
        }

        var ex = Assert.ThrowsExactly<VerificationException>(() =>
            new PackageVerifier(new DigestOnlyAttestationVerifier()).Verify(tampered, DigestOnlyAttestationVerifier.BundleFor(statement)));
        Assert.AreEqual("SSB3400", ex.Code);
    }

    [TestMethod]
    public void TamperedCopy_IsCaughtByTheBindingEvenIfTheSignatureCheckWereLax()
    {
        var statement = PackageStatements.ForPackages([PackageInspector.Inspect(s_package)], Context);
        var tampered = Path.Combine(s_directory, "tampered2.nupkg");
        var bytes = File.ReadAllBytes(s_package);
        using (var stream = new MemoryStream())
        {
            stream.Write(bytes);
            using (var zip = new ZipArchive(stream, ZipArchiveMode.Update, leaveOpen: true))
            {
                zip.CreateEntry("content/x.txt");
            }

            File.WriteAllBytes(tampered, stream.ToArray());
        }

        var ex = Assert.ThrowsExactly<SigstoreException>(() => PackageVerifier.FindSubject(statement, PackageInspector.Inspect(tampered)));
        Assert.AreEqual(PackageCodes.SubjectMismatch, ex.Code);
    }
}
