using System.Collections.Concurrent;
using System.IO.Compression;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using System.Xml.Linq;
using NuGet.Versioning;

namespace SigstoreBuild.Restore.Tests.Infrastructure;

/// <summary>One request the server saw: the method, the path (no query) and the status it answered.</summary>
internal sealed record NuGetServerRequest(string Method, string Path, int Status);

/// <summary>
/// A real NuGet V3 feed on 127.0.0.1 for end-to-end tests, written from the protocol documentation: the service index
/// (<c>v3/index.json</c>), the push resource (<c>PackagePublish/2.0.0</c>, a multipart PUT checked against an API key)
/// and the package base address (<c>PackageBaseAddress/3.0.0</c>, the flat container restore downloads from). Packages
/// live in memory, byte for byte as pushed. There is no registration or search resource: restore needs neither.
/// </summary>
internal sealed class NuGetV3Server : IDisposable
{
    /// <summary>The largest push body accepted; anything bigger is answered 413.</summary>
    public const long DefaultMaxPushBytes = 256L * 1024 * 1024;

    private const string PublishPath = "api/v2/package";
    private const string FlatContainerPath = "v3-flatcontainer/";

    private readonly HttpListener _listener = new();
    private readonly Task _loop;
    private readonly string _apiKey;
    private readonly long _maxPushBytes;
    private readonly object _gate = new();

    // Keyed by lower-case id, then by the lower-case normalized version.
    private readonly Dictionary<string, SortedDictionary<NuGetVersion, StoredPackage>> _packages = new(StringComparer.Ordinal);

