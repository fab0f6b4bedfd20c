using System.Diagnostics;
using System.Reflection;

namespace SigstoreBuild.Tests.Shared;

/// <summary>
/// Runs sigstore-js, the reference JavaScript client: tests/interop/verify.mjs verifies one of our bundles, sign.mjs signs
/// bundles for our verifier. Linked into each test project that uses it (tests/Shared), which carries the RepoRoot
/// assembly metadata.
/// </summary>
internal static class SigstoreJs
{
    public static string InteropDirectory { get; } = Path.Combine(
        Path.GetFullPath(typeof(SigstoreJs).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "RepoRoot").Value!),
        "tests", "interop");

    /// <summary>The outcome of the one install attempt of this process: null when installed, else why not.</summary>
    private sealed record InstallOutcome(bool NodeMissing, string? Failure);

    private static readonly Lazy<InstallOutcome> s_install = new(Install, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>
    /// Installs on first use of this class, before any test reads <see cref="InteropDirectory"/> to look at node_modules
    /// itself; the outcome is reported by <see cref="RequireInstalled"/>, never thrown here.
    /// </summary>
    static SigstoreJs() => _ = s_install.Value;

    /// <summary>
    /// The npm packages must be there: installed by `npm ci` in tests/interop the first time (once per process, and once
    /// across the test processes `dotnet test` runs in parallel, through a lock file in the temp folder). A failed install
    /// fails the test with the command to run; only a machine without Node.js reports the test inconclusive (not run),
    /// loudly, and CI fails even then.
    /// </summary>
    public static void RequireInstalled(string package = "verify")
    {
        var outcome = s_install.Value;
        if (IsInstalled(package))
        {
            return;
        }

        if (outcome.NodeMissing)
        {
            var why = "NOT RUN: Node.js is not on PATH, so this sigstore-js interop test did not run (it is not a pass). "
                + "Install Node.js 20.17 or later; the tests then install their npm packages (npm ci in tests/interop) themselves.";
            if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
            {
                Assert.Fail(why);
            }

            Assert.Inconclusive(why);
        }

        Assert.Fail($"sigstore-js (@sigstore/{package}) is not installed in {InteropDirectory}, and installing it failed. Run: cd {InteropDirectory} && npm ci\n{outcome.Failure}");
    }

    private static bool IsInstalled(string package) =>
        Directory.Exists(Path.Combine(InteropDirectory, "node_modules", "@sigstore", package))
        && File.Exists(Path.Combine(InteropDirectory, "node_modules", ".package-lock.json"));

    private static InstallOutcome Install()
    {
        try
        {
            if (IsInstalled("verify") && IsInstalled("sign") && IsInstalled("mock") && IsInstalled("oci"))
            {
                return new InstallOutcome(false, null);
            }

            if (Run("node", ["--version"], TimeSpan.FromSeconds(30)) is null)
            {
                return new InstallOutcome(true, null);
            }

            // Another test process may be installing: wait for it, then look again.
            var lockPath = Path.Combine(Path.GetTempPath(), $"sigstorebuild-npm-ci-{Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(InteropDirectory)))[..16]}.lock");
            using var gate = AcquireLock(lockPath, TimeSpan.FromMinutes(15));
            if (IsInstalled("verify") && IsInstalled("sign") && IsInstalled("mock") && IsInstalled("oci"))
            {
                return new InstallOutcome(false, null);
            }

            string[] arguments = ["ci", "--no-audit", "--no-fund", "--loglevel=error"];
            var result = OperatingSystem.IsWindows() ? Run("cmd.exe", ["/c", "npm", .. arguments], TimeSpan.FromMinutes(10)) : Run("npm", arguments, TimeSpan.FromMinutes(10));
            return result switch
            {
                null => new InstallOutcome(false, "npm is not on PATH (it comes with Node.js)."),
                (0, _) => new InstallOutcome(false, null),
                var (exitCode, output) => new InstallOutcome(false, $"npm ci exited with {exitCode}:\n{output}"),
            };
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or TimeoutException or InvalidOperationException)
        {
            return new InstallOutcome(false, $"installing failed: {ex.Message}");
        }
    }

    private static FileStream AcquireLock(string path, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.DeleteOnClose);
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                Thread.Sleep(500);
            }
        }
    }

    /// <summary>Runs a command in tests/interop; null when it cannot be started (not on PATH).</summary>
    private static (int ExitCode, string Output)? Run(string command, string[] arguments, TimeSpan timeout)
    {
        var start = new ProcessStartInfo(command) { WorkingDirectory = InteropDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }

        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(timeout))
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException($"{command} {string.Join(' ', arguments)} did not finish in {timeout.TotalMinutes:0} minutes.");
            }

            process.WaitForExit();
            return (process.ExitCode, stdout.GetAwaiter().GetResult() + stderr.GetAwaiter().GetResult());
        }
    }

    /// <summary>sigstore-js verifies <paramref name="bundle"/> for <paramref name="subject"/> (a file, or sha256:HEX).</summary>
    public static Task<(int ExitCode, string Output)> VerifyAsync(string bundle, string trustedRoot, string identity, string issuer, string subject)
    {
        RequireInstalled();
        return RunAsync(null, "verify.mjs", "--bundle", bundle, "--trusted-root", trustedRoot, "--identity", identity, "--issuer", issuer, subject);
    }

    /// <summary>sigstore-js verifies a key-signed <paramref name="bundle"/> for <paramref name="subject"/> with the PEM public key <paramref name="publicKey"/>.</summary>
    public static Task<(int ExitCode, string Output)> VerifyWithKeyAsync(string bundle, string trustedRoot, string publicKey, string subject)
    {
        RequireInstalled();
        return RunAsync(null, "verify.mjs", "--bundle", bundle, "--trusted-root", trustedRoot, "--key", publicKey, subject);
    }

    /// <summary>As <see cref="VerifyAsync"/>, for synchronous tests.</summary>
    public static (int ExitCode, string Output) Verify(string bundle, string trustedRoot, string identity, string issuer, string subject) =>
        VerifyAsync(bundle, trustedRoot, identity, issuer, subject).GetAwaiter().GetResult();

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

    /// <summary>
    /// tests/interop/oci.mjs: <c>verify</c> finds an image's attached bundles through the registry's HTTP API and verifies
    /// them with sigstore-js; <c>attach</c> signs an attestation for an image and attaches it with @sigstore/oci.
    /// </summary>
    public static (int ExitCode, string Output) Oci(string? identityToken, params string[] arguments)
    {
        RequireInstalled("oci");
        return RunAsync(identityToken, ["oci.mjs", .. arguments]).GetAwaiter().GetResult();
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
