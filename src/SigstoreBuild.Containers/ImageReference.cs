using System.Text.RegularExpressions;
using SigstoreBuild.Diagnostics;

namespace SigstoreBuild.Containers;

/// <summary>
/// A container image reference, <c>registry/repository[:tag][@sha256:digest]</c>, normalised as docker does: no registry
/// means Docker Hub (<c>docker.io</c>), and a single-segment Docker Hub repository lives under <c>library/</c>.
/// </summary>
internal sealed partial record ImageReference
{
    public const string DockerHub = "docker.io";

    /// <summary>The host that serves Docker Hub's registry API.</summary>
    public const string DockerHubApiHost = "registry-1.docker.io";

    private const string Hint = "Write it as registry/repository[:tag][@sha256:<64 hex>], e.g. ghcr.io/owner/app:1.0 or 127.0.0.1:5000/app@sha256:...";

    public ImageReference(string registry, string repository, string? tag, string? digest)
    {
        Registry = registry;
        Repository = repository;
        Tag = tag;
        Digest = digest;
    }

    /// <summary>The registry as written (host[:port]), <c>docker.io</c> for Docker Hub.</summary>
    public string Registry { get; }

    public string Repository { get; }

    public string? Tag { get; }

    /// <summary><c>sha256:&lt;hex&gt;</c> when the reference pins a digest.</summary>
    public string? Digest { get; }

    /// <summary><c>registry/repository</c>: the in-toto subject name of the image.</summary>
    public string Name => $"{Registry}/{Repository}";

    /// <summary>What to ask the registry for: the digest when pinned, else the tag, else <c>latest</c>.</summary>
    public string Reference => Digest ?? Tag ?? "latest";

    /// <summary>The host to connect to (Docker Hub's API is not served at docker.io).</summary>
    public string ApiHost => ApiHostOf(Registry);

    public static string ApiHostOf(string registry) =>
        string.Equals(registry, DockerHub, StringComparison.Ordinal) ? DockerHubApiHost : registry;

    public ImageReference WithDigest(string digest) => new(Registry, Repository, Tag, digest);

    public override string ToString() =>
        $"{Registry}/{Repository}{(Tag is null ? "" : ":" + Tag)}{(Digest is null ? "" : "@" + Digest)}";

    public static ImageReference Parse(string reference)
    {
        ArgumentNullException.ThrowIfNull(reference);
        if (reference.Length is 0 or > 512 || reference.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)))
        {
            throw Invalid(reference, "it is empty, too long, or contains white space");
        }

        var rest = reference;
        string? digest = null;
        var at = rest.IndexOf('@', StringComparison.Ordinal);
        if (at >= 0)
        {
            digest = rest[(at + 1)..];
            rest = rest[..at];
            if (!IsDigest(digest))
            {
                throw Invalid(reference, "the digest must be sha256:<64 lowercase hex> (or sha512:<128 hex>)");
            }
        }

        string? tag = null;
        var lastSlash = rest.LastIndexOf('/');
        var colon = rest.LastIndexOf(':');
        if (colon > lastSlash)
        {
            tag = rest[(colon + 1)..];
            rest = rest[..colon];
            if (!TagPattern().IsMatch(tag))
            {
                throw Invalid(reference, $"'{tag}' is not a valid tag (letters, digits, '_', '.', '-', at most 128, not starting with '.' or '-')");
            }
        }

        string registry;
        string repository;
        var slash = rest.IndexOf('/', StringComparison.Ordinal);
        var first = slash < 0 ? rest : rest[..slash];
        if (slash >= 0 && (first.Contains('.', StringComparison.Ordinal) || first.Contains(':', StringComparison.Ordinal)
            || first == "localhost" || first.StartsWith('[')))
        {
            registry = first;
            repository = rest[(slash + 1)..];
            if (!HostPattern().IsMatch(registry))
            {
                throw Invalid(reference, $"'{registry}' is not a valid registry host[:port]");
            }
        }
        else
        {
            registry = DockerHub;
            repository = rest;
        }

        if (registry is "index.docker.io" or "registry-1.docker.io")
        {
            registry = DockerHub;
        }

        if (registry == DockerHub && !repository.Contains('/', StringComparison.Ordinal))
        {
            repository = "library/" + repository;
        }

        if (repository.Length is 0 or > 255 || !RepositoryPattern().IsMatch(repository))
        {
            throw Invalid(reference, $"'{repository}' is not a valid repository (lowercase letters, digits and separators '.', '_', '__', '-', in '/'-separated components)");
        }

        return new ImageReference(registry, repository, tag, digest);
    }

    public static bool TryParse(string reference, out ImageReference? result)
    {
        try
        {
            result = Parse(reference);
            return true;
        }
        catch (SigstoreException)
        {
            result = null;
            return false;
        }
    }

    /// <summary>True for <c>sha256:&lt;64 hex&gt;</c> or <c>sha512:&lt;128 hex&gt;</c>, lowercase.</summary>
    public static bool IsDigest(string value) => DigestPattern().IsMatch(value);

    /// <summary>True for a repository path as the distribution spec allows it (lowercase components separated by '/').</summary>
    public static bool IsRepository(string value) => value.Length is > 0 and <= 255 && RepositoryPattern().IsMatch(value);

    public static bool IsTag(string value) => TagPattern().IsMatch(value);

    private static SigstoreException Invalid(string reference, string why) =>
        new(ContainerCodes.InvalidReference, $"'{Shorten(reference)}' is not a valid image reference: {why}. {Hint}");

    private static string Shorten(string value) => value.Length <= 200 ? value : value[..200] + "...";

    [GeneratedRegex(@"\A(sha256:[0-9a-f]{64}|sha512:[0-9a-f]{128})\z", RegexOptions.CultureInvariant)]
    private static partial Regex DigestPattern();

    [GeneratedRegex(@"\A[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}\z", RegexOptions.CultureInvariant)]
    private static partial Regex TagPattern();

    [GeneratedRegex(@"\A([A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*|\[[0-9A-Fa-f:.]+\])(:[0-9]{1,5})?\z", RegexOptions.CultureInvariant)]
    private static partial Regex HostPattern();

    [GeneratedRegex(@"\A[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*\z", RegexOptions.CultureInvariant)]
    private static partial Regex RepositoryPattern();
}