    /// <summary>Starts the server on a free loopback port; pushes must carry <paramref name="apiKey"/> in X-NuGet-ApiKey.</summary>
    public NuGetV3Server(string apiKey, long maxPushBytes = DefaultMaxPushBytes)
    {
        ArgumentException.ThrowIfNullOrEmpty(apiKey);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxPushBytes);
        _apiKey = apiKey;
        _maxPushBytes = maxPushBytes;
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        BaseUrl = new Uri($"http://127.0.0.1:{port}/");
        _listener.Prefixes.Add(BaseUrl.ToString());
        _listener.Start();
        _loop = Task.Run(LoopAsync);
    }

    /// <summary>The server root, ending in a slash, e.g. http://127.0.0.1:12345/.</summary>
    public Uri BaseUrl { get; }

    /// <summary>What goes in a nuget.config or after <c>dotnet nuget push -s</c>.</summary>
    public Uri ServiceIndexUrl => new(BaseUrl, "v3/index.json");

    /// <summary>The <c>@id</c> of the PackagePublish resource (no trailing slash; the client adds one).</summary>
    public Uri PublishUrl => new(BaseUrl, PublishPath);

    /// <summary>The <c>@id</c> of the PackageBaseAddress resource (with its trailing slash).</summary>
    public Uri PackageBaseAddress => new(BaseUrl, FlatContainerPath);

    /// <summary>Every request seen, in order.</summary>
    public ConcurrentQueue<NuGetServerRequest> Requests { get; } = new();

    /// <summary>The path of a package download: <c>/v3-flatcontainer/{lowerid}/{lowerversion}/{lowerid}.{lowerversion}.nupkg</c>.</summary>
    public static string NupkgPath(string id, string version)
    {
        var (lowerId, lowerVersion) = Key(id, version);
        return $"/{FlatContainerPath}{lowerId}/{lowerVersion}/{lowerId}.{lowerVersion}.nupkg";
    }

    /// <summary>Whether a GET of the package's .nupkg was answered 200.</summary>
    public bool WasDownloaded(string id, string version)
    {
        var path = NupkgPath(id, version);
        return Requests.Any(r => r.Method == "GET" && r.Status == 200 && string.Equals(r.Path, path, StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>The package ids and versions on the feed, as pushed (original casing of the id, normalized version).</summary>
    public IReadOnlyList<(string Id, string Version)> Packages
    {
        get
        {
            lock (_gate)
            {
                return _packages.Values.SelectMany(v => v.Values).Select(p => (p.Id, p.Version.ToNormalizedString())).ToList();
            }
        }
    }

    /// <summary>The stored bytes of a package, or null.</summary>
    public byte[]? GetPackage(string id, string version)
    {
        lock (_gate)
        {
            return Find(id, version)?.Bytes;
        }
    }

    /// <summary>Adds a package directly, as a push would (id and version come from its nuspec); false when it is already there.</summary>
    public bool Add(byte[] nupkg)
    {
        ArgumentNullException.ThrowIfNull(nupkg);
        var (id, version, _) = ReadNuspec(nupkg);
        return TryStore(id, version, nupkg);
    }

    /// <summary>
    /// Puts <paramref name="bytes"/> on the feed under id and version whatever they contain (e.g. a tampered package),
    /// replacing what was there or adding it. The nuspec endpoint serves the nuspec of the new bytes when they have one.
    /// </summary>
    public void Replace(string id, string version, byte[] bytes)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        ArgumentNullException.ThrowIfNull(bytes);
        var parsed = NuGetVersion.Parse(version);
        lock (_gate)
        {
            if (!_packages.TryGetValue(id.ToLowerInvariant(), out var versions))
            {
                versions = [];
                _packages[id.ToLowerInvariant()] = versions;
            }

            versions[parsed] = new StoredPackage(versions.TryGetValue(parsed, out var old) ? old.Id : id, parsed, bytes.ToArray());
        }
    }

    /// <summary>Removes a package; false when it was not there.</summary>
    public bool Remove(string id, string version)
    {
        lock (_gate)
        {
            return _packages.TryGetValue(id.ToLowerInvariant(), out var versions) && versions.Remove(NuGetVersion.Parse(version));
        }
    }

    public void Dispose()
    {
        _listener.Stop();
        _listener.Close();
        try
        {
            _loop.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
        }
    }

    private static (string LowerId, string LowerVersion) Key(string id, string version) =>
        (id.ToLowerInvariant(), NuGetVersion.Parse(version).ToNormalizedString().ToLowerInvariant());

    private StoredPackage? Find(string id, string version)
    {
        if (!NuGetVersion.TryParse(version, out var parsed))
        {
            return null;
        }

        return _packages.TryGetValue(id.ToLowerInvariant(), out var versions) && versions.TryGetValue(parsed, out var package) ? package : null;
    }

    private bool TryStore(string id, NuGetVersion version, byte[] bytes)
    {
        lock (_gate)
        {
            if (!_packages.TryGetValue(id.ToLowerInvariant(), out var versions))
            {
                versions = [];
                _packages[id.ToLowerInvariant()] = versions;
            }

            return versions.TryAdd(version, new StoredPackage(id, version, bytes.ToArray()));
        }
    }

    private async Task LoopAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            // Restore opens several connections at once: each request is served on its own task.
            _ = Task.Run(() => ServeAsync(context));
        }
    }

    private async Task ServeAsync(HttpListenerContext context)
    {
        var method = context.Request.HttpMethod;
        var path = context.Request.Url!.AbsolutePath;
        Response response;
        try
        {
            response = await RouteAsync(context.Request, method, path).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            response = Response.Text(500, ex.Message);
        }

        Requests.Enqueue(new NuGetServerRequest(method, path, response.Status));
        try
        {
            context.Response.StatusCode = response.Status;
            context.Response.ContentType = response.ContentType;
            context.Response.ContentLength64 = response.Body.Length;
            if (method != "HEAD" && response.Body.Length > 0)
            {
                await context.Response.OutputStream.WriteAsync(response.Body).ConfigureAwait(false);
            }

            context.Response.Close();
        }
        catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or InvalidOperationException or IOException)
        {
            // The client went away (or the server is stopping); nothing to answer.
            context.Response.Abort();
        }
    }

    private async Task<Response> RouteAsync(HttpListenerRequest request, string method, string path)
    {
        var relative = path.TrimStart('/');
        if (method is "GET" or "HEAD")
        {
            if (relative == "v3/index.json")
            {
                return Response.Json(ServiceIndex());
            }

            if (relative.StartsWith(FlatContainerPath, StringComparison.Ordinal))
            {
                return FlatContainer(relative[FlatContainerPath.Length..]);
            }

            return Response.Text(404, "Not found.");
        }

        var publish = relative.TrimEnd('/');
        if (method == "PUT" && publish == PublishPath)
        {
            return await PushAsync(request).ConfigureAwait(false);
        }

        if (method == "DELETE" && publish.StartsWith(PublishPath + "/", StringComparison.Ordinal))
        {
            return Delete(request, publish[(PublishPath.Length + 1)..]);
        }

        return Response.Text(publish == PublishPath || relative == "v3/index.json" || relative.StartsWith(FlatContainerPath, StringComparison.Ordinal) ? 405 : 404, "Not supported.");
    }

    private string ServiceIndex() => new JsonObject
    {
        ["version"] = "3.0.0",
        ["resources"] = new JsonArray(
            new JsonObject { ["@id"] = PublishUrl.ToString(), ["@type"] = "PackagePublish/2.0.0", ["comment"] = "Push and delete." },
            new JsonObject { ["@id"] = PackageBaseAddress.ToString(), ["@type"] = "PackageBaseAddress/3.0.0", ["comment"] = "The flat container." }),
    }.ToJsonString();

    private Response FlatContainer(string rest)
    {
        var segments = rest.Split('/');
        lock (_gate)
        {
            // {lowerid}/index.json
            if (segments is [var lowerId, "index.json"])
            {
                if (lowerId != lowerId.ToLowerInvariant() || !_packages.TryGetValue(lowerId, out var versions) || versions.Count == 0)
                {
                    return Response.Text(404, "No such package.");
                }

                var list = new JsonArray(versions.Keys.Select(v => (JsonNode)JsonValue.Create(v.ToNormalizedString().ToLowerInvariant())).ToArray());
                return Response.Json(new JsonObject { ["versions"] = list }.ToJsonString());
            }

            // {lowerid}/{lowerversion}/{lowerid}.{lowerversion}.nupkg and {lowerid}/{lowerversion}/{lowerid}.nuspec
            if (segments is [var id, var version, var file] && id == id.ToLowerInvariant() && version == version.ToLowerInvariant())
            {
                var package = Find(id, version);
                if (package is null || package.Version.ToNormalizedString().ToLowerInvariant() != version)
                {
                    return Response.Text(404, "No such package version.");
                }

                if (file == $"{id}.{version}.nupkg")
                {
                    return new Response(200, "application/octet-stream", package.Bytes);
                }

                if (file == $"{id}.nuspec")
                {
                    var nuspec = TryReadNuspecBytes(package.Bytes);
                    return nuspec is null ? Response.Text(404, "The package has no nuspec.") : new Response(200, "application/xml", nuspec);
                }
            }
        }

        return Response.Text(404, "Not found.");
    }

    private async Task<Response> PushAsync(HttpListenerRequest request)
    {
        var key = request.Headers["X-NuGet-ApiKey"];
        if (string.IsNullOrEmpty(key))
        {
            return Response.Text(401, "An API key is required.");
        }

        if (!string.Equals(key, _apiKey, StringComparison.Ordinal))
        {
            return Response.Text(403, "The specified API key is invalid.");
        }

        if (request.ContentLength64 > _maxPushBytes)
        {
            return Response.Text(413, "The package is too large.");
        }

        var boundary = Boundary(request.ContentType);
        if (boundary is null)
        {
            return Response.Text(400, "Expected a multipart/form-data body with a boundary.");
        }

        var body = await ReadBoundedAsync(request.InputStream, _maxPushBytes).ConfigureAwait(false);
        if (body is null)
        {
            return Response.Text(413, "The package is too large.");
        }

        var nupkg = PackagePart(body, boundary);
        if (nupkg is null)
        {
            return Response.Text(400, "The multipart body has no package part.");
        }

        string id;
        NuGetVersion version;
        try
        {
            (id, version, _) = ReadNuspec(nupkg);
        }
        catch (InvalidDataException ex)
        {
            return Response.Text(400, "Not a valid package: " + ex.Message);
        }

        return TryStore(id, version, nupkg)
            ? Response.Text(201, "Created.")
            : Response.Text(409, $"A package with id '{id}' and version '{version.ToNormalizedString()}' already exists and cannot be modified.");
    }

    private Response Delete(HttpListenerRequest request, string rest)
    {
        if (!string.Equals(request.Headers["X-NuGet-ApiKey"], _apiKey, StringComparison.Ordinal))
        {
            return Response.Text(403, "The specified API key is invalid.");
        }

        return rest.Split('/') is [var id, var version] && NuGetVersion.TryParse(version, out _) && Remove(id, version)
            ? Response.Text(204, string.Empty)
            : Response.Text(404, "No such package version.");
    }

    /// <summary>The boundary parameter of a multipart/form-data Content-Type, unquoted.</summary>
    internal static string? Boundary(string? contentType)
    {
        if (contentType is null)
        {
            return null;
        }

        var parts = contentType.Split(';', StringSplitOptions.TrimEntries);
        if (!string.Equals(parts[0], "multipart/form-data", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        foreach (var parameter in parts.Skip(1))
        {
            var equals = parameter.IndexOf('=', StringComparison.Ordinal);
            if (equals > 0 && string.Equals(parameter[..equals].Trim(), "boundary", StringComparison.OrdinalIgnoreCase))
            {
                var value = parameter[(equals + 1)..].Trim();
                if (value.Length >= 2 && value[0] == '"' && value[^1] == '"')
                {
                    value = value[1..^1];
                }

                // RFC 2046: 1 to 70 characters.
                return value.Length is > 0 and <= 70 ? value : null;
            }
        }

        return null;
    }

    /// <summary>
    /// The content of the package part of a multipart body (RFC 2046/7578): the part whose Content-Disposition carries a
    /// filename, else the first part. Null when the body is not well formed.
    /// </summary>
    internal static byte[]? PackagePart(byte[] body, string boundary)
    {
        var delimiter = Encoding.ASCII.GetBytes("--" + boundary);
        var span = body.AsSpan();

        // The preamble (usually empty) ends at the first delimiter, at the start of the body or after a CRLF.
        var first = span.IndexOf(delimiter);
        if (first < 0 || (first > 0 && (first < 2 || span[first - 2] != '\r' || span[first - 1] != '\n')))
        {
            return null;
        }

        var inner = Encoding.ASCII.GetBytes("\r\n--" + boundary);
        var position = first + delimiter.Length;
        byte[]? firstPart = null;
        while (true)
        {
            var rest = span[position..];
            if (rest.StartsWith("--"u8))
            {
                break; // the close delimiter
            }

            // Transport padding (spaces, tabs) then the CRLF that ends the delimiter line.
            var lineEnd = rest.IndexOf("\r\n"u8);
            if (lineEnd < 0 || rest[..lineEnd].Trim(" \t"u8).Length != 0)
            {
                return null;
            }

            position += lineEnd + 2;
            rest = span[position..];
            var headersEnd = rest.StartsWith("\r\n"u8) ? 0 : rest.IndexOf("\r\n\r\n"u8);
            if (headersEnd < 0)
            {
                return null;
            }

            var headers = Encoding.UTF8.GetString(rest[..headersEnd]);
            var contentStart = position + headersEnd + (headersEnd == 0 ? 2 : 4);
            var next = span[contentStart..].IndexOf(inner);
            if (next < 0)
            {
                return null;
            }

            var content = span.Slice(contentStart, next).ToArray();
            if (HasFileName(headers))
            {
                return content;
            }

            firstPart ??= content;
            position = contentStart + next + inner.Length;
        }

        return firstPart;
    }

    private static bool HasFileName(string headers) => headers.Split("\r\n").Any(line =>
        line.StartsWith("Content-Disposition:", StringComparison.OrdinalIgnoreCase) && line.Contains("filename", StringComparison.OrdinalIgnoreCase));

    /// <summary>Reads the whole stream (chunked or not), or null once it passes <paramref name="limit"/> bytes.</summary>
    private static async Task<byte[]?> ReadBoundedAsync(Stream stream, long limit)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await stream.ReadAsync(chunk).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > limit)
            {
                return null;
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }

    /// <summary>The id and version from the nuspec at the root of a package; InvalidDataException when there is none.</summary>
    private static (string Id, NuGetVersion Version, byte[] Nuspec) ReadNuspec(byte[] nupkg)
    {
        var nuspec = TryReadNuspecBytes(nupkg) ?? throw new InvalidDataException("The package has no .nuspec at its root.");
        XDocument document;
        try
        {
            using var reader = new MemoryStream(nuspec);
            document = XDocument.Load(reader);
        }
        catch (System.Xml.XmlException ex)
        {
            throw new InvalidDataException("The nuspec is not XML: " + ex.Message, ex);
        }

        var metadata = document.Root?.Elements().FirstOrDefault(e => e.Name.LocalName == "metadata");
        var id = metadata?.Elements().FirstOrDefault(e => e.Name.LocalName == "id")?.Value.Trim();
        var version = metadata?.Elements().FirstOrDefault(e => e.Name.LocalName == "version")?.Value.Trim();
        if (string.IsNullOrEmpty(id) || !NuGetVersion.TryParse(version, out var parsed))
        {
            throw new InvalidDataException("The nuspec has no valid id and version.");
        }

        return (id, parsed, nuspec);
    }

    private static byte[]? TryReadNuspecBytes(byte[] nupkg)
    {
        try
        {
            using var zip = new ZipArchive(new MemoryStream(nupkg), ZipArchiveMode.Read);
            var entry = zip.Entries.FirstOrDefault(e => !e.FullName.Contains('/', StringComparison.Ordinal) && e.FullName.EndsWith(".nuspec", StringComparison.OrdinalIgnoreCase));
            if (entry is null)
            {
                return null;
            }

            using var stream = entry.Open();
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            return copy.ToArray();
        }
        catch (InvalidDataException)
        {
            return null;
        }
    }

    private sealed record StoredPackage(string Id, NuGetVersion Version, byte[] Bytes);

    private sealed record Response(int Status, string ContentType, byte[] Body)
    {
        public static Response Json(string json) => new(200, "application/json", Encoding.UTF8.GetBytes(json));

        public static Response Text(int status, string text) => new(status, "text/plain; charset=utf-8", Encoding.UTF8.GetBytes(text));
    }
}
