using SigstoreBuild.NuGet.Attestations;
using SigstoreBuild.NuGet.Provenance;

namespace SigstoreBuild.Tasks.Signing;

/// <summary>The builder and invocation ids of the minimal SLSA predicate, from the CI environment.</summary>
internal static class BuildContextReader
{
    public static SlsaBuildContext Read(ITaskEnvironment env, string step, string? projectPath, string? configuration, string? targetFrameworks)
    {
        // The same builder and invocation ids as the full provenance (URIs, as SLSA requires; Fulcio's 1.9 and 1.21 in CI).
        var platform = BuildPlatform.Detect(env.Get);
        return new SlsaBuildContext
        {
            Step = step,
            Project = string.IsNullOrEmpty(projectPath) ? "unknown" : Path.GetFileName(projectPath),
            Configuration = configuration,
            TargetFrameworks = (targetFrameworks ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
            BuilderId = platform.BuilderId,
            InvocationId = platform.InvocationId,
        };
    }
}
