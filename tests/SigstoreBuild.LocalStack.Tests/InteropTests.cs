using System.Diagnostics;
using System.Reflection;

namespace SigstoreBuild.LocalStack.Tests;

/// <summary>
/// sigstore-js signs against the instance (Fulcio, Rekor v1 and v2, TSA, signing configs) and verifies the bundles with
/// the instance's trusted_root.json: another implementation accepts the wire formats.
/// </summary>
[TestClass]
public sealed class InteropTests
{
    [TestMethod]
    [Timeout(600_000)]
    public async Task SigstoreJsSignsAndVerifiesAgainstTheInstance()
    {
        var repoRoot = typeof(InteropTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "RepoRoot").Value!;
        var interop = Path.Combine(repoRoot, "tests", "interop");
        var node = FindOnPath("node");
        if (node is null)
        {
            Assert.Inconclusive("node is not on PATH; the sigstore-js interop test needs Node.js 20.17 or later.");
        }

        if (!Directory.Exists(Path.Combine(interop, "node_modules", "sigstore")))
        {
            var npm = FindOnPath("npm");
            var (code, output) = npm is null ? (-1, "npm not found") : await RunAsync(npm, interop, "ci", "--no-audit", "--no-fund");
            if (code != 0 || !Directory.Exists(Path.Combine(interop, "node_modules", "sigstore")))
            {
                Assert.Inconclusive($"tests/interop/node_modules is missing and 'npm ci' failed ({code}): {output}");
            }
        }

        await using var instance = await Instance.StartAsync();
        var (exitCode, log) = await RunAsync(node!, interop, "sign-and-verify.mjs", instance.Sigstore.BaseUrl, instance.Directory);
        Assert.AreEqual(0, exitCode, log);
        StringAssert.Contains(log, "6 passed, 0 failed", log);
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(string file, string directory, params string[] arguments)
    {
        var start = new ProcessStartInfo(file)
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            return (-1, "timed out\n" + await stdout + await stderr);
        }

        return (process.ExitCode, await stdout + await stderr);
    }

    private static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator)
            .Select(directory => Path.Combine(directory, name))
            .FirstOrDefault(File.Exists);
}
