using System.CommandLine;
using SigstoreBuild.Diagnostics;
using SigstoreBuild.Tuf;
using SigstoreBuild.Verification;

namespace SigstoreBuild.Cli.Commands;

/// <summary>Options shared by the verbs that take a certificate identity.</summary>
internal static class SignerPolicyOptions
{
    /// <summary>
    /// <c>--certificate-identity-regexp</c>, checked as it is parsed: a pattern the verifier would refuse (one that does
    /// not parse on its own, such as <c>a)|(.*</c>) is a usage error naming the pattern, before any trust material is read.
    /// </summary>
    public static Option<string> CreateRegex()
    {
        var option = new Option<string>("--certificate-identity-regexp") { Description = "A regular expression the whole SAN must match (always anchored at both ends)." };
        option.Validators.Add(result =>
        {
            try
            {
                _ = CertificateIdentity.Regex(result.GetValueOrDefault<string>() ?? string.Empty, "https://issuer.invalid");
            }
            catch (VerificationException ex)
            {
                result.AddError($"{ex.Code}: {ex.Message}");
            }
            catch (ArgumentException)
            {
                result.AddError("--certificate-identity-regexp needs a pattern.");
            }
        });
        return option;
    }
}

/// <summary>
/// Where trust comes from, one definition for every verb that uses trust: the instance (public-good, <c>--staging</c>, or a
/// custom TUF mirror with its initial root), explicit trust files, the TUF cache and offline mode.
/// </summary>
internal sealed class TrustOptions
{
    private readonly Option<bool> _staging = new("--staging") { Description = "Use the Sigstore staging instance instead of the public-good one." };
    private readonly Option<FileInfo> _trustedRoot = new("--trusted-root") { Description = "A trusted_root.json to trust instead of fetching one through TUF (for a custom or local Sigstore instance)." };
    private readonly Option<string> _mirror = new("--tuf-mirror") { Description = "The TUF mirror URL of a custom Sigstore instance (with --tuf-root)." };
    private readonly Option<FileInfo> _root = new("--tuf-root") { Description = "The initial TUF root.json to trust for --tuf-mirror." };
    private readonly Option<DirectoryInfo> _cacheDir = new("--cache-dir") { Description = "The TUF cache directory (default: under the user profile, or SIGSTORE_TUF_CACHE)." };
    private readonly Option<bool> _offline = new("--offline") { Description = "Use the cached or embedded trust root without contacting the TUF mirror." };

    public static TrustOptions Create() => new();

    /// <summary>The option names, for tests and help: every trust-using verb accepts each of them.</summary>
    public static IReadOnlyList<string> Names { get; } = ["--staging", "--trusted-root", "--tuf-mirror", "--tuf-root", "--cache-dir", "--offline"];

    public void AddTo(Command command)
    {
        command.Options.Add(_staging);
        command.Options.Add(_trustedRoot);
        command.Options.Add(_mirror);
        command.Options.Add(_root);
        command.Options.Add(_cacheDir);
        command.Options.Add(_offline);
        command.Validators.Add(result =>
        {
            if ((result.GetValue(_mirror) is null) != (result.GetValue(_root) is null))
            {
                result.AddError("--tuf-mirror and --tuf-root go together.");
            }
        });
    }

    /// <summary>True when any trust option was given (so it overrides a project's trust properties).</summary>
    public bool AnyGiven(ParseResult parse) =>
        parse.GetValue(_staging) || parse.GetValue(_trustedRoot) is not null || parse.GetValue(_mirror) is not null
        || parse.GetValue(_root) is not null || parse.GetValue(_cacheDir) is not null || parse.GetValue(_offline);

    public TrustSettings Read(ParseResult parse) => new()
    {
        Instance = parse.GetValue(_staging) ? "staging" : null,
        TrustedRootPath = parse.GetValue(_trustedRoot)?.FullName,
        TufUrl = parse.GetValue(_mirror),
        TufRootPath = parse.GetValue(_root)?.FullName,
        CacheDirectory = parse.GetValue(_cacheDir)?.FullName,
        Offline = parse.GetValue(_offline),
    };
}

