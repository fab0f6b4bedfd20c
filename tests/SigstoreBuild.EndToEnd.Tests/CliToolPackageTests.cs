using SigstoreBuild.EndToEnd.Tests.Infrastructure;

namespace SigstoreBuild.EndToEnd.Tests;

/// <summary>
/// The sigstore tool as RID-specific tool packages: `dotnet tool install SigstoreBuild.Cli` installs this machine's Native
/// AOT executable, and the framework-dependent `any` package still installs and runs where no native one fits.
/// </summary>
[TestClass]
public sealed class CliToolPackageTests
{
    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    public void ToolInstall_PicksTheNativeAotPackage()
    {
        E2E.RequirePackage();
        var command = E2E.InstallCli();

        // The command is the executable from SigstoreBuild.Cli.<rid> itself, not a launcher for sigstore.dll.
        var target = new FileInfo(command).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? command;
        var store = Path.Combine(E2E.Root, "tools", ".store", "sigstorebuild.cli", E2E.PackageVersion);
        Assert.IsTrue(Directory.Exists(Path.Combine(store, "sigstorebuild.cli." + E2E.HostRuntimeIdentifier)),
            $"no native package for {E2E.HostRuntimeIdentifier} under {store}: {string.Join(", ", Directory.GetDirectories(store).Select(Path.GetFileName))}");
        Assert.IsEmpty(Directory.GetFiles(Path.GetDirectoryName(target)!, "*.dll"), $"'{target}' sits beside managed assemblies");

        var version = DotNet.RunProgram(command, E2E.Root, new Dictionary<string, string>(), "--version");
        Assert.IsTrue(version.Succeeded, version.ToString());
        Assert.StartsWith(E2E.PackageVersion, version.Output.Trim());
    }

    [TestMethod]
    public void ToolInstall_FrameworkDependentFallback_Runs()
    {
        E2E.RequirePackage();
        E2E.InstallCli();

        var tools = Path.Combine(E2E.Root, TestContext.TestName!);
        var install = DotNet.Run(E2E.Root, null, "tool", "install", "--tool-path", tools, "SigstoreBuild.Cli.any", "--add-source", E2E.Feed, "--version", E2E.PackageVersion);
        Assert.IsTrue(install.Succeeded, install.ToString());
        var command = Path.Combine(tools, OperatingSystem.IsWindows() ? "sigstore.exe" : "sigstore");
        Assert.IsTrue(File.Exists(Path.Combine(tools, ".store", "sigstorebuild.cli.any", E2E.PackageVersion, "sigstorebuild.cli.any", E2E.PackageVersion, "tools", "net10.0", "any", "sigstore.dll")),
            "the any package holds the framework-dependent sigstore.dll");

        var version = DotNet.RunProgram(command, E2E.Root, DotNet.RootEnvironment(), "--version");
        Assert.IsTrue(version.Succeeded, version.ToString());
        Assert.StartsWith(E2E.PackageVersion, version.Output.Trim());
    }
}
