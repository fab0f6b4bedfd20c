using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Xml.Linq;
using SigstoreBuild.Diagnostics;
using SigstoreBuild.IO;

namespace SigstoreBuild.NuGet.Restore;

/// <summary>A restored package in its package folder: what the bundle sources and the signature verifier need to know about it.</summary>
public sealed class PackageLocation
{
    private readonly Lazy<string?> _repositoryUrl;

    public PackageLocation(string id, string version, string packageDirectory, string nupkgPath, byte[] contentHash)
    {
        Id = id;
        Version = version;
        PackageDirectory = packageDirectory;
        NupkgPath = nupkgPath;
        ContentHash = contentHash;
        _repositoryUrl = new Lazy<string?>(ReadRepositoryUrl);
    }

    public string Id { get; }

    public string Version { get; }

    public string PackageDirectory { get; }

    public string NupkgPath { get; }

    /// <summary>The NuGet content hash (SHA-512), computed from the .nupkg by us.</summary>
    public byte[] ContentHash { get; }

    /// <summary>The strict inspection that produced <see cref="ContentHash"/> in this run, if any: verifiers reuse it instead of reading the archive again.</summary>
    public PackageInspection? Inspection { get; init; }

    /// <summary>The feed NuGet restored it from (.nupkg.metadata "source"), if recorded.</summary>
    public string? Source => PackageIntegrity.ReadRecordedSource(PackageDirectory);

    /// <summary>The nuspec's &lt;repository url&gt;, read lazily (only the GitHub source needs it).</summary>
    public string? RepositoryUrl => _repositoryUrl.Value;

    /// <summary>The conventional bundle file name: <c>&lt;id&gt;.&lt;version&gt;.nupkg.sigstore.json</c>.</summary>
    public string BundleFileName => $"{Id}.{Version}.nupkg.sigstore.json";

    /// <summary>Where fetched bundles are cached, next to the package in the global packages folder.</summary>
    public string CachedBundlePath => Path.Combine(PackageDirectory, $"{Id.ToLowerInvariant()}.{Version.ToLowerInvariant()}.nupkg.sigstore.json");

    private string? ReadRepositoryUrl()
    {
        var nuspec = Path.Combine(PackageDirectory, Id.ToLowerInvariant() + ".nuspec");
        if (!File.Exists(nuspec))
        {
            return null;
        }

        try
        {
            var document = XDocument.Load(nuspec);
            return document.Descendants().FirstOrDefault(e => e.Name.LocalName == "repository")?.Attribute("url")?.Value;
        }
        catch (System.Xml.XmlException)
        {
            return null;
        }
    }
}

/// <summary>A bundle found for a package, and where.</summary>
internal sealed record BundleCandidate(string SourceName, string Location, byte[] Json, bool CacheInPackageFolder);

/// <summary>One place bundles come from. Sources are asked in order; the first that has a bundle decides.</summary>
internal interface IBundleSource
{
    string Name { get; }

    /// <summary>Whether this source is asked for packages the policy lets go unsigned (network sources are not).</summary>
    bool IsLocal { get; }

    /// <summary>Bundles for the package (several only from attestation APIs); empty when this source has none.</summary>
    Task<IReadOnlyList<BundleCandidate>> FindAsync(PackageLocation package, CancellationToken cancellationToken);

    /// <summary>
    /// Every file whose presence, size or time stamp decides this source's answer for the package (besides the .nupkg),
    /// so the cache index can re-check it by stat; null when a stat cannot tell (network sources).
    /// </summary>
    IReadOnlyList<string>? LocalProbes(PackageLocation package) => null;
}

/// <summary>Size cap for a bundle file or response: bundles are a few KiB, never megabytes.</summary>
internal static class BundleLimits
{
    public const int MaxBundleBytes = 4 * 1024 * 1024;

    private static readonly InputKind BundleFile = new("bundle", MaxBundleBytes, "Check that the file is a Sigstore bundle (.sigstore.json).")
    {
        Code = RestoreCodes.SignatureInvalid,
        TooLargeCode = RestoreCodes.SignatureInvalid,
    };

    /// <summary>The bundle's bytes, or null when there is no file at <paramref name="path"/>.</summary>
    public static byte[]? ReadFile(string path) => Path.Exists(path) ? InputFile.ReadAllBytes(path, BundleFile) : null;
}

/// <summary>
/// The bundle embedded in the .nupkg that restore keeps in the package folder: it came from the feed inside the package,
/// so it needs no feed support and is asked first. Read from the .nupkg, never from the extracted copy.
/// </summary>
internal sealed class EmbeddedBundleSource : IBundleSource
{
    public string Name => "embedded";

    public bool IsLocal => true;

    public Task<IReadOnlyList<BundleCandidate>> FindAsync(PackageLocation package, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(package);
        var json = package.Inspection is { } inspection ? inspection.EmbeddedBundle : EmbeddedBundle.Read(package.NupkgPath);
        return Task.FromResult<IReadOnlyList<BundleCandidate>>(json is null ? [] : [new BundleCandidate(Name, $"{package.NupkgPath} ({EmbeddedBundle.EntryName})", json, false)]);
    }

