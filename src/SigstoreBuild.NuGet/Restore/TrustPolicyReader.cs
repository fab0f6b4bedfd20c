using SigstoreBuild.Verification;
using System.Text.Json;
using SigstoreBuild.Crypto;
using SigstoreBuild.Diagnostics;
using SigstoreBuild.IO;

namespace SigstoreBuild.NuGet.Restore;

/// <summary>An MSBuild item as plain data: its Include and its custom metadata.</summary>
public sealed record PolicyItem(string Include, IReadOnlyDictionary<string, string> Metadata)
{
    public string? Get(string name) => Metadata.TryGetValue(name, out var value) && !string.IsNullOrWhiteSpace(value) ? value.Trim() : null;
}

/// <summary>
/// Builds a <see cref="TrustPolicy"/> from MSBuild items (<c>SigstoreTrustedIdentity</c>, <c>SigstoreUnsignedAllowed</c>,
/// <c>SigstoreVerifySuppress</c>) or from the equivalent JSON policy file.
/// </summary>
internal static class TrustPolicyReader
{
    private static readonly HashSet<string> KnownIdentityMetadata = new(StringComparer.OrdinalIgnoreCase) { "Issuer", "Subject", "SubjectRegex", "Packages", "RequireProvenanceConsistency", "UnsafeAllowUncorroboratedProvenance", "RequireSbom" };

    private static readonly HashSet<string> KnownKeyMetadata = new(StringComparer.OrdinalIgnoreCase) { "PublicKey", "Packages", "RequireSbom" };

