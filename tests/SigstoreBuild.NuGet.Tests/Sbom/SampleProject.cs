using System.Diagnostics;

namespace SigstoreBuild.NuGet.Tests.Sbom;

/// <summary>
/// A console project referencing Microsoft.Extensions.Logging 6.0.0 (five transitive packages, a graph with shared
/// dependencies), restored once per test process into a temp folder.
/// </summary>
internal static class SampleProject
{
    public const string Name = "SbomSample";
    public const string Version = "1.2.3";
    public const string DirectId = "Microsoft.Extensions.Logging";

    private static readonly Lazy<(string? Project, string Log)> s_restored = new(Restore, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>The restored project file; fails (CI) or is inconclusive (elsewhere) when restore cannot run here.</summary>
    public static string ProjectFile => s_restored.Value.Project ?? NotRun($"dotnet restore of the sample project failed: {s_restored.Value.Log}");

    public static string AssetsFile => Path.Combine(Path.GetDirectoryName(ProjectFile)!, "obj", "project.assets.json");

    private static (string?, string) Restore()
    {
        var directory = Directory.CreateTempSubdirectory("ssb-sbom-").FullName;
        var project = Path.Combine(directory, Name + ".csproj");
        File.WriteAllText(project, $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <Version>{Version}</Version>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="{DirectId}" Version="6.0.0" />
              </ItemGroup>
            </Project>
            """);
        var (exit, log) = Run(directory, TimeSpan.FromMinutes(5), "dotnet", "restore", project, "-nodeReuse:false");
        return (exit == 0 ? project : null, log);
    }

    /// <summary>The policy of tests/Shared/SigstoreJs.cs: loud, and a failure on CI.</summary>
    public static string NotRun(string why)
    {
        why = "NOT RUN: " + why;
        if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
        {
            Assert.Fail(why);
        }

        Assert.Inconclusive(why);
        return null!;
    }

    public static (int Exit, string Log) Run(string workingDirectory, TimeSpan timeout, string command, params string[] arguments)
    {
        var start = new ProcessStartInfo(command) { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            return (-1, $"{command} {string.Join(' ', arguments)} did not finish in {timeout}");
        }

        process.WaitForExit();
        return (process.ExitCode, stdout.GetAwaiter().GetResult() + stderr.GetAwaiter().GetResult());
    }
}
