using System.Reflection;

namespace SigstoreBuild.Cli.Tests.Infrastructure;

/// <summary>Finds the repository and the read-only <c>shared/</c> folder that sits beside it (locally and in CI).</summary>
internal static class SharedAssets
{
    public static string RepoRoot { get; } = Path.GetFullPath(
        typeof(SharedAssets).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "RepoRoot").Value!);

    public static string? SharedRoot { get; } = new[] { Path.Combine(RepoRoot, "..", "shared"), Path.Combine(RepoRoot, "shared") }
        .Select(Path.GetFullPath)
        .FirstOrDefault(p => File.Exists(Path.Combine(p, "conformance", "manifest.jsonl")));

    /// <summary>The shared folder, or an inconclusive test outside CI (a failure in CI, where it must be present).</summary>
    public static string RequireShared()
    {
        if (SharedRoot is not null)
        {
            return SharedRoot;
        }

        const string why = "shared/conformance is not beside the repository";
        if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
        {
            Assert.Fail(why + " (required in CI).");
        }

        Assert.Inconclusive(why + ".");
        return null!;
    }
}
