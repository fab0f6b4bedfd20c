using System.Net;
using System.Net.Http.Headers;
using System.Security.Authentication;
using System.Text;
using System.Text.Json;
using SigstoreBuild.Containers.Credentials;
using SigstoreBuild.Containers.Oci;
using SigstoreBuild.Diagnostics;

namespace SigstoreBuild.Containers.Registry;

/// <summary>
/// A client of the OCI distribution API for one registry: manifests, blobs, the referrers API, with docker's token
/// authentication. Every response is bounded and everything fetched by digest is checked against it.
/// </summary>
internal sealed class RegistryClient : IDisposable
{
    public const long MaxManifestBytes = 4 * 1024 * 1024;
    public const long MaxReferrersBytes = 4 * 1024 * 1024;
    public const long MaxTokenResponseBytes = 1024 * 1024;
    private const long MaxErrorBodyBytes = 64 * 1024;
    private const int MaxRedirects = 5;
    private const int MaxReferrerPages = 16;

    private static readonly HttpMethod[] s_redirectable = [HttpMethod.Get, HttpMethod.Head];

    private readonly HttpClient _http;
    private readonly RegistryClientOptions _options;
    private readonly string? _explicitScheme;
    private readonly Dictionary<string, string> _tokens = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _gate = new(1, 1);
    private Uri? _baseUri;
    private string? _basic;
    private bool _credentialsResolved;
    private RegistryCredentials? _credentials;

