using System.Diagnostics;
using System.Reflection;
using SigstoreBuild.NuGet.Restore;
using SigstoreBuild.Restore.Tests.Infrastructure;

namespace SigstoreBuild.Restore.Tests.EndToEnd;

/// <summary>
/// Real `dotnet build` of a consumer project with a local folder feed, an isolated NUGET_PACKAGES and the restore
/// targets imported from source. Covers what needs no Sigstore verifier: policy for unsigned packages, a package
/// folder tampered after restore, and R-03 (a --no-restore build after a failure still fails).
/// </summary>
[TestClass]
public sealed class ConsumerBuildTests
{
    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    [TestCategory("EndToEnd")]
    public void UnsignedPolicy_TamperAndNoRestoreAfterFailure()
    {
        var tasks = typeof(ConsumerBuildTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "TasksAssembly").Value!;
        var root = typeof(ConsumerBuildTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "RepoRoot").Value!;
        if (!File.Exists(tasks))
        {
            Assert.Inconclusive($"The task assembly was not built at {tasks}.");
        }

        using var feed = new TestFeed();
        var version = "1.0." + Environment.TickCount64 % 100000;
        File.WriteAllBytes(Path.Combine(feed.Feed, $"Contoso.Lib.{version}.nupkg"), TestFeed.CreateNupkg("Contoso.Lib", version));
        var app = Directory.CreateDirectory(Path.Combine(feed.Root, "app")).FullName;
        File.WriteAllText(Path.Combine(app, "nuget.config"), $"""
            <configuration>
              <packageSources><clear /><add key="local" value="{feed.Feed}" /></packageSources>
              <config><add key="globalPackagesFolder" value="{Path.Combine(feed.Root, "gpf")}" /></config>
            </configuration>
            """);
        File.WriteAllText(Path.Combine(app, "Directory.Build.targets"), $"""
            <Project>
              <PropertyGroup><_SigstoreRestoreTasksAssembly>{tasks}</_SigstoreRestoreTasksAssembly></PropertyGroup>
              <Import Project="{Path.Combine(root, "src", "SigstoreBuild.Tasks", "build", "SigstoreBuild.Restore.targets")}" />
            </Project>
            """);
        WriteProject(app, version, "<SigstoreTrustedIdentity Include=\"Contoso.%2A\" Issuer=\"https://token.actions.githubusercontent.com\" Subject=\"https://github.com/contoso/lib/.github/workflows/release.yml@refs/tags/v1\" />");

        var unsigned = Dotnet(app, "build");
        Assert.AreNotEqual(0, unsigned.ExitCode, unsigned.Output);
        StringAssert.Contains(unsigned.Output, "SSB5103", unsigned.Output);
        StringAssert.Contains(unsigned.Output, "Contoso.Lib");
        Assert.IsTrue(File.Exists(Path.Combine(app, "obj", "sigstore", RestoreRun.ReportFileName)));

        var noRestore = Dotnet(app, "build", "--no-restore");
        Assert.AreNotEqual(0, noRestore.ExitCode, "R-03: a --no-restore build after a failed verification must fail.\n" + noRestore.Output);
        StringAssert.Contains(noRestore.Output, "SSB5112", noRestore.Output);

        WriteProject(app, version, "<SigstoreUnsignedAllowed Include=\"Contoso.Lib\" />");
        var allowed = Dotnet(app, "build");
        Assert.AreEqual(0, allowed.ExitCode, allowed.Output);
        StringAssert.Contains(File.ReadAllText(Path.Combine(app, "obj", "sigstore", RestoreRun.ReportFileName)), "\"unsigned\": 1");

        var packageFolder = Path.Combine(feed.Root, "gpf", "contoso.lib", version);
        File.AppendAllText(Path.Combine(packageFolder, "build", "Contoso.Lib.targets"), "<!-- changed after restore -->");
        var tampered = Dotnet(app, "build", "-p:SigstoreVerifyPackagesRehash=true");
        Assert.AreNotEqual(0, tampered.ExitCode, tampered.Output);
        StringAssert.Contains(tampered.Output, "SSB5108", tampered.Output);
    }

    private static void WriteProject(string app, string version, string policy) => File.WriteAllText(Path.Combine(app, "App.csproj"), $"""
        <Project Sdk="Microsoft.NET.Sdk">
          <PropertyGroup>
            <TargetFramework>net10.0</TargetFramework>
            <OutputType>Library</OutputType>
            <SigstoreUseLockFile>false</SigstoreUseLockFile>
            <SigstoreVerifyPackagesRehash>false</SigstoreVerifyPackagesRehash>
          </PropertyGroup>
          <ItemGroup>
            <PackageReference Include="Contoso.Lib" Version="{version}" />
            {policy}
          </ItemGroup>
        </Project>
        """);

    private (int ExitCode, string Output) Dotnet(string directory, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args.Concat(["-nodeReuse:false", "-p:UseSharedCompilation=false", "-v:m"]))
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        start.Environment.Remove("GITHUB_STEP_SUMMARY");
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync(TestContext.CancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(TestContext.CancellationToken);
        process.WaitForExit();
        return (process.ExitCode, stdout.Result + stderr.Result);
    }
}
