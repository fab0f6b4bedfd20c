using System.Security.Cryptography;
using System.Text;
using SigstoreBuild.Attestations;
using SigstoreBuild.Bundles;
using SigstoreBuild.Diagnostics;
using SigstoreBuild.NuGet.Attestations;
using SigstoreBuild.NuGet.Tests.Infrastructure;
using SigstoreBuild.NuGet.Verification;

namespace SigstoreBuild.NuGet.Tests.Verification;

/// <summary>
/// The package digest (docs/embedded-bundle.md) and the bundle embedded in the package: what the digest covers and what
/// it leaves out, the entry's rules, atomic embedding, and verification that reads the embedded bundle.
/// </summary>
[TestClass]
public sealed class EmbeddedBundleTests
{
    private static readonly SlsaBuildContext Context = new() { Project = "Lib.csproj", BuilderId = "local", Step = "pack" };

    private static string s_directory = null!;
    private static string s_packed = null!;

    [ClassInitialize]
    public static void Pack(TestContext context)
    {
        s_directory = RealPackages.NewTempDirectory();
        s_packed = RealPackages.Pack(s_directory, "Contoso.Embedded", "1.2.0");
    }

    [ClassCleanup]
    public static void Cleanup()
    {
        if (s_directory is not null && Directory.Exists(s_directory))
        {
            Directory.Delete(s_directory, recursive: true);
        }
    }

    private static readonly (string Name, string Content)[] WorkedExample =
    [
        ("[Content_Types].xml", "<?xml version=\"1.0\" encoding=\"utf-8\"?><Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\"><Default Extension=\"nuspec\" ContentType=\"application/octet\" /><Default Extension=\"dll\" ContentType=\"application/octet\" /></Types>\n"),
        ("Example.nuspec", "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<package xmlns=\"http://schemas.microsoft.com/packaging/2013/05/nuspec.xsd\"><metadata><id>Example</id><version>1.0.0</version><authors>a</authors><description>d</description></metadata></package>\n"),
        ("lib/net10.0/Example.dll", "not really an assembly\n"),
    ];

    /// <summary>The value in docs/embedded-bundle.md, computed there with sha256sum and sort, not with this code.</summary>
    [TestMethod]
    public void WorkedExample_FromTheDocs()
    {
        var entries = WorkedExample.Select(e => new TestZipEntry { Name = e.Name, Data = Encoding.UTF8.GetBytes(e.Content) }).ToList();
        entries.Add(new TestZipEntry { Name = EmbeddedBundle.EntryName, Data = "{\"left\":\"out\"}"u8.ToArray() });
        var path = Write(TestZip.Build(entries));

        var digest = PackageInspector.Inspect(path).PackageDigest;

        Assert.AreEqual("32cbeccd11403004009a185261f7ed5867fd67fc45b8e16fb47d60c6e3620747", Convert.ToHexStringLower(digest));
    }

    [TestMethod]
    public void Digest_IgnoresCompressionAndEntryOrder()
    {
        var deflated = WorkedExample.Select(e => new TestZipEntry { Name = e.Name, Data = Encoding.UTF8.GetBytes(e.Content), Deflate = true });
        var stored = WorkedExample.Reverse().Select(e => new TestZipEntry { Name = e.Name, Data = Encoding.UTF8.GetBytes(e.Content), Deflate = false });

        CollectionAssert.AreEqual(
            PackageInspector.Inspect(Write(TestZip.Build([.. deflated]))).PackageDigest,
            PackageInspector.Inspect(Write(TestZip.Build([.. stored]))).PackageDigest);
    }

    [TestMethod]
    [DataRow("changed")]
    [DataRow("added")]
    [DataRow("removed")]
    [DataRow("renamed")]
    public void Digest_ChangesWithAnyCoveredEntry(string change)
    {
        var original = TestZip.PackageEntries("Contoso.Lib", "1.0.0", new TestZipEntry { Name = "content/readme.txt", Data = "read me"u8.ToArray() });
        var modified = original.ToList();
        switch (change)
        {
            case "changed":
                modified[2] = new TestZipEntry { Name = "content/readme.txt", Data = "read me!"u8.ToArray() };
                break;
            case "added":
                modified.Add(new TestZipEntry { Name = "tools/install.ps1", Data = "evil"u8.ToArray() });
                break;
            case "removed":
                modified.RemoveAt(2);
                break;
            case "renamed":
                modified[2] = new TestZipEntry { Name = "content/readme.md", Data = "read me"u8.ToArray() };
                break;
        }

        CollectionAssert.AreNotEqual(
            PackageInspector.Inspect(Write(TestZip.Build(original))).PackageDigest,
            PackageInspector.Inspect(Write(TestZip.Build(modified))).PackageDigest);
    }

