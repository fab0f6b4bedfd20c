using System.Diagnostics;
using System.Text;

namespace SigstoreBuild.Restore.Tests.Infrastructure;

internal sealed record ProcessResult(int ExitCode, string Output)
{
    public override string ToString() => $"exit {ExitCode}\n{Output}";

    /// <summary>The output lines that carry a code, e.g. "error SSB5105" naming a package.</summary>
    public bool HasLine(string code, string text) =>
        Output.Split('\n').Any(line => line.Contains(code, StringComparison.Ordinal) && line.Contains(text, StringComparison.Ordinal));
}

/// <summary>Runs dotnet as a build server would: no node reuse, no compiler server, an isolated NUGET_PACKAGES, no CI variables.</summary>
internal static class DotnetProcess
{
    /// <summary>Runs dotnet; <paramref name="nugetPackages"/> null keeps the machine's package folder (for building this repository).</summary>
    public static ProcessResult Run(string workingDirectory, string? nugetPackages, params string[] arguments) =>
        Run(workingDirectory, nugetPackages, null, arguments);

    /// <summary>Runs dotnet with extra environment variables (e.g. SIGSTORE_ID_TOKEN for a signing pack).</summary>
    public static ProcessResult Run(string workingDirectory, string? nugetPackages, IReadOnlyDictionary<string, string>? environment, params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true, StandardOutputEncoding = Encoding.UTF8 };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        // The test host's own MSBuild and testing-platform variables would point a child build at the wrong SDK parts.
        foreach (var name in start.Environment.Keys.Where(k => k.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase) || k.StartsWith("TESTINGPLATFORM", StringComparison.OrdinalIgnoreCase)
            || k is "DOTNET_HOST_PATH" or "CI" or "GITHUB_ACTIONS" or "GITHUB_STEP_SUMMARY" or "GITHUB_TOKEN" or "SIGSTORE_ID_TOKEN").ToList())
        {
            start.Environment.Remove(name);
        }

        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1";
        start.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        start.Environment["DOTNET_CLI_UI_LANGUAGE"] = "en";
        if (nugetPackages is not null)
        {
            start.Environment["NUGET_PACKAGES"] = nugetPackages;
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        var output = new StringBuilder();
        var gate = new object();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) { lock (gate) { output.AppendLine(e.Data); } } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { lock (gate) { output.AppendLine(e.Data); } } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!process.WaitForExit(TimeSpan.FromMinutes(8)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"dotnet {string.Join(' ', arguments)} did not finish in 8 minutes:\n{output}");
        }

        process.WaitForExit();
        return new ProcessResult(process.ExitCode, output.ToString());
    }

    /// <summary>`dotnet build` with the switches every test build uses.</summary>
    public static string[] Build(params string[] more) => ["build", "-nodeReuse:false", "-p:UseSharedCompilation=false", "-tl:off", "-v:m", .. more];
}
