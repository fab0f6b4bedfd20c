using SigstoreBuild.EndToEnd.Tests.Infrastructure;

namespace SigstoreBuild.EndToEnd.Tests;

/// <summary>Real dotnet pack / publish of sample copies, without an identity: the no-op, skip and misconfiguration paths.</summary>
[TestClass]
public sealed class PackTests
{
    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    public void WithoutIdentity_PackWarns_WritesNoBundle_AndLeavesThePackageUntouched()
    {
        var project = E2E.CopySample("Library", TestContext.TestName!);
        var unsigned = DotNet.Run(project, null, DotNet.BuildArguments("pack", "-o", "out-unsigned", "-p:SigstoreSign=false"));
        Assert.IsTrue(unsigned.Succeeded, unsigned.ToString());
        Assert.DoesNotContain(" SSB", unsigned.Output);

        var result = DotNet.Run(project, null, DotNet.BuildArguments("pack", "-o", "out"));
        Assert.IsTrue(result.Succeeded, result.ToString());
        Assert.Contains("warning SSB0900", result.Output);
        Assert.IsEmpty(Directory.GetFiles(Path.Combine(project, "out"), "*.sigstore.json"));
        CollectionAssert.AreEqual(
            File.ReadAllBytes(Path.Combine(project, "out-unsigned", "Contoso.Greetings.1.0.0.nupkg")),
            File.ReadAllBytes(Path.Combine(project, "out", "Contoso.Greetings.1.0.0.nupkg")));
    }

    [TestMethod]
    [DataRow("-p:SigstoreRequireSigning=true", "", "SSB0403", DisplayName = "required, no identity")]
    [DataRow("-p:SigstoreSign=true", "GITHUB_ACTIONS=true", "SSB0403", DisplayName = "SigstoreSign=true on GitHub Actions without id-token")]
    [DataRow("-p:SigstoreInstance=nowhere", "", "SSB0401", DisplayName = "unknown instance")]
    [DataRow("-p:SigstoreOidcProvider=carrier-pigeon", "", "SSB0401", DisplayName = "unknown OIDC provider")]
    [DataRow("-p:SigstoreBundleExtension=sig", "", "SSB0401", DisplayName = "bundle extension without a dot")]
    [DataRow("-p:SigstoreSign=maybe", "", "SSB0401", DisplayName = "bad SigstoreSign value")]
    [DataRow("-p:SigstoreBundleLocation=inside", "SIGSTORE_ID_TOKEN=x.y.z", "SSB0401", DisplayName = "unknown bundle location")]
    [DataRow("-p:SigstoreInstance=custom", "", "SSB0402", DisplayName = "custom instance without trust files")]
    [DataRow("-p:SigstoreTrustedRootPath=/nonexistent/trusted_root.json", "", "SSB0402", DisplayName = "trusted root missing")]
    [DataRow("-p:SigstoreSign=true", "GITHUB_EVENT_NAME=pull_request_target;SIGSTORE_ID_TOKEN=x.y.z", "SSB0404", DisplayName = "pull_request_target")]
    public void Misconfiguration_FailsWithItsCode(string property, string environment, string code)
    {
        var project = E2E.CopySample("Library", TestContext.TestName! + "-" + code + "-" + Math.Abs(property.GetHashCode(StringComparison.Ordinal)));
        var env = environment.Split(';', StringSplitOptions.RemoveEmptyEntries).Select(pair => pair.Split('=', 2)).ToDictionary(p => p[0], p => p[1]);
        // Restore-time dependency verification reads the same trust properties; keep it out of these pack-time cases.
        var result = DotNet.Run(project, env, DotNet.BuildArguments("pack", "-o", "out", property, "-p:SigstoreVerifyPackages=off"));
        Assert.IsFalse(result.Succeeded, result.ToString());
        Assert.Contains($"error {code}", result.Output);
        if (environment.Contains("GITHUB_ACTIONS", StringComparison.Ordinal))
        {
            Assert.Contains("id-token: write", result.Output);
        }
    }

    /// <summary>With signing required, a failed signing must not leave an unsigned package that looks finished.</summary>
    [TestMethod]
    public void RequiredSigningFails_LeavesNoUnsignedPackage()
    {
        var project = E2E.CopySample("Library", TestContext.TestName!);

        var result = DotNet.Run(project, null, DotNet.BuildArguments("pack", "-o", "out", "-p:SigstoreRequireSigning=true", "-p:SigstoreVerifyPackages=off"));

        Assert.IsFalse(result.Succeeded, result.ToString());
        Assert.Contains("error SSB0403", result.Output);
        Assert.Contains("error SSB0408", result.Output);
        Assert.IsEmpty(Directory.GetFiles(Path.Combine(project, "out"), "*.nupkg"));
    }

    [TestMethod]
    public void NotPackable_PackDoesNothing()
    {
        var project = E2E.CopySample("ConsoleApp", TestContext.TestName!);
        var result = DotNet.Run(project, new Dictionary<string, string> { ["SIGSTORE_ID_TOKEN"] = "x.y.z" }, DotNet.BuildArguments("pack", "-o", "out", "-p:SigstoreRequireSigning=true"));
        Assert.IsTrue(result.Succeeded, result.ToString());
        Assert.DoesNotContain(" SSB", result.Output);
        Assert.IsFalse(Directory.Exists(Path.Combine(project, "out")) && Directory.EnumerateFiles(Path.Combine(project, "out")).Any());
    }

    [TestMethod]
    public void SigningOff_PublishDoesNothing()
    {
        var project = E2E.CopySample("ConsoleApp", TestContext.TestName!);
        var result = DotNet.Run(project, null, DotNet.BuildArguments("publish", "-p:SigstoreSignOnPublish=false", "-p:SigstoreRequireSigning=true"));
        Assert.IsTrue(result.Succeeded, result.ToString());
        Assert.DoesNotContain(" SSB", result.Output);
        Assert.IsEmpty(Directory.GetFiles(project, "*.sigstore.json", SearchOption.AllDirectories));
    }
}