/// <summary><c>--output text|json</c>, the one output switch of every verb that prints a result.</summary>
internal sealed class OutputOption
{
    private readonly Option<string> _option = new("--output") { Description = "How to print the result: text (default) or json.", DefaultValueFactory = _ => "text" };

    private OutputOption()
    {
        _option.AcceptOnlyFromAmong("text", "json");
    }

    public static OutputOption Create() => new();

    public void AddTo(Command command) => command.Options.Add(_option);

    public bool IsJson(ParseResult parse) => parse.GetValue(_option) == "json";
}

/// <summary><c>--provenance-consistency</c> and its Unsafe opt-out, the same for verify and verify-package.</summary>
internal sealed class ProvenanceOptions
{
    private readonly Option<bool> _required = new("--provenance-consistency")
    {
        Description = "For SLSA provenance: the builder, source repository, commit and build run it claims must agree with the signing certificate, which must vouch for at least one of them.",
    };

    private readonly Option<bool> _unsafeUncorroborated = new("--unsafe-allow-uncorroborated-provenance")
    {
        Description = "UNSAFE, with --provenance-consistency: accept a certificate that corroborates nothing of the provenance (e.g. an email identity), with a warning.",
    };

    public static ProvenanceOptions Create() => new();

    public void AddTo(Command command)
    {
        command.Options.Add(_required);
        command.Options.Add(_unsafeUncorroborated);
        command.Validators.Add(result =>
        {
            if (result.GetValue(_unsafeUncorroborated) && !result.GetValue(_required))
            {
                result.AddError("--unsafe-allow-uncorroborated-provenance only relaxes --provenance-consistency; give it with --provenance-consistency.");
            }
        });
    }

    public (bool Required, bool AllowUncorroborated) Read(ParseResult parse) =>
        (parse.GetValue(_required), parse.GetValue(_unsafeUncorroborated));
}

/// <summary>Exact-match pins on what the signing certificate says about the build (Fulcio certificate extensions), keyed by OID.</summary>
internal sealed class ExtensionOptions
{
    private readonly (Option<string> Option, string Oid)[] _options =
    [
        (new("--source-repository-uri", "--certificate-github-workflow-repository") { Description = "The source repository URL the signing certificate must name, e.g. https://github.com/OWNER/REPO." }, FulcioExtensions.SourceRepositoryUri),
        (new("--source-repository-identifier") { Description = "The source repository's immutable ID the certificate must name (survives renames, unlike the URL)." }, FulcioExtensions.SourceRepositoryIdentifier),
        (new("--source-repository-ref") { Description = "The git ref the certificate must name, e.g. refs/heads/main or refs/tags/v1.0.0." }, FulcioExtensions.SourceRepositoryRef),
        (new("--source-repository-digest") { Description = "The commit the certificate must name." }, FulcioExtensions.SourceRepositoryDigest),
        (new("--owner-identifier") { Description = "The repository owner's immutable ID the certificate must name (survives renames)." }, FulcioExtensions.SourceRepositoryOwnerIdentifier),
        (new("--build-signer-uri") { Description = "The build definition (e.g. the workflow file at a ref) the certificate must name as the signer." }, FulcioExtensions.BuildSignerUri),
        (new("--runner-environment") { Description = "The kind of build machine the certificate must name, e.g. github-hosted." }, FulcioExtensions.RunnerEnvironment),
        (new("--build-trigger") { Description = "The event that started the build, e.g. push." }, FulcioExtensions.BuildTrigger),
    ];

    public static ExtensionOptions Create() => new();

    public void AddTo(Command command)
    {
        foreach (var (option, _) in _options)
        {
            command.Options.Add(option);
        }
    }

