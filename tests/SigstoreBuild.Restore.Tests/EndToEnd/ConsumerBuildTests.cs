using System.Diagnostics;
using System.Reflection;
using SigstoreBuild.NuGet.Restore;
using SigstoreBuild.Restore.Tests.Infrastructure;

namespace SigstoreBuild.Restore.Tests.EndToEnd;

/// <summary>
/// Real `dotnet build` of a consumer project with a local folder feed, an isolated NUGET_PACKAGES and the restore
/// targets imported from source. Covers what needs no Sigstore verifier: policy for unsigned packages, a package
/// folder tampered after restore, and R-03 (a --no-restore build after a failure still fails).
/// </summary>
[TestClass]
public sealed class ConsumerBuildTests
{
    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    [TestCategory("EndToEnd")]
    public void UnsignedPolicy_TamperAndNoRestoreAfterFailure()
    {
        var tasks = typeof(ConsumerBuildTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "TasksAssembly").Value!;
        var root = typeof(ConsumerBuildTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "RepoRoot").Value!;
        if (!File.Exists(tasks))
        {
            Assert.Inconclusive($"The task assembly was not built at {tasks}.");
        }

        using var feed = new TestFeed();
        var version = "1.0." + Environment.TickCount64 % 100000;
        File.WriteAllBytes(Path.Combine(feed.Feed, $"Contoso.Lib.{version}.nupkg"), TestFeed.CreateNupkg("Contoso.Lib", version));
        var app = Directory.CreateDirectory(Path.Combine(feed.Root, "app")).FullName;
        File.WriteAllText(Path.Combine(app, "nuget.config"), $"""
            <configuration>
              <packageSources><clear /><add key="local" value="{feed.Feed}" /></packageSources>
              <config><add key="globalPackagesFolder" value="{Path.Combine(feed.Root, "gpf")}" /></config>
            </configuration>
            """);
        File.WriteAllText(Path.Combine(app, "Directory.Build.targets"), $"""
            <Project>
              <PropertyGroup><_SigstoreRestoreTasksAssembly>{tasks}</_SigstoreRestoreTasksAssembly></PropertyGroup>
              <Import Project="{Path.Combine(root, "src", "SigstoreBuild.Tasks", "build", "SigstoreBuild.Restore.targets")}" />
            </Project>
            """);
        WriteProject(app, version, "<SigstoreTrustedIdentity Include=\"Contoso.%2A\" Issuer=\"https://token.actions.githubusercontent.com\" Subject=\"https://github.com/contoso/lib/.github/workflows/release.yml@refs/tags/v1\" />");

        var unsigned = Dotnet(app, "build");
        Assert.AreNotEqual(0, unsigned.ExitCode, unsigned.Output);
        StringAssert.Contains(unsigned.Output, "SSB5103", unsigned.Output);
        StringAssert.Contains(unsigned.Output, "Contoso.Lib");
        Assert.IsTrue(File.Exists(Path.Combine(app, "obj", "sigstore", RestoreRun.ReportFileName)));

        var noRestore = Dotnet(app, "build", "--no-restore");
        Assert.AreNotEqual(0, noRestore.ExitCode, "R-03: a --no-restore build after a failed verification must fail.\n" + noRestore.Output);
        StringAssert.Contains(noRestore.Output, "SSB5112", noRestore.Output);

        WriteProject(app, version, "<SigstoreUnsignedAllowed Include=\"Contoso.Lib\" />");
        var allowed = Dotnet(app, "build");
        Assert.AreEqual(0, allowed.ExitCode, allowed.Output);
        StringAssert.Contains(File.ReadAllText(Path.Combine(app, "obj", "sigstore", RestoreRun.ReportFileName)), "\"unsigned\": 1");

        var packageFolder = Path.Combine(feed.Root, "gpf", "contoso.lib", version);
        File.AppendAllText(Path.Combine(packageFolder, "build", "Contoso.Lib.targets"), "<!-- changed after restore -->");
        var tampered = Dotnet(app, "build", "-p:SigstoreVerifyPackagesRehash=true");
        Assert.AreNotEqual(0, tampered.ExitCode, tampered.Output);
        StringAssert.Contains(tampered.Output, "SSB5108", tampered.Output);
    }