    /// <param name="registry">The registry as in an image reference (docker.io, ghcr.io, 127.0.0.1:5000); an explicit <c>http://</c> or <c>https://</c> prefix forces the scheme.</param>
    public RegistryClient(string registry, RegistryClientOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(registry);
        _options = options ?? new RegistryClientOptions();
        var host = registry;
        foreach (var scheme in (ReadOnlySpan<string>)["http", "https"])
        {
            if (host.StartsWith(scheme + "://", StringComparison.OrdinalIgnoreCase))
            {
                _explicitScheme = scheme;
                host = host[(scheme.Length + 3)..].TrimEnd('/');
            }
        }

        Registry = host is ImageReference.DockerHubApiHost or "index.docker.io" ? ImageReference.DockerHub : host;
        Host = ImageReference.ApiHostOf(Registry);
        if (!Uri.TryCreate($"https://{Host}/", UriKind.Absolute, out _) || Host.Contains('/', StringComparison.Ordinal))
        {
            throw new SigstoreException(ContainerCodes.InvalidReference, $"'{registry}' is not a registry host[:port].");
        }

        if (_explicitScheme == "http" && !InsecureAllowed(Host))
        {
            throw Refused(Host);
        }

        var handler = _options.Handler ?? new SocketsHttpHandler
        {
            // Redirects are followed here, so the registry's Authorization header never goes to another host.
            AllowAutoRedirect = false,
            ConnectTimeout = TimeSpan.FromSeconds(30),
            AutomaticDecompression = DecompressionMethods.None,
        };
        _http = new HttpClient(handler, disposeHandler: _options.Handler is null) { Timeout = _options.Timeout };
        _http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("SigstoreBuild", "1.0"));
    }

    /// <summary>The registry as in image references (docker.io for Docker Hub).</summary>
    public string Registry { get; }

    /// <summary>The host[:port] requests go to.</summary>
    public string Host { get; }

    public void Dispose()
    {
        _http.Dispose();
        _gate.Dispose();
    }

    // ----- manifests -----

    /// <summary>The manifest (image, index, Docker v2), by tag or digest; throws ManifestNotFound when there is none.</summary>
    public async Task<OciManifest> GetManifestAsync(string repository, string reference, CancellationToken cancellationToken = default) =>
        await TryGetManifestAsync(repository, reference, cancellationToken).ConfigureAwait(false)
        ?? throw new SigstoreException(ContainerCodes.ManifestNotFound, $"{Registry}/{repository}{Separator(reference)}{reference} does not exist: check the repository, tag or digest, and that your credentials can see it.");

    /// <summary>The manifest, or null when the registry answers 404.</summary>
    public async Task<OciManifest?> TryGetManifestAsync(string repository, string reference, CancellationToken cancellationToken = default)
    {
        CheckNames(repository, reference);
        using var response = await SendAsync(
            b => ManifestRequest(HttpMethod.Get, b, repository, reference), PullScope(repository), cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        await EnsureSuccessAsync(response, $"the manifest {repository}{Separator(reference)}{reference}", cancellationToken).ConfigureAwait(false);
        var bytes = await ReadBoundedAsync(response.Content, MaxManifestBytes, $"the manifest {repository}{Separator(reference)}{reference}", cancellationToken).ConfigureAwait(false);
        var digest = CheckManifestDigest(response, repository, reference, bytes);
        var mediaType = ManifestMediaType(response, bytes, repository, reference);
        return new OciManifest(new OciDescriptor(mediaType, digest, bytes.Length), bytes) { ETag = response.Headers.ETag?.ToString() };
    }

    /// <summary>The manifest's descriptor from a HEAD request (a GET when the registry gives no digest), or null on 404.</summary>
    public async Task<OciDescriptor?> HeadManifestAsync(string repository, string reference, CancellationToken cancellationToken = default)
    {
        CheckNames(repository, reference);
        using (var response = await SendAsync(
            b => ManifestRequest(HttpMethod.Head, b, repository, reference), PullScope(repository), cancellationToken).ConfigureAwait(false))
        {
            if (response.StatusCode == HttpStatusCode.NotFound)
            {
                return null;
            }

            await EnsureSuccessAsync(response, $"the manifest {repository}{Separator(reference)}{reference}", cancellationToken).ConfigureAwait(false);
            var digest = HeaderValue(response, "Docker-Content-Digest");
            var mediaType = response.Content.Headers.ContentType?.MediaType;
            var size = response.Content.Headers.ContentLength;
            if (digest is not null && ImageReference.IsDigest(digest) && mediaType is not null && OciMediaTypes.Manifests.Contains(mediaType)
                && size is >= 0 and <= MaxManifestBytes && (!ImageReference.IsDigest(reference) || digest == reference))
            {
                return new OciDescriptor(mediaType, digest, size.Value);
            }
        }

        return (await TryGetManifestAsync(repository, reference, cancellationToken).ConfigureAwait(false))?.Descriptor;
    }

    /// <summary>
    /// Pushes a manifest under a tag or its digest. <see cref="PushManifestResult.SubjectProcessed"/> tells whether the
    /// registry indexed its subject (the <c>OCI-Subject</c> header). <paramref name="ifMatch"/> makes the update conditional.
    /// </summary>
    /// <param name="ifMatch">Update only if the tag still has this ETag; <c>*</c> as <paramref name="ifMatch"/> is not used, see <paramref name="createOnly"/>.</param>
    /// <param name="createOnly">Create the tag only if it does not exist yet (If-None-Match: *).</param>
    public async Task<PushManifestResult> PushManifestAsync(string repository, string reference, ReadOnlyMemory<byte> manifest, string mediaType,
        string? ifMatch = null, CancellationToken cancellationToken = default, bool createOnly = false)
    {
        CheckNames(repository, reference);
        ArgumentException.ThrowIfNullOrEmpty(mediaType);
        var descriptor = OciDescriptor.Of(mediaType, manifest.Span);
        if (ImageReference.IsDigest(reference) && !OciDescriptor.Matches(reference, manifest.Span))
        {
            throw new ArgumentException($"The manifest does not hash to {reference}.", nameof(reference));
        }

        using var response = await SendAsync(b =>
        {
            var request = new HttpRequestMessage(HttpMethod.Put, new Uri(b, $"v2/{repository}/manifests/{reference}"))
            {
                Content = new ReadOnlyMemoryContent(manifest),
            };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue(mediaType);
            if (ifMatch is not null)
            {
                request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
            }

            if (createOnly)
            {
                request.Headers.TryAddWithoutValidation("If-None-Match", "*");
            }

            return request;
        }, PushScope(repository), cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.PreconditionFailed)
        {
            throw new ConcurrentUpdateException($"{Registry}/{repository}:{reference} changed while it was being updated; run the command again.");
        }

        await EnsureSuccessAsync(response, $"pushing the manifest {repository}{Separator(reference)}{reference}", cancellationToken).ConfigureAwait(false);
        var returned = HeaderValue(response, "Docker-Content-Digest");
        if (returned is not null && returned.StartsWith("sha256:", StringComparison.Ordinal) && returned != descriptor.Digest)
        {
            throw new SigstoreException(ContainerCodes.DigestMismatch, $"{Registry} stored the manifest pushed to {repository} as {returned}, not {descriptor.Digest}: the registry altered it.");
        }

        return new PushManifestResult(descriptor, response.Headers.Contains("OCI-Subject"));
    }

    // ----- blobs -----

    /// <summary>A blob, at most <paramref name="maxBytes"/> long, checked against the descriptor's digest and size.</summary>
    public async Task<byte[]> GetBlobAsync(string repository, OciDescriptor descriptor, long maxBytes, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(descriptor);
        CheckNames(repository, descriptor.Digest);
        if (descriptor.Size > maxBytes)
        {
            throw new SigstoreException(ContainerCodes.RegistryResponseInvalid, $"The blob {descriptor.Digest} in {Registry}/{repository} is {descriptor.Size} bytes, more than the {maxBytes} allowed.");
        }

        using var response = await SendAsync(
            b => new HttpRequestMessage(HttpMethod.Get, new Uri(b, $"v2/{repository}/blobs/{descriptor.Digest}")),
            PullScope(repository), cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            throw new SigstoreException(ContainerCodes.BlobNotFound, $"The blob {descriptor.Digest} is not in {Registry}/{repository}: the manifest that refers to it is incomplete; push it again.");
        }

        await EnsureSuccessAsync(response, $"the blob {descriptor.Digest}", cancellationToken).ConfigureAwait(false);
        var bytes = await ReadBoundedAsync(response.Content, descriptor.Size, $"the blob {descriptor.Digest}", cancellationToken).ConfigureAwait(false);
        if (bytes.Length != descriptor.Size || !OciDescriptor.Matches(descriptor.Digest, bytes))
        {
            throw new SigstoreException(ContainerCodes.DigestMismatch, $"The blob served by {Registry} for {repository}@{descriptor.Digest} does not hash to that digest (or has the wrong size): refusing it.");
        }

        return bytes;
    }

    /// <summary>Pushes a blob (monolithic upload) unless the registry already has it.</summary>
    public async Task<OciDescriptor> PushBlobAsync(string repository, ReadOnlyMemory<byte> content, string mediaType = "application/octet-stream",
        CancellationToken cancellationToken = default)
    {
        if (!ImageReference.IsRepository(repository))
        {
            throw new ArgumentException($"'{repository}' is not a repository name.", nameof(repository));
        }

        var descriptor = OciDescriptor.Of(mediaType, content.Span);
        var scope = PushScope(repository);
        using (var head = await SendAsync(
            b => new HttpRequestMessage(HttpMethod.Head, new Uri(b, $"v2/{repository}/blobs/{descriptor.Digest}")), scope, cancellationToken).ConfigureAwait(false))
        {
            if (head.IsSuccessStatusCode)
            {
                return descriptor;
            }
        }

        Uri location;
        using (var start = await SendAsync(
            b => new HttpRequestMessage(HttpMethod.Post, new Uri(b, $"v2/{repository}/blobs/uploads/")) { Content = new ByteArrayContent([]) },
            scope, cancellationToken).ConfigureAwait(false))
        {
            await EnsureSuccessAsync(start, $"starting a blob upload to {repository}", cancellationToken).ConfigureAwait(false);
            var header = start.Headers.Location ?? throw new SigstoreException(ContainerCodes.RegistryResponseInvalid,
                $"{Registry} accepted a blob upload to {repository} without saying where to send it (no Location header).");
            location = header.IsAbsoluteUri ? header : new Uri(_baseUri!, header);
            if (location.Scheme != Uri.UriSchemeHttps && !InsecureAllowed(location.Authority))
            {
                throw Refused(location.Authority);
            }
        }

        var separator = string.IsNullOrEmpty(location.Query) ? "?" : "&";
        var target = new Uri(location.GetLeftPart(UriPartial.Query) + separator + "digest=" + Uri.EscapeDataString(descriptor.Digest));
        using var put = await SendAsync(_ =>
        {
            var request = new HttpRequestMessage(HttpMethod.Put, target) { Content = new ReadOnlyMemoryContent(content) };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            return request;
        }, scope, cancellationToken).ConfigureAwait(false);
        await EnsureSuccessAsync(put, $"uploading the blob {descriptor.Digest} to {repository}", cancellationToken).ConfigureAwait(false);
        return descriptor;
    }

    // ----- referrers -----

    /// <summary>
    /// The descriptors the referrers API lists for <paramref name="digest"/> (every page), or null when the registry has
    /// no referrers API (404). The <paramref name="artifactType"/> filter is passed on; registries may ignore it.
    /// </summary>
    public async Task<IReadOnlyList<OciDescriptor>?> GetReferrersAsync(string repository, string digest, string? artifactType = null,
        CancellationToken cancellationToken = default)
    {
        CheckNames(repository, digest);
        if (!ImageReference.IsDigest(digest))
        {
            throw new ArgumentException($"'{digest}' is not a digest.", nameof(digest));
        }

        var query = artifactType is null ? "" : "?artifactType=" + Uri.EscapeDataString(artifactType);
        Func<Uri, Uri> next = b => new Uri(b, $"v2/{repository}/referrers/{digest}{query}");
        var result = new List<OciDescriptor>();
        for (var page = 0; page < MaxReferrerPages; page++)
        {
            var pageUri = next;
            using var response = await SendAsync(b =>
            {
                var request = new HttpRequestMessage(HttpMethod.Get, pageUri(b));
                request.Headers.Accept.ParseAdd(OciMediaTypes.ImageIndex);
                return request;
            }, PullScope(repository), cancellationToken).ConfigureAwait(false);
            if (response.StatusCode == HttpStatusCode.NotFound && page == 0)
            {
                return null;
            }

            await EnsureSuccessAsync(response, $"the referrers of {repository}@{digest}", cancellationToken).ConfigureAwait(false);
            var bytes = await ReadBoundedAsync(response.Content, MaxReferrersBytes, $"the referrers of {repository}@{digest}", cancellationToken).ConfigureAwait(false);
            result.AddRange(ReadIndexManifests(bytes, $"the referrers index of {Registry}/{repository}@{digest}"));
            var link = NextLink(response);
            if (link is null)
            {
                return result;
            }

            next = b => new Uri(b, link);
        }

        return result;
    }

    /// <summary>The <c>manifests</c> of an image index; RegistryResponseInvalid when it is not one.</summary>
    internal static List<OciDescriptor> ReadIndexManifests(ReadOnlyMemory<byte> bytes, string what)
    {
        try
        {
            using var document = JsonDocument.Parse(bytes, new JsonDocumentOptions { MaxDepth = 32 });
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("manifests", out var manifests))
            {
                throw new FormatException("it has no manifests");
            }

            if (manifests.ValueKind == JsonValueKind.Null)
            {
                return [];
            }

            if (manifests.ValueKind != JsonValueKind.Array)
            {
                throw new FormatException("manifests is not an array");
            }

            return [.. manifests.EnumerateArray().Select(OciDescriptor.Read)];
        }
        catch (Exception ex) when (ex is JsonException or FormatException or InvalidOperationException)
        {
            throw new SigstoreException(ContainerCodes.RegistryResponseInvalid, $"{what} is not a valid OCI image index: {ex.Message}", ex);
        }
    }

    private static string? NextLink(HttpResponseMessage response)
    {
        if (!response.Headers.TryGetValues("Link", out var values))
        {
            return null;
        }

        foreach (var value in values)
        {
            var open = value.IndexOf('<', StringComparison.Ordinal);
            var close = value.IndexOf('>', StringComparison.Ordinal);
            if (open >= 0 && close > open && value.Contains("rel=\"next\"", StringComparison.Ordinal))
            {
                var target = value[(open + 1)..close];
                // Only pages of this registry: a link elsewhere would carry our token there.
                if (target.StartsWith('/') && !target.StartsWith("//", StringComparison.Ordinal))
                {
                    return target;
                }
            }
        }

        return null;
    }

    // ----- transport and authentication -----

    private static string PullScope(string repository) => $"repository:{repository}:pull";

    private static string PushScope(string repository) => $"repository:{repository}:pull,push";

    private static string Separator(string reference) => ImageReference.IsDigest(reference) ? "@" : ":";

    private static void CheckNames(string repository, string reference)
    {
        if (!ImageReference.IsRepository(repository))
        {
            throw new ArgumentException($"'{repository}' is not a repository name.", nameof(repository));
        }

        if (!ImageReference.IsDigest(reference) && !ImageReference.IsTag(reference))
        {
            throw new ArgumentException($"'{reference}' is neither a tag nor a digest.", nameof(reference));
        }
    }

    private static HttpRequestMessage ManifestRequest(HttpMethod method, Uri baseUri, string repository, string reference)
    {
        var request = new HttpRequestMessage(method, new Uri(baseUri, $"v2/{repository}/manifests/{reference}"));
        foreach (var mediaType in OciMediaTypes.Manifests)
        {
            request.Headers.Accept.ParseAdd(mediaType);
        }

        return request;
    }

    private string CheckManifestDigest(HttpResponseMessage response, string repository, string reference, byte[] bytes)
    {
        var computed = OciDescriptor.Sha256Digest(bytes);
        if (ImageReference.IsDigest(reference))
        {
            if (!OciDescriptor.Matches(reference, bytes))
            {
                throw new SigstoreException(ContainerCodes.DigestMismatch, $"The manifest {Registry} served for {repository}@{reference} does not hash to that digest: refusing it (the registry or something between altered it).");
            }

            return reference;
        }

        var header = HeaderValue(response, "Docker-Content-Digest");
        if (header is not null && ImageReference.IsDigest(header) && !OciDescriptor.Matches(header, bytes))
        {
            throw new SigstoreException(ContainerCodes.DigestMismatch, $"The manifest {Registry} served for {repository}:{reference} does not hash to the digest it announced ({header}): refusing it.");
        }

        return computed;
    }

    private string ManifestMediaType(HttpResponseMessage response, byte[] bytes, string repository, string reference)
    {
        string? fromJson;
        try
        {
            using var document = JsonDocument.Parse(bytes, new JsonDocumentOptions { MaxDepth = 32 });
            fromJson = document.RootElement.ValueKind == JsonValueKind.Object ? OciDescriptor.OptionalString(document.RootElement, "mediaType") : null;
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new FormatException();
            }
        }
        catch (Exception ex) when (ex is JsonException or FormatException or InvalidOperationException)
        {
            throw new SigstoreException(ContainerCodes.RegistryResponseInvalid, $"The manifest {Registry} served for {repository}{Separator(reference)}{reference} is not a JSON object.");
        }

        // The mediaType inside is covered by the digest; the Content-Type header is not.
        var mediaType = fromJson ?? response.Content.Headers.ContentType?.MediaType;
        if (mediaType is null || !OciMediaTypes.Manifests.Contains(mediaType))
        {
            throw new SigstoreException(ContainerCodes.RegistryResponseInvalid,
                $"The manifest {Registry} served for {repository}{Separator(reference)}{reference} has the media type '{mediaType ?? "(none)"}', not an OCI or Docker v2 image manifest or index.");
        }

        return mediaType;
    }

    private static string? HeaderValue(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? values.FirstOrDefault()?.Trim() : null;

    internal static bool IsLoopback(string authority)
    {
        var host = authority;
        if (host.StartsWith('['))
        {
            var end = host.IndexOf(']', StringComparison.Ordinal);
            host = end > 0 ? host[1..end] : host;
        }
        else if (host.Count(c => c == ':') == 1)
        {
            host = host[..host.IndexOf(':', StringComparison.Ordinal)];
        }

        return string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase)
            || (IPAddress.TryParse(host, out var address) && IPAddress.IsLoopback(address));
    }

    private bool InsecureAllowed(string authority) => _options.AllowInsecure || IsLoopback(authority);

    /// <summary>
    /// Credentials go over plain HTTP only to this machine, or, when insecure access was allowed, to the registry's own
    /// host: never to another host a registry names as its token realm.
    /// </summary>
    private bool PlainHttpRealmAllowed(Uri realm) =>
        IsLoopback(realm.Authority) || (_options.AllowInsecure && string.Equals(realm.Host, new Uri("http://" + Host).Host, StringComparison.OrdinalIgnoreCase));

    private static SigstoreException Refused(string authority) => new(ContainerCodes.InsecureRegistryRefused,
        $"Refusing plain HTTP to the registry {authority}: it is not on this machine, so anyone on the network could change what it serves. Use HTTPS, or, on a network you trust, pass --allow-insecure-registry.");

    private async Task<Uri> BaseUriAsync(CancellationToken cancellationToken)
    {
        if (_baseUri is not null)
        {
            return _baseUri;
        }

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_baseUri is not null)
            {
                return _baseUri;
            }

            var https = new Uri($"https://{Host}/");
            if (_explicitScheme is not null)
            {
                return _baseUri = new Uri($"{_explicitScheme}://{Host}/");
            }

            if (!InsecureAllowed(Host))
            {
                return _baseUri = https;
            }

            // As docker does for insecure registries: HTTPS when it works, else plain HTTP.
            try
            {
                using var ping = await _http.SendAsync(new HttpRequestMessage(HttpMethod.Get, new Uri(https, "v2/")), HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
                return _baseUri = https;
            }
            catch (Exception ex) when (ex is HttpRequestException || (ex is TaskCanceledException && !cancellationToken.IsCancellationRequested))
            {
                return _baseUri = new Uri($"http://{Host}/");
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Sends a request, authenticating when the registry answers 401 (then retrying once). <paramref name="create"/> builds
    /// the request from the registry's base address; it is called again for the retry.
    /// </summary>
    private async Task<HttpResponseMessage> SendAsync(Func<Uri, HttpRequestMessage> create, string scope, CancellationToken cancellationToken)
    {
        var baseUri = await BaseUriAsync(cancellationToken).ConfigureAwait(false);
        var authorization = CachedAuthorization(scope);
        var response = await SendFollowingAsync(create(baseUri), baseUri, authorization, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode != HttpStatusCode.Unauthorized)
        {
            return response;
        }

        var challenges = response.Headers.WwwAuthenticate.ToList();
        response.Dispose();
        authorization = await AuthorizeAsync(challenges, scope, cancellationToken).ConfigureAwait(false);
        response = await SendFollowingAsync(create(baseUri), baseUri, authorization, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.Unauthorized)
        {
            response.Dispose();
            throw await AuthenticationFailedAsync("refused the credentials", cancellationToken).ConfigureAwait(false);
        }

        return response;
    }

    private string? CachedAuthorization(string scope)
    {
        lock (_tokens)
        {
            return _tokens.TryGetValue(scope, out var token) ? token : _basic;
        }
    }

    private async Task<HttpResponseMessage> SendFollowingAsync(HttpRequestMessage request, Uri baseUri, string? authorization, CancellationToken cancellationToken)
    {
        for (var hop = 0; ; hop++)
        {
            // The registry's credentials only go to the registry itself: not to a storage host a blob GET redirects to.
            if (authorization is not null && SameOrigin(request.RequestUri!, baseUri))
            {
                request.Headers.TryAddWithoutValidation("Authorization", authorization);
            }

            HttpResponseMessage response;
            try
            {
                response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
            }
            catch (HttpRequestException ex)
            {
                throw Unreachable(request.RequestUri!, ex);
            }
            catch (TaskCanceledException ex) when (!cancellationToken.IsCancellationRequested)
            {
                throw new SigstoreException(ContainerCodes.RegistryUnreachable, $"The registry {request.RequestUri!.Authority} did not answer within {_options.Timeout.TotalSeconds:0} s; check the network and try again.", ex);
            }
            finally
            {
                request.Dispose();
            }

            var status = (int)response.StatusCode;
            if (status is not (301 or 302 or 303 or 307 or 308) || response.Headers.Location is null || !s_redirectable.Contains(request.Method))
            {
                return response;
            }

            if (hop >= MaxRedirects)
            {
                response.Dispose();
                throw new SigstoreException(ContainerCodes.RegistryResponseInvalid, $"The registry {Registry} redirected more than {MaxRedirects} times.");
            }

            var target = response.Headers.Location.IsAbsoluteUri ? response.Headers.Location : new Uri(request.RequestUri!, response.Headers.Location);
            response.Dispose();
            if (target.Scheme != Uri.UriSchemeHttps && (target.Scheme != Uri.UriSchemeHttp || !InsecureAllowed(target.Authority)))
            {
                throw target.Scheme == Uri.UriSchemeHttp ? Refused(target.Authority)
                    : new SigstoreException(ContainerCodes.RegistryResponseInvalid, $"The registry {Registry} redirected to a {target.Scheme} address.");
            }

            var next = new HttpRequestMessage(request.Method, target);
            foreach (var accept in request.Headers.Accept)
            {
                next.Headers.Accept.Add(accept);
            }

            request = next;
        }
    }

    private static bool SameOrigin(Uri a, Uri b) =>
        string.Equals(a.Scheme, b.Scheme, StringComparison.OrdinalIgnoreCase)
        && string.Equals(a.Host, b.Host, StringComparison.OrdinalIgnoreCase) && a.Port == b.Port;

    private SigstoreException Unreachable(Uri uri, HttpRequestException ex)
    {
        var tls = ex.HttpRequestError == HttpRequestError.SecureConnectionError || ex.InnerException is AuthenticationException;
        var hint = tls && !InsecureAllowed(uri.Authority)
            ? " The TLS connection failed: if this registry only speaks plain HTTP and the network is trusted, pass --allow-insecure-registry."
            : " Check the registry address and the network.";
        return new SigstoreException(ContainerCodes.RegistryUnreachable, $"Could not reach the registry {uri.Authority}: {ex.Message}.{hint}", ex);
    }

    private async Task<RegistryCredentials?> CredentialsAsync(CancellationToken cancellationToken)
    {
        if (!_credentialsResolved)
        {
            _credentials = _options.Credentials is null ? null : await _options.Credentials.GetAsync(Registry, cancellationToken).ConfigureAwait(false);
            _credentialsResolved = true;
        }

        return _credentials;
    }

    private async Task<SigstoreException> AuthenticationFailedAsync(string what, CancellationToken cancellationToken)
    {
        var credentials = await CredentialsAsync(cancellationToken).ConfigureAwait(false);
        var message = credentials is null
            ? $"The registry {Registry} asked for credentials and none were found ({(_options.Credentials is null ? "none were given" : "looked in " + _options.Credentials.Description)}). Run docker login {Registry}, or check that the repository name is right."
            : $"The registry {Registry} {what} from {credentials.Source} (user {credentials.Username ?? "(identity token)"}). Run docker login {Registry} again, and check that this account may access the repository.";
        return new SigstoreException(ContainerCodes.RegistryAuthenticationFailed, message);
    }

    private async Task<string> AuthorizeAsync(List<AuthenticationHeaderValue> challenges, string scope, CancellationToken cancellationToken)
    {
        var bearer = challenges.FirstOrDefault(c => string.Equals(c.Scheme, "Bearer", StringComparison.OrdinalIgnoreCase));
        var credentials = await CredentialsAsync(cancellationToken).ConfigureAwait(false);
        if (bearer is not null)
        {
            var token = await FetchTokenAsync(ChallengeParameters(bearer.Parameter), scope, credentials, cancellationToken).ConfigureAwait(false);
            var header = "Bearer " + token;
            lock (_tokens)
            {
                _tokens[scope] = header;
            }

            return header;
        }

        if (challenges.Any(c => string.Equals(c.Scheme, "Basic", StringComparison.OrdinalIgnoreCase)))
        {
            if (credentials is not { HasBasic: true })
            {
                throw await AuthenticationFailedAsync("asks for a user name and password, and has only an identity token", cancellationToken).ConfigureAwait(false);
            }

            var header = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{credentials.Username}:{credentials.Password}"));
            lock (_tokens)
            {
                _basic = header;
            }

            return header;
        }

        throw new SigstoreException(ContainerCodes.RegistryAuthenticationFailed,
            $"The registry {Registry} answered 401 without a Bearer or Basic challenge (WWW-Authenticate), so this client cannot authenticate to it.");
    }

    /// <summary>The auth-params of a challenge: realm="...",service="...",scope="...".</summary>
    internal static Dictionary<string, string> ChallengeParameters(string? parameter)
    {
        var result = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var text = parameter ?? "";
        var i = 0;
        while (i < text.Length)
        {
            while (i < text.Length && (text[i] == ',' || char.IsWhiteSpace(text[i])))
            {
                i++;
            }

            var equals = text.IndexOf('=', i);
            if (equals < 0)
            {
                break;
            }

            var name = text[i..equals].Trim();
            i = equals + 1;
            var value = new StringBuilder();
            if (i < text.Length && text[i] == '"')
            {
                for (i++; i < text.Length && text[i] != '"'; i++)
                {
                    if (text[i] == '\\' && i + 1 < text.Length)
                    {
                        i++;
                    }

                    value.Append(text[i]);
                }

                i++;
            }
            else
            {
                for (; i < text.Length && text[i] != ','; i++)
                {
                    value.Append(text[i]);
                }
            }

            result[name] = value.ToString().Trim();
        }

        return result;
    }

    private async Task<string> FetchTokenAsync(Dictionary<string, string> challenge, string scope, RegistryCredentials? credentials, CancellationToken cancellationToken)
    {
        if (!challenge.TryGetValue("realm", out var realmText) || !Uri.TryCreate(realmText, UriKind.Absolute, out var realm)
            || (realm.Scheme != Uri.UriSchemeHttps && !(realm.Scheme == Uri.UriSchemeHttp && PlainHttpRealmAllowed(realm))))
        {
            throw new SigstoreException(ContainerCodes.RegistryAuthenticationFailed,
                $"The registry {Registry} asked for a token from a realm that is missing or not an HTTPS address; this client does not send credentials there.");
        }

        challenge.TryGetValue("service", out var service);
        HttpRequestMessage request;
        if (credentials is { HasIdentityToken: true })
        {
            // docker's OAuth2 flow: the identity token is a refresh token.
            var form = new List<KeyValuePair<string, string>>
            {
                new("grant_type", "refresh_token"),
                new("refresh_token", credentials.IdentityToken!),
                new("client_id", "sigstorebuild"),
                new("scope", scope),
            };
            if (service is not null)
            {
                form.Add(new("service", service));
            }

            request = new HttpRequestMessage(HttpMethod.Post, realm) { Content = new FormUrlEncodedContent(form) };
        }
        else
        {
            var query = new StringBuilder(realm.Query.Length > 1 ? realm.Query[1..] + "&" : "");
            if (service is not null)
            {
                query.Append("service=").Append(Uri.EscapeDataString(service)).Append('&');
            }

            query.Append("scope=").Append(Uri.EscapeDataString(scope));
            request = new HttpRequestMessage(HttpMethod.Get, new UriBuilder(realm) { Query = query.ToString() }.Uri);
            if (credentials is { HasBasic: true })
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{credentials.Username}:{credentials.Password}")));
            }
        }

        HttpResponseMessage response;
        try
        {
            using (request)
            {
                response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (HttpRequestException ex)
        {
            throw Unreachable(realm, ex);
        }
        catch (TaskCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new SigstoreException(ContainerCodes.RegistryUnreachable, $"The token service {realm.Authority} of {Registry} did not answer in time.", ex);
        }

        using (response)
        {
            if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
            {
                throw await AuthenticationFailedAsync($"token service ({realm.Authority}) refused the credentials", cancellationToken).ConfigureAwait(false);
            }

            await EnsureSuccessAsync(response, $"a token from {realm.Authority}", cancellationToken).ConfigureAwait(false);
            var bytes = await ReadBoundedAsync(response.Content, MaxTokenResponseBytes, $"the token response of {realm.Authority}", cancellationToken).ConfigureAwait(false);
            try
            {
                using var document = JsonDocument.Parse(bytes);
                var root = document.RootElement;
                var token = root.ValueKind == JsonValueKind.Object
                    ? OciDescriptor.OptionalString(root, "token") ?? OciDescriptor.OptionalString(root, "access_token")
                    : null;
                if (string.IsNullOrEmpty(token) || token.Any(c => c < 0x21 || c > 0x7e))
                {
                    throw new FormatException();
                }

                return token;
            }
            catch (Exception ex) when (ex is JsonException or FormatException or InvalidOperationException)
            {
                // Never the body: it may hold a token.
                throw new SigstoreException(ContainerCodes.RegistryResponseInvalid, $"The token service {realm.Authority} of {Registry} did not answer with a token (a JSON object with token or access_token).");
            }
        }
    }

    /// <summary>Throws the coded error for a response that is not a success, with the registry's own error code and message.</summary>
    private async Task EnsureSuccessAsync(HttpResponseMessage response, string what, CancellationToken cancellationToken)
    {
        if (response.IsSuccessStatusCode)
        {
            return;
        }

        var detail = await ErrorDetailAsync(response, cancellationToken).ConfigureAwait(false);
        var status = $"{(int)response.StatusCode} {response.ReasonPhrase}{detail}";
        throw response.StatusCode switch
        {
            HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden =>
                await AuthenticationFailedAsync($"refused access to {what} ({status})", cancellationToken).ConfigureAwait(false),
            HttpStatusCode.NotFound => new SigstoreException(ContainerCodes.ManifestNotFound, $"{Registry} has no {what} ({status}); check the repository name."),
            HttpStatusCode.TooManyRequests => new SigstoreException(ContainerCodes.RegistryRequestFailed, $"{Registry} is rate limiting requests ({what}: {status}); wait and try again, or log in."),
            _ => new SigstoreException(ContainerCodes.RegistryRequestFailed, $"{Registry} refused {what}: {status}."),
        };
    }

    private static async Task<string> ErrorDetailAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            var bytes = await ReadBoundedAsync(response.Content, MaxErrorBodyBytes, "an error", cancellationToken).ConfigureAwait(false);
            using var document = JsonDocument.Parse(bytes);
            if (document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty("errors", out var errors)
                && errors.ValueKind == JsonValueKind.Array)
            {
                var parts = errors.EnumerateArray().Take(3).Where(e => e.ValueKind == JsonValueKind.Object)
                    .Select(e => $"{OciDescriptor.OptionalString(e, "code")}: {OciDescriptor.OptionalString(e, "message")}");
                var text = string.Join("; ", parts);
                return text.Length == 0 ? "" : " — " + (text.Length > 300 ? text[..300] + "..." : text);
            }
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or SigstoreException or HttpRequestException or IOException)
        {
            // No usable detail; the status says enough.
        }

        return "";
    }

    /// <summary>Reads a body of at most <paramref name="max"/> bytes; RegistryResponseInvalid beyond that.</summary>
    internal static async Task<byte[]> ReadBoundedAsync(HttpContent content, long max, string what, CancellationToken cancellationToken)
    {
        if (content.Headers.ContentLength is { } length && length > max)
        {
            throw TooLarge(what, max);
        }

        using var stream = await content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await stream.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > max)
            {
                throw TooLarge(what, max);
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }

    private static SigstoreException TooLarge(string what, long max) =>
        new(ContainerCodes.RegistryResponseInvalid, $"{what} is larger than the {max} bytes allowed; refusing it.");
}

/// <summary>A conditional manifest update lost a race (HTTP 412): another client changed the tag first.</summary>
internal sealed class ConcurrentUpdateException(string message) : SigstoreException(ContainerCodes.RegistryRequestFailed, message);