    // Inside the .nupkg, whose stat the index records anyway.
    public IReadOnlyList<string>? LocalProbes(PackageLocation package) => [];
}

/// <summary>A sidecar next to the .nupkg in the local folder feed the package was restored from.</summary>
internal sealed class SidecarBundleSource : IBundleSource
{
    public string Name => "sidecar";

    public bool IsLocal => true;

    public Task<IReadOnlyList<BundleCandidate>> FindAsync(PackageLocation package, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(package);
        var source = package.Source;
        if (string.IsNullOrEmpty(source) || !Path.IsPathFullyQualified(source) || !Directory.Exists(source))
        {
            return Task.FromResult<IReadOnlyList<BundleCandidate>>([]);
        }

        // Flat feed (<feed>/<id>.<version>.nupkg) and hierarchical feed (<feed>/<id>/<version>/<id>.<version>.nupkg).
        var candidates = FolderCandidates(source, package);
        return Task.FromResult(FirstExisting(candidates, Name, cache: false));
    }

    // .nupkg.metadata names the feed folder; then the candidates there.
    public IReadOnlyList<string>? LocalProbes(PackageLocation package)
    {
        ArgumentNullException.ThrowIfNull(package);
        var source = package.Source;
        var metadata = Path.Combine(package.PackageDirectory, ".nupkg.metadata");
        return string.IsNullOrEmpty(source) || !Path.IsPathFullyQualified(source) ? [metadata] : [metadata, .. FolderCandidates(source, package)];
    }

    internal static IEnumerable<string> FolderCandidates(string folder, PackageLocation package)
    {
        var lowerId = package.Id.ToLowerInvariant();
        var lowerVersion = package.Version.ToLowerInvariant();
        yield return Path.Combine(folder, package.BundleFileName);
        yield return Path.Combine(folder, $"{lowerId}.{lowerVersion}.nupkg.sigstore.json");
        yield return Path.Combine(folder, lowerId, lowerVersion, $"{lowerId}.{lowerVersion}.nupkg.sigstore.json");
        yield return Path.Combine(folder, package.Id, package.Version, package.BundleFileName);
    }

    internal static IReadOnlyList<BundleCandidate> FirstExisting(IEnumerable<string> paths, string sourceName, bool cache)
    {
        foreach (var path in paths)
        {
            var bytes = BundleLimits.ReadFile(path);
            if (bytes is not null)
            {
                return [new BundleCandidate(sourceName, path, bytes, cache)];
            }
        }

        return [];
    }
}

/// <summary>Configured bundle directories (a repository-local attestation store), flat or id/version layout.</summary>
internal sealed class DirectoryBundleSource(string directory) : IBundleSource
{
    public string Name => "directory";

    public bool IsLocal => true;

    public string Directory { get; } = directory;

    public Task<IReadOnlyList<BundleCandidate>> FindAsync(PackageLocation package, CancellationToken cancellationToken) =>
        Task.FromResult(SidecarBundleSource.FirstExisting(SidecarBundleSource.FolderCandidates(Directory, package), $"directory {Directory}", cache: false));

    public IReadOnlyList<string>? LocalProbes(PackageLocation package) => [.. SidecarBundleSource.FolderCandidates(Directory, package)];
}

/// <summary>Bundles fetched earlier by a network source and cached next to the package.</summary>
internal sealed class PackageFolderCacheBundleSource : IBundleSource
{
    public string Name => "package folder";

    public bool IsLocal => true;

    public Task<IReadOnlyList<BundleCandidate>> FindAsync(PackageLocation package, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(package);
        return Task.FromResult(SidecarBundleSource.FirstExisting([package.CachedBundlePath], Name, cache: false));
    }

    public IReadOnlyList<string>? LocalProbes(PackageLocation package)
    {
        ArgumentNullException.ThrowIfNull(package);
        return [package.CachedBundlePath];
    }
}

/// <summary>
/// An HTTP attestation store by URL template. Placeholders: <c>{id}</c>, <c>{version}</c>, <c>{lowerId}</c>,
/// <c>{lowerVersion}</c>, <c>{sha512}</c> (hex content hash). 404 means "no bundle"; other failures are reported and the
/// next source is tried, so a package that must be signed still fails closed.
/// </summary>
internal sealed class HttpTemplateBundleSource : IBundleSource
{
    private readonly HttpClient _http;
    private readonly string _template;

    public HttpTemplateBundleSource(HttpClient http, string template)
    {
        ArgumentNullException.ThrowIfNull(template);
        if (!template.Contains("{id}", StringComparison.Ordinal) && !template.Contains("{lowerId}", StringComparison.Ordinal) && !template.Contains("{sha512}", StringComparison.Ordinal))
        {
            throw new SigstoreException(RestoreCodes.SourceInvalid, $"The attestation URL template '{template}' names no package. Use {{id}} or {{lowerId}} with {{version}}, or {{sha512}}.");
        }

        _http = http;
        _template = template;
    }

    public string Name => "http";

    public bool IsLocal => false;

