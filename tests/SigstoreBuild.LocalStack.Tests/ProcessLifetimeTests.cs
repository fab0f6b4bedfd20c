using System.Diagnostics;

namespace SigstoreBuild.LocalStack.Tests;

/// <summary>The command-line instance, as build/demo.sh and the benchmarks run it: it must stop when told to.</summary>
[TestClass]
public sealed class ProcessLifetimeTests
{
    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    [DataRow("TERM")]
    [DataRow("INT")]
    public async Task Signal_StopsTheInstance(string signal)
    {
        if (OperatingSystem.IsWindows())
        {
            Assert.Inconclusive("POSIX signals.");
            return;
        }

        if (signal == "INT" && IgnoresSigint())
        {
            // A background job started without job control ignores SIGINT, and so do its children (as they should).
            Assert.Inconclusive("NOT RUN: SIGINT is ignored in this process (the tests were started as a background job without job control), so the instance inherits that and cannot be stopped by it. Run the tests in the foreground to check SIGINT.");
            return;
        }

        var directory = Instance.NewDirectory();
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { typeof(LocalSigstore).Assembly.Location, "--port", "0", "--data-dir", Path.Combine(directory, "instance") })
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        try
        {
            var first = await process.StandardOutput.ReadLineAsync(TestContext.CancellationToken).AsTask().WaitAsync(TimeSpan.FromSeconds(60), TestContext.CancellationToken);
            StringAssert.StartsWith(first, "SigstoreBuild.LocalStack listening on http://127.0.0.1:");

            using (var kill = Process.Start("kill", ["-" + signal, process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            {
                await kill.WaitForExitAsync(TestContext.CancellationToken);
            }

            using var limit = CancellationTokenSource.CreateLinkedTokenSource(TestContext.CancellationToken);
            limit.CancelAfter(TimeSpan.FromSeconds(20));
            await process.WaitForExitAsync(limit.Token);
            Assert.AreEqual(0, process.ExitCode, await process.StandardError.ReadToEndAsync(TestContext.CancellationToken));
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }

            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>Whether SIGINT (2) is in this process's ignored set (Linux: the SigIgn mask of /proc/self/status).</summary>
    private static bool IgnoresSigint()
    {
        const string Status = "/proc/self/status";
        if (!File.Exists(Status))
        {
            return false;
        }

        var line = File.ReadLines(Status).FirstOrDefault(l => l.StartsWith("SigIgn:", StringComparison.Ordinal));
        return line is not null && (Convert.ToUInt64(line["SigIgn:".Length..].Trim(), 16) & (1UL << 1)) != 0;
    }
}