    [TestMethod]
    [TestCategory("EndToEnd")]
    public void Audit_WarningsAndSummaryOnEveryBuild_PassingRunPrintsItsSummary()
    {
        using var feed = new TestFeed();
        var version = "1.0." + Environment.TickCount64 % 100000;
        File.WriteAllBytes(Path.Combine(feed.Feed, $"Contoso.Lib.{version}.nupkg"), TestFeed.CreateNupkg("Contoso.Lib", version));
        var app = CreateConsumer(feed);
        WriteProject(app, version, Trusted, "<SigstoreVerifyPackages>audit</SigstoreVerifyPackages>");

        // The unsigned package is an audit warning; the second build must not hide it behind the cache or the stamp.
        const string auditSummary = "Sigstore: verified 0 packages, 0 allowed unsigned, 1 failed (audit), 1 warning in App.csproj";
        foreach (var run in new[] { "first", "second", "third" })
        {
            var audit = Dotnet(app, "build");
            Assert.AreEqual(0, audit.ExitCode, audit.Output);
            Assert.IsTrue(HasLine(audit.Output, "warning SSB5603", "Contoso.Lib"), $"{run} build:\n{audit.Output}");
            StringAssert.Contains(audit.Output, auditSummary, $"{run} build:\n{audit.Output}");
        }

        Assert.IsFalse(File.Exists(Stamp(app)), "A run with warnings must leave no stamp, or the next build skips the target silently.");

        WriteProject(app, version, "<SigstoreUnsignedAllowed Include=\"Contoso.Lib\" />");
        const string passSummary = "Sigstore: verified 0 packages, 1 allowed unsigned, 0 warnings in App.csproj";
        var pass = Dotnet(app, "build");
        Assert.AreEqual(0, pass.ExitCode, pass.Output);
        StringAssert.Contains(pass.Output, passSummary, pass.Output);
        Assert.DoesNotContain("warning SSB", pass.Output, pass.Output);
        Assert.IsTrue(File.Exists(Stamp(app)));

        // Nothing changed: the stamp skips the target, which then prints nothing (documented in restore.md).
        var skipped = Dotnet(app, "build");
        Assert.AreEqual(0, skipped.ExitCode, skipped.Output);
        Assert.DoesNotContain("Sigstore:", skipped.Output, skipped.Output);

        // An input changed: the target runs on its warm cache and prints the summary again.
        File.SetLastWriteTimeUtc(Path.Combine(app, "App.csproj"), DateTime.UtcNow);
        var warm = Dotnet(app, "build");
        Assert.AreEqual(0, warm.ExitCode, warm.Output);
        StringAssert.Contains(warm.Output, passSummary, warm.Output);

        // A setting the task cannot read fails with the policy code and says how to write it.
        File.SetLastWriteTimeUtc(Path.Combine(app, "App.csproj"), DateTime.UtcNow);
        var badFreshness = Dotnet(app, "build", "-p:SigstoreRevocationFreshness=soon");
        Assert.AreNotEqual(0, badFreshness.ExitCode, badFreshness.Output);
        Assert.IsTrue(HasLine(badFreshness.Output, "error SSB5100", "SigstoreRevocationFreshness 'soon' is not a duration"), badFreshness.Output);
    }

    [TestMethod]
    [TestCategory("EndToEnd")]
    public void LocalBuild_ByteAppendedToADllInTheGlobalPackagesFolder_FailsWithTamperCode()
    {
        using var feed = new TestFeed();
        var version = "1.0." + Environment.TickCount64 % 100000;
        // A real managed assembly, so the consumer compiles against it before the tampering.
        var assembly = typeof(TestClassAttribute).Assembly.Location;
        var dllName = Path.GetFileName(assembly);
        File.WriteAllBytes(Path.Combine(feed.Feed, $"Contoso.Lib.{version}.nupkg"), WithEntry(TestFeed.CreateNupkg("Contoso.Lib", version), "lib/net8.0/" + dllName, File.ReadAllBytes(assembly)));
        var app = CreateConsumer(feed);
        WriteProject(app, version, "<SigstoreUnsignedAllowed Include=\"Contoso.Lib\" />");

        var clean = Dotnet(app, "build");
        Assert.AreEqual(0, clean.ExitCode, clean.Output);
        Assert.IsTrue(File.Exists(Stamp(app)));

        var dll = Path.Combine(feed.Root, "gpf", "contoso.lib", version, "lib", "net8.0", dllName);
        Assert.IsTrue(File.Exists(dll), dll);
        using (var stream = new FileStream(dll, FileMode.Append, FileAccess.Write))
        {
            stream.WriteByte(0);
        }

        // The write moved the time stamp past the stamp file's; make sure of it on file systems with coarse times.
        if (File.GetLastWriteTimeUtc(dll) <= File.GetLastWriteTimeUtc(Stamp(app)))
        {
            File.SetLastWriteTimeUtc(dll, File.GetLastWriteTimeUtc(Stamp(app)).AddSeconds(1));
        }

        var local = Dotnet(app, "build");
        Assert.AreNotEqual(0, local.ExitCode, local.Output);
        Assert.IsTrue(HasLine(local.Output, "error " + RestoreCodes.ExtractedFileTampered, dllName), local.Output);
    }

