using System.Text;
using NuGet.Packaging.Core;
using NuGet.Versioning;
using SigstoreBuild.Attestations;
using SigstoreBuild.Bundles;
using SigstoreBuild.Diagnostics;
using SigstoreBuild.NuGet.Attestations;
using SigstoreBuild.NuGet.Tests.Infrastructure;
using SigstoreBuild.NuGet.Verification;

namespace SigstoreBuild.NuGet.Tests.Verification;

/// <summary>Threat model N-07: the subject must bind this package's name and digest together.</summary>
[TestClass]
public sealed class PackageBindingTests
{
    private static readonly SlsaBuildContext Context = new() { Project = "Lib.csproj", BuilderId = "local", Step = "pack" };

    private static string WritePackage(string id = "Contoso.Lib", string version = "1.0.0")
    {
        var path = Path.Combine(RealPackages.NewTempDirectory(), $"{id}.{version}.nupkg");
        File.WriteAllBytes(path, TestZip.Build(TestZip.PackageEntries(id, version)));
        return path;
    }

    [TestMethod]
    public void MatchingSubject_Verifies()
    {
        var path = WritePackage();
        var statement = PackageStatements.ForPackages([PackageInspector.Inspect(path)], Context);
        var result = new PackageVerifier(new DigestOnlyAttestationVerifier()).Verify(path, DigestOnlyAttestationVerifier.BundleFor(statement));
        Assert.AreEqual("pkg:nuget/Contoso.Lib@1.0.0", result.MatchedSubject.Name);
        Assert.IsFalse(result.Package.IsSigned);
    }

    [TestMethod]
    public void SubjectForAnotherPackageWithTheSameDigest_IsRejected()
    {
        var path = WritePackage();
        var inspection = PackageInspector.Inspect(path);
        var honest = PackageStatements.ForPackage(inspection);
        var renamed = new InTotoStatement([honest with { Name = "pkg:nuget/Other.Lib@1.0.0" }], PackageStatements.SlsaProvenanceV1, null);
        var ex = Assert.ThrowsExactly<SigstoreException>(() =>
            new PackageVerifier(new DigestOnlyAttestationVerifier()).Verify(path, DigestOnlyAttestationVerifier.BundleFor(renamed)));
        Assert.AreEqual(PackageCodes.SubjectMismatch, ex.Code);
    }

    [TestMethod]
    public void SubjectWithOtherVersion_IsRejected()
    {
        var path = WritePackage();
        var honest = PackageStatements.ForPackage(PackageInspector.Inspect(path));
        var statement = new InTotoStatement([honest with { Name = "pkg:nuget/Contoso.Lib@1.0.1" }], PackageStatements.SlsaProvenanceV1, null);
        var ex = Assert.ThrowsExactly<SigstoreException>(() => PackageVerifier.FindSubject(statement, PackageInspector.Inspect(path)));
        Assert.AreEqual(PackageCodes.SubjectMismatch, ex.Code);
    }

    [TestMethod]
    public void RightNameWithOtherDigest_IsRejected()
    {
        var other = PackageInspector.Inspect(WritePackage());
        var statement = new InTotoStatement(
            [new InTotoSubject("pkg:nuget/Contoso.Lib@1.0.0", new Dictionary<string, string> { ["sha512"] = new string('0', 128) })],
            PackageStatements.SlsaProvenanceV1,
            null);
        var ex = Assert.ThrowsExactly<SigstoreException>(() => PackageVerifier.FindSubject(statement, other));
        Assert.AreEqual(PackageCodes.SubjectMismatch, ex.Code);
    }

    [TestMethod]
    public void ExpectedIdentityMismatch_IsRejectedBeforeAnySignatureCheck()
    {
        var path = WritePackage();
        var statement = PackageStatements.ForPackages([PackageInspector.Inspect(path)], Context);
        var verifier = new DigestOnlyAttestationVerifier();
        var policy = new PackageVerificationPolicy { ExpectedIdentity = new PackageIdentity("Contoso.Other", NuGetVersion.Parse("1.0.0")) };
        var ex = Assert.ThrowsExactly<SigstoreException>(() => new PackageVerifier(verifier).Verify(path, DigestOnlyAttestationVerifier.BundleFor(statement), policy));
        Assert.AreEqual(PackageCodes.IdentityMismatch, ex.Code);
        Assert.IsNull(verifier.LastDigest);
    }

    [TestMethod]
    public void MessageSignatureBundle_IsRejected()
    {
        var path = WritePackage();
        var bundle = new Bundle { MediaType = Bundle.MediaTypeV03, MessageSignature = new MessageSignature { Signature = [1] } };
        var ex = Assert.ThrowsExactly<SigstoreException>(() => new PackageVerifier(new DigestOnlyAttestationVerifier()).Verify(path, bundle));
        Assert.AreEqual(PackageCodes.InvalidStatement, ex.Code);
    }

    [TestMethod]
    public void WrongPredicateType_IsRejectedWhenRequired()
    {
        var path = WritePackage();
        var statement = PackageStatements.ForPackages([PackageInspector.Inspect(path)], Context);
        var policy = new PackageVerificationPolicy { PredicateType = "https://example.invalid/other" };
        var ex = Assert.ThrowsExactly<SigstoreException>(() =>
            new PackageVerifier(new DigestOnlyAttestationVerifier()).Verify(path, DigestOnlyAttestationVerifier.BundleFor(statement), policy));
        Assert.AreEqual(PackageCodes.InvalidStatement, ex.Code);
    }

    [TestMethod]
    [DataRow(InTotoStatement.TypeV01, "{}", DisplayName = "in-toto v0.1")]
    [DataRow(InTotoStatement.TypeV1, "null", DisplayName = "null predicate")]
    public void StatementNotWrittenAsTheSignerWritesIt_IsRejected(string type, string predicate)
    {
        var path = WritePackage();
        var subject = PackageStatements.ForPackage(PackageInspector.Inspect(path));
        var json = $$$"""{"_type":"{{{type}}}","subject":[{"name":"{{{subject.Name}}}","digest":{"sha256":"{{{subject.Digest["sha256"]}}}"}}],"predicateType":"{{{PackageStatements.SlsaProvenanceV1}}}","predicate":{{{predicate}}}}""";
        var ex = Assert.ThrowsExactly<SigstoreException>(() =>
            new PackageVerifier(new DigestOnlyAttestationVerifier()).Verify(path, DigestOnlyAttestationVerifier.BundleFor(Encoding.UTF8.GetBytes(json))));
        Assert.AreEqual(PackageCodes.InvalidStatement, ex.Code);
    }

    [TestMethod]
    [DataRow("pkg:nuget/Contoso.Lib@1.0.0", true)]
    [DataRow("pkg:nuget/contoso.lib@1.0.0", true)]
    [DataRow("pkg:nuget/Contoso.Lib@1.0", false)]
    [DataRow("pkg:nuget/Contoso.Lib@1.0.0?repository_url=x", false)]
    [DataRow("pkg:nuget/Contoso.Lib@1.0.0#sub", false)]
    [DataRow("pkg:npm/Contoso.Lib@1.0.0", false)]
    [DataRow("pkg:nuget/Contoso.Lib", false)]
    [DataRow("pkg:nuget/Contoso.Lib.Extra@1.0.0", false)]
    public void SubjectNameMatching(string name, bool expected) =>
        Assert.AreEqual(expected, PackageSubject.Matches(name, "Contoso.Lib", NuGetVersion.Parse("1.0.0")));
}
