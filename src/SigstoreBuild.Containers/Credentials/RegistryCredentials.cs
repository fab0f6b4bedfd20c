namespace SigstoreBuild.Containers.Credentials;

/// <summary>
/// Credentials for one registry: a user name and password, or an identity token (an OAuth2 refresh token, as
/// <c>docker login</c> stores for some registries). <see cref="Source"/> says where they came from, for messages.
/// </summary>
internal sealed record RegistryCredentials(string? Username, string? Password, string? IdentityToken = null)
{
    /// <summary>Where these came from, e.g. "the docker config file /home/me/.docker/config.json"; never a secret.</summary>
    public string Source { get; init; } = "the credentials given";

    public bool HasBasic => !string.IsNullOrEmpty(Username) && Password is not null;

    public bool HasIdentityToken => !string.IsNullOrEmpty(IdentityToken);

    // The generated record ToString would print the secrets.
    public override string ToString() =>
        $"RegistryCredentials {{ Username = {Username ?? "(none)"}, Password = {(Password is null ? "(none)" : "***")}, IdentityToken = {(IdentityToken is null ? "(none)" : "***")}, Source = {Source} }}";
}

/// <summary>Where a <see cref="Registry.RegistryClient"/> gets credentials when a registry asks for them.</summary>
internal interface IRegistryCredentialSource
{
    /// <summary>The credentials for <paramref name="registry"/> (as in an image reference, e.g. docker.io, ghcr.io, 127.0.0.1:5000), or null.</summary>
    ValueTask<RegistryCredentials?> GetAsync(string registry, CancellationToken cancellationToken);

    /// <summary>Where this looks, for a message when nothing was found (never a secret).</summary>
    string Description { get; }
}

/// <summary>Fixed credentials (command-line options, tests).</summary>
internal sealed class StaticCredentialSource(RegistryCredentials? credentials, string description = "the credentials given") : IRegistryCredentialSource
{
    public string Description => description;

    public ValueTask<RegistryCredentials?> GetAsync(string registry, CancellationToken cancellationToken) =>
        ValueTask.FromResult(credentials is null ? null : credentials with { Source = description });
}
