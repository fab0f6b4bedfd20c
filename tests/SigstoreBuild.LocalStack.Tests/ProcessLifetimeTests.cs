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
}