    /// <summary>
    /// <paramref name="trustedKeys"/> (<c>SigstoreTrustedKey</c>: Include = package ID glob, PublicKey = a PEM public key
    /// file, relative to <paramref name="baseDirectory"/>) join the identities: for a package ID, the most specific pattern
    /// decides, and every identity or key at that pattern is accepted.
    /// </summary>
    public static TrustPolicy FromItems(IEnumerable<PolicyItem> trustedIdentities, IEnumerable<PolicyItem> unsignedAllowed, IEnumerable<PolicyItem> suppressions, IEnumerable<PolicyItem>? trustedKeys = null, string? baseDirectory = null, IEnumerable<Revocation>? revocations = null,
        IEnumerable<RevocationSource>? revocationSources = null)
    {
        ArgumentNullException.ThrowIfNull(trustedIdentities);
        ArgumentNullException.ThrowIfNull(unsignedAllowed);
        ArgumentNullException.ThrowIfNull(suppressions);
        var identities = trustedIdentities.Select(item =>
        {
            var pins = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var (name, value) in item.Metadata)
            {
                if (KnownIdentityMetadata.Contains(name) || string.IsNullOrWhiteSpace(value) || IsWellKnownMetadata(name))
                {
                    continue;
                }

                var extension = SignerExtensions.Find(name)
                    ?? throw new SigstoreException(RestoreCodes.PolicyInvalid, $"SigstoreTrustedIdentity '{item.Include}' has unknown metadata '{name}'. Use Issuer, Subject, SubjectRegex, RequireProvenanceConsistency, UnsafeAllowUncorroboratedProvenance, RequireSbom or a certificate extension: {string.Join(", ", SignerExtensions.All.Select(e => e.Name))}.");
                pins[extension.Oid] = value.Trim();
            }

            return new TrustedIdentity(PackageIdPattern.Parse(item.Get("Packages") ?? item.Include), item.Get("Issuer") ?? string.Empty, item.Get("Subject"), item.Get("SubjectRegex"), pins,
                ParseFlag(item, "RequireProvenanceConsistency"), ParseFlag(item, "UnsafeAllowUncorroboratedProvenance"))
            {
                RequireSbom = ParseFlag(item, "RequireSbom"),
            };
        }).ToList();
        identities.AddRange((trustedKeys ?? []).Select(item => ReadKey(item, baseDirectory)));
        var unsigned = unsignedAllowed.Select(i => PackageIdPattern.Parse(i.Get("Packages") ?? i.Include)).ToList();
        var suppress = suppressions.Select(i => ParseSuppression(i.Include, i.Get("Code"), i.Get("Package") ?? i.Get("Packages"))).ToList();
        return new TrustPolicy(identities, unsigned, suppress, revocations, revocationSources);
    }

    /// <summary>
    /// SigstoreRevocations items, relative to <paramref name="baseDirectory"/>: a plain file is the consumer's own
    /// document (applies to every package); an http(s) URL, or a file with <c>Bundle</c> metadata, is a published source
    /// whose signed document is fetched and verified before verification (docs/revocation.md).
    /// </summary>
    public static (IReadOnlyList<Revocation> Entries, IReadOnlyList<RevocationSource> Sources) ReadRevocations(IEnumerable<PolicyItem> items, string? baseDirectory)
    {
        ArgumentNullException.ThrowIfNull(items);
        var entries = new List<Revocation>();
        var sources = new List<RevocationSource>();
        foreach (var item in items.Where(i => !string.IsNullOrWhiteSpace(i.Include)))
        {
            foreach (var (name, value) in item.Metadata)
            {
                if (!string.Equals(name, "Bundle", StringComparison.OrdinalIgnoreCase) && !string.IsNullOrWhiteSpace(value) && !IsWellKnownMetadata(name))
                {
                    throw new SigstoreException(RestoreCodes.PolicyInvalid, $"SigstoreRevocations '{item.Include}' has unknown metadata '{name}'. Use Bundle (the published document's bundle, a URL or a file; default: the document's location plus .sigstore.json).");
                }
            }

            var document = RevocationSource.Resolve(item.Include.Trim(), baseDirectory);
            var bundle = item.Get("Bundle") is { } b ? RevocationSource.Resolve(b, baseDirectory) : null;
            if (bundle is null && !PublishedRevocationList.IsUrl(document))
            {
                entries.AddRange(RevocationList.Load(document).Entries);
            }
            else
            {
                sources.Add(new RevocationSource(document, bundle));
            }
        }

        return (entries, sources);
    }

    private static TrustedIdentity ReadKey(PolicyItem item, string? baseDirectory)
    {
        foreach (var (name, value) in item.Metadata)
        {
            if (!KnownKeyMetadata.Contains(name) && !string.IsNullOrWhiteSpace(value) && !IsWellKnownMetadata(name))
            {
                throw new SigstoreException(RestoreCodes.PolicyInvalid, $"SigstoreTrustedKey '{item.Include}' has unknown metadata '{name}'. Use PublicKey (the publisher's PEM public key file) and optionally RequireSbom.");
            }
        }

        var packages = PackageIdPattern.Parse(item.Get("Packages") ?? item.Include);
        var file = item.Get("PublicKey")
            ?? throw new SigstoreException(RestoreCodes.PolicyInvalid, $"SigstoreTrustedKey '{item.Include}' has no PublicKey. Set PublicKey to the publisher's PEM public key file (the .pub that 'sigstore generate-key-pair' writes), relative to the project.");
        var path = Path.GetFullPath(file, baseDirectory ?? Directory.GetCurrentDirectory());
        VerificationKey key;
        try
        {
            key = VerificationKey.FromPemFile(path);
        }
        catch (SigstoreException ex)
        {
            throw new SigstoreException(RestoreCodes.TrustedKeyUnreadable, $"The public key '{path}' of SigstoreTrustedKey '{item.Include}' cannot be used ({ex.Code}: {ex.Message}). Point PublicKey at the publisher's PEM 'PUBLIC KEY' file, relative to the project.", ex);
        }
        catch (FormatException ex)
        {
            throw new SigstoreException(RestoreCodes.TrustedKeyUnreadable, $"The public key '{path}' of SigstoreTrustedKey '{item.Include}' is not valid PEM ({ex.Message}). Point PublicKey at the publisher's PEM 'PUBLIC KEY' file.", ex);
        }

        return TrustedIdentity.ForKey(packages, key, ParseFlag(item, "RequireSbom"));
    }

    /// <summary>
    /// The JSON policy file: <c>{"mode": "...", "trustedIdentities": [{"packages": "Contoso.*", "issuer": "...",
    /// "subject": "..." | "subjectRegex": "...", "sourceRepositoryIdentifier": "...", ..., "requireProvenanceConsistency": true, "unsafeAllowUncorroboratedProvenance": false, "requireSbom": true}],
    /// "trustedKeys": [{"packages": "Contoso.*", "publicKey": "keys/contoso.pub"}], "unsignedAllowed": ["..."],
    /// "suppress": [{"code": "SSB5103", "package": "..."}]}</c>. Unknown properties are errors, so typos never loosen it.
    /// </summary>
    public static (TrustPolicy Policy, string? Mode) FromJsonFile(string path)
    {
        var kind = new InputKind("trust policy file", InputFile.MaxDocumentBytes, "Check that it is a JSON trust policy.") { Code = RestoreCodes.PolicyInvalid };
        return FromJson(InputFile.ReadAllBytes(path, kind), path);
    }

    public static (TrustPolicy Policy, string? Mode) FromJson(byte[] utf8Json, string path)
    {
        ArgumentNullException.ThrowIfNull(utf8Json);
        try
        {
            using var document = JsonDocument.Parse(utf8Json, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw Invalid(path, "the top level is not an object");
            }

            string? mode = null;
            var identities = new List<PolicyItem>();
            var keys = new List<PolicyItem>();
            var unsigned = new List<PolicyItem>();
            var suppress = new List<PolicyItem>();
            var revocations = new List<Revocation>();
            var revocationSources = new List<RevocationSource>();
            var directory = Path.GetDirectoryName(Path.GetFullPath(path));
            foreach (var property in root.EnumerateObject())
            {
                switch (property.Name)
                {
                    case "$schema":
                        break;
                    case "mode":
                        mode = property.Value.GetString();
                        break;
                    case "trustedIdentities":
                        foreach (var entry in property.Value.EnumerateArray())
                        {
                            var metadata = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
                            string? packages = null;
                            foreach (var field in entry.EnumerateObject())
                            {
                                if (field.Name == "packages")
                                {
                                    packages = field.Value.GetString();
                                }
                                else
                                {
                                    // Flags may be JSON booleans ("requireProvenanceConsistency": true).
                                    metadata[field.Name] = field.Value.ValueKind switch
                                    {
                                        JsonValueKind.True => "true",
                                        JsonValueKind.False => "false",
                                        _ => field.Value.GetString() ?? string.Empty,
                                    };
                                }
                            }

                            identities.Add(new PolicyItem(packages ?? throw Invalid(path, "a trusted identity has no 'packages'"), metadata));
                        }

                        break;
                    case "trustedKeys":
                        foreach (var entry in property.Value.EnumerateArray())
                        {
                            var metadata = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
                            foreach (var field in entry.EnumerateObject())
                            {
                                metadata[field.Name] = field.Value.ValueKind switch
                                {
                                    JsonValueKind.True => "true",
                                    JsonValueKind.False => "false",
                                    _ => field.Value.GetString() ?? string.Empty,
                                };
                            }

                            var packages = metadata.GetValueOrDefault("packages") ?? throw Invalid(path, "a trusted key has no 'packages'");
                            keys.Add(new PolicyItem(packages, metadata));
                        }

                        break;
                    case "unsignedAllowed":
                        unsigned.AddRange(property.Value.EnumerateArray().Select(e => new PolicyItem(e.GetString() ?? string.Empty, new Dictionary<string, string>())));
                        break;
                    case "revocations":
                        // The entries of a revocation document (docs/revocation.md), inline.
                        revocations.AddRange(RevocationList.Parse(System.Text.Encoding.UTF8.GetBytes($"{{\"revocations\": {property.Value.GetRawText()}}}"), path).Entries);
                        break;
                    case "revocationSources":
                        // Published, signed documents: { "url": ... } or { "file": ... }, optionally with "bundle"; files relative to this file.
                        foreach (var entry in property.Value.EnumerateArray())
                        {
                            string? url = null, file = null, bundle = null;
                            foreach (var field in entry.EnumerateObject())
                            {
                                switch (field.Name)
                                {
                                    case "url":
                                        url = field.Value.GetString();
                                        break;
                                    case "file":
                                        file = field.Value.GetString();
                                        break;
                                    case "bundle":
                                        bundle = field.Value.GetString();
                                        break;
                                    default:
                                        throw Invalid(path, $"a revocation source has the unknown property '{field.Name}' (known: url, file, bundle)");
                                }
                            }

                            if ((url is null) == (file is null) || (url is not null && !PublishedRevocationList.IsUrl(url)))
                            {
                                throw Invalid(path, "a revocation source needs exactly one of 'url' (http or https) or 'file'");
                            }

                            revocationSources.Add(new RevocationSource(url ?? RevocationSource.Resolve(file!, directory), bundle is null ? null : RevocationSource.Resolve(bundle, directory)));
                        }

                        break;
                    case "suppress":
                        foreach (var entry in property.Value.EnumerateArray())
                        {
                            var code = entry.TryGetProperty("code", out var c) ? c.GetString() : null;
                            var package = entry.TryGetProperty("package", out var p) ? p.GetString() : null;
                            var metadata = new Dictionary<string, string>();
                            if (package is not null)
                            {
                                metadata["Package"] = package;
                            }

                            suppress.Add(new PolicyItem(code ?? string.Empty, metadata));
                        }

                        break;
                    default:
                        throw Invalid(path, $"unknown property '{property.Name}'");
                }
            }

            // A key file named in the policy file is relative to the policy file.
            return (FromItems(identities, unsigned, suppress, keys, directory, revocations, revocationSources), mode);
        }
        catch (JsonException ex)
        {
            throw new SigstoreException(RestoreCodes.PolicyInvalid, $"The trust policy file '{path}' is not valid JSON: {ex.Message}", ex);
        }
        catch (InvalidOperationException ex)
        {
            throw new SigstoreException(RestoreCodes.PolicyInvalid, $"The trust policy file '{path}' has a value of the wrong type: {ex.Message}", ex);
        }
    }

    /// <summary>An optional true/false metadata value; anything else is an error, so a typo never loosens the policy.</summary>
    private static bool ParseFlag(PolicyItem item, string name) => item.Get(name)?.ToLowerInvariant() switch
    {
        null or "false" => false,
        "true" => true,
        var other => throw new SigstoreException(RestoreCodes.PolicyInvalid, $"SigstoreTrustedIdentity '{item.Include}' has {name}='{other}'. Use true or false."),
    };

    private static Suppression ParseSuppression(string include, string? code, string? package)
    {
        // Include is a code (SSBnnnn) or a package ID pattern; metadata narrows it further.
        if (include.StartsWith("SSB", StringComparison.OrdinalIgnoreCase) && include.Length == 7 && include[3..].All(char.IsAsciiDigit))
        {
            return new Suppression(include.ToUpperInvariant(), package is null ? null : PackageIdPattern.Parse(package));
        }

        if (include.Length == 0)
        {
            return code is null && package is null
                ? throw new SigstoreException(RestoreCodes.PolicyInvalid, "A suppression names neither a code nor a package. Give 'code', 'package' or both.")
                : new Suppression(code?.ToUpperInvariant(), package is null ? null : PackageIdPattern.Parse(package));
        }

        return new Suppression(code?.ToUpperInvariant(), PackageIdPattern.Parse(include));
    }

    // MSBuild adds these to every item; they are never policy.
    private static bool IsWellKnownMetadata(string name) => name is "FullPath" or "RootDir" or "Filename" or "Extension" or "RelativeDir"
        or "Directory" or "RecursiveDir" or "Identity" or "ModifiedTime" or "CreatedTime" or "AccessedTime" or "DefiningProjectFullPath"
        or "DefiningProjectDirectory" or "DefiningProjectName" or "DefiningProjectExtension" or "OriginalItemSpec";

    private static SigstoreException Invalid(string path, string why) =>
        new(RestoreCodes.PolicyInvalid, $"The trust policy file '{path}' is not valid: {why}. See docs/diagnostics/restore.md for its shape.");
}
