using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace SigstoreBuild.Containers.Tests.Infrastructure;

/// <summary>One request the fake saw.</summary>
internal sealed record RecordedRequest(string Method, string Host, string PathAndQuery, string? Authorization);

/// <summary>
/// FakeOciRegistry, an in-process OCI registry on 127.0.0.1 WITH the referrers API (which Debian's registry lacks):
/// blobs, manifests by tag and digest (answering OCI-Subject for a manifest with a subject), referrers with the
/// artifactType filter, optional Bearer token auth with a token endpoint checking Basic credentials, and a blob
/// redirect to another host name (localhost) to see where the Authorization header goes. Every request is recorded.
/// </summary>
internal sealed partial class FakeOciRegistry : IAsyncDisposable
{
    public const string Service = "fake-registry";

    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, byte[]> _blobs = new();
    private readonly ConcurrentDictionary<string, (byte[] Bytes, string MediaType)> _manifests = new();
    private readonly ConcurrentDictionary<string, string> _tags = new();
    private readonly ConcurrentDictionary<string, string> _uploads = new();
    private readonly ConcurrentDictionary<string, string> _tokens = new();
    private readonly ConcurrentQueue<RecordedRequest> _requests = new();

    private FakeOciRegistry(WebApplication app)
    {
        _app = app;
    }

    public string Host { get; private set; } = "";

    public Uri BaseUri => new($"http://{Host}/");

    public int Port { get; private set; }

    /// <summary>When false, the referrers API answers 404 (a registry without it).</summary>
    public bool ReferrersApi { get; set; } = true;

    private readonly object _tagGate = new();

    /// <summary>When false, the referrers API ignores the artifactType filter (some registries do).</summary>
    public bool HonourArtifactTypeFilter { get; set; } = true;

    /// <summary>Require a Bearer token from /token, which wants Basic <see cref="Username"/>:<see cref="Password"/> (or an identity token).</summary>
    public bool RequireToken { get; set; }

    public string Username { get; set; } = "alice";

    public string Password { get; set; } = "s3cret-password";

    public string IdentityToken { get; set; } = "identity-token-value";

    /// <summary>Require Basic <see cref="Username"/>:<see cref="Password"/> on every /v2/ request (a Basic challenge).</summary>
    public bool RequireBasic { get; set; }

    /// <summary>Serve manifests with a byte appended (and the digest of the original announced).</summary>
    public bool AlterManifests { get; set; }

    /// <summary>Blob GETs answer 307 to http://localhost:PORT/storage/... (another host name for the same server).</summary>
    public bool RedirectBlobs { get; set; }

    public IReadOnlyList<RecordedRequest> Requests => [.. _requests];

    public IReadOnlyCollection<string> TagsOf(string repository) =>
        [.. _tags.Keys.Where(k => k.StartsWith(repository + ":", StringComparison.Ordinal)).Select(k => k[(repository.Length + 1)..])];

    /// <summary>Stores a manifest as is, bypassing every check (oversized or hostile content).</summary>
    public string PutRawManifest(string repository, string tag, byte[] bytes, string mediaType)
    {
        var digest = Digest(bytes);
        _manifests[$"{repository}@{digest}"] = (bytes, mediaType);
        _tags[$"{repository}:{tag}"] = digest;
        return digest;
    }

    public static async Task<FakeOciRegistry> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var registry = new FakeOciRegistry(app);
        app.Run(registry.HandleAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        registry.Port = new Uri(address).Port;
        registry.Host = $"127.0.0.1:{registry.Port}";
        return registry;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    public static string Digest(byte[] content) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(content));

    [GeneratedRegex(@"\A/v2/(?<name>.+)/(?<kind>blobs/uploads|blobs|manifests|referrers)/(?<ref>[^/]*)\z")]
    private static partial Regex RoutePattern();

    private async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        var authorization = request.Headers.Authorization.ToString();
        _requests.Enqueue(new RecordedRequest(request.Method, request.Host.Value ?? "", request.Path + request.QueryString, authorization.Length == 0 ? null : authorization));
        var path = request.Path.Value ?? "";
        var response = context.Response;

        if (path == "/token")
        {
            await TokenAsync(context);
            return;
        }

        if (path.StartsWith("/storage/", StringComparison.Ordinal))
        {
            await WriteBlobAsync(context, path["/storage/".Length..]);
            return;
        }

