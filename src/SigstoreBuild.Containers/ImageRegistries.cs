using SigstoreBuild.Containers.Credentials;
using SigstoreBuild.Containers.Registry;

namespace SigstoreBuild.Containers;

/// <summary>
/// Opens registry clients the way the .NET SDK's container publish reaches registries, so that what the SDK could push
/// to, signing can attach to: credentials from the SDK's environment variables (push or pull role, then the generic
/// pair), else the docker config file and its credential helpers; plain HTTP for loopback, for the registries listed
/// in DOTNET_CONTAINER_INSECURE_REGISTRIES, or when explicitly allowed.
/// </summary>
/// <param name="sdkEnvironment">
/// Also read the SDK's DOTNET_CONTAINER_* credential and insecure-registry variables: true inside a build (they were set
/// for it, and the SDK applies them the same way), false for the CLI, where they would send one registry's credentials
/// to whatever registry an image reference names.
/// </param>
internal sealed class ImageRegistries(Func<string, string?> environment, bool allowInsecure, RegistryClientOptions? template = null, bool sdkEnvironment = true)
{
    public RegistryClient Open(string registry, bool push = true)
    {
        var options = (template ?? new RegistryClientOptions()) with
        {
            AllowInsecure = allowInsecure || (sdkEnvironment && IsListedInsecure(registry)),
        };
        options = options with { Credentials = options.Credentials ?? new DockerCredentials(new CredentialEnvironment { GetVariable = environment }) };
        if (sdkEnvironment && CredentialsFromEnvironment(push) is { } credentials)
        {
            options = options with { Credentials = new StaticCredentialSource(credentials, "the SDK's registry credential variables (DOTNET_CONTAINER_*_REGISTRY_UNAME/PWORD)") };
        }

        return new RegistryClient(registry, options);
    }

    private bool IsListedInsecure(string registry) =>
        (environment("DOTNET_CONTAINER_INSECURE_REGISTRIES") ?? "")
            .Split([',', ';'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Contains(HostOf(registry), StringComparer.OrdinalIgnoreCase);

    private static string HostOf(string registry) =>
        registry.StartsWith("http://", StringComparison.OrdinalIgnoreCase) ? registry["http://".Length..].TrimEnd('/')
        : registry.StartsWith("https://", StringComparison.OrdinalIgnoreCase) ? registry["https://".Length..].TrimEnd('/')
        : registry;

    private RegistryCredentials? CredentialsFromEnvironment(bool push)
    {
        var role = push ? "PUSH" : "PULL";
        foreach (var (user, password) in new[]
                 {
                     ($"DOTNET_CONTAINER_{role}_REGISTRY_UNAME", $"DOTNET_CONTAINER_{role}_REGISTRY_PWORD"),
                     ("DOTNET_CONTAINER_REGISTRY_UNAME", "DOTNET_CONTAINER_REGISTRY_PWORD"),
                     ("SDK_CONTAINER_REGISTRY_UNAME", "SDK_CONTAINER_REGISTRY_PWORD"),
                 })
        {
            if (environment(user) is { Length: > 0 } name && environment(password) is { Length: > 0 } secret)
            {
                return new RegistryCredentials(name, secret, null);
            }
        }

        return null;
    }
}
