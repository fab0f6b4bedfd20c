using System.Text.Json;
using SigstoreBuild.Attestations;
using SigstoreBuild.NuGet.Attestations;
using SigstoreBuild.NuGet.Tests.Infrastructure;

namespace SigstoreBuild.NuGet.Tests.Attestations;

[TestClass]
public sealed class StatementTests
{
    private static readonly SlsaBuildContext Context = new()
    {
        Project = "Lib.csproj",
        Configuration = "Release",
        TargetFrameworks = ["net10.0", "net8.0"],
        BuilderId = "https://example.invalid/builder",
        InvocationId = "run-1",
        Step = "pack",
    };

    [TestMethod]
    public void PackageStatement_HasTheInTotoV1ShapeAndThePackageDigest()
    {
        var inspection = Packages.Inspect(TestZip.Build(TestZip.PackageEntries(version: "1.0.0-RC.1")));
        var json = PackageStatements.ForPackages([inspection], Context).ToJson();
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        Assert.AreEqual("https://in-toto.io/Statement/v1", root.GetProperty("_type").GetString());
        Assert.AreEqual("https://slsa.dev/provenance/v1", root.GetProperty("predicateType").GetString());
        var subject = root.GetProperty("subject")[0];
        Assert.AreEqual("pkg:nuget/Contoso.Lib@1.0.0-RC.1", subject.GetProperty("name").GetString());
        Assert.AreEqual(Convert.ToHexStringLower(inspection.PackageDigest), subject.GetProperty("digest").GetProperty("sha256").GetString());
        Assert.AreEqual(1, subject.GetProperty("digest").EnumerateObject().Count(), "only the package digest: the file's own hashes change when the bundle is embedded");
        var definition = root.GetProperty("predicate").GetProperty("buildDefinition");
        Assert.AreEqual(PackageStatements.MinimalBuildType, definition.GetProperty("buildType").GetString());
        Assert.AreEqual("Release", definition.GetProperty("externalParameters").GetProperty("configuration").GetString());
        Assert.AreEqual("https://example.invalid/builder", root.GetProperty("predicate").GetProperty("runDetails").GetProperty("builder").GetProperty("id").GetString());
    }

    [TestMethod]
    public void Statement_RoundTripsAndIsDeterministic()
    {
        var inspection = Packages.Inspect(TestZip.Build(TestZip.PackageEntries()));
        var first = PackageStatements.ForPackages([inspection], Context).ToJson();
        var second = PackageStatements.ForPackages([inspection], Context).ToJson();
        CollectionAssert.AreEqual(first, second);
        var parsed = InTotoStatement.Parse(first);
        CollectionAssert.AreEqual(first, parsed.ToJson());
    }

    [TestMethod]
    public void PublishStatement_HasOneSubjectPerFileWithRelativeNames()
    {
        var root = RealPackages.NewTempDirectory();
        Directory.CreateDirectory(Path.Combine(root, "runtimes", "linux-x64"));
        File.WriteAllText(Path.Combine(root, "app.dll"), "a");
        File.WriteAllText(Path.Combine(root, "runtimes", "linux-x64", "native.so"), "b");
        File.WriteAllText(Path.Combine(root, "App"), "c");
        var statement = PackageStatements.ForPublishOutput(root, Directory.GetFiles(root, "*", SearchOption.AllDirectories), Context with { Step = "publish" });
        CollectionAssert.AreEqual(new[] { "App", "app.dll", "runtimes/linux-x64/native.so" }, statement.Subjects.Select(s => s.Name).ToArray());
        Assert.AreEqual("ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb", statement.Subjects[1].Digest["sha256"]);
    }

    [TestMethod]
    public void PublishStatement_RefusesFilesOutsideTheFolder()
    {
        var root = RealPackages.NewTempDirectory();
        var outside = Path.Combine(Path.GetDirectoryName(root)!, Guid.NewGuid().ToString("N") + ".txt");
        File.WriteAllText(outside, "x");
        Assert.ThrowsExactly<ArgumentException>(() => PackageStatements.ForPublishOutput(root, [outside], Context));
    }
}
