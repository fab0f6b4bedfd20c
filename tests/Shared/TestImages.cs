using System.Formats.Tar;
using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;

namespace SigstoreBuild.Tests.Shared;

/// <summary>An image or index pushed by <see cref="TestImages"/>.</summary>
internal sealed record PushedImage(string Repository, string Tag, string Digest, byte[] Manifest, string MediaType)
{
    public long Size => Manifest.Length;
}

/// <summary>
/// Builds minimal images and pushes them with plain HttpClient calls against the distribution API: independent of the
/// client under test, so a test can use them as ground truth.
/// </summary>
internal static class TestImages
{
    public const string ManifestMediaType = "application/vnd.oci.image.manifest.v1+json";
    public const string IndexMediaType = "application/vnd.oci.image.index.v1+json";

    public static string Digest(byte[] content) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(content));

    /// <summary>Pushes a one-layer linux image; <paramref name="content"/> goes into the layer so images differ.</summary>
    public static async Task<PushedImage> PushImageAsync(Uri registry, string repository, string tag, string architecture = "amd64", string content = "hello")
    {
        using var http = new HttpClient { BaseAddress = registry };
        var (layer, diffId) = Layer($"{content} {architecture}");
        var config = Encoding.UTF8.GetBytes(
            $$$"""{"architecture":"{{{architecture}}}","os":"linux","config":{"Cmd":["/hello"]},"rootfs":{"type":"layers","diff_ids":["{{{diffId}}}"]}}""");
        await PushBlobAsync(http, repository, config);
        await PushBlobAsync(http, repository, layer);
        var manifest = Encoding.UTF8.GetBytes(
            $$$"""{"schemaVersion":2,"mediaType":"{{{ManifestMediaType}}}","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{{{Digest(config)}}}","size":{{{config.Length}}}},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"{{{Digest(layer)}}}","size":{{{layer.Length}}}}]}""");
        await PushManifestAsync(http, repository, tag, manifest, ManifestMediaType);
        return new PushedImage(repository, tag, Digest(manifest), manifest, ManifestMediaType);
    }

    /// <summary>Pushes an amd64 and an arm64 image and a multi-arch index of both under <paramref name="tag"/>.</summary>
    public static async Task<(PushedImage Index, PushedImage Amd64, PushedImage Arm64)> PushIndexAsync(Uri registry, string repository, string tag, string content = "hello")
    {
        var amd64 = await PushImageAsync(registry, repository, tag + "-amd64", "amd64", content);
        var arm64 = await PushImageAsync(registry, repository, tag + "-arm64", "arm64", content);
        var index = Encoding.UTF8.GetBytes(
            $$$"""{"schemaVersion":2,"mediaType":"{{{IndexMediaType}}}","manifests":[{"mediaType":"{{{ManifestMediaType}}}","digest":"{{{amd64.Digest}}}","size":{{{amd64.Size}}},"platform":{"architecture":"amd64","os":"linux"}},{"mediaType":"{{{ManifestMediaType}}}","digest":"{{{arm64.Digest}}}","size":{{{arm64.Size}}},"platform":{"architecture":"arm64","os":"linux"}}]}""");
        using var http = new HttpClient { BaseAddress = registry };
        await PushManifestAsync(http, repository, tag, index, IndexMediaType);
        return (new PushedImage(repository, tag, Digest(index), index, IndexMediaType), amd64, arm64);
    }

    /// <summary>A manifest as the registry serves it (raw GET), with its Content-Type; null on 404.</summary>
    public static async Task<(byte[] Bytes, string? MediaType)?> GetManifestAsync(Uri registry, string repository, string reference)
    {
        using var http = new HttpClient { BaseAddress = registry };
        using var request = new HttpRequestMessage(HttpMethod.Get, $"v2/{repository}/manifests/{reference}");
        request.Headers.Accept.ParseAdd(ManifestMediaType);
        request.Headers.Accept.ParseAdd(IndexMediaType);
        using var response = await http.SendAsync(request);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadAsByteArrayAsync(), response.Content.Headers.ContentType?.MediaType);
    }

    private static (byte[] Gzip, string DiffId) Layer(string text)
    {
        using var tar = new MemoryStream();
        using (var writer = new TarWriter(tar, TarEntryFormat.Pax, leaveOpen: true))
        {
            foreach (var (name, body) in new[] { ("hello", text), ("etc/motd", "a test image\n") })
            {
                var entry = new PaxTarEntry(TarEntryType.RegularFile, name)
                {
                    DataStream = new MemoryStream(Encoding.UTF8.GetBytes(body)),
                    ModificationTime = new DateTimeOffset(2024, 1, 1, 0, 0, 0, TimeSpan.Zero),
                    Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.OtherRead,
                };
                writer.WriteEntry(entry);
            }
        }

        var raw = tar.ToArray();
        using var gzip = new MemoryStream();
        using (var compressor = new GZipStream(gzip, CompressionLevel.Optimal, leaveOpen: true))
        {
            compressor.Write(raw);
        }

        return (gzip.ToArray(), Digest(raw));
    }

    private static async Task PushBlobAsync(HttpClient http, string repository, byte[] blob)
    {
        using var start = await http.PostAsync($"v2/{repository}/blobs/uploads/", new ByteArrayContent([]));
        Assert.AreEqual(HttpStatusCode.Accepted, start.StatusCode, $"starting an upload to {repository}");
        var location = start.Headers.Location!;
        var target = location.IsAbsoluteUri ? location : new Uri(http.BaseAddress!, location);
        var separator = string.IsNullOrEmpty(target.Query) ? "?" : "&";
        using var content = new ByteArrayContent(blob);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        using var put = await http.PutAsync(new Uri(target + separator + "digest=" + Uri.EscapeDataString(Digest(blob))), content);
        Assert.AreEqual(HttpStatusCode.Created, put.StatusCode, $"uploading a blob to {repository}: {await put.Content.ReadAsStringAsync()}");
    }

    private static async Task PushManifestAsync(HttpClient http, string repository, string tag, byte[] manifest, string mediaType)
    {
        using var content = new ByteArrayContent(manifest);
        content.Headers.ContentType = new MediaTypeHeaderValue(mediaType);
        using var put = await http.PutAsync($"v2/{repository}/manifests/{tag}", content);
        Assert.AreEqual(HttpStatusCode.Created, put.StatusCode, $"pushing {repository}:{tag}: {await put.Content.ReadAsStringAsync()}");
    }
}
