using System.Reflection;

namespace SigstoreBuild.EndToEnd.Tests.Infrastructure;

/// <summary>
/// Shared state of the end-to-end run: the SigstoreBuild package packed once from this repository with a unique version,
/// a folder feed holding it, one isolated NUGET_PACKAGES, and a work root where samples are copied.
/// </summary>
[TestClass]
public static class E2E
{
    public static string RepoRoot { get; } =
        typeof(E2E).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "RepoRoot").Value!;

    public static string Root { get; private set; } = null!;
    public static string Feed { get; private set; } = null!;
    public static string NuGetPackages { get; private set; } = null!;
    public static string PackageVersion { get; private set; } = null!;
    public static string PackagePath { get; private set; } = null!;
    public static string? SetupFailure { get; private set; }

    /// <summary>The bundle dotnet pack embedded in <paramref name="package"/> (the default SigstoreBundleLocation).</summary>
    public static SigstoreBuild.Bundles.Bundle EmbeddedBundleOf(string package) =>
        SigstoreBuild.Bundles.BundleSerializer.Parse(SigstoreBuild.NuGet.EmbeddedBundle.Read(package)
            ?? throw new AssertFailedException($"'{package}' carries no embedded Sigstore bundle."));

    /// <summary>Writes the embedded bundle out, as `sigstore extract-bundle` does, for other Sigstore clients.</summary>
    public static string ExtractBundle(string package)
    {
        var path = package + ".extracted.json";
        File.WriteAllBytes(path, SigstoreBuild.NuGet.EmbeddedBundle.Read(package) ?? throw new AssertFailedException($"'{package}' carries no embedded Sigstore bundle."));
        return path;
    }

    [AssemblyInitialize]
    public static void PackSigstoreBuild(TestContext context)
    {
        Root = Path.Combine(Path.GetTempPath(), "sigstore-e2e", DateTime.UtcNow.ToString("yyyyMMddHHmmss") + "-" + Guid.NewGuid().ToString("N")[..8]);
        Feed = Path.Combine(Root, "feed");
        NuGetPackages = Path.Combine(Root, "nuget-packages");
        Directory.CreateDirectory(Feed);
        Directory.CreateDirectory(NuGetPackages);
        PackageVersion = $"0.0.0-e2e.{DateTime.UtcNow:yyyyMMddHHmmss}.{Environment.ProcessId}";

        // Samples stand alone (their Directory.*.props stop the repository's from applying); the feed comes first,
        // the machine's package cache is a fallback so runtime packs are not downloaded again.
        foreach (var file in new[] { "Directory.Build.props", "Directory.Packages.props" })
        {
            File.Copy(Path.Combine(RepoRoot, "samples", file), Path.Combine(Root, file));
        }

        var machineCache = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        var fallback = Directory.Exists(machineCache) ? $"<fallbackPackageFolders><add key=\"machine\" value=\"{machineCache}\" /></fallbackPackageFolders>" : "";
        File.WriteAllText(Path.Combine(Root, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources><add key="sigstorebuild-e2e" value="{Feed}" /></packageSources>
              {fallback}
            </configuration>
            """);

        var result = DotNet.Run(RepoRoot, null, "pack", Path.Combine(RepoRoot, "src", "SigstoreBuild.Tasks", "SigstoreBuild.Tasks.csproj"),
            "-c", "Release", "-o", Feed, $"-p:Version={PackageVersion}", "-nodeReuse:false", "-p:UseSharedCompilation=false", "-tl:off");
        PackagePath = Path.Combine(Feed, $"SigstoreBuild.{PackageVersion}.nupkg");
        if (!result.Succeeded || !File.Exists(PackagePath))
        {
            SetupFailure = "Packing SigstoreBuild failed: " + result;
        }
    }

    [AssemblyCleanup]
    public static void Cleanup()
    {
        if (Root is not null && Directory.Exists(Root) && Environment.GetEnvironmentVariable("SIGSTORE_E2E_KEEP") is null)
        {
            try
            {
                Directory.Delete(Root, recursive: true);
            }
            catch (IOException)
            {
                // A build server may still hold a file; the temp folder is cleaned by the OS.
            }
        }
    }

    /// <summary>Fails (never skips) every test that needs the package when packing it failed.</summary>
    public static void RequirePackage()
    {
        if (SetupFailure is not null)
        {
            Assert.Fail(SetupFailure);
        }
    }

    private static readonly Lazy<string> s_cli = new(PackAndInstallCli, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>This machine's RID as the tool packages name it (the portable one, e.g. linux-x64).</summary>
    public static string HostRuntimeIdentifier => System.Runtime.InteropServices.RuntimeInformation.RuntimeIdentifier;

    /// <summary>
    /// The sigstore command as README.md installs it: SigstoreBuild.Cli packed from this repository into the feed the way
    /// build/pack-cli.sh packs it (the pointer package, the framework-dependent `any` package and this machine's Native AOT
    /// package) and installed with `dotnet tool install` (into a tool path under the work root, not the machine's global
    /// tools), which picks the native package. Returns the path of the installed command.
    /// </summary>
    public static string InstallCli() => s_cli.Value;

    private static string PackAndInstallCli()
    {
        var project = Path.Combine(RepoRoot, "src", "SigstoreBuild.Cli", "SigstoreBuild.Cli.csproj");
        var rids = System.Xml.Linq.XDocument.Load(project).Descendants("ToolPackageRuntimeIdentifiers").Single().Value.Split(';');
        var native = rids.Contains(HostRuntimeIdentifier);
        if (native && OperatingSystem.IsLinux() && !OnPath("clang") && !OnPath("gcc"))
        {
            var why = $"NOT RUN: Native AOT needs clang or gcc to pack SigstoreBuild.Cli.{HostRuntimeIdentifier} (apt-get install clang; .ci/run installs it).";
            if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
            {
                Assert.Fail(why);
            }

            Assert.Inconclusive(why);
        }

        // The CLI is built from the repository like the test projects, so it restores from the machine's package folder:
        // the ILCompiler packages are large, and the isolated NUGET_PACKAGES is for the samples.
        var machinePackages = new Dictionary<string, string> { ["NUGET_PACKAGES"] = MachinePackages };
        string[][] packs = native ? [[], ["-r", "any"], ["-r", HostRuntimeIdentifier]] : [[], ["-r", "any"]];
        foreach (var rid in packs)
        {
            var pack = DotNet.Run(RepoRoot, machinePackages, ["pack", project, .. rid,
                "-c", "Release", "-o", Feed, $"-p:Version={PackageVersion}", "-nodeReuse:false", "-p:UseSharedCompilation=false", "-tl:off"]);
            Assert.IsTrue(pack.Succeeded, $"Packing SigstoreBuild.Cli {string.Join(' ', rid)} failed: " + pack);
        }

        var tools = Path.Combine(Root, "tools");
        var install = DotNet.Run(Root, null, "tool", "install", "--tool-path", tools, "SigstoreBuild.Cli", "--add-source", Feed, "--version", PackageVersion);
        Assert.IsTrue(install.Succeeded, "dotnet tool install SigstoreBuild.Cli failed: " + install);
        var command = Path.Combine(tools, OperatingSystem.IsWindows() ? "sigstore.exe" : "sigstore");
        Assert.IsTrue(File.Exists(command), $"dotnet tool install did not create '{command}': {install}");
        return command;
    }

    private static string MachinePackages =>
        Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } configured && configured != NuGetPackages
            ? configured
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");

    private static bool OnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator).Any(directory => File.Exists(Path.Combine(directory, program)));

    /// <summary>Copies a sample to a fresh folder under the work root and returns its path.</summary>
    public static string CopySample(string sample, string testName)
    {
        RequirePackage();
        var source = Path.Combine(RepoRoot, "samples", sample);
        var destination = Path.Combine(Root, testName, sample);
        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(source, file);
            if (relative.Split(Path.DirectorySeparatorChar).Any(part => part is "bin" or "obj" or "out"))
            {
                continue;
            }

            var target = Path.Combine(destination, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }

        return destination;
    }

    /// <summary>
    /// samples/Consumer copied for <paramref name="testName"/>, restoring only from the SigstoreBuild feed and
    /// <paramref name="greetingsFeed"/> (no fallback folders), so Contoso.Greetings can only come from that feed; its
    /// Directory.Build.props (the trust policy) is rewritten by <paramref name="editPolicy"/> when given.
    /// </summary>
    internal static string CopyConsumer(string testName, string greetingsFeed, Func<string, string>? editPolicy = null)
    {
        var consumer = CopySample("Consumer", testName);
        if (editPolicy is not null)
        {
            var props = Path.Combine(consumer, "Directory.Build.props");
            var policy = File.ReadAllText(props);
            var edited = editPolicy(policy);
            Assert.AreNotEqual(policy, edited, "the policy edit found nothing to change in samples/Consumer/Directory.Build.props");
            File.WriteAllText(props, edited);
        }

        File.WriteAllText(Path.Combine(Path.GetDirectoryName(consumer)!, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
                <add key="sigstorebuild" value="{Feed}" />
                <add key="greetings" value="{greetingsFeed}" />
              </packageSources>
              <fallbackPackageFolders><clear /></fallbackPackageFolders>
            </configuration>
            """);
        return consumer;
    }

    /// <summary>A first build of a consumer copy, in enforce mode, with its own package folder.</summary>
    internal static DotNetResult BuildConsumer(string consumer, params string[] properties) =>
        DotNet.Run(consumer, new Dictionary<string, string> { ["NUGET_PACKAGES"] = Path.Combine(Path.GetDirectoryName(consumer)!, "nuget-packages") },
            DotNet.BuildArguments("build", ["-v:n", "-p:SigstoreVerifyPackages=enforce", .. properties]));
}
