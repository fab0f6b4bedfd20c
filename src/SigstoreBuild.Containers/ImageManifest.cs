using System.Text.Json;
using SigstoreBuild.Containers.Attestations;
using SigstoreBuild.Containers.Oci;
using SigstoreBuild.Containers.Registry;
using SigstoreBuild.Diagnostics;

namespace SigstoreBuild.Containers;

/// <summary>
/// The parts of an image manifest or index that signing and provenance need: media type, config, layers, and for an
/// index its platform manifests. Read from bytes the build produced or the registry served; never trusted beyond that.
/// </summary>
internal sealed record ImageManifest(string Digest, string MediaType, ImageLayer? Config, IReadOnlyList<ImageLayer> Layers, IReadOnlyList<ImageLayer> Manifests)
{
    /// <summary>Largest manifest read: the registry client's limit.</summary>
    public const long MaxBytes = RegistryClient.MaxManifestBytes;

    public bool IsIndex => OciMediaTypes.IsIndex(MediaType);

    public static string DigestOf(ReadOnlySpan<byte> content) => OciDescriptor.Sha256Digest(content);

    /// <summary>Parses <paramref name="content"/>; <paramref name="mediaType"/> is the registry's Content-Type, used when the document has none.</summary>
    public static ImageManifest Parse(ReadOnlySpan<byte> content, string? mediaType = null)
    {
        if (content.Length > MaxBytes)
        {
            throw new SigstoreException(ContainerCodes.RegistryResponseInvalid, $"The manifest is {content.Length} bytes, more than the {MaxBytes} allowed.");
        }

        try
        {
            using var document = JsonDocument.Parse(content.ToArray(), new JsonDocumentOptions { MaxDepth = 32 });
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw Invalid("it is not a JSON object");
            }

            var type = root.TryGetProperty("mediaType", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString()! : mediaType ?? "";
            if (!OciMediaTypes.Manifests.Contains(type))
            {
                // OCI allows mediaType to be absent: an index has "manifests", an image manifest has "config".
                type = root.TryGetProperty("manifests", out _) ? OciMediaTypes.ImageIndex : root.TryGetProperty("config", out _) ? OciMediaTypes.ImageManifest : throw Invalid($"its media type '{type}' is not an image manifest or index");
            }

            var config = root.TryGetProperty("config", out var c) ? Descriptor(c) : null;
            var layers = root.TryGetProperty("layers", out var l) && l.ValueKind == JsonValueKind.Array ? l.EnumerateArray().Select(Descriptor).ToList() : [];
            var manifests = root.TryGetProperty("manifests", out var ms) && ms.ValueKind == JsonValueKind.Array ? ms.EnumerateArray().Select(Descriptor).ToList() : [];
            return new ImageManifest(DigestOf(content), type, config, layers, manifests);
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            // InvalidOperationException: a string that is not valid UTF-8 (found by the oci fuzz target).
            throw Invalid($"it is not valid JSON ({ex.Message})");
        }
    }

    private static ImageLayer Descriptor(JsonElement element)
    {
        // One reader of descriptors: the registry client's, which also checks the digest's form (it ends up in URLs).
        OciDescriptor descriptor;
        try
        {
            descriptor = OciDescriptor.Read(element);
        }
        catch (FormatException ex)
        {
            throw Invalid(ex.Message);
        }

        string? platform = null;
        if (element.TryGetProperty("platform", out var p) && p.ValueKind == JsonValueKind.Object)
        {
            var os = p.TryGetProperty("os", out var o) ? o.GetString() : null;
            var arch = p.TryGetProperty("architecture", out var a) ? a.GetString() : null;
            var variant = p.TryGetProperty("variant", out var v) ? v.GetString() : null;
            platform = variant is null ? $"{os}/{arch}" : $"{os}/{arch}/{variant}";
        }

        return new ImageLayer(descriptor.MediaType, descriptor.Digest, descriptor.Size, platform);
    }

    private static SigstoreException Invalid(string why) =>
        new(ContainerCodes.RegistryResponseInvalid, $"The image manifest cannot be read: {why}.");
}

/// <summary>The platform (os/architecture[/variant]) and base-image labels of an image configuration.</summary>
internal sealed record ImageConfig(string? Platform, string? BaseName, string? BaseDigest)
{
    public static ImageConfig Parse(string? json)
    {
        if (string.IsNullOrWhiteSpace(json))
        {
            return new ImageConfig(null, null, null);
        }

        try
        {
            using var document = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 64 });
            var root = document.RootElement;
            string? Text(JsonElement e, string name) => e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
            var os = Text(root, "os");
            var arch = Text(root, "architecture");
            var variant = Text(root, "variant");
            var platform = os is null || arch is null ? null : variant is null ? $"{os}/{arch}" : $"{os}/{arch}/{variant}";
            JsonElement labels = default;
            var hasLabels = root.TryGetProperty("config", out var config) && config.ValueKind == JsonValueKind.Object
                && config.TryGetProperty("Labels", out labels) && labels.ValueKind == JsonValueKind.Object;
            return new ImageConfig(
                platform,
                hasLabels ? Text(labels, "org.opencontainers.image.base.name") : null,
                hasLabels ? Text(labels, "org.opencontainers.image.base.digest") : null);
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or ArgumentException)
        {
            // ArgumentException: a lone surrogate in the string, which has no UTF-8 form.
            return new ImageConfig(null, null, null);
        }
    }
}
