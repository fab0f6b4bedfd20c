using System.Diagnostics;
using System.Text;
using System.Text.Json;
using SigstoreBuild.Diagnostics;

namespace SigstoreBuild.Containers.Credentials;

/// <summary>What <see cref="DockerCredentials"/> reads from the machine; tests replace it.</summary>
internal sealed class CredentialEnvironment
{
    public static CredentialEnvironment System { get; } = new();

    public Func<string, string?> GetVariable { get; init; } = Environment.GetEnvironmentVariable;

    public string HomeDirectory { get; init; } = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);

    /// <summary>Runs a credential helper: (program path, argument, standard input) → (exit code, standard output, standard error).</summary>
    public Func<string, string, string, CancellationToken, Task<(int ExitCode, string Output, string Error)>> RunProcess { get; init; } = RunAsync;

    public TimeSpan HelperTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Standard output and error of a helper are cut at this many characters.</summary>
    public const int MaxHelperOutput = 1024 * 1024;

    private static async Task<(int, string, string)> RunAsync(string program, string argument, string input, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(program)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(argument);
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{program} did not start");
        try
        {
            var output = ReadBoundedAsync(process.StandardOutput, cancellationToken);
            var error = ReadBoundedAsync(process.StandardError, cancellationToken);
            try
            {
                await process.StandardInput.WriteAsync(input.AsMemory(), cancellationToken).ConfigureAwait(false);
                process.StandardInput.Close();
            }
            catch (IOException)
            {
                // The helper exited without reading its input (a broken pipe): its exit code and output say why.
                try
                {
                    process.StandardInput.Dispose();
                }
                catch (IOException)
                {
                    // Flushing the rest of the input fails the same way; the pipe is closed either way.
                }
            }

            await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
            return (process.ExitCode, await output.ConfigureAwait(false), await error.ConfigureAwait(false));
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
    }

    private static async Task<string> ReadBoundedAsync(StreamReader reader, CancellationToken cancellationToken)
    {
        var buffer = new char[8192];
        var result = new StringBuilder();
        int read;
        while ((read = await reader.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
        {
            // Keep draining past the limit so the helper never blocks on a full pipe.
            if (result.Length < MaxHelperOutput)
            {
                result.Append(buffer, 0, Math.Min(read, MaxHelperOutput - result.Length));
            }
        }

        return result.ToString();
    }
}

/// <summary>
/// Credentials as docker stores them: the config file (<c>$DOCKER_CONFIG/config.json</c>, else
/// <c>~/.docker/config.json</c>) with <c>auths</c>, <c>credHelpers</c> and <c>credsStore</c>; helpers are
/// <c>docker-credential-&lt;name&gt; get</c>, given the registry on standard input.
/// </summary>
internal sealed class DockerCredentials(CredentialEnvironment? environment = null) : IRegistryCredentialSource
{
    /// <summary>Docker Hub's key in the config file and for helpers.</summary>
    public const string DockerHubKey = "https://index.docker.io/v1/";

    private const long MaxConfigBytes = 1024 * 1024;

    private readonly CredentialEnvironment _environment = environment ?? CredentialEnvironment.System;

    public string ConfigPath
    {
        get
        {
            var folder = _environment.GetVariable("DOCKER_CONFIG");
            return string.IsNullOrEmpty(folder)
                ? Path.Combine(_environment.HomeDirectory, ".docker", "config.json")
                : Path.Combine(folder, "config.json");
        }
    }

    public string Description => $"the docker config file {ConfigPath} (docker login)";

    public async ValueTask<RegistryCredentials?> GetAsync(string registry, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(registry);
        var path = ConfigPath;
        var info = new FileInfo(path);
        if (!info.Exists)
        {
            return null;
        }

        if (info.Length > MaxConfigBytes)
        {
            throw new SigstoreException(ContainerCodes.CredentialHelperFailed, $"The docker config file {path} is larger than 1 MiB; fix or remove it.");
        }

        var key = KeyFor(registry);
        string? helper = null;
        RegistryCredentials? fromAuths = null;
        try
        {
            using var document = JsonDocument.Parse(await File.ReadAllBytesAsync(path, cancellationToken).ConfigureAwait(false));
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new FormatException("the root is not a JSON object");
            }

            if (root.TryGetProperty("credHelpers", out var helpers) && helpers.ValueKind == JsonValueKind.Object)
            {
                foreach (var entry in helpers.EnumerateObject())
                {
                    if (SameRegistry(entry.Name, key) && entry.Value.ValueKind == JsonValueKind.String)
                    {
                        helper = entry.Value.GetString();
                    }
                }
            }

            if (helper is null && root.TryGetProperty("auths", out var auths) && auths.ValueKind == JsonValueKind.Object)
            {
                foreach (var entry in auths.EnumerateObject())
                {
                    if (SameRegistry(entry.Name, key) && entry.Value.ValueKind == JsonValueKind.Object)
                    {
                        fromAuths = ReadAuthEntry(entry.Value, path);
                    }
                }
            }

            if (helper is null && fromAuths is null && root.TryGetProperty("credsStore", out var store) && store.ValueKind == JsonValueKind.String)
            {
                helper = store.GetString();
            }
        }
        catch (Exception ex) when (ex is JsonException or FormatException or InvalidOperationException)
        {
            // The message says where, never what: the file holds secrets.
            throw new SigstoreException(ContainerCodes.CredentialHelperFailed, $"The docker config file {path} is not valid ({(ex is FormatException ? ex.Message : "not JSON")}); fix it, or run docker login again.", null);
        }
        catch (IOException ex)
        {
            throw new SigstoreException(ContainerCodes.CredentialHelperFailed, $"The docker config file {path} could not be read: {ex.Message}", ex);
        }

        if (!string.IsNullOrEmpty(helper))
        {
            return await RunHelperAsync(helper, key, cancellationToken).ConfigureAwait(false);
        }

        return fromAuths;
    }

    /// <summary>The key docker uses for a registry: Docker Hub's legacy URL, else the host[:port].</summary>
    public static string KeyFor(string registry) =>
        registry is ImageReference.DockerHub or ImageReference.DockerHubApiHost or "index.docker.io" ? DockerHubKey : registry;

    // Keys may be written as URLs (https://host/v1/); docker compares the host part.
    private static bool SameRegistry(string configKey, string key) =>
        string.Equals(configKey, key, StringComparison.OrdinalIgnoreCase)
        || string.Equals(HostOf(configKey), HostOf(key), StringComparison.OrdinalIgnoreCase);

    private static string HostOf(string key)
    {
        var value = key;
        var scheme = value.IndexOf("://", StringComparison.Ordinal);
        if (scheme >= 0)
        {
            value = value[(scheme + 3)..];
        }

        var slash = value.IndexOf('/', StringComparison.Ordinal);
        value = slash >= 0 ? value[..slash] : value;
        return value is "index.docker.io" or "registry-1.docker.io" or "docker.io" ? "index.docker.io" : value;
    }

    private RegistryCredentials? ReadAuthEntry(JsonElement entry, string path)
    {
        var source = $"the docker config file {path}";
        var identityToken = DescriptorString(entry, "identitytoken");
        string? username = DescriptorString(entry, "username");
        string? password = DescriptorString(entry, "password");
        var auth = DescriptorString(entry, "auth");
        if (!string.IsNullOrEmpty(auth))
        {
            string decoded;
            try
            {
                decoded = Encoding.UTF8.GetString(Convert.FromBase64String(auth));
            }
            catch (FormatException)
            {
                throw new FormatException("an auths entry's auth is not base64");
            }

            var colon = decoded.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                throw new FormatException("an auths entry's auth is not base64 of user:password");
            }

            username = decoded[..colon];
            password = decoded[(colon + 1)..];
        }

        if (string.IsNullOrEmpty(identityToken) && (string.IsNullOrEmpty(username) || password is null))
        {
            return null;
        }

        return new RegistryCredentials(username, password, string.IsNullOrEmpty(identityToken) ? null : identityToken) { Source = source };
    }

    private static string? DescriptorString(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private async Task<RegistryCredentials?> RunHelperAsync(string helper, string key, CancellationToken cancellationToken)
    {
        var name = "docker-credential-" + helper;
        if (helper.IndexOfAny(['/', '\\']) >= 0 || helper.Contains("..", StringComparison.Ordinal))
        {
            throw new SigstoreException(ContainerCodes.CredentialHelperFailed, $"The credential helper name '{helper}' in {ConfigPath} is not a plain name; fix credHelpers/credsStore.");
        }

        var program = FindOnPath(name) ?? throw new SigstoreException(ContainerCodes.CredentialHelperFailed,
            $"The docker config file {ConfigPath} names the credential helper {name}, which is not on PATH; install it, or remove it from credHelpers/credsStore.");
        var source = $"the credential helper {name}";

        (int ExitCode, string Output, string Error) result;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_environment.HelperTimeout);
        try
        {
            result = await _environment.RunProcess(program, "get", key, timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new SigstoreException(ContainerCodes.CredentialHelperFailed, $"{name} get did not answer within {_environment.HelperTimeout.TotalSeconds:0} s; check that it works (echo {key} | {name} get).");
        }
        catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or InvalidOperationException or IOException)
        {
            throw new SigstoreException(ContainerCodes.CredentialHelperFailed, $"{name} could not be run: {ex.Message}", ex);
        }

        if (result.ExitCode != 0)
        {
            // Helpers say this when they hold nothing for the registry: anonymous access, not an error.
            var said = (result.Output + " " + result.Error).Trim();
            if (said.Contains("credentials not found", StringComparison.OrdinalIgnoreCase))
            {
                return null;
            }

            var firstLine = said.Split('\n', 2)[0].Trim();
            throw new SigstoreException(ContainerCodes.CredentialHelperFailed,
                $"{name} get exited with code {result.ExitCode}{(firstLine.Length == 0 ? "" : ": " + (firstLine.Length > 200 ? firstLine[..200] + "..." : firstLine))}. Check it (echo {key} | {name} get), or run docker login again.");
        }

        try
        {
            using var document = JsonDocument.Parse(result.Output);
            var root = document.RootElement;
            var username = root.ValueKind == JsonValueKind.Object ? DescriptorString(root, "Username") : null;
            var secret = root.ValueKind == JsonValueKind.Object ? DescriptorString(root, "Secret") : null;
            if (string.IsNullOrEmpty(secret))
            {
                throw new FormatException();
            }

            return username == "<token>"
                ? new RegistryCredentials(null, null, secret) { Source = source }
                : new RegistryCredentials(username, secret) { Source = source };
        }
        catch (Exception ex) when (ex is JsonException or FormatException or InvalidOperationException)
        {
            // Not the output itself: it may hold the secret.
            throw new SigstoreException(ContainerCodes.CredentialHelperFailed, $"{name} get did not print a JSON object with Username and Secret; check it (echo {key} | {name} get).");
        }
    }

    private string? FindOnPath(string name)
    {
        var path = _environment.GetVariable("PATH") ?? "";
        string[] extensions = OperatingSystem.IsWindows() ? [".exe", ".cmd", ".bat", ""] : [""];
        foreach (var folder in path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            foreach (var extension in extensions)
            {
                var candidate = Path.Combine(folder, name + extension);
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }
        }

        return null;
    }
}
