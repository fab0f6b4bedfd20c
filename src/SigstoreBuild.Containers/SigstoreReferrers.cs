using System.Globalization;
using System.Text.Json;
using SigstoreBuild.Containers.Oci;
using SigstoreBuild.Containers.Registry;
using SigstoreBuild.Diagnostics;

namespace SigstoreBuild.Containers;

/// <summary>
/// Sigstore bundles as OCI 1.1 referrers of an image, laid out as cosign and @sigstore/oci do: an image manifest whose
/// artifactType is the bundle media type, with the empty config, one layer (the bundle) and the image as subject.
/// Registries without the referrers API get the referrers tag schema (tag <c>sha256-&lt;hex&gt;</c> holding an index).
/// </summary>
internal static class SigstoreReferrers
{
    public const string BundleMediaType = "application/vnd.dev.sigstore.bundle.v0.3+json";
    public const string EmptyMediaType = OciMediaTypes.Empty;
    public const string EmptyDigest = "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a";
    public const string TitleAnnotation = "org.opencontainers.image.title";
    public const string CreatedAnnotation = "org.opencontainers.image.created";
    public const string ContentAnnotation = "dev.sigstore.bundle.content";
    public const string PredicateTypeAnnotation = "dev.sigstore.bundle.predicateType";

    /// <summary>Bundles are small: a referrer's bundle layer larger than this is refused.</summary>
    public const long MaxBundleBytes = 16 * 1024 * 1024;

    public static ReadOnlyMemory<byte> EmptyConfig { get; } = "{}"u8.ToArray();

    public static OciDescriptor EmptyDescriptor { get; } = new(EmptyMediaType, EmptyDigest, 2);

    /// <summary>
    /// True for the Sigstore bundle media types (v0.1 to v0.3, <c>application/vnd.dev.sigstore.bundle+json;version=0.1</c>
    /// or <c>application/vnd.dev.sigstore.bundle.v0.3+json</c>), with or without parameters.
    /// </summary>
    public static bool IsBundleMediaType(string? mediaType)
    {
        if (mediaType is null)
        {
            return false;
        }

        var semicolon = mediaType.IndexOf(';', StringComparison.Ordinal);
        var type = (semicolon >= 0 ? mediaType[..semicolon] : mediaType).Trim();
        return type is "application/vnd.dev.sigstore.bundle+json" or "application/vnd.dev.sigstore.bundle.v0.1+json"
            or "application/vnd.dev.sigstore.bundle.v0.2+json" or "application/vnd.dev.sigstore.bundle.v0.3+json";
    }

    /// <summary>The referrers tag schema's tag for a subject: <c>sha256-&lt;hex&gt;</c>.</summary>
    public static string FallbackTag(string subjectDigest)
    {
        if (!ImageReference.IsDigest(subjectDigest))
        {
            throw new ArgumentException($"'{subjectDigest}' is not a digest.", nameof(subjectDigest));
        }

        // The referrers tag schema: <alg>-<ref>, with <ref> the encoded digest truncated to 64 characters.
        var colon = subjectDigest.IndexOf(':', StringComparison.Ordinal);
        var encoded = subjectDigest[(colon + 1)..];
        return subjectDigest[..colon] + "-" + encoded[..Math.Min(64, encoded.Length)];
    }

    /// <summary>
    /// Attaches a bundle to <paramref name="subject"/>: pushes the bundle and the empty config, then the referrer manifest
    /// by digest, and when the registry did not index the subject itself, adds the referrer to the fallback tag's index.
    /// </summary>
    /// <param name="bundleJson">The bundle, exactly as it is to be stored.</param>
    /// <param name="annotations">Extra manifest annotations (they win over the ones computed here).</param>
    /// <param name="created">The creation time to record; now when null.</param>
    /// <returns>The referrer manifest's descriptor, with its artifact type and annotations (as the index lists it).</returns>
    public static async Task<OciDescriptor> AttachAsync(RegistryClient client, string repository, OciDescriptor subject, ReadOnlyMemory<byte> bundleJson,
        IReadOnlyDictionary<string, string>? annotations = null, DateTimeOffset? created = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(subject);
        if (bundleJson.Length > MaxBundleBytes)
        {
            throw new ArgumentException("The bundle is larger than 16 MiB.", nameof(bundleJson));
        }

        var bundle = await client.PushBlobAsync(repository, bundleJson, BundleMediaType, cancellationToken).ConfigureAwait(false);
        bundle = bundle with
        {
            Annotations = new Dictionary<string, string>(StringComparer.Ordinal) { [TitleAnnotation] = $"{bundle.Digest.Replace(':', '-')}.sigstore.json" },
        };
        await client.PushBlobAsync(repository, EmptyConfig, EmptyMediaType, cancellationToken).ConfigureAwait(false);

        var manifestAnnotations = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [CreatedAnnotation] = (created ?? DateTimeOffset.UtcNow).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
        };
        foreach (var (key, value) in BundleAnnotations(bundleJson))
        {
            manifestAnnotations[key] = value;
        }

