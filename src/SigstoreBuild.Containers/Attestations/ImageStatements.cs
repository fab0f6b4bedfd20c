using System.Text.Json.Nodes;
using SigstoreBuild.Attestations;

namespace SigstoreBuild.Containers.Attestations;

/// <summary>What the build knows about an image beyond its digest: where it went, what it was built on, what it added.</summary>
internal sealed record ImageBuildDetails
{
    /// <summary>The registry the image was pushed to; empty for an archive.</summary>
    public string? Registry { get; init; }

    public required string Repository { get; init; }

    public IReadOnlyList<string> Tags { get; init; } = [];

    /// <summary>The manifest's media type (an image manifest or an index).</summary>
    public required string MediaType { get; init; }

    public string? RuntimeIdentifier { get; init; }

    /// <summary>The base image as the build named it (registry/repository:tag), and the manifest digest it resolved to.</summary>
    public string? BaseImage { get; init; }

    public string? BaseImageDigest { get; init; }

    /// <summary>The layers this build put on top of the base image, in manifest order.</summary>
    public IReadOnlyList<ImageLayer> AddedLayers { get; init; } = [];

    /// <summary>For an index: the platform manifests it lists.</summary>
    public IReadOnlyList<ImageLayer> PlatformManifests { get; init; } = [];
}

/// <summary>A layer (or a platform manifest of an index): media type, sha256 digest (sha256:hex) and size.</summary>
internal sealed record ImageLayer(string MediaType, string Digest, long Size, string? Platform = null);

/// <summary>
/// The in-toto statement for a container image: one subject, named <c>registry/repository</c> (no tag, as cosign and
/// GitHub's attest action name images) with the manifest's sha256, and SLSA v1 provenance that also says what the image
/// was built on (a resolved dependency: <c>oci://</c> base reference and digest) and what the build added (byproducts).
/// </summary>
internal static class ImageStatements
{
    public const string SlsaProvenanceV1 = "https://slsa.dev/provenance/v1";

    public static string SubjectName(string? registry, string repository) =>
        string.IsNullOrEmpty(registry) ? repository : $"{registry}/{repository}";

    public static InTotoStatement ForImage(string manifestDigest, ImageBuildDetails details, JsonObject predicate)
    {
        ArgumentNullException.ThrowIfNull(details);
        ArgumentNullException.ThrowIfNull(predicate);
        var hex = Sha256Hex(manifestDigest);
        var subject = new InTotoSubject(SubjectName(details.Registry, details.Repository), new Dictionary<string, string> { ["sha256"] = hex });
        return new InTotoStatement([subject], SlsaProvenanceV1, AddImageDetails((JsonObject)predicate.DeepClone(), details));
    }

    private static JsonObject AddImageDetails(JsonObject predicate, ImageBuildDetails details)
    {
        var buildDefinition = predicate["buildDefinition"] as JsonObject ?? new JsonObject();
        predicate["buildDefinition"] = buildDefinition;
        var external = buildDefinition["externalParameters"] as JsonObject ?? new JsonObject();
        buildDefinition["externalParameters"] = external;

        var container = new JsonObject();
        if (!string.IsNullOrEmpty(details.Registry))
        {
            container["registry"] = details.Registry;
        }

        container["repository"] = details.Repository;
        if (details.Tags.Count > 0)
        {
            container["tags"] = new JsonArray(details.Tags.Select(t => (JsonNode?)JsonValue.Create(t)).ToArray());
        }

        if (!string.IsNullOrEmpty(details.RuntimeIdentifier))
        {
            container["runtimeIdentifier"] = details.RuntimeIdentifier;
        }

        if (!string.IsNullOrEmpty(details.BaseImage))
        {
            container["baseImage"] = details.BaseImage;
        }

        external["container"] = container;

        if (!string.IsNullOrEmpty(details.BaseImage) && details.BaseImageDigest is { } baseDigest)
        {
            var dependencies = buildDefinition["resolvedDependencies"] as JsonArray ?? new JsonArray();
            buildDefinition["resolvedDependencies"] = dependencies;
            dependencies.Insert(0, (JsonNode)new JsonObject
            {
                ["name"] = "base-image",
                ["uri"] = "oci://" + details.BaseImage,
                ["digest"] = new JsonObject { ["sha256"] = Sha256Hex(baseDigest) },
            });
        }

        var outputs = details.AddedLayers.Select(l => Descriptor("layer", l))
            .Concat(details.PlatformManifests.Select(m => Descriptor("platform-manifest", m)))
            .ToArray();
        if (outputs.Length > 0)
        {
            var runDetails = predicate["runDetails"] as JsonObject ?? new JsonObject();
            predicate["runDetails"] = runDetails;
            var byproducts = runDetails["byproducts"] as JsonArray ?? new JsonArray();
            runDetails["byproducts"] = byproducts;
            foreach (var output in outputs)
            {
                byproducts.Add((JsonNode)output);
            }
        }

        return predicate;
    }

    private static JsonObject Descriptor(string name, ImageLayer layer)
    {
        var descriptor = new JsonObject
        {
            ["name"] = layer.Platform is null ? name : $"{name}:{layer.Platform}",
            ["digest"] = new JsonObject { ["sha256"] = Sha256Hex(layer.Digest) },
            ["mediaType"] = layer.MediaType,
            ["annotations"] = new JsonObject { ["size"] = layer.Size },
        };
        return descriptor;
    }

    /// <summary>The lower-case hex of a <c>sha256:&lt;hex&gt;</c> digest; anything else is a caller bug.</summary>
    internal static string Sha256Hex(string digest)
    {
        const string Prefix = "sha256:";
        if (!digest.StartsWith(Prefix, StringComparison.Ordinal) || digest.Length != Prefix.Length + 64
            || !digest.AsSpan(Prefix.Length).ContainsOnlyHexLowerCase())
        {
            throw new ArgumentException($"'{digest}' is not a sha256 digest (sha256:<64 lower-case hex digits>).", nameof(digest));
        }

        return digest[Prefix.Length..];
    }
}

file static class HexSpan
{
    public static bool ContainsOnlyHexLowerCase(this ReadOnlySpan<char> span)
    {
        foreach (var c in span)
        {
            if (!char.IsAsciiHexDigitLower(c) && !char.IsAsciiDigit(c))
            {
                return false;
            }
        }

        return true;
    }
}
