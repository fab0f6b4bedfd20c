using SigstoreBuild.Diagnostics;
using SigstoreBuild.IO;

namespace SigstoreBuild.Identity;

/// <summary>A token given explicitly (e.g. <c>--identity-token</c>), or read from an environment variable.</summary>
internal sealed class ExplicitTokenProvider : IIdentityTokenProvider
{
    private static readonly InputKind TokenFile = new("identity token file", 64 * 1024, "It must hold a single OIDC identity token.")
    {
        Code = IdentityCodes.TokenFileUnreadable,
        TooLargeCode = IdentityCodes.TokenFileUnreadable,
    };

    private readonly Func<string?> _read;
    private readonly string _source;

    private ExplicitTokenProvider(string name, string source, Func<string?> read)
    {
        Name = name;
        _source = source;
        _read = read;
    }

    public string Name { get; }

    public bool CanRefresh => false;

    public static ExplicitTokenProvider FromToken(string token)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(token);
        return new ExplicitTokenProvider("explicit token", "the explicit token", () => token);
    }

    /// <summary>GitLab CI (<c>id_tokens: SIGSTORE_ID_TOKEN</c>) and any CI that exports <c>SIGSTORE_ID_TOKEN</c>.</summary>
    public static ExplicitTokenProvider FromEnvironment(IEnvironment environment, string variable = "SIGSTORE_ID_TOKEN", string name = "environment token") =>
        new(name, $"the environment variable {variable}", () => environment.GetVariable(variable));

    /// <summary>A file holding the token; read each time so a refreshed file is picked up.</summary>
    public static ExplicitTokenProvider FromFile(string path) =>
        new("token file", $"the token file '{path}'", () => InputFile.ReadAllText(path, TokenFile));

    public Task<IdentityToken> GetTokenAsync(CancellationToken cancellationToken)
    {
        var raw = _read();
        if (string.IsNullOrWhiteSpace(raw))
        {
            throw new SigstoreException(IdentityCodes.NoProvider, $"No identity token in {_source}. Provide an OIDC token issued for audience 'sigstore'.");
        }

        return Task.FromResult(IdentityToken.Parse(raw));
    }
}
