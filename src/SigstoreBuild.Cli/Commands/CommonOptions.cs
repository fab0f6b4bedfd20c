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

/// <summary>Where trust comes from: a TUF mirror and initial root, its cache, and offline mode.</summary>
internal sealed class TrustOptions
{
    private readonly Option<string> _mirror = new("--tuf-mirror") { Description = "A TUF mirror URL of a custom Sigstore instance (with --tuf-root)." };
    private readonly Option<FileInfo> _root = new("--tuf-root") { Description = "The initial TUF root.json to trust for --tuf-mirror." };
    private readonly Option<DirectoryInfo> _cacheDir = new("--cache-dir") { Description = "The TUF cache directory (default: under the user profile, or SIGSTORE_TUF_CACHE)." };
    private readonly Option<bool> _offline = new("--offline") { Description = "Use the cached or embedded trust root without contacting the TUF mirror." };

    public static TrustOptions Create() => new();

    public void AddTo(Command command)
    {
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

    public TrustSettings Read(System.CommandLine.ParseResult parse, bool staging, string? trustedRootPath) => new()
    {
        Instance = staging ? "staging" : null,
        TrustedRootPath = trustedRootPath,
        TufUrl = parse.GetValue(_mirror),
        TufRootPath = parse.GetValue(_root)?.FullName,
        CacheDirectory = parse.GetValue(_cacheDir)?.FullName,
        Offline = parse.GetValue(_offline),
    };
}

/// <summary><c>--provenance-consistency</c> and its Unsafe opt-out, the same for verify and verify-package.</summary>
internal sealed class ProvenanceOptions
{
    private readonly Option<bool> _required = new("--provenance-consistency")
    {
        Description = "For SLSA provenance: builder id, source and invocation must agree with the certificate, which must carry at least one of them (D-06).",
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

    public (bool Required, bool AllowUncorroborated) Read(System.CommandLine.ParseResult parse) =>
        (parse.GetValue(_required), parse.GetValue(_unsafeUncorroborated));
}

/// <summary>Exact-match pins on Fulcio certificate extensions (OID 1.3.6.1.4.1.57264.1.x), keyed by OID.</summary>
internal sealed class ExtensionOptions
{
    private readonly (Option<string> Option, string Oid)[] _options =
    [
        (new("--source-repository-uri", "--certificate-github-workflow-repository") { Description = "Source Repository URI (1.12)." }, FulcioExtensions.SourceRepositoryUri),
        (new("--source-repository-identifier") { Description = "Source Repository Identifier (1.15), immutable." }, FulcioExtensions.SourceRepositoryIdentifier),
        (new("--source-repository-ref") { Description = "Source Repository Ref (1.14), e.g. refs/heads/main." }, FulcioExtensions.SourceRepositoryRef),
        (new("--source-repository-digest") { Description = "Source Repository Digest (1.13): the commit." }, FulcioExtensions.SourceRepositoryDigest),
        (new("--owner-identifier") { Description = "Source Repository Owner Identifier (1.17), immutable." }, FulcioExtensions.SourceRepositoryOwnerIdentifier),
        (new("--build-signer-uri") { Description = "Build Signer URI (1.9)." }, FulcioExtensions.BuildSignerUri),
        (new("--runner-environment") { Description = "Runner Environment (1.11), e.g. github-hosted." }, FulcioExtensions.RunnerEnvironment),
        (new("--build-trigger") { Description = "Build Trigger (1.20), e.g. push." }, FulcioExtensions.BuildTrigger),
    ];

    public static ExtensionOptions Create() => new();

    public void AddTo(Command command)
    {
        foreach (var (option, _) in _options)
        {
            command.Options.Add(option);
        }
    }

    public IReadOnlyDictionary<string, string> Read(System.CommandLine.ParseResult parse)
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

internal sealed record VerifyRequest
{
    public required string BundlePath { get; init; }

    public required string Subject { get; init; }

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

    public required TrustSettings Trust { get; init; }
}
