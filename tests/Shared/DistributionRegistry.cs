using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace SigstoreBuild.Tests.Shared;

/// <summary>
/// A real OCI registry on loopback: Debian's docker-registry (CNCF distribution 2.8), which has no referrers API, so
/// clients use the referrers tag schema against it. Each instance stores into its own temporary folder.
/// </summary>
internal sealed class DistributionRegistry : IDisposable
{
    public const string Executable = "/usr/bin/docker-registry";
    public const string InstallCommand = "apt-get install -y docker-registry";

    private readonly Process _process;
    private readonly string _folder;

    private DistributionRegistry(Process process, string folder, int port)
    {
        _process = process;
        _folder = folder;
        Host = $"127.0.0.1:{port}";
        BaseUri = new Uri($"http://{Host}/");
    }

    /// <summary>host:port, as in an image reference.</summary>
    public string Host { get; }

    public Uri BaseUri { get; }

    /// <summary>
    /// Starts a registry; when the binary is missing the test fails on CI (CI=true) with the install command, and is
    /// reported inconclusive (NOT RUN) elsewhere.
    /// </summary>
    public static Task<DistributionRegistry> StartAsync() => StartAsync(htpasswd: null);

    /// <summary>
    /// As <see cref="StartAsync()"/>; with <paramref name="htpasswd"/> (a <c>user:bcrypt-hash</c> line) the registry asks
    /// for Basic credentials on every request.
    /// </summary>
    public static async Task<DistributionRegistry> StartAsync(string? htpasswd)
    {
        if (!File.Exists(Executable))
        {
            var why = $"NOT RUN: {Executable} is missing, so this test against a real OCI registry did not run (it is not a pass). Install it: {InstallCommand}";
            if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
            {
                Assert.Fail(why);
            }

            Assert.Inconclusive(why);
        }

        Exception? last = null;
        // A free port can be taken between probing and binding: try a few.
        for (var attempt = 0; attempt < 3; attempt++)
        {
            var folder = Directory.CreateTempSubdirectory("sigstorebuild-registry-").FullName;
            var port = FreePort();
            var config = Path.Combine(folder, "config.yml");
            await File.WriteAllTextAsync(config, $"""
                version: 0.1
                log:
                  level: warn
                storage:
                  filesystem:
                    rootdirectory: {Path.Combine(folder, "data")}
                  delete:
                    enabled: true
                  maintenance:
                    uploadpurging:
                      enabled: false
                http:
                  addr: 127.0.0.1:{port}
                """);
            if (htpasswd is not null)
            {
                await File.WriteAllTextAsync(Path.Combine(folder, "htpasswd"), htpasswd + "\n");
                await File.AppendAllTextAsync(config, $"""

                    auth:
                      htpasswd:
                        realm: test-registry
                        path: {Path.Combine(folder, "htpasswd")}
                    """);
            }

            var start = new ProcessStartInfo(Executable) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            start.ArgumentList.Add("serve");
            start.ArgumentList.Add(config);
            var process = Process.Start(start)!;
            var output = new System.Text.StringBuilder();
            process.OutputDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
            process.ErrorDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            var registry = new DistributionRegistry(process, folder, port);
            try
            {
                await registry.WaitReadyAsync(output);
                return registry;
            }
            catch (InvalidOperationException ex)
            {
                last = ex;
                registry.Dispose();
            }
        }

        Assert.Fail($"docker-registry did not start: {last?.Message}");
        return null!;
    }

    private async Task WaitReadyAsync(System.Text.StringBuilder output)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
            {
                lock (output)
                {
                    throw new InvalidOperationException($"it exited with code {_process.ExitCode}:\n{output}");
                }
            }

            try
            {
                using var response = await http.GetAsync(new Uri(BaseUri, "v2/"));
                if (response.StatusCode is HttpStatusCode.OK or HttpStatusCode.Unauthorized)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            await Task.Delay(100);
        }

        throw new InvalidOperationException("GET /v2/ did not answer 200 (or 401 with credentials required) within 30 s");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(10_000);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }

        _process.Dispose();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp folder is harmless.
        }
    }
}
