using System.Diagnostics;
using System.Globalization;
using Microsoft.Build.Framework;
using SigstoreBuild.Diagnostics;
using SigstoreBuild.NuGet.Provenance;

namespace SigstoreBuild.Tasks;

/// <summary>
/// Collects what MSBuild knows for the SLSA provenance (project, configuration, target frameworks, the properties that
/// change the output, SDK, assets file, source repository and commit) into a small JSON file the signing tasks read.
/// Environment data (CI ids) is read later, by the signing task itself; nothing secret is written here.
/// </summary>
public sealed class SigstoreCollectProvenance : Microsoft.Build.Utilities.Task
{
    [Required]
    public string OutputPath { get; set; } = "";

    public string? ProjectPath { get; set; }
    public string? Configuration { get; set; }
    public string? TargetFrameworks { get; set; }

    /// <summary>Items named after MSBuild properties, with the value as <c>Value</c> metadata; empty values are dropped.</summary>
    public ITaskItem[] Properties { get; set; } = [];

    public string? SdkVersion { get; set; }
    public string? MSBuildVersion { get; set; }
    public string? AssetsFile { get; set; }
    public string? RepositoryUrl { get; set; }
    public string? RepositoryCommit { get; set; }
    public string? StartedOn { get; set; }
    public string? BuilderId { get; set; }
    public bool IncludeAssemblies { get; set; }

    /// <summary>Ask git for the commit (and, when <see cref="UseGitRemote"/>, the origin URL) if SourceLink gave none.</summary>
    public bool UseGit { get; set; } = true;

    /// <summary>The origin URL may be private: only recorded when the project publishes its repository URL.</summary>
    public bool UseGitRemote { get; set; }

    public override bool Execute()
    {
        try
        {
            var directory = Path.GetDirectoryName(ProjectPath) ?? Directory.GetCurrentDirectory();
            var commit = Blank(RepositoryCommit);
            var url = Blank(RepositoryUrl);
            if (UseGit && commit is null)
            {
                commit = Git(directory, "rev-parse", "HEAD");
                if (url is null && UseGitRemote && commit is not null)
                {
                    url = Git(directory, "remote", "get-url", "origin");
                }
            }

            var inputs = new ProvenanceInputs
            {
                Project = string.IsNullOrEmpty(ProjectPath) ? "unknown" : Path.GetFileName(ProjectPath),
                Configuration = Blank(Configuration),
                TargetFrameworks = (TargetFrameworks ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Distinct(StringComparer.Ordinal).ToArray(),
                Properties = Properties
                    .Select(p => (Name: p.ItemSpec.Trim(), Value: p.GetMetadata("Value").Trim()))
                    .Where(p => p.Name.Length > 0 && p.Value.Length > 0)
                    .GroupBy(p => p.Name, StringComparer.Ordinal)
                    .ToDictionary(g => g.Key, g => g.Last().Value, StringComparer.Ordinal),
                SdkVersion = Blank(SdkVersion),
                MSBuildVersion = Blank(MSBuildVersion),
                AssetsFile = Blank(AssetsFile) is { } assets && File.Exists(assets) ? Path.GetFullPath(assets) : null,
                RepositoryUrl = url,
                RepositoryCommit = commit,
                StartedOn = DateTimeOffset.TryParse(StartedOn, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var started) ? started : null,
                BuilderId = Blank(BuilderId),
                IncludeAssemblies = IncludeAssemblies,
            };

            var content = inputs.ToJson();
            var path = Path.GetFullPath(OutputPath);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            if (!File.Exists(path) || !File.ReadAllBytes(path).AsSpan().SequenceEqual(content))
            {
                File.WriteAllBytes(path, content);
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // The task boundary: one coded error instead of an MSBuild crash report.
            Log.LogError(subcategory: "Sigstore", errorCode: ProvenanceCodes.InputsUnreadable, helpKeyword: null, file: ProjectPath, lineNumber: 0, columnNumber: 0, endLineNumber: 0, endColumnNumber: 0,
                message: $"Could not write the provenance inputs '{OutputPath}' ({ex.GetType().Name}: {ex.Message}). Set SigstoreProvenance=false to sign without provenance.");
        }

        return !Log.HasLoggedErrors;
    }

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    /// <summary>One line of git output, or null when git is missing, fails or is slow (the provenance then has no source).</summary>
    private string? Git(string directory, params string[] arguments)
    {
        var start = new ProcessStartInfo("git") { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        try
        {
            using var process = Process.Start(start);
            if (process is null)
            {
                return null;
            }

            var output = process.StandardOutput.ReadToEndAsync();
            _ = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(TimeSpan.FromSeconds(10)))
            {
                process.Kill(entireProcessTree: true);
                return null;
            }

            var line = output.GetAwaiter().GetResult().Trim();
            return process.ExitCode == 0 && line.Length > 0 && !line.Contains('\n', StringComparison.Ordinal) ? line : null;
        }
        catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or InvalidOperationException or IOException)
        {
            Log.LogMessage(MessageImportance.Low, $"Sigstore: git is not available for the provenance ({ex.Message}).");
            return null;
        }
    }
}
