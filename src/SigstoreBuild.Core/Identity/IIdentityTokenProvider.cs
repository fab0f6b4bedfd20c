namespace SigstoreBuild.Identity;

/// <summary>A source of identity tokens for Fulcio. Tokens are fetched just in time, on each call, never cached here.</summary>
public interface IIdentityTokenProvider
{
    /// <summary>A short name for messages, e.g. "GitHub Actions".</summary>
    string Name { get; }

    /// <summary>True when a fresh token can be obtained by calling again (ambient CI providers); false for fixed tokens.</summary>
    bool CanRefresh { get; }

    Task<IdentityToken> GetTokenAsync(CancellationToken cancellationToken);
}