        foreach (var (key, value) in annotations ?? new Dictionary<string, string>())
        {
            manifestAnnotations[key] = value;
        }

        var manifest = WriteReferrerManifest(bundle, new OciDescriptor(subject.MediaType, subject.Digest, subject.Size), manifestAnnotations);
        var pushed = await client.PushManifestAsync(repository, OciDescriptor.Sha256Digest(manifest), manifest, OciMediaTypes.ImageManifest,
            cancellationToken: cancellationToken).ConfigureAwait(false);
        var referrer = pushed.Descriptor with { ArtifactType = BundleMediaType, Annotations = manifestAnnotations };
        if (!pushed.SubjectProcessed)
        {
            await AddToFallbackTagAsync(client, repository, subject.Digest, referrer, cancellationToken).ConfigureAwait(false);
        }

        return referrer;
    }

    /// <summary>
    /// The Sigstore bundle referrers of an image: through the referrers API, or the fallback tag when the registry has
    /// none. Filtered here by artifact type too (registries may ignore the filter).
    /// </summary>
    public static async Task<IReadOnlyList<OciDescriptor>> ListBundlesAsync(RegistryClient client, string repository, string subjectDigest,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        var referrers = await client.GetReferrersAsync(repository, subjectDigest, BundleMediaType, cancellationToken).ConfigureAwait(false);
        if (referrers is null)
        {
            var tag = FallbackTag(subjectDigest);
            var index = await client.TryGetManifestAsync(repository, tag, cancellationToken).ConfigureAwait(false);
            referrers = index is null ? [] : ReadFallbackIndex(index, client.Registry, repository, tag);
        }

        return [.. referrers.Where(r => IsBundleMediaType(r.ArtifactType)).DistinctBy(r => r.Digest)];
    }

    /// <summary>
    /// The bundle a referrer holds: the referrer manifest (by digest) must be an OCI image manifest of
    /// <paramref name="subjectDigest"/> with exactly one Sigstore bundle layer; the layer is fetched and digest-checked.
    /// </summary>
    public static async Task<byte[]> ReadBundleAsync(RegistryClient client, string repository, string subjectDigest, OciDescriptor referrer,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(referrer);
        if (referrer.Size > RegistryClient.MaxManifestBytes)
        {
            throw Malformed(client, repository, referrer, "it is larger than 4 MiB");
        }

        var manifest = await client.GetManifestAsync(repository, referrer.Digest, cancellationToken).ConfigureAwait(false);
        OciDescriptor layer;
        using (var document = manifest.Parse())
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || manifest.Descriptor.MediaType != OciMediaTypes.ImageManifest)
            {
                throw Malformed(client, repository, referrer, $"it is a {manifest.Descriptor.MediaType}, not an OCI image manifest");
            }

            try
            {
                var subject = root.TryGetProperty("subject", out var subjectElement) ? OciDescriptor.Read(subjectElement) : null;
                if (subject is null || subject.Digest != subjectDigest)
                {
                    throw Malformed(client, repository, referrer, $"its subject is {subject?.Digest ?? "missing"}, not the image {subjectDigest}");
                }

                if (!root.TryGetProperty("layers", out var layers) || layers.ValueKind != JsonValueKind.Array || layers.GetArrayLength() != 1)
                {
                    throw Malformed(client, repository, referrer, "it does not have exactly one layer");
                }

                layer = OciDescriptor.Read(layers[0]);
            }
            catch (FormatException ex)
            {
                throw Malformed(client, repository, referrer, ex.Message);
            }

            if (!IsBundleMediaType(layer.MediaType))
            {
                throw Malformed(client, repository, referrer, $"its layer is a {layer.MediaType}, not a Sigstore bundle");
            }

            var artifactType = OciDescriptor.OptionalString(root, "artifactType")
                ?? (root.TryGetProperty("config", out var config) && config.ValueKind == JsonValueKind.Object ? OciDescriptor.OptionalString(config, "mediaType") : null);
            if (!IsBundleMediaType(artifactType))
            {
                throw Malformed(client, repository, referrer, $"its artifact type is {artifactType ?? "missing"}, not a Sigstore bundle");
            }
        }

        if (layer.Size > MaxBundleBytes)
        {
            throw Malformed(client, repository, referrer, $"its bundle layer is {layer.Size} bytes, more than 16 MiB");
        }

        return await client.GetBlobAsync(repository, layer, MaxBundleBytes, cancellationToken).ConfigureAwait(false);
    }

    internal static byte[] WriteReferrerManifest(OciDescriptor bundleLayer, OciDescriptor subject, IReadOnlyDictionary<string, string> annotations)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, OciDescriptor.WriterOptions))
        {
            writer.WriteStartObject();
            writer.WriteNumber("schemaVersion", 2);
            writer.WriteString("mediaType", OciMediaTypes.ImageManifest);
            writer.WriteString("artifactType", BundleMediaType);
            writer.WritePropertyName("config");
            EmptyDescriptor.WriteTo(writer);
            writer.WriteStartArray("layers");
            bundleLayer.WriteTo(writer);
            writer.WriteEndArray();
            writer.WritePropertyName("subject");
            subject.WriteTo(writer);
            OciDescriptor.WriteAnnotations(writer, annotations);
            writer.WriteEndObject();
        }

        return buffer.ToArray();
    }

    internal static byte[] WriteIndex(IEnumerable<OciDescriptor> manifests)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, OciDescriptor.WriterOptions))
        {
            writer.WriteStartObject();
            writer.WriteNumber("schemaVersion", 2);
            writer.WriteString("mediaType", OciMediaTypes.ImageIndex);
            writer.WriteStartArray("manifests");
            foreach (var manifest in manifests)
            {
                manifest.WriteTo(writer);
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        return buffer.ToArray();
    }

    /// <summary>What the bundle says about itself, for the annotations: a DSSE envelope (and its predicate type) or a message signature.</summary>
    private static Dictionary<string, string> BundleAnnotations(ReadOnlyMemory<byte> bundleJson)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        try
        {
            using var document = JsonDocument.Parse(bundleJson, new JsonDocumentOptions { MaxDepth = 64 });
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new ArgumentException("The bundle is not a JSON object.", nameof(bundleJson));
            }

            if (root.TryGetProperty("dsseEnvelope", out var envelope) && envelope.ValueKind == JsonValueKind.Object)
            {
                result[ContentAnnotation] = "dsse-envelope";
                if (PredicateType(envelope) is { } predicateType)
                {
                    result[PredicateTypeAnnotation] = predicateType;
                }
            }
            else if (root.TryGetProperty("messageSignature", out var signature) && signature.ValueKind == JsonValueKind.Object)
            {
                result[ContentAnnotation] = "message-signature";
            }
            else
            {
                throw new ArgumentException("The bundle has neither a dsseEnvelope nor a messageSignature.", nameof(bundleJson));
            }
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            throw new ArgumentException("The bundle is not valid JSON.", nameof(bundleJson), ex);
        }

        return result;
    }

    private static string? PredicateType(JsonElement envelope)
    {
        if (OciDescriptor.OptionalString(envelope, "payloadType") != "application/vnd.in-toto+json"
            || OciDescriptor.OptionalString(envelope, "payload") is not { } payload)
        {
            return null;
        }

        try
        {
            using var statement = JsonDocument.Parse(Convert.FromBase64String(payload), new JsonDocumentOptions { MaxDepth = 64 });
            return statement.RootElement.ValueKind == JsonValueKind.Object ? OciDescriptor.OptionalString(statement.RootElement, "predicateType") : null;
        }
        catch (Exception ex) when (ex is FormatException or JsonException or InvalidOperationException)
        {
            return null;
        }
    }

    private const int MaxFallbackAttempts = 8;

    private static async Task AddToFallbackTagAsync(RegistryClient client, string repository, string subjectDigest, OciDescriptor referrer,
        CancellationToken cancellationToken)
    {
        // Read, add, write back only if nobody wrote in between (If-Match, or If-None-Match for a new tag); a lost race is
        // read again, so that two publishers attaching at once both end up in the index.
        var tag = FallbackTag(subjectDigest);
        for (var attempt = 1; ; attempt++)
        {
            var existing = await client.TryGetManifestAsync(repository, tag, cancellationToken).ConfigureAwait(false);
            var manifests = existing is null ? [] : ReadFallbackIndex(existing, client.Registry, repository, tag);
            if (manifests.Any(m => m.Digest == referrer.Digest))
            {
                return;
            }

            manifests.Add(referrer);
            try
            {
                await client.PushManifestAsync(repository, tag, WriteIndex(manifests), OciMediaTypes.ImageIndex, existing?.ETag, cancellationToken,
                    createOnly: existing is null).ConfigureAwait(false);
                return;
            }
            catch (ConcurrentUpdateException) when (attempt < MaxFallbackAttempts)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(50 * attempt + Random.Shared.Next(50)), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private static List<OciDescriptor> ReadFallbackIndex(OciManifest index, string registry, string repository, string tag)
    {
        if (index.Descriptor.MediaType != OciMediaTypes.ImageIndex)
        {
            throw new SigstoreException(ContainerCodes.RegistryResponseInvalid,
                $"The referrers tag {registry}/{repository}:{tag} holds a {index.Descriptor.MediaType}, not an OCI image index; something else uses the tag.");
        }

        return RegistryClient.ReadIndexManifests(index.Bytes, $"the referrers tag index of {registry}/{repository}");
    }

    private static SigstoreException Malformed(RegistryClient client, string repository, OciDescriptor referrer, string why) =>
        new(ContainerCodes.ReferrerMalformed, $"The referrer {client.Registry}/{repository}@{referrer.Digest} does not hold a Sigstore bundle for this image: {why}. It is ignored; re-attach the bundle if it is yours.");
}
