using SigstoreBuild.Containers.Attestations;
using SigstoreBuild.Diagnostics;

namespace SigstoreBuild.Containers;

/// <summary>The base image's digest and the layers a build added on top of it.</summary>
internal sealed record BaseImageResolution(string? Digest, IReadOnlyList<ImageLayer> AddedLayers, string? Warning);

internal static class BaseImages
{
    /// <summary>
    /// Reads the base image's manifest (the platform manifest, when the base is a multi-platform index) and returns the
    /// image's layers that are not the base's. When the base cannot be read, every layer is listed and the warning says why.
    /// </summary>
    public static BaseImageResolution Resolve(ImageRegistries registries, string? baseImage, string? baseDigest, string? platform, ImageManifest image, CancellationToken cancellationToken)
    {
        if (baseImage is null)
        {
            return new BaseImageResolution(null, image.Layers, null);
        }

        try
        {
            var reference = ImageReference.Parse(baseImage);
            using var client = registries.Open(reference.Registry, push: false);
            var top = client.GetManifestAsync(reference.Repository, baseDigest ?? reference.Digest ?? reference.Tag ?? "latest", cancellationToken).GetAwaiter().GetResult();
            var parsed = ImageManifest.Parse(top.Bytes.Span, top.Descriptor.MediaType);
            if (parsed.IsIndex)
            {
                var match = parsed.Manifests.FirstOrDefault(m => m.Platform == platform)
                    ?? throw new SigstoreException(ContainerCodes.ManifestNotFound, $"the base index lists no manifest for {platform ?? "this platform"}");
                var platformManifest = client.GetManifestAsync(reference.Repository, match.Digest, cancellationToken).GetAwaiter().GetResult();
                parsed = ImageManifest.Parse(platformManifest.Bytes.Span, platformManifest.Descriptor.MediaType);
            }

            // The image starts with the base's layers; if it does not, this is not the base it was built on (a tag
            // that moved since the build), and claiming its digest would be wrong.
            if (parsed.Layers.Count > image.Layers.Count
                || !parsed.Layers.Select(l => l.Digest).SequenceEqual(image.Layers.Take(parsed.Layers.Count).Select(l => l.Digest), StringComparer.Ordinal))
            {
                return new BaseImageResolution(null, image.Layers,
                    $"The base image '{baseImage}' ({top.Descriptor.Digest}) does not have the layers the image starts with (did its tag move since the build?), so the provenance names no base digest and lists every layer. Pin the base by digest (ContainerBaseImage=...@sha256:...).");
            }

            return new BaseImageResolution(top.Descriptor.Digest, image.Layers.Skip(parsed.Layers.Count).ToList(), null);
        }
        catch (SigstoreException ex)
        {
            return new BaseImageResolution(baseDigest, image.Layers,
                $"The base image '{baseImage}' could not be read ({ex.Code}: {ex.Message}), so the provenance lists every layer of the image, the base's included. Check the registry credentials for the base image.");
        }
    }
}
