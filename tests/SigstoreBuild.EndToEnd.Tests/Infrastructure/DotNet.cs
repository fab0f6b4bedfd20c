using System.Diagnostics;
using System.Text;

namespace SigstoreBuild.EndToEnd.Tests.Infrastructure;

internal sealed record DotNetResult(int ExitCode, string Output)
{
    public bool Succeeded => ExitCode == 0;

    public override string ToString() => $"exit {ExitCode}\n{Output}";
}

/// <summary>Runs the dotnet CLI the way a user's build server does, with an environment scrubbed of CI and identity variables.</summary>
internal static class DotNet
{
    /// <summary>Variables the tests control; inherited values (e.g. when CI itself runs on GitHub Actions) are removed.</summary>
    private static readonly string[] Scrubbed =
    [
        "CI", "GITHUB_ACTIONS", "ACTIONS_ID_TOKEN_REQUEST_URL", "ACTIONS_ID_TOKEN_REQUEST_TOKEN", "GITHUB_EVENT_NAME",
        "GITHUB_STEP_SUMMARY", "GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_WORKFLOW_REF", "GITHUB_RUN_ID",
        "GITLAB_CI", "TF_BUILD", "SYSTEM_OIDCREQUESTURI", "SYSTEM_ACCESSTOKEN", "BUILDKITE", "BUILDKITE_AGENT_ACCESS_TOKEN",
        "CIRCLECI", "CIRCLE_OIDC_TOKEN", "CIRCLE_OIDC_TOKEN_V2", "SIGSTORE_ID_TOKEN", "MSBUILDLOGALLENVIRONMENTVARIABLES",
        "MSBuildExtensionsPath", "MSBUILD_EXE_PATH", "MSBuildSDKsPath", "DOTNET_HOST_PATH",
    ];

    /// <summary>
    /// DOTNET_ROOT for running a framework-dependent tool: its launcher finds the runtime through it when dotnet is not in
    /// a default location.
    /// </summary>
    public static Dictionary<string, string> RootEnvironment()
    {
        var root = Environment.GetEnvironmentVariable("DOTNET_ROOT");
        if (root is null)
        {
            var onPath = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator)
                .Select(directory => Path.Combine(directory, OperatingSystem.IsWindows() ? "dotnet.exe" : "dotnet"))
                .FirstOrDefault(File.Exists);
            var host = onPath is null ? null : new FileInfo(onPath).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? onPath;
            root = host is null ? null : Path.GetDirectoryName(host);
        }

        return root is null ? [] : new Dictionary<string, string> { ["DOTNET_ROOT"] = root };
    }

    public static DotNetResult Run(string workingDirectory, IReadOnlyDictionary<string, string>? environment, params string[] arguments) =>
        RunProgram("dotnet", workingDirectory, environment, arguments);

    /// <summary>Runs <paramref name="program"/> (dotnet, or an installed tool's command) in the same scrubbed environment.</summary>
    public static DotNetResult RunProgram(string program, string workingDirectory, IReadOnlyDictionary<string, string>? environment, params string[] arguments)
    {
        var start = new ProcessStartInfo(program)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = Encoding.UTF8,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var name in Scrubbed)
        {
            start.Environment.Remove(name);
        }

        // Test hosts set these for their own process; a child build must find its SDK itself.
        foreach (var name in start.Environment.Keys.Where(k => k.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase) || k.StartsWith("TESTINGPLATFORM", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            start.Environment.Remove(name);
        }

        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1";
        start.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        start.Environment["DOTNET_CLI_UI_LANGUAGE"] = "en";
        start.Environment["NUGET_PACKAGES"] = E2E.NuGetPackages;
        start.Environment["SOURCE_DATE_EPOCH"] = "1767225600";
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
            Assert.Fail($"{program} {string.Join(' ', arguments)} did not finish in 8 minutes:\n{output}");
        }

        process.WaitForExit();
        return new DotNetResult(process.ExitCode, output.ToString());
    }

    /// <summary>Common arguments of every build the tests run: no node reuse, no compiler server, plain logs.</summary>
    public static string[] BuildArguments(string verb, params string[] more) =>
        [verb, "-nodeReuse:false", "-p:UseSharedCompilation=false", "-tl:off", $"-p:SigstoreBuildVersion={E2E.PackageVersion}", .. more];
}