    public IReadOnlyDictionary<string, string> Read(ParseResult parse)
    {
        var pins = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (option, name) in _options)
        {
            if (parse.GetValue(option) is { } value)
            {
                pins[name] = value;
            }
        }

        return pins;
    }
}

/// <summary>
/// <c>--revocations FILE|URL</c> (repeatable): revocation documents whose entries fail a matching signature (SSB3490). A
/// URL names a document its publisher signed (the bundle at the URL plus .sigstore.json); it applies only when signed by
/// the identity the verification expects.
/// </summary>
internal sealed class RevocationOptions
{
    private readonly Option<string[]> _sources = new("--revocations")
    {
        Description = "A revocation document (docs/revocation.md): signatures it names (an identity within a window of verified time, a digest, a log entry or a key) fail with SSB3490. A file, or an http(s) URL of a document its publisher signed with 'sigstore sign' (bundle at <URL>.sigstore.json), applied only when signed by the expected identity (else SSB3494). Repeatable.",
    };

    public static RevocationOptions Create() => new();

    public void AddTo(Command command) => command.Options.Add(_sources);

    /// <summary>The documents named as files.</summary>
    public RevocationList? Read(ParseResult parse)
    {
        var files = (parse.GetValue(_sources) ?? []).Where(s => !PublishedRevocationList.IsUrl(s)).ToList();
        return files.Count == 0 ? null : new RevocationList(files.SelectMany(f => RevocationList.Load(Path.GetFullPath(f)).Entries));
    }

    /// <summary>The documents named as URLs: published, signed.</summary>
    public IReadOnlyList<string> ReadPublished(ParseResult parse) => [.. (parse.GetValue(_sources) ?? []).Where(PublishedRevocationList.IsUrl)];

    /// <summary><paramref name="local"/> plus each published document, verified against <paramref name="trust"/> and signed by <paramref name="expected"/>.</summary>
    public static async Task<RevocationList?> AddPublishedAsync(RevocationList? local, IReadOnlyList<string> urls, SigstoreBuild.Trust.TrustedRoot trust, CertificateIdentity? expected, CancellationToken cancellationToken)
    {
        if (urls.Count == 0)
        {
            return local;
        }

        if (expected is null)
        {
            throw new SigstoreException(SetupCodes.InvalidArgument, "A published revocation document (--revocations with a URL) applies only when signed by the certificate identity the verification expects, and a --key verification expects none. Download the document, review it, and pass it as a file.");
        }

        var verifier = new SigstoreVerifier(trust, VerifierOptions.PublicGood);
        var entries = new List<Revocation>(local?.Entries ?? []);
        foreach (var url in urls)
        {
            var published = await PublishedRevocationList.LoadAsync(url, null, verifier, null, cancellationToken).ConfigureAwait(false);
            entries.AddRange(published.For(expected).Entries);
        }

        return new RevocationList(entries);
    }
}

internal sealed record VerifyRequest
{
    public required string BundlePath { get; init; }

    public required string Subject { get; init; }

    /// <summary>The subject is a digest (sha256:hex) as such, never a file that happens to have that name.</summary>
    public bool SubjectIsDigest { get; init; }

    public string? Identity { get; init; }

    public string? IdentityRegex { get; init; }

    public string? Issuer { get; init; }

    public string? KeyPath { get; init; }

    public string? PredicateType { get; init; }

    public bool ProvenanceConsistency { get; init; }

    public bool UnsafeAllowUncorroboratedProvenance { get; init; }

    public int TlogThreshold { get; init; } = 1;

    public int TimestampThreshold { get; init; } = 1;

    public int SctThreshold { get; init; } = 1;

    public IReadOnlyDictionary<string, string> Extensions { get; init; } = new Dictionary<string, string>();

    public RevocationList? Revocations { get; init; }

    /// <summary>URLs of published, signed revocation documents, added to <see cref="Revocations"/> once trust is resolved.</summary>
    public IReadOnlyList<string> PublishedRevocations { get; init; } = [];

    public required TrustSettings Trust { get; init; }
}
