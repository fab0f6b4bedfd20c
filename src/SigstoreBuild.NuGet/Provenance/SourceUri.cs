namespace SigstoreBuild.NuGet.Provenance;

/// <summary>Repository URLs as the provenance writes them: no credentials, and compared without <c>.git</c> or a trailing slash.</summary>
internal static class SourceUri
{
    /// <summary>Drops user info (a token in an HTTPS remote must never reach a public log); null for empty input.</summary>
    public static string? WithoutCredentials(string? url)
    {
        if (string.IsNullOrWhiteSpace(url))
        {
            return null;
        }

        url = url.Trim();
        if (Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.UserInfo.Length > 0 && uri.Scheme is "http" or "https" or "ssh" or "git")
        {
            var builder = new UriBuilder(uri) { UserName = "", Password = "" };
            return builder.Uri.GetComponents(UriComponents.AbsoluteUri, UriFormat.UriEscaped);
        }

        return url;
    }

    public static bool SameRepository(string a, string b) =>
        string.Equals(Normalize(a), Normalize(b), StringComparison.OrdinalIgnoreCase);

    private static string Normalize(string url)
    {
        url = url.TrimEnd('/');
        return url.EndsWith(".git", StringComparison.OrdinalIgnoreCase) ? url[..^4] : url;
    }
}