    [TestMethod]
    public void Digest_UnchangedByEmbeddingAndByAuthorSigningAfterwards()
    {
        var package = Copy(s_packed, "digest");
        var before = PackageInspector.Inspect(package);

        EmbeddedBundle.Embed(package, "{\"mediaType\":\"x\"}"u8.ToArray());
        var embedded = PackageInspector.Inspect(package);
        var signed = PackageInspector.Inspect(RealPackages.AuthorSign(package, Path.GetDirectoryName(package)!));

        CollectionAssert.AreEqual(before.PackageDigest, embedded.PackageDigest);
        CollectionAssert.AreEqual(before.PackageDigest, signed.PackageDigest);
        Assert.IsTrue(signed.IsSigned);
        CollectionAssert.AreNotEqual(before.FileSha256, embedded.FileSha256, "embedding really changed the file");
    }

    [TestMethod]
    public void Embed_ThenRead_RoundTrips_AndReplacesAnEarlierBundle()
    {
        var package = Copy(s_packed, "roundtrip");
        EmbeddedBundle.Embed(package, "{\"first\":1}"u8.ToArray());
        EmbeddedBundle.Embed(package, "{\"second\":2}"u8.ToArray());

        CollectionAssert.AreEqual("{\"second\":2}"u8.ToArray(), EmbeddedBundle.Read(package));
        CollectionAssert.AreEqual("{\"second\":2}"u8.ToArray(), PackageInspector.Inspect(package).EmbeddedBundle);
        Assert.IsNull(EmbeddedBundle.Read(s_packed));
    }

    [TestMethod]
    public void Embed_IntoANuGetSignedPackage_IsRefused_AndLeavesItAsItWas()
    {
        var signed = RealPackages.AuthorSign(Copy(s_packed, "presigned"), s_directory);
        var bytes = File.ReadAllBytes(signed);

        var ex = Assert.ThrowsExactly<SigstoreException>(() => EmbeddedBundle.Embed(signed, "{}"u8.ToArray()));

        Assert.AreEqual(PackageCodes.AlreadyNuGetSigned, ex.Code);
        StringAssert.Contains(ex.Message, "dotnet nuget sign");
        CollectionAssert.AreEqual(bytes, File.ReadAllBytes(signed));
        Assert.AreEqual(1, Directory.GetFiles(Path.GetDirectoryName(signed)!).Length, "no temporary file is left behind");
    }

    [TestMethod]
    public void Embed_IntoAMalformedPackage_Fails_AndLeavesItAsItWas()
    {
        var path = Write(TestZip.Build(TestZip.PackageEntries(), prefix: "junk"u8.ToArray()));
        var bytes = File.ReadAllBytes(path);

        var ex = Assert.ThrowsExactly<SigstoreException>(() => EmbeddedBundle.Embed(path, "{}"u8.ToArray()));

        Assert.AreEqual(PackageCodes.UnaccountedBytes, ex.Code);
        CollectionAssert.AreEqual(bytes, File.ReadAllBytes(path));
    }

    [TestMethod]
    [DataRow(".SIGSTORE/bundle.sigstore.json")]
    [DataRow(".sigstore/Bundle.Sigstore.json")]
    [DataRow(".sigstore/bundle.sigstore.json.")]
    [DataRow(".sigstore%2Fbundle.sigstore.json")]
    public void LookAlikeOfTheBundleEntry_IsRefused(string name)
    {
        var path = Write(TestZip.Build(TestZip.PackageEntries("Contoso.Lib", "1.0.0", new TestZipEntry { Name = name, Data = "{}"u8.ToArray() })));

        var ex = Assert.ThrowsExactly<SigstoreException>(() => PackageInspector.Inspect(path));

        Assert.AreEqual(PackageCodes.InvalidBundleEntry, ex.Code);
    }

