using System.Text.Json;
using SigstoreBuild.Diagnostics;

namespace SigstoreBuild.Verification;

/// <summary>
/// Threat model D-06: an SLSA provenance predicate is self-reported, the certificate's Fulcio extensions are attested by
/// Fulcio. Where both speak about the same thing they must agree: <c>runDetails.builder.id</c> = Build Signer URI (1.9);
/// the source (the first <c>resolvedDependencies</c> entry that is a git source) = Source Repository URI (1.12), Digest
/// (1.13) and Ref (1.14); <c>runDetails.metadata.invocationId</c> = Run Invocation URI (1.21). Policy stays based on the
/// certificate; this check only refuses provenance that contradicts it.
/// </summary>
public static class ProvenanceConsistency
{
    public const string SlsaProvenanceV1 = "https://slsa.dev/provenance/v1";

    /// <summary>
    /// Throws <see cref="VerificationException"/> (SSB342x) on a contradiction; returns what was compared (empty when the
    /// certificate has none of the extensions, e.g. an email identity).
    /// </summary>
    /// <param name="extensions">The certificate's Fulcio extensions by OID.</param>
    public static IReadOnlyList<string> Check(string predicateType, JsonElement? predicate, IReadOnlyDictionary<string, string> extensions)
    {
        ArgumentNullException.ThrowIfNull(extensions);
        if (!string.Equals(predicateType, SlsaProvenanceV1, StringComparison.Ordinal))
        {
            throw new VerificationException(AttestationCodes.ProvenanceNotCheckable, $"Provenance consistency was required, but the attestation's predicate type is '{predicateType}', not {SlsaProvenanceV1}.");
        }

        if (predicate is not { ValueKind: JsonValueKind.Object } root
            || !root.TryGetProperty("runDetails", out var runDetails) || runDetails.ValueKind != JsonValueKind.Object
            || !runDetails.TryGetProperty("builder", out var builder) || builder.ValueKind != JsonValueKind.Object
            || !builder.TryGetProperty("id", out var builderIdElement) || builderIdElement.ValueKind != JsonValueKind.String)
        {
            throw new VerificationException(AttestationCodes.ProvenanceNotCheckable, "Provenance consistency was required, but the SLSA predicate has no runDetails.builder.id string. The provenance is malformed.");
        }

        var checks = new List<string>();
        var builderId = builderIdElement.GetString()!;
        if (extensions.TryGetValue(FulcioExtensions.BuildSignerUri, out var signer))
        {
            if (!string.Equals(builderId, signer, StringComparison.Ordinal))
            {
                throw new VerificationException(AttestationCodes.ProvenanceBuilderMismatch, $"The provenance claims builder '{builderId}', but the certificate's Build Signer URI is '{signer}'. The provenance contradicts the certificate; do not trust it.");
            }

            checks.Add("builder.id = Build Signer URI (1.9)");
        }

        extensions.TryGetValue(FulcioExtensions.SourceRepositoryUri, out var repository);
        extensions.TryGetValue(FulcioExtensions.SourceRepositoryDigest, out var commit);
        extensions.TryGetValue(FulcioExtensions.SourceRepositoryRef, out var reference);
        if (repository is not null || commit is not null)
        {
            var source = FindSource(root)
                ?? throw new VerificationException(AttestationCodes.ProvenanceSourceMismatch, $"The certificate names the source {(repository, commit) switch { (not null, not null) => $"{repository}@{commit}", (not null, null) => $"repository {repository}", _ => $"commit {commit}" }}, but the provenance lists no git source in resolvedDependencies.");
            if (repository is not null)
            {
                if (source.Repository is null || !SameRepository(source.Repository, repository))
                {
                    throw new VerificationException(AttestationCodes.ProvenanceSourceMismatch, source.Repository is null
                        ? $"The provenance names no source repository, but the certificate's Source Repository URI is '{repository}'."
                        : $"The provenance claims source repository '{source.Repository}', but the certificate's Source Repository URI is '{repository}'.");
                }

                checks.Add("source repository = Source Repository URI (1.12)");
            }

            if (commit is not null)
            {
                if (source.Commit is null || !string.Equals(source.Commit, commit, StringComparison.OrdinalIgnoreCase))
                {
                    throw new VerificationException(AttestationCodes.ProvenanceSourceMismatch, source.Commit is null
                        ? $"The provenance names no source commit, but the certificate's Source Repository Digest is '{commit}'."
                        : $"The provenance claims source commit '{source.Commit}', but the certificate's Source Repository Digest is '{commit}'.");
                }

                checks.Add("source commit = Source Repository Digest (1.13)");
            }

            if (reference is not null && source.Ref is not null)
            {
                if (!string.Equals(source.Ref, reference, StringComparison.Ordinal))
                {
                    throw new VerificationException(AttestationCodes.ProvenanceSourceMismatch, $"The provenance claims source ref '{source.Ref}', but the certificate's Source Repository Ref is '{reference}'.");
                }

                checks.Add("source ref = Source Repository Ref (1.14)");
            }
        }

        if (extensions.TryGetValue(FulcioExtensions.RunInvocationUri, out var invocation)
            && runDetails.TryGetProperty("metadata", out var metadata) && metadata.ValueKind == JsonValueKind.Object
            && metadata.TryGetProperty("invocationId", out var invocationId))
        {
            if (invocationId.ValueKind != JsonValueKind.String || !string.Equals(invocationId.GetString(), invocation, StringComparison.Ordinal))
            {
                throw new VerificationException(AttestationCodes.ProvenanceInvocationMismatch, $"The provenance claims invocation '{invocationId}', but the certificate's Run Invocation URI is '{invocation}'.");
            }

            checks.Add("invocationId = Run Invocation URI (1.21)");
        }

        return checks;
    }

