using SigstoreBuild.Diagnostics;

namespace SigstoreBuild.Signing.Transport;

/// <summary>Service URLs come from the signing config or explicit configuration and must be HTTPS (threat model X-05).</summary>
internal static class ServiceUrl
{
    /// <summary>Parses an absolute URL; plain HTTP is allowed only to a loopback host (a local Sigstore instance).</summary>
    public static Uri Require(string? url, string what, string code)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri))
        {
            throw new SigstoreException(code, $"The {what} URL '{url}' is not an absolute URL. Fix the signing configuration.");
        }

        if (uri.Scheme == Uri.UriSchemeHttps || (uri.Scheme == Uri.UriSchemeHttp && uri.IsLoopback))
        {
            return uri;
        }

        throw new SigstoreException(code, $"The {what} URL '{uri.GetLeftPart(UriPartial.Path)}' is not HTTPS. Sigstore services must be reached over HTTPS (plain HTTP only on 127.0.0.1/localhost).");
    }

    /// <summary>Joins a base URL and a path without losing the base's own path.</summary>
    public static Uri Combine(Uri baseUri, string relative) => new(baseUri.AbsoluteUri.TrimEnd('/') + "/" + relative.TrimStart('/'));
}
