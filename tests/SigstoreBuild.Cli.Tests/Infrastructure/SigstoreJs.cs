using System.Diagnostics;

namespace SigstoreBuild.Cli.Tests.Infrastructure;

/// <summary>Runs tests/interop/verify.mjs: sigstore-js, the reference JavaScript client, verifying one of our bundles.</summary>
internal static class SigstoreJs
{
    public static string InteropDirectory => Path.Combine(SharedAssets.RepoRoot, "tests", "interop");

    /// <summary>Inconclusive when Node.js or the npm packages are missing (outside CI, where .ci/run installs them).</summary>
    public static void RequireInstalled(string package = "verify")
    {
        if (!Directory.Exists(Path.Combine(InteropDirectory, "node_modules", "@sigstore", package)))
        {
            var why = $"sigstore-js (@sigstore/{package}) is not installed: run 'npm ci' in tests/interop";
            if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
            {
                Assert.Fail(why + " (.ci/run does this).");
            }

            Assert.Inconclusive(why + ".");
        }
    }

    public static async Task<(int ExitCode, string Output)> VerifyAsync(string bundle, string trustedRoot, string identity, string issuer, string subject)
    {
        RequireInstalled();
        var start = new ProcessStartInfo("node")
        {
            WorkingDirectory = InteropDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var arg in new[] { "verify.mjs", "--bundle", bundle, "--trusted-root", trustedRoot, "--identity", identity, "--issuer", issuer, subject })
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().ConfigureAwait(false);
        return (process.ExitCode, await stdout.ConfigureAwait(false) + await stderr.ConfigureAwait(false));
    }
}