    private sealed record Source(string? Repository, string? Ref, string? Commit);

    /// <summary>The first resolved dependency that is a git source: a <c>git+</c> URI or a <c>gitCommit</c> digest.</summary>
    private static Source? FindSource(JsonElement predicate)
    {
        if (!predicate.TryGetProperty("buildDefinition", out var definition) || definition.ValueKind != JsonValueKind.Object
            || !definition.TryGetProperty("resolvedDependencies", out var dependencies) || dependencies.ValueKind != JsonValueKind.Array)
        {
            return null;
        }

        foreach (var dependency in dependencies.EnumerateArray())
        {
            if (dependency.ValueKind != JsonValueKind.Object)
            {
                continue;
            }

            var uri = dependency.TryGetProperty("uri", out var u) && u.ValueKind == JsonValueKind.String ? u.GetString() : null;
            string? commit = null;
            if (dependency.TryGetProperty("digest", out var digest) && digest.ValueKind == JsonValueKind.Object)
            {
                foreach (var name in new[] { "gitCommit", "sha1" })
                {
                    if (commit is null && digest.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String)
                    {
                        commit = value.GetString();
                    }
                }
            }

            var isGit = uri?.StartsWith("git+", StringComparison.Ordinal) == true;
            if (!isGit && !(commit is not null && digest.TryGetProperty("gitCommit", out _)))
            {
                continue;
            }

            var (repository, reference) = isGit ? SplitGitUri(uri![4..]) : (null, null);
            return new Source(repository, reference, commit);
        }

        return null;
    }

    /// <summary><c>https://host/owner/repo@refs/heads/main</c> -> repository and ref; the ref starts at the first '@' of the path.</summary>
    private static (string Repository, string? Ref) SplitGitUri(string uri)
    {
        var scheme = uri.IndexOf("://", StringComparison.Ordinal);
        var pathStart = scheme < 0 ? 0 : uri.IndexOf('/', scheme + 3);
        var at = pathStart < 0 ? -1 : uri.IndexOf('@', pathStart);
        return at < 0 ? (uri, null) : (uri[..at], uri[(at + 1)..]);
    }

    /// <summary>Same repository: equal ignoring case (GitHub and GitLab paths are case-insensitive), a trailing '/' and '.git'.</summary>
    private static bool SameRepository(string a, string b) => string.Equals(Normalize(a), Normalize(b), StringComparison.OrdinalIgnoreCase);

    private static string Normalize(string url)
    {
        url = url.TrimEnd('/');
        return url.EndsWith(".git", StringComparison.OrdinalIgnoreCase) ? url[..^4] : url;
    }
}