    [TestMethod]
    public void OversizedBundleEntry_IsRefused()
    {
        var huge = RandomNumberGenerator.GetBytes(5 * 1024 * 1024); // incompressible: the size cap, not the ratio cap, must refuse it
        var path = Write(TestZip.Build(TestZip.PackageEntries("Contoso.Lib", "1.0.0", new TestZipEntry { Name = EmbeddedBundle.EntryName, Data = huge })));

        Assert.AreEqual(PackageCodes.InvalidBundleEntry, Assert.ThrowsExactly<SigstoreException>(() => EmbeddedBundle.Read(path)).Code);
        Assert.AreEqual(PackageCodes.InvalidBundleEntry, Assert.ThrowsExactly<SigstoreException>(() => PackageInspector.Inspect(path)).Code);
    }

    [TestMethod]
    public void SbomEntry_IsLeftOutOfTheDigest_ButAnyOtherSigstoreFolderEntryIsCovered()
    {
        var plain = TestZip.PackageEntries("Contoso.Lib", "1.0.0");
        var withBundles = plain.Append(new TestZipEntry { Name = EmbeddedBundle.EntryName, Data = "{}"u8.ToArray() })
            .Append(new TestZipEntry { Name = EmbeddedBundle.SbomEntryName, Data = "{\"sbom\":1}"u8.ToArray() }).ToList();
        var withOther = plain.Append(new TestZipEntry { Name = ".sigstore/other.sigstore.json", Data = "{}"u8.ToArray() }).ToList();

        var digest = PackageInspector.Inspect(Write(TestZip.Build([.. plain]))).PackageDigest;
        var embedded = PackageInspector.Inspect(Write(TestZip.Build([.. withBundles])));

        CollectionAssert.AreEqual(digest, embedded.PackageDigest);
        CollectionAssert.AreEqual("{\"sbom\":1}"u8.ToArray(), embedded.EmbeddedSbomBundle);
        CollectionAssert.AreNotEqual(digest, PackageInspector.Inspect(Write(TestZip.Build([.. withOther]))).PackageDigest, "only the two exact names are left out");
    }

    [TestMethod]
    public void Embed_WithAnSbom_ThenWithout_RemovesTheSbomEntry_AndKeepsTheDigest()
    {
        var package = Copy(s_packed, "sbom");
        var before = PackageInspector.Inspect(package);

        EmbeddedBundle.Embed(package, "{\"provenance\":1}"u8.ToArray(), "{\"sbom\":1}"u8.ToArray());
        var both = PackageInspector.Inspect(package);
        CollectionAssert.AreEqual("{\"provenance\":1}"u8.ToArray(), both.EmbeddedBundle);
        CollectionAssert.AreEqual("{\"sbom\":1}"u8.ToArray(), both.EmbeddedSbomBundle);
        CollectionAssert.AreEqual("{\"sbom\":1}"u8.ToArray(), EmbeddedBundle.ReadSbom(package));
        CollectionAssert.AreEqual(before.PackageDigest, both.PackageDigest);

        EmbeddedBundle.Embed(package, "{\"provenance\":2}"u8.ToArray());
        var again = PackageInspector.Inspect(package);
        Assert.IsNull(again.EmbeddedSbomBundle, "a stale SBOM attestation does not survive a re-embed without one");
        CollectionAssert.AreEqual(before.PackageDigest, again.PackageDigest);
    }

    [TestMethod]
    [DataRow(".SIGSTORE/sbom.sigstore.json")]
    [DataRow(".sigstore/SBOM.sigstore.json")]
    [DataRow(".sigstore/sbom.sigstore.json ")]
    public void LookAlikeOfTheSbomEntry_IsRefused(string name)
    {
        var path = Write(TestZip.Build(TestZip.PackageEntries("Contoso.Lib", "1.0.0", new TestZipEntry { Name = name, Data = "{}"u8.ToArray() })));

        Assert.AreEqual(PackageCodes.InvalidBundleEntry, Assert.ThrowsExactly<SigstoreException>(() => PackageInspector.Inspect(path)).Code);
    }

    [TestMethod]
    public void OversizedSbomEntry_IsRefused()
    {
        var huge = RandomNumberGenerator.GetBytes(17 * 1024 * 1024);
        var path = Write(TestZip.Build(TestZip.PackageEntries("Contoso.Lib", "1.0.0", new TestZipEntry { Name = EmbeddedBundle.SbomEntryName, Data = huge })));

        Assert.AreEqual(PackageCodes.InvalidBundleEntry, Assert.ThrowsExactly<SigstoreException>(() => EmbeddedBundle.ReadSbom(path)).Code);
    }

