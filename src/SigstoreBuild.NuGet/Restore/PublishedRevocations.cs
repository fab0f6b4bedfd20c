using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using SigstoreBuild.Diagnostics;
using SigstoreBuild.IO;
using SigstoreBuild.Verification;

namespace SigstoreBuild.NuGet.Restore;

/// <summary>
/// A published revocation source the policy names: the document (an http(s) URL or an absolute path) and its bundle
/// (default: the document's location plus <see cref="PublishedRevocationList.BundleSuffix"/>).
/// </summary>
internal sealed record RevocationSource(string Document, string? Bundle)
{
    public string BundleLocation => PublishedRevocationList.BundleLocation(Document, Bundle);

    /// <summary>A URL stays as written; a path is resolved against <paramref name="baseDirectory"/>.</summary>
    public static string Resolve(string location, string? baseDirectory) =>
        PublishedRevocationList.IsUrl(location) ? location : Path.GetFullPath(location, baseDirectory ?? Directory.GetCurrentDirectory());

    public override string ToString() => Bundle is null ? PublishedRevocationList.Display(Document) : $"{PublishedRevocationList.Display(Document)} (bundle {PublishedRevocationList.Display(Bundle)})";
}

/// <summary>A verified published document and its signer, as the policy matches signers.</summary>
internal sealed record PublishedRevocations(RevocationSource Source, SignerIdentity Signer, RevocationList List, byte[] Content)
{
    public string DocumentSha256 { get; } = Convert.ToHexStringLower(SHA256.HashData(Content));
}

/// <summary>A finding about the configuration, reported by the restore verifier (so audit mode and suppressions apply).</summary>
internal sealed record ConfigurationFinding(string Code, string Message);

/// <summary>
/// Resolves the policy's published revocation sources before verification: a copy fetched within
/// <see cref="Freshness"/> is used as cached (obj/sigstore/revocations), otherwise the document and bundle are fetched and
/// verified with no identity pinned, and the document applies only to packages whose trusted identities include its signer.
/// Every source that cannot be fetched or verified is a finding: the run fails closed in enforce mode.
/// </summary>
internal static class PublishedRevocationResolver
{
    public static readonly TimeSpan DefaultFreshness = TimeSpan.FromHours(1);

    public const string CacheFolderName = "revocations";

    public static async Task<(IReadOnlyList<PublishedRevocations> Published, IReadOnlyList<ConfigurationFinding> Findings)> ResolveAsync(
        TrustPolicy policy, string stateDirectory, IPackageSignatureVerifier? verifier, HttpClient? http, TimeSpan freshness, TimeProvider time, CancellationToken cancellationToken)
    {
        var published = new List<PublishedRevocations>();
        var findings = new List<ConfigurationFinding>();

        // A copy verified under another trust root (another instance) is not this build's to trust.
        var trustRoot = TrustRootPackageSignatureVerifier.PeekFingerprint(verifier);
        foreach (var source in policy.RevocationSources)
        {
            var cachePath = Path.Combine(stateDirectory, CacheFolderName, Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(source.Document + "\n" + source.BundleLocation)))[..32] + ".json");
            var cached = ReadCache(cachePath, source, trustRoot);
            PublishedRevocations? document;
            var age = cached is null ? TimeSpan.MaxValue : time.GetUtcNow() - cached.Value.Fetched;
            if (cached is not null && age >= TimeSpan.Zero && age < freshness)
            {
                document = cached.Value.Published;
            }
            else
            {
                document = await FetchAsync(source, verifier, http, findings, cancellationToken).ConfigureAwait(false);
                if (document is not null && cached?.Published.List.Issued is { } seen && (document.List.Issued is not { } issued || issued < seen))
                {
                    findings.Add(new(RestoreCodes.RevocationSourceReplayed,
                        $"The published revocation document {source} was issued {Describe(document.List.Issued)}, before the one already seen from it (issued {Describe(seen)}): an older list may be a replay that hides newer revocations. The newer copy still applies. Ask the publisher to republish the current document; if they withdrew revocations on purpose, they must issue a newer document."));
                    document = cached.Value.Published;
                }
                else if (document is not null)
                {
                    WriteCache(cachePath, document, time.GetUtcNow(), trustRoot);
                }
            }

            if (document is null)
            {
                continue;
            }

            if (!policy.Identities.Any(i => i.Mismatch(document.Signer) is null))
            {
                findings.Add(new(RestoreCodes.RevocationSourceSignerNotTrusted,
                    $"The published revocation document {source} is signed by {document.Signer}, whom the trust policy trusts for no package, so it is not applied. A publisher's document applies only to the packages the policy trusts that publisher for. Name the document the publisher of your packages signed, or remove the source."));
                continue;
            }

