using System.Security.Cryptography;
using System.Text.Json;
using SigstoreBuild.Diagnostics;

namespace SigstoreBuild.Containers.Oci;

/// <summary>An OCI content descriptor: what a manifest says about a blob or another manifest.</summary>
internal sealed record OciDescriptor(
    string MediaType,
    string Digest,
    long Size,
    string? ArtifactType = null,
    IReadOnlyDictionary<string, string>? Annotations = null)
{
    /// <summary>The descriptor of <paramref name="content"/>: its sha256 digest and length.</summary>
    public static OciDescriptor Of(string mediaType, ReadOnlySpan<byte> content) =>
        new(mediaType, Sha256Digest(content), content.Length);

    public static string Sha256Digest(ReadOnlySpan<byte> content) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(content));

    /// <summary>True when <paramref name="content"/> hashes to <paramref name="digest"/> (sha256 or sha512).</summary>
    public static bool Matches(string digest, ReadOnlySpan<byte> content)
    {
        if (digest.StartsWith("sha256:", StringComparison.Ordinal))
        {
            return string.Equals(digest, Sha256Digest(content), StringComparison.Ordinal);
        }

        return digest.StartsWith("sha512:", StringComparison.Ordinal)
            && string.Equals(digest, "sha512:" + Convert.ToHexStringLower(SHA512.HashData(content)), StringComparison.Ordinal);
    }

    /// <summary>
    /// Compact, and '+' in media types written as is: the default encoder's \u002B is valid JSON but not what other
    /// clients write, and the bytes are hashed.
    /// </summary>
    public static JsonWriterOptions WriterOptions { get; } = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Writes the descriptor as OCI JSON; annotations sorted by key so the output is deterministic.</summary>
    public void WriteTo(Utf8JsonWriter writer)
    {
        writer.WriteStartObject();
        writer.WriteString("mediaType", MediaType);
        writer.WriteString("digest", Digest);
        writer.WriteNumber("size", Size);
        if (ArtifactType is not null)
        {
            writer.WriteString("artifactType", ArtifactType);
        }

        WriteAnnotations(writer, Annotations);
        writer.WriteEndObject();
    }

    internal static void WriteAnnotations(Utf8JsonWriter writer, IReadOnlyDictionary<string, string>? annotations)
    {
        if (annotations is { Count: > 0 })
        {
            writer.WriteStartObject("annotations");
            foreach (var (key, value) in annotations.OrderBy(a => a.Key, StringComparer.Ordinal))
            {
                writer.WriteString(key, value);
            }

            writer.WriteEndObject();
        }
    }

    /// <summary>Reads a descriptor object; throws <see cref="FormatException"/> when a required member is missing or invalid.</summary>
    public static OciDescriptor Read(JsonElement element)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw new FormatException("a descriptor is not a JSON object");
        }

        var mediaType = OptionalString(element, "mediaType") ?? throw new FormatException("a descriptor has no mediaType");
        var digest = OptionalString(element, "digest") ?? throw new FormatException("a descriptor has no digest");
        if (!ImageReference.IsDigest(digest))
        {
            throw new FormatException("a descriptor's digest is not sha256:<64 hex> or sha512:<128 hex>");
        }

        if (!element.TryGetProperty("size", out var sizeElement) || sizeElement.ValueKind != JsonValueKind.Number
            || !sizeElement.TryGetInt64(out var size) || size < 0)
        {
            throw new FormatException("a descriptor has no valid size");
        }

        return new OciDescriptor(mediaType, digest, size, OptionalString(element, "artifactType"), ReadAnnotations(element));
    }

    internal static Dictionary<string, string>? ReadAnnotations(JsonElement element)
    {
        if (!element.TryGetProperty("annotations", out var annotations) || annotations.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (annotations.ValueKind != JsonValueKind.Object)
        {
            throw new FormatException("annotations is not a JSON object");
        }

        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var property in annotations.EnumerateObject())
        {
            if (property.Value.ValueKind != JsonValueKind.String)
            {
                throw new FormatException("an annotation value is not a string");
            }

            result[property.Name] = property.Value.GetString()!;
        }

        return result;
    }

    internal static string? OptionalString(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    /// <summary>True when both describe the same content, whatever the annotations.</summary>
    public bool SameContent(OciDescriptor other) =>
        string.Equals(Digest, other.Digest, StringComparison.Ordinal) && Size == other.Size;
}

/// <summary>A manifest as the registry served it: its descriptor and the exact bytes (the digest covers them).</summary>
internal sealed record OciManifest(OciDescriptor Descriptor, ReadOnlyMemory<byte> Bytes)
{
    /// <summary>The registry's ETag for it, when given (for a conditional update of a tag).</summary>
    public string? ETag { get; init; }

    /// <summary>Parses the bytes; the caller disposes the document.</summary>
    public JsonDocument Parse()
    {
        try
        {
            return JsonDocument.Parse(Bytes, new JsonDocumentOptions { MaxDepth = 32 });
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            throw new SigstoreException(ContainerCodes.RegistryResponseInvalid, $"The manifest {Descriptor.Digest} is not valid JSON: {ex.Message}", ex);
        }
    }
}

/// <summary>What the registry said about a pushed manifest.</summary>
/// <param name="Descriptor">The manifest's descriptor (its digest is what was pushed).</param>
/// <param name="SubjectProcessed">True when the registry answered with <c>OCI-Subject</c>: it indexed the subject for the referrers API.</param>
internal sealed record PushManifestResult(OciDescriptor Descriptor, bool SubjectProcessed);

/// <summary>Media types of the OCI image spec and the Docker v2 manifests a registry may serve for an image.</summary>
internal static class OciMediaTypes
{
    public const string ImageManifest = "application/vnd.oci.image.manifest.v1+json";
    public const string ImageIndex = "application/vnd.oci.image.index.v1+json";
    public const string ImageConfig = "application/vnd.oci.image.config.v1+json";
    public const string ImageLayerGzip = "application/vnd.oci.image.layer.v1.tar+gzip";
    public const string Empty = "application/vnd.oci.empty.v1+json";
    public const string DockerManifest = "application/vnd.docker.distribution.manifest.v2+json";
    public const string DockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json";

    /// <summary>The manifest media types this client accepts.</summary>
    public static readonly IReadOnlyList<string> Manifests = [ImageManifest, ImageIndex, DockerManifest, DockerManifestList];

    public static bool IsIndex(string mediaType) => mediaType is ImageIndex or DockerManifestList;
}