    [TestMethod]
    public void VerifyEmbedded_BindsThePackageDigest()
    {
        var package = Copy(s_packed, "verify");
        var statement = PackageStatements.ForPackages([PackageInspector.Inspect(package)], Context);
        EmbeddedBundle.Embed(package, BundleSerializer.Serialize(WithKeyMaterial(DigestOnlyAttestationVerifier.BundleFor(statement))));
        var attestations = new DigestOnlyAttestationVerifier();

        var result = new PackageVerifier(attestations).VerifyEmbedded(package);

        Assert.AreEqual("pkg:nuget/Contoso.Embedded@1.2.0", result.MatchedSubject.Name);
        CollectionAssert.AreEqual(result.Package.PackageDigest, attestations.LastDigest);
        Assert.AreEqual(Convert.ToHexStringLower(result.Package.PackageDigest), result.MatchedSubject.Digest["sha256"]);
    }

    [TestMethod]
    public void VerifyEmbedded_AfterAnEntryChanged_Fails()
    {
        var package = Copy(s_packed, "tampered");
        var statement = PackageStatements.ForPackages([PackageInspector.Inspect(package)], Context);
        var bundle = BundleSerializer.Serialize(WithKeyMaterial(DigestOnlyAttestationVerifier.BundleFor(statement)));

        // The same bundle, embedded in a package with one more entry than was signed.
        var entries = TestZip.PackageEntries("Contoso.Embedded", "1.2.0", new TestZipEntry { Name = EmbeddedBundle.EntryName, Data = bundle });
        var other = Write(TestZip.Build(entries));

        Assert.ThrowsExactly<VerificationException>(() => new PackageVerifier(new DigestOnlyAttestationVerifier()).VerifyEmbedded(other));
    }

    [TestMethod]
    public void VerifyEmbedded_WithoutABundle_SaysSo()
    {
        var ex = Assert.ThrowsExactly<SigstoreException>(() => new PackageVerifier(new DigestOnlyAttestationVerifier()).VerifyEmbedded(s_packed));

        Assert.AreEqual(PackageCodes.NoEmbeddedBundle, ex.Code);
        StringAssert.Contains(ex.Message, "--bundle");
    }

    /// <summary>Sidecars signed before the package digest existed name NuGet's content hash; they keep verifying.</summary>
    [TestMethod]
    public void EarlierSidecar_BindingTheContentHash_StillVerifies()
    {
        var inspection = PackageInspector.Inspect(s_packed);
        var legacy = new InTotoStatement(
            [new InTotoSubject(inspection.SubjectName, new Dictionary<string, string> { ["sha256"] = Convert.ToHexStringLower(inspection.FileSha256), ["sha512"] = Convert.ToHexStringLower(inspection.ContentHashSha512) })],
            PackageStatements.SlsaProvenanceV1,
            null);
        var attestations = new DigestOnlyAttestationVerifier();

        var result = new PackageVerifier(attestations).Verify(s_packed, DigestOnlyAttestationVerifier.BundleFor(legacy));

        CollectionAssert.AreEqual(inspection.ContentHashSha512, attestations.LastDigest);
        Assert.AreEqual(inspection.SubjectName, result.MatchedSubject.Name);
    }

    /// <summary>A well-formed v0.3 bundle shape (key hint, no log entries): the stand-in verifier ignores the material.</summary>
    private static Bundle WithKeyMaterial(Bundle bundle)
    {
        bundle.VerificationMaterial = new VerificationMaterial { PublicKey = new PublicKeyIdentifier { Hint = "unit-test" }, TlogEntries = [] };
        return bundle;
    }

    private static string Write(byte[] package)
    {
        var path = Path.Combine(RealPackages.NewTempDirectory(), "Contoso.Lib.1.0.0.nupkg");
        File.WriteAllBytes(path, package);
        return path;
    }

    private static string Copy(string package, string name)
    {
        var directory = Directory.CreateDirectory(Path.Combine(s_directory, name)).FullName;
        var copy = Path.Combine(directory, Path.GetFileName(package));
        File.Copy(package, copy);
        return copy;
    }
}