            published.Add(document);
        }

        return (published, findings);
    }

    private static async Task<PublishedRevocations?> FetchAsync(RevocationSource source, IPackageSignatureVerifier? verifier, HttpClient? http, List<ConfigurationFinding> findings, CancellationToken cancellationToken)
    {
        byte[] document;
        byte[] bundle;
        try
        {
            (document, bundle) = await PublishedRevocationList.DownloadAsync(source.Document, source.Bundle, http, cancellationToken).ConfigureAwait(false);
        }
        catch (SigstoreException ex)
        {
            findings.Add(new(RestoreCodes.RevocationSourceUnavailable,
                $"The published revocation document {source} could not be fetched ({ex.Code}: {ex.Message}), and no copy fetched within SigstoreRevocationFreshness (default one hour) is cached, so revocations its publisher may have issued are unknown. Fix the URL or the network and build again; remove the source only if you no longer rely on it."));
            return null;
        }

        try
        {
            if (verifier is not IRevocationDocumentVerifier documents)
            {
                throw new SigstoreException(RestoreCodes.TrustRootUnavailable, "no Sigstore verifier is configured to verify it. Set SigstoreTrustedRootPath or SigstoreInstance.");
            }

            var verified = documents.VerifyRevocations(document, bundle, source.Document);
            return new PublishedRevocations(source, SignerIdentity.From(verified.Signer), verified.List, document);
        }
        catch (SigstoreException ex)
        {
            findings.Add(new(RestoreCodes.RevocationSourceNotVerified,
                $"The published revocation document {source} is not applied and nothing is trusted in its place: {ex.Code}: {ex.Message}"));
            return null;
        }
    }

    private static string Describe(DateTimeOffset? time) => time is { } t ? t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture) : "(no issued time)";

    /// <summary>The cached, verified copy (the same trust as the verification cache beside it), or null when absent, unreadable or for another source.</summary>
    private static (PublishedRevocations Published, DateTimeOffset Fetched)? ReadCache(string path, RevocationSource source, string? trustRoot)
    {
        if (!File.Exists(path))
        {
            return null;
        }

        try
        {
            var root = JsonNode.Parse(InputFile.ReadAllBytes(path, new InputKind("revocation cache", InputFile.MaxDocumentBytes * 2, string.Empty)))!.AsObject();
            if ((string?)root["document"] != source.Document || (string?)root["bundle"] != source.BundleLocation || trustRoot is null || (string?)root["trustRoot"] != trustRoot)
            {
                return null;
            }

            var bytes = Convert.FromBase64String((string)root["content"]!);
            var signer = root["signer"]!.AsObject();
            var extensions = signer["extensions"]!.AsObject().ToDictionary(p => p.Key, p => (string)p.Value!, StringComparer.Ordinal);
            var list = RevocationList.Parse(bytes, PublishedRevocationList.Display(source.Document));
            var published = new PublishedRevocations(source, new SignerIdentity((string)signer["issuer"]!, (string)signer["subject"]!, extensions), list, bytes);
            return (published, DateTimeOffset.Parse((string)root["fetched"]!, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal));
        }
        catch (Exception ex) when (ex is JsonException or SigstoreException or FormatException or InvalidOperationException or NullReferenceException or IOException)
        {
            return null; // fetched again
        }
    }

    private static void WriteCache(string path, PublishedRevocations published, DateTimeOffset fetched, string? trustRoot)
    {
        // The document's bytes as verified, and the signer as the verification reported it.
        var extensions = new JsonObject();
        foreach (var (oid, value) in published.Signer.Extensions)
        {
            extensions[oid] = value;
        }

        var root = new JsonObject
        {
            ["document"] = published.Source.Document,
            ["bundle"] = published.Source.BundleLocation,
            ["fetched"] = fetched.UtcDateTime.ToString("o", CultureInfo.InvariantCulture),
            ["trustRoot"] = trustRoot,
            ["signer"] = new JsonObject { ["issuer"] = published.Signer.Issuer, ["subject"] = published.Signer.Subject, ["extensions"] = extensions },
            ["content"] = Convert.ToBase64String(published.Content),
        };
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            FileWrites.WriteAtomically(path, Encoding.UTF8.GetBytes(root.ToJsonString()));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // The cache saves a fetch; without it the next build fetches again.
        }
    }
}

/// <summary>A package verifier that can also verify a published revocation document's bundle against its trust root.</summary>
internal interface IRevocationDocumentVerifier
{
    PublishedRevocationList VerifyRevocations(byte[] document, byte[] bundleJson, string source);
}
