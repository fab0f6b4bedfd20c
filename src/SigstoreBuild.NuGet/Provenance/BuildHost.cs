using System.Runtime.InteropServices;

namespace SigstoreBuild.NuGet.Provenance;

/// <summary>The machine side of internalParameters: the runtime that ran the build and the operating system.</summary>
public sealed record BuildHost(string RuntimeVersion, string OperatingSystem, string RuntimeIdentifier, string SigstoreBuildVersion)
{
    /// <summary>This process: inside MSBuild, the runtime MSBuild (and so the compiler host) runs on.</summary>
    public static BuildHost Current { get; } = new(
        Environment.Version.ToString(),
        RuntimeInformation.OSDescription,
        RuntimeInformation.RuntimeIdentifier,
        typeof(BuildHost).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), false)
            is [System.Reflection.AssemblyInformationalVersionAttribute version, ..] ? version.InformationalVersion : "unknown");
}