    public async Task<IReadOnlyList<BundleCandidate>> FindAsync(PackageLocation package, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(package);
        var url = _template
            .Replace("{id}", Uri.EscapeDataString(package.Id), StringComparison.Ordinal)
            .Replace("{version}", Uri.EscapeDataString(package.Version), StringComparison.Ordinal)
            .Replace("{lowerId}", Uri.EscapeDataString(package.Id.ToLowerInvariant()), StringComparison.Ordinal)
            .Replace("{lowerVersion}", Uri.EscapeDataString(package.Version.ToLowerInvariant()), StringComparison.Ordinal)
            .Replace("{sha512}", Convert.ToHexStringLower(package.ContentHash), StringComparison.Ordinal);
        var bytes = await BundleHttp.GetAsync(_http, new Uri(url), null, cancellationToken).ConfigureAwait(false);
        return bytes is null ? [] : [new BundleCandidate("http", url, bytes, CacheInPackageFolder: true)];
    }
}

/// <summary>
/// GitHub's attestations API by digest (<c>GET /repos/{owner}/{repo}/attestations/sha512:{hex}</c>), for packages whose
/// nuspec names a GitHub repository. The token comes from <c>GITHUB_TOKEN</c> in the environment, never a parameter.
/// </summary>
internal sealed class GitHubAttestationBundleSource(HttpClient http, Uri apiBaseUrl, string? token) : IBundleSource
{
    public string Name => "github";

    public bool IsLocal => false;

    public async Task<IReadOnlyList<BundleCandidate>> FindAsync(PackageLocation package, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(package);
        var repository = ParseGitHubRepository(package.RepositoryUrl);
        if (repository is null)
        {
            return [];
        }

        var url = new Uri(apiBaseUrl, $"repos/{Uri.EscapeDataString(repository.Value.Owner)}/{Uri.EscapeDataString(repository.Value.Repo)}/attestations/sha512:{Convert.ToHexStringLower(package.ContentHash)}");
        var bytes = await BundleHttp.GetAsync(http, url, token, cancellationToken).ConfigureAwait(false);
        if (bytes is null)
        {
            return [];
        }

        var bundles = new List<BundleCandidate>();
        try
        {
            using var document = JsonDocument.Parse(bytes);
            if (document.RootElement.TryGetProperty("attestations", out var attestations) && attestations.ValueKind == JsonValueKind.Array)
            {
                foreach (var attestation in attestations.EnumerateArray())
                {
                    if (attestation.TryGetProperty("bundle", out var bundle) && bundle.ValueKind == JsonValueKind.Object)
                    {
                        bundles.Add(new BundleCandidate("github", url.ToString(), System.Text.Encoding.UTF8.GetBytes(bundle.GetRawText()), CacheInPackageFolder: true));
                    }
                }
            }
        }
        catch (JsonException ex)
        {
            throw new HttpRequestException($"the attestations API answered with invalid JSON: {ex.Message}", ex);
        }

        return bundles;
    }

    internal static (string Owner, string Repo)? ParseGitHubRepository(string? url)
    {
        if (url is null || !Uri.TryCreate(url, UriKind.Absolute, out var uri) || !string.Equals(uri.Host, "github.com", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var parts = uri.AbsolutePath.Trim('/').Split('/');
        if (parts.Length < 2 || parts[0].Length == 0 || parts[1].Length == 0)
        {
            return null;
        }

        var repo = parts[1].EndsWith(".git", StringComparison.OrdinalIgnoreCase) ? parts[1][..^4] : parts[1];
        return (parts[0], repo);
    }
}

/// <summary>GET with a size cap, a bounded retry on 5xx/429, and 404 as "none".</summary>
internal static class BundleHttp
{
    public static async Task<byte[]?> GetAsync(HttpClient http, Uri url, string? token, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, url);
            request.Headers.UserAgent.Add(new ProductInfoHeaderValue("SigstoreBuild", "1.0"));
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
            if (!string.IsNullOrEmpty(token))
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            }

            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
            if (response.StatusCode == HttpStatusCode.NotFound)
            {
                return null;
            }

            if ((response.StatusCode == HttpStatusCode.TooManyRequests || (int)response.StatusCode >= 500) && attempt < 3)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(200 * attempt), cancellationToken).ConfigureAwait(false);
                continue;
            }

            if (!response.IsSuccessStatusCode)
            {
                throw new HttpRequestException($"{url} answered {(int)response.StatusCode} {response.ReasonPhrase}", null, response.StatusCode);
            }

            if (response.Content.Headers.ContentLength > BundleLimits.MaxBundleBytes)
            {
                throw new HttpRequestException($"{url} answered with {response.Content.Headers.ContentLength} bytes, more than the {BundleLimits.MaxBundleBytes}-byte limit");
            }

            await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            using var buffer = new MemoryStream();
            var chunk = new byte[16384];
            int read;
            while ((read = await stream.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
            {
                if (buffer.Length + read > BundleLimits.MaxBundleBytes)
                {
                    throw new HttpRequestException($"{url} answered with more than the {BundleLimits.MaxBundleBytes}-byte limit");
                }

                buffer.Write(chunk, 0, read);
            }

            return buffer.ToArray();
        }
    }
}