    [TestMethod]
    [TestCategory("EndToEnd")]
    public void APublishedRevocationSource_RunsTheVerificationOnEveryBuild_HoweverItIsNamed()
    {
        using var feed = new TestFeed();
        var version = "1.0." + Environment.TickCount64 % 100000;
        File.WriteAllBytes(Path.Combine(feed.Feed, $"Contoso.Lib.{version}.nupkg"), TestFeed.CreateNupkg("Contoso.Lib", version));
        var app = CreateConsumer(feed);
        WriteProject(app, version, "<SigstoreUnsignedAllowed Include=\"Contoso.Lib\" /><SigstoreRevocations Include=\"$(RevocationUrl)\" Condition=\"'$(RevocationUrl)' != ''\" />");
        Assert.AreEqual(0, Dotnet(app, "build").ExitCode);
        Assert.IsTrue(File.Exists(Stamp(app)), "a clean run without a URL source keeps the stamp");

        // Nothing on disk changed, but the document at the URL may have: the target runs, and an unreachable source fails closed.
        var named = Dotnet(app, "build", "-p:RevocationUrl=http://127.0.0.1:1/revocations.json");
        Assert.AreNotEqual(0, named.ExitCode, named.Output);
        Assert.IsTrue(HasLine(named.Output, "error " + RestoreCodes.RevocationSourceUnavailable, "http://127.0.0.1:1/revocations.json"), named.Output);
    }

    private const string Trusted = "<SigstoreTrustedIdentity Include=\"Contoso.%2A\" Issuer=\"https://token.actions.githubusercontent.com\" Subject=\"https://github.com/contoso/lib/.github/workflows/release.yml@refs/tags/v1\" />";

    private static string Stamp(string app) => Path.Combine(app, "obj", "sigstore", "verified.stamp");

    private static bool HasLine(string output, string code, string text) =>
        output.Split('\n').Any(l => l.Contains(code, StringComparison.Ordinal) && l.Contains(text, StringComparison.Ordinal));

    private static byte[] WithEntry(byte[] nupkg, string name, byte[] content)
    {
        using var stream = new MemoryStream();
        stream.Write(nupkg);
        using (var zip = new System.IO.Compression.ZipArchive(stream, System.IO.Compression.ZipArchiveMode.Update, leaveOpen: true))
        {
            using var entry = zip.CreateEntry(name).Open();
            entry.Write(content);
        }

        return stream.ToArray();
    }

    private static string CreateConsumer(TestFeed feed)
    {
        var tasks = SignedFeed.Metadata("TasksAssembly");
        if (!File.Exists(tasks))
        {
            Assert.Inconclusive($"The task assembly was not built at {tasks}.");
        }

        var app = Directory.CreateDirectory(Path.Combine(feed.Root, "app")).FullName;
        File.WriteAllText(Path.Combine(app, "nuget.config"), $"""
            <configuration>
              <packageSources><clear /><add key="local" value="{feed.Feed}" /></packageSources>
              <config><add key="globalPackagesFolder" value="{Path.Combine(feed.Root, "gpf")}" /></config>
            </configuration>
            """);
        File.WriteAllText(Path.Combine(app, "Directory.Build.targets"), $"""
            <Project>
              <PropertyGroup><_SigstoreRestoreTasksAssembly>{tasks}</_SigstoreRestoreTasksAssembly></PropertyGroup>
              <Import Project="{Path.Combine(SignedFeed.Metadata("RepoRoot"), "src", "SigstoreBuild.Tasks", "build", "SigstoreBuild.Restore.targets")}" />
            </Project>
            """);
        return app;
    }

    private static void WriteProject(string app, string version, string policy, string properties = "") => File.WriteAllText(Path.Combine(app, "App.csproj"), $"""
        <Project Sdk="Microsoft.NET.Sdk">
          <PropertyGroup>
            <TargetFramework>net10.0</TargetFramework>
            <OutputType>Library</OutputType>
            <SigstoreUseLockFile>false</SigstoreUseLockFile>
            <SigstoreVerifyPackagesRehash>false</SigstoreVerifyPackagesRehash>
            {properties}
          </PropertyGroup>
          <ItemGroup>
            <PackageReference Include="Contoso.Lib" Version="{version}" />
            {policy}
          </ItemGroup>
        </Project>
        """);

    private (int ExitCode, string Output) Dotnet(string directory, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args.Concat(["-nodeReuse:false", "-p:UseSharedCompilation=false", "-v:m"]))
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        start.Environment.Remove("GITHUB_STEP_SUMMARY");
        start.Environment.Remove("CI");  // a local build: no rehash unless a test asks for it
        start.Environment.Remove("NUGET_PACKAGES");  // it would override the isolated globalPackagesFolder of nuget.config
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync(TestContext.CancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(TestContext.CancellationToken);
        process.WaitForExit();
        return (process.ExitCode, stdout.Result + stderr.Result);
    }
}
