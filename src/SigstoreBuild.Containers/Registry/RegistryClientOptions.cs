using SigstoreBuild.Containers.Credentials;

namespace SigstoreBuild.Containers.Registry;

/// <summary>How a <see cref="RegistryClient"/> connects and authenticates.</summary>
internal sealed record RegistryClientOptions
{
    /// <summary>
    /// Allow plain HTTP to a registry that is not on loopback (<c>--allow-insecure-registry</c>): HTTPS is still tried
    /// first, and HTTP used when the TLS connection fails. Loopback registries always get that fallback.
    /// </summary>
    public bool AllowInsecure { get; init; }

    /// <summary>Where credentials come from when the registry asks; null means anonymous only.</summary>
    public IRegistryCredentialSource? Credentials { get; init; }

    /// <summary>A handler to send requests through instead of the default (tests); it must not follow redirects itself.</summary>
    public HttpMessageHandler? Handler { get; init; }

    /// <summary>The timeout of each HTTP request.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(100);
}
