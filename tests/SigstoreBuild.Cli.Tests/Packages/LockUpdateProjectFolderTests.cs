using System.Diagnostics;
using System.Text.Json;
using SigstoreBuild.Cli.Tests.Infrastructure;

namespace SigstoreBuild.Cli.Tests.Packages;

/// <summary>
/// <c>sigstore lock update</c> and <c>sigstore verify-packages</c> with no project argument, run (out of process, as a user
/// does) in a project folder: they take the one project file there, as <c>dotnet build</c> does, and name the candidates
/// when there are none or several.
/// </summary>
[TestClass]
public sealed class LockUpdateProjectFolderTests
{
    private static string s_root = null!;
    private static string s_project = null!;

    public TestContext TestContext { get; set; } = null!;

    [ClassInitialize]
    public static void Setup(TestContext context)
    {
        s_root = Directory.CreateTempSubdirectory("ssb-cli-lock-").FullName;
        var feed = Directory.CreateDirectory(Path.Combine(s_root, "feed")).FullName;
        s_project = Directory.CreateDirectory(Path.Combine(s_root, "App")).FullName;
        File.WriteAllText(Path.Combine(s_project, "App.csproj"), """
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <TargetFramework>net10.0</TargetFramework>
                <SigstoreVerifyPackages>enforce</SigstoreVerifyPackages>
              </PropertyGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(s_project, "nuget.config"), $"""
            <configuration>
              <packageSources>
                <clear />
                <add key="local" value="{feed}" />
              </packageSources>
            </configuration>
            """);
        var restore = Run(s_project, "dotnet", "restore", "-nologo", "-v:q");
        if (restore.ExitCode != 0)
        {
            Assert.Inconclusive("dotnet restore of the test project failed: " + restore);
        }
    }

    [ClassCleanup]
    public static void Cleanup() => Directory.Delete(s_root, recursive: true);

    [TestMethod]
    public void LockUpdate_InTheProjectFolder_UsesItsProject()
    {
        var run = RunCli(s_project, "lock", "update", "--output", "json");
        Assert.AreEqual(0, run.ExitCode, run.ToString());
        using var report = JsonDocument.Parse(run.Output);
        Assert.IsTrue(File.Exists(Path.Combine(s_project, "obj", "project.assets.json")));

        var verify = RunCli(s_project, "verify-packages");
        Assert.AreEqual(0, verify.ExitCode, verify.ToString());
    }

    [TestMethod]
    public void VerifyPackages_ReadsTheProjectsTrustedKeys_RelativeToTheProject()
    {
        var folder = Directory.CreateDirectory(Path.Combine(s_root, "keys-" + Guid.NewGuid().ToString("N"))).FullName;
        File.Copy(Path.Combine(s_project, "nuget.config"), Path.Combine(folder, "nuget.config"));
        File.WriteAllText(Path.Combine(folder, "App.csproj"), """
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <TargetFramework>net10.0</TargetFramework>
                <SigstoreVerifyPackages>enforce</SigstoreVerifyPackages>
              </PropertyGroup>
              <ItemGroup>
                <SigstoreTrustedKey Include="Contoso.%2A" PublicKey="keys/contoso.pub" />
              </ItemGroup>
            </Project>
            """);
        Assert.AreEqual(0, Run(folder, "dotnet", "restore", "-nologo", "-v:q").ExitCode);

        var missing = RunCli(folder, "verify-packages");
        Assert.AreEqual(1, missing.ExitCode, missing.ToString());
        StringAssert.Contains(missing.Error, "error SSB5120");
        StringAssert.Contains(missing.Error, Path.Combine(folder, "keys", "contoso.pub"));

        Directory.CreateDirectory(Path.Combine(folder, "keys"));
        using (var key = SigstoreBuild.Crypto.SigningKey.Generate(SigstoreBuild.Crypto.SigningKeyAlgorithm.EcdsaP256))
        {
            File.WriteAllText(Path.Combine(folder, "keys", "contoso.pub"), key.PublicKeyPem);
        }

        var verify = RunCli(folder, "verify-packages");
        Assert.AreEqual(0, verify.ExitCode, verify.ToString());
    }

    [TestMethod]
    public void NoProjectInTheFolder_IsACodedErrorSayingWhatToPass()
    {
        var empty = Directory.CreateDirectory(Path.Combine(s_root, "empty-" + Guid.NewGuid().ToString("N"))).FullName;
        var run = RunCli(empty, "lock", "update");
        Assert.AreEqual(1, run.ExitCode, run.ToString());
        StringAssert.StartsWith(run.Error, $"error SSB0030: There is no project file in '{empty}'. Run the command in the project's folder, or name the project with --project PATH/TO/App.csproj.");
    }

    [TestMethod]
    public async Task SeveralProjects_AreNamed_AndTheHintWorksAsWritten()
    {
        var two = Directory.CreateDirectory(Path.Combine(s_root, "two-" + Guid.NewGuid().ToString("N"))).FullName;
        File.Copy(Path.Combine(s_project, "App.csproj"), Path.Combine(two, "App.csproj"));
        File.Copy(Path.Combine(s_project, "App.csproj"), Path.Combine(two, "Tool.csproj"));
        var run = RunCli(two, "verify-packages");
        Assert.AreEqual(1, run.ExitCode, run.ToString());
        StringAssert.StartsWith(run.Error, $"error SSB0031: '{two}' holds 2 project files (App.csproj, Tool.csproj). Name one with --project, such as --project App.csproj.");

        // --project also takes the folder, as dotnet build does.
        var byFolder = await CliRunner.RunAsync("verify-packages", "--project", s_project, "--output", "json");
        Assert.AreEqual(0, byFolder.ExitCode, byFolder.ToString());
    }

    /// <summary>The built command, in <paramref name="directory"/>, with this test assembly's runtime configuration.</summary>
    private static CliRun RunCli(string directory, params string[] arguments)
    {
        var self = typeof(LockUpdateProjectFolderTests).Assembly.Location;
        var config = Path.ChangeExtension(self, ".runtimeconfig.json");
        var deps = Path.ChangeExtension(self, ".deps.json");
        return Run(directory, "dotnet", ["exec", "--runtimeconfig", config, "--depsfile", deps, typeof(SigstoreCommand).Assembly.Location, .. arguments]);
    }

    private static CliRun Run(string directory, string fileName, params string[] arguments)
    {
        var start = new ProcessStartInfo(fileName) { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["NUGET_PACKAGES"] = Path.Combine(s_root, "packages");
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        return new CliRun(process.ExitCode, output.Result, error.Result);
    }
}
