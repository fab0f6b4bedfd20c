using System.Diagnostics;

namespace SigstoreBuild.Cli.Tests.Infrastructure;

/// <summary>
/// Runs sigstore-js, the reference JavaScript client: tests/interop/verify.mjs verifies one of our bundles, sign.mjs signs
/// bundles for our verifier.
/// </summary>
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

    public static Task<(int ExitCode, string Output)> VerifyAsync(string bundle, string trustedRoot, string identity, string issuer, string subject)
    {
        RequireInstalled();
        return RunAsync(null, "verify.mjs", "--bundle", bundle, "--trusted-root", trustedRoot, "--identity", identity, "--issuer", issuer, subject);
    }

    /// <summary>
    /// sigstore-js signs <paramref name="artifact"/> through <paramref name="signingConfig"/>: a message signature
    /// (the first returned path, logged first) and an in-toto attestation about the artifact, written as sigstore-js
    /// serializes them.
    /// </summary>
    public static async Task<(string MessageBundle, string DsseBundle)> SignAsync(string signingConfig, string identityToken, string outputDirectory, string artifact)
    {
        RequireInstalled("sign");
        var (exitCode, output) = await RunAsync(identityToken, "sign.mjs", "--signing-config", signingConfig, "--out", outputDirectory, artifact).ConfigureAwait(false);
        Assert.AreEqual(0, exitCode, "sigstore-js could not sign: " + output);
        return (Path.Combine(outputDirectory, "message.sigstore.json"), Path.Combine(outputDirectory, "dsse.sigstore.json"));
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(string? identityToken, params string[] arguments)
    {
        var start = new ProcessStartInfo("node")
        {
            WorkingDirectory = InteropDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var arg in arguments)
        {
            start.ArgumentList.Add(arg);
        }

        if (identityToken is not null)
        {
            start.Environment["SIGSTORE_ID_TOKEN"] = identityToken; // not on the command line, where other processes see it
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().ConfigureAwait(false);
        return (process.ExitCode, await stdout.ConfigureAwait(false) + await stderr.ConfigureAwait(false));
    }
}
