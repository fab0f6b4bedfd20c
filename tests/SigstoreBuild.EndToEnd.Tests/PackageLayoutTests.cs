using System.IO.Compression;
using System.Xml.Linq;
using SigstoreBuild.EndToEnd.Tests.Infrastructure;

namespace SigstoreBuild.EndToEnd.Tests;

/// <summary>The SigstoreBuild package holds exactly what MSBuild needs and nothing that flows to consumers.</summary>
[TestClass]
public sealed class PackageLayoutTests
{
    [TestMethod]
    public void Package_HasBuildHooksAndThePrivateTaskClosure()
    {
        E2E.RequirePackage();
        using var zip = ZipFile.OpenRead(E2E.PackagePath);
        var names = zip.Entries.Select(e => e.FullName).ToList();

        foreach (var required in new[]
        {
            "build/SigstoreBuild.props", "build/SigstoreBuild.targets",
            "buildMultiTargeting/SigstoreBuild.props", "buildMultiTargeting/SigstoreBuild.targets",
            "tasks/net10.0/SigstoreBuild.Tasks.dll", "tasks/net10.0/SigstoreBuild.Tasks.deps.json",
            "tasks/net10.0/SigstoreBuild.NuGet.dll", "tasks/net10.0/SigstoreBuild.Core.dll",
            "tasks/net10.0/NuGet.Packaging.dll", "tasks/net10.0/BouncyCastle.Cryptography.dll",
        })
        {
            CollectionAssert.Contains(names, required);
        }

        Assert.IsFalse(names.Any(n => n.StartsWith("lib/", StringComparison.Ordinal) || n.StartsWith("buildTransitive/", StringComparison.Ordinal)), string.Join("\n", names));
        Assert.IsFalse(names.Any(n => Path.GetFileName(n).StartsWith("Microsoft.Build", StringComparison.Ordinal)), "MSBuild assemblies must not be shipped");

        // Every assembly the task's deps.json names is in the package (the closure is complete).
        using var deps = System.Text.Json.JsonDocument.Parse(zip.GetEntry("tasks/net10.0/SigstoreBuild.Tasks.deps.json")!.Open());
        var runtimeAssemblies = deps.RootElement.GetProperty("targets").EnumerateObject().First().Value.EnumerateObject()
            .SelectMany(library => library.Value.TryGetProperty("runtime", out var runtime) ? runtime.EnumerateObject().Select(r => Path.GetFileName(r.Name)) : [])
            .ToList();
        Assert.IsNotEmpty(runtimeAssemblies);
        foreach (var assembly in runtimeAssemblies)
        {
            Assert.IsTrue(names.Contains("tasks/net10.0/" + assembly), $"deps.json names {assembly}, which the package lacks");
        }

        // ...and so is every platform-specific asset it names (runtimes/<rid>/...), which a publish for one runtime omits.
        var platformAssets = deps.RootElement.GetProperty("targets").EnumerateObject().First().Value.EnumerateObject()
            .SelectMany(library => library.Value.TryGetProperty("runtimeTargets", out var targets) ? targets.EnumerateObject().Select(t => t.Name) : [])
            .Where(path => path.EndsWith(".dll", StringComparison.Ordinal))
            .ToList();
        foreach (var asset in platformAssets)
        {
            Assert.IsTrue(names.Contains("tasks/net10.0/" + asset), $"deps.json names {asset}, which the package lacks");
        }

        // The closure is packed ReadyToRun-compiled (the default SigstoreReadyToRunRuntime), so a fresh MSBuild node
        // does not JIT it first.
        foreach (var assembly in new[] { "SigstoreBuild.Tasks.dll", "SigstoreBuild.NuGet.dll", "SigstoreBuild.Core.dll", "NuGet.Packaging.dll" })
        {
            using var image = new MemoryStream();
            using (var entry = zip.GetEntry("tasks/net10.0/" + assembly)!.Open())
            {
                entry.CopyTo(image);
            }

            image.Position = 0;
            using var pe = new System.Reflection.PortableExecutable.PEReader(image);
            Assert.IsGreaterThan(0, pe.PEHeaders.CorHeader!.ManagedNativeHeaderDirectory.Size, $"{assembly} is not a ReadyToRun image");
        }

        var nuspec = XDocument.Load(zip.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal)).Open());
        var metadata = nuspec.Root!.Elements().Single(e => e.Name.LocalName == "metadata");
        Assert.AreEqual("true", metadata.Elements().Single(e => e.Name.LocalName == "developmentDependency").Value);
        Assert.IsFalse(metadata.Elements().Any(e => e.Name.LocalName == "dependencies"), "the package must declare no dependencies");
    }
}
