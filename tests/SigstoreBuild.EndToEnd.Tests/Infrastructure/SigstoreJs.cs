using System.Diagnostics;

namespace SigstoreBuild.EndToEnd.Tests.Infrastructure;

/// <summary>tests/interop/verify.mjs: sigstore-js, the reference JavaScript client, verifying a bundle we produced.</summary>
internal static class SigstoreJs
{
    private static string InteropDirectory => Path.Combine(E2E.RepoRoot, "tests", "interop");

    /// <summary>Runs the verifier; inconclusive when Node.js or the npm packages are missing (a failure in CI, where .ci/run installs them).</summary>
    public static DotNetResult Verify(string bundle, string trustedRoot, string identity, string issuer, string artifact)
    {
        if (!Directory.Exists(Path.Combine(InteropDirectory, "node_modules", "@sigstore", "verify")))
        {
            const string why = "sigstore-js is not installed: run 'npm ci' in tests/interop";
            if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
            {
                Assert.Fail(why + " (.ci/run does this).");
            }

            Assert.Inconclusive(why + ".");
        }

        var start = new ProcessStartInfo("node") { WorkingDirectory = InteropDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { "verify.mjs", "--bundle", bundle, "--trusted-root", trustedRoot, "--identity", identity, "--issuer", issuer, artifact })
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return new DotNetResult(process.ExitCode, output + error.GetAwaiter().GetResult());
    }
}