        if (RequireBasic && path.StartsWith("/v2/", StringComparison.Ordinal)
            && authorization != "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{Username}:{Password}")))
        {
            response.StatusCode = 401;
            response.Headers.WWWAuthenticate = "Basic realm=\"fake-registry\"";
            return;
        }

        if (path == "/v2/")
        {
            if (RequireToken && !Authorized(context, null, pull: true))
            {
                Challenge(context, null);
                return;
            }

            response.StatusCode = 200;
            return;
        }

        var match = RoutePattern().Match(path);
        if (!match.Success)
        {
            response.StatusCode = 404;
            return;
        }

        var name = match.Groups["name"].Value;
        var kind = match.Groups["kind"].Value;
        var reference = match.Groups["ref"].Value;
        var pull = HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method);
        if (RequireToken && !Authorized(context, name, pull))
        {
            Challenge(context, name);
            return;
        }

        switch (kind)
        {
            case "blobs" when pull:
                if (!_blobs.ContainsKey(reference))
                {
                    await ErrorAsync(context, 404, "BLOB_UNKNOWN");
                }
                else if (RedirectBlobs && HttpMethods.IsGet(request.Method))
                {
                    response.StatusCode = 307;
                    response.Headers.Location = $"http://localhost:{Port}/storage/{reference}";
                }
                else
                {
                    await WriteBlobAsync(context, reference);
                }

                return;
            case "blobs/uploads" when HttpMethods.IsPost(request.Method):
                var id = Guid.NewGuid().ToString("N");
                _uploads[id] = name;
                response.StatusCode = 202;
                response.Headers.Location = $"/v2/{name}/blobs/uploads/{id}";
                return;
            case "blobs/uploads" when HttpMethods.IsPut(request.Method):
                var body = await ReadBodyAsync(request);
                var digest = request.Query["digest"].ToString();
                if (!_uploads.TryRemove(reference, out var uploadName) || uploadName != name || digest != Digest(body))
                {
                    await ErrorAsync(context, 400, "DIGEST_INVALID");
                    return;
                }

                _blobs[digest] = body;
                response.StatusCode = 201;
                response.Headers.Location = $"/v2/{name}/blobs/{digest}";
                response.Headers["Docker-Content-Digest"] = digest;
                return;
            case "manifests" when pull:
                await GetManifestAsync(context, name, reference);
                return;
            case "manifests" when HttpMethods.IsPut(request.Method):
                await PutManifestAsync(context, name, reference);
                return;
            case "referrers" when HttpMethods.IsGet(request.Method) && ReferrersApi:
                await ReferrersAsync(context, name, reference);
                return;
            default:
                await ErrorAsync(context, 404, "UNSUPPORTED");
                return;
        }
    }

    private bool Authorized(HttpContext context, string? name, bool pull)
    {
        var header = context.Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.Ordinal) || !_tokens.TryGetValue(header["Bearer ".Length..], out var scope))
        {
            return false;
        }

        return name is null || scope == $"repository:{name}:pull,push" || (pull && scope == $"repository:{name}:pull");
    }

    private void Challenge(HttpContext context, string? name)
    {
        context.Response.StatusCode = 401;
        var scope = name is null ? "" : $",scope=\"repository:{name}:pull\"";
        context.Response.Headers.WWWAuthenticate = $"Bearer realm=\"http://127.0.0.1:{Port}/token\",service=\"{Service}\"{scope}";
    }

    private async Task TokenAsync(HttpContext context)
    {
        var request = context.Request;
        string scope;
        var authorized = false;
        if (HttpMethods.IsPost(request.Method))
        {
            var form = await request.ReadFormAsync();
            scope = form["scope"].ToString();
            authorized = form["grant_type"] == "refresh_token" && form["refresh_token"] == IdentityToken && form["service"] == Service;
        }
        else
        {
            scope = request.Query["scope"].ToString();
            var header = request.Headers.Authorization.ToString();
            if (header.StartsWith("Basic ", StringComparison.Ordinal))
            {
                var decoded = Encoding.UTF8.GetString(Convert.FromBase64String(header["Basic ".Length..]));
                authorized = decoded == $"{Username}:{Password}" && request.Query["service"] == Service;
            }
        }

        if (!authorized)
        {
            await ErrorAsync(context, 401, "UNAUTHORIZED");
            return;
        }

        var token = "tok-" + Guid.NewGuid().ToString("N");
        _tokens[token] = scope;
        context.Response.ContentType = "application/json";
        // The OAuth2 flow answers access_token, the docker flow token.
        await context.Response.WriteAsync(HttpMethods.IsPost(request.Method) ? $"{{\"access_token\":\"{token}\"}}" : $"{{\"token\":\"{token}\",\"expires_in\":300}}");
    }

    private async Task WriteBlobAsync(HttpContext context, string digest)
    {
        if (!_blobs.TryGetValue(digest, out var blob))
        {
            await ErrorAsync(context, 404, "BLOB_UNKNOWN");
            return;
        }

        context.Response.StatusCode = 200;
        context.Response.ContentType = "application/octet-stream";
        context.Response.ContentLength = blob.Length;
        context.Response.Headers["Docker-Content-Digest"] = digest;
        if (!HttpMethods.IsHead(context.Request.Method))
        {
            await context.Response.Body.WriteAsync(blob);
        }
    }

    private async Task GetManifestAsync(HttpContext context, string name, string reference)
    {
        var digest = reference.StartsWith("sha256:", StringComparison.Ordinal) ? reference : _tags.GetValueOrDefault($"{name}:{reference}");
        if (digest is null || !_manifests.TryGetValue($"{name}@{digest}", out var manifest))
        {
            await ErrorAsync(context, 404, "MANIFEST_UNKNOWN");
            return;
        }

        var bytes = AlterManifests ? [.. manifest.Bytes, (byte)' '] : manifest.Bytes;
        var response = context.Response;
        response.StatusCode = 200;
        response.ContentType = manifest.MediaType;
        response.ContentLength = bytes.Length;
        response.Headers["Docker-Content-Digest"] = digest;
        response.Headers.ETag = $"\"{digest}\"";
        if (!HttpMethods.IsHead(context.Request.Method))
        {
            await response.Body.WriteAsync(bytes);
        }
    }

    private async Task PutManifestAsync(HttpContext context, string name, string reference)
    {
        var bytes = await ReadBodyAsync(context.Request);
        var digest = Digest(bytes);
        if (reference.StartsWith("sha256:", StringComparison.Ordinal) && reference != digest)
        {
            await ErrorAsync(context, 400, "DIGEST_INVALID");
            return;
        }

        string? subject = null;
        try
        {
            using var document = JsonDocument.Parse(bytes);
            if (document.RootElement.TryGetProperty("subject", out var subjectElement))
            {
                subject = subjectElement.GetProperty("digest").GetString();
            }
        }
        catch (JsonException)
        {
            await ErrorAsync(context, 400, "MANIFEST_INVALID");
            return;
        }

        if (!reference.StartsWith("sha256:", StringComparison.Ordinal))
        {
            var key = $"{name}:{reference}";
            var ifMatch = context.Request.Headers.IfMatch.ToString();
            var ifNoneMatch = context.Request.Headers.IfNoneMatch.ToString();
            bool refused;
            lock (_tagGate)
            {
                // Check and set as one step, as a registry's conditional update does.
                var exists = _tags.TryGetValue(key, out var current);
                refused = (ifMatch.Length > 0 && (!exists || ifMatch != $"\"{current}\"")) || (ifNoneMatch == "*" && exists);
                if (!refused)
                {
                    _tags[key] = digest;
                }
            }

            if (refused)
            {
                await ErrorAsync(context, 412, "PRECONDITION_FAILED");
                return;
            }
        }

        _manifests[$"{name}@{digest}"] = (bytes, context.Request.ContentType ?? "");
        context.Response.StatusCode = 201;
        context.Response.Headers.Location = $"/v2/{name}/manifests/{digest}";
        context.Response.Headers["Docker-Content-Digest"] = digest;
        if (subject is not null && ReferrersApi)
        {
            context.Response.Headers["OCI-Subject"] = subject;
        }
    }

    private async Task ReferrersAsync(HttpContext context, string name, string digest)
    {
        var filter = context.Request.Query["artifactType"].ToString();
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteNumber("schemaVersion", 2);
            writer.WriteString("mediaType", "application/vnd.oci.image.index.v1+json");
            writer.WriteStartArray("manifests");
            foreach (var (key, manifest) in _manifests.Where(m => m.Key.StartsWith(name + "@", StringComparison.Ordinal)).OrderBy(m => m.Key, StringComparer.Ordinal))
            {
                using var document = JsonDocument.Parse(manifest.Bytes);
                var root = document.RootElement;
                if (!root.TryGetProperty("subject", out var subject) || subject.GetProperty("digest").GetString() != digest)
                {
                    continue;
                }

                var artifactType = root.TryGetProperty("artifactType", out var type) ? type.GetString()
                    : root.GetProperty("config").GetProperty("mediaType").GetString();
                if (HonourArtifactTypeFilter && filter.Length > 0 && artifactType != filter)
                {
                    continue;
                }

                writer.WriteStartObject();
                writer.WriteString("mediaType", manifest.MediaType);
                writer.WriteString("digest", key[(name.Length + 1)..]);
                writer.WriteNumber("size", manifest.Bytes.Length);
                writer.WriteString("artifactType", artifactType);
                if (root.TryGetProperty("annotations", out var annotations))
                {
                    writer.WritePropertyName("annotations");
                    annotations.WriteTo(writer);
                }

                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        context.Response.StatusCode = 200;
        context.Response.ContentType = "application/vnd.oci.image.index.v1+json";
        if (HonourArtifactTypeFilter && filter.Length > 0)
        {
            context.Response.Headers["OCI-Filters-Applied"] = "artifactType";
        }

        await context.Response.Body.WriteAsync(buffer.ToArray());
    }

    private static async Task<byte[]> ReadBodyAsync(HttpRequest request)
    {
        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer);
        return buffer.ToArray();
    }

    private static async Task ErrorAsync(HttpContext context, int status, string code)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync($"{{\"errors\":[{{\"code\":\"{code}\",\"message\":\"{code.ToLowerInvariant().Replace('_', ' ')}\"}}]}}");
    }
}
