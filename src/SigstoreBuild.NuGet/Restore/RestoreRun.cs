using System.Security.Cryptography;
using SigstoreBuild.Diagnostics;
using SigstoreBuild.IO;

namespace SigstoreBuild.NuGet.Restore;

/// <summary>Everything the MSBuild task and the CLI pass in: plain strings and items, resolved here once for both.</summary>
public sealed class RestoreRunRequest
{
    public required string AssetsFilePath { get; init; }

    /// <summary>Project name for reports; the project file name also selects the *.nuget.g.* files to invalidate.</summary>
    public string? ProjectFileName { get; init; }

    /// <summary>obj/sigstore: cache, JSON report, failure marker, stamp. Default: sigstore/ beside the assets file.</summary>
    public string? StateDirectory { get; init; }

    public string? Mode { get; init; }

    public IReadOnlyList<PolicyItem> TrustedIdentities { get; init; } = [];

    /// <summary>SigstoreTrustedKey items: a package ID glob and a PublicKey file, relative to <see cref="PolicyBaseDirectory"/>.</summary>
    public IReadOnlyList<PolicyItem> TrustedKeys { get; init; } = [];

    /// <summary>What relative PublicKey paths of <see cref="TrustedKeys"/> start from (the project's folder); default: the current directory.</summary>
    public string? PolicyBaseDirectory { get; init; }

    public IReadOnlyList<PolicyItem> UnsignedAllowed { get; init; } = [];

    public IReadOnlyList<PolicyItem> Suppressions { get; init; } = [];

    /// <summary>
    /// SigstoreRevocations items (docs/revocation.md), relative to <see cref="PolicyBaseDirectory"/>: a document file, or a
    /// published source (an http(s) URL, or a file with Bundle metadata) whose signed document is fetched and verified.
    /// </summary>
    public IReadOnlyList<PolicyItem> Revocations { get; init; } = [];

    /// <summary>How long a fetched published revocation document is used before it is fetched again; default one hour.</summary>
    public TimeSpan? RevocationFreshness { get; init; }

    /// <summary>SigstoreRevocationFreshness as written (hh:mm:ss); null when unset. SSB5100 for anything else.</summary>
    public static TimeSpan? ParseRevocationFreshness(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        return TimeSpan.TryParse(value, System.Globalization.CultureInfo.InvariantCulture, out var freshness) && freshness >= TimeSpan.Zero
            ? freshness
            : throw new SigstoreException(RestoreCodes.PolicyInvalid, $"SigstoreRevocationFreshness '{value}' is not a duration. Set it as hours:minutes:seconds, e.g. <SigstoreRevocationFreshness>00:15:00</SigstoreRevocationFreshness>, or remove it for one hour.");
    }

    public string? PolicyFile { get; init; }

    /// <summary>sigstore.lock.json; null or empty: no lock.</summary>
    public string? LockFile { get; init; }

    public bool LockUpdate { get; init; }

    public bool LockedMode { get; init; }

    public bool Rehash { get; init; }

    public IReadOnlyList<string> BundleDirectories { get; init; } = [];

    public string? AttestationUrlTemplate { get; init; }

    /// <summary>Query GitHub's attestation API (network) for packages whose nuspec names a GitHub repository.</summary>
    public bool GitHubAttestations { get; init; }

    public string? GitHubApiUrl { get; init; }

    /// <summary>Read from the environment by the caller, never an MSBuild property.</summary>
    public string? GitHubToken { get; init; }

    /// <summary>A file to touch on success (the incremental target's output).</summary>
    public string? StampFile { get; init; }

    /// <summary>$GITHUB_STEP_SUMMARY, when set.</summary>
    public string? StepSummaryPath { get; init; }

    /// <summary>Enforce-mode failures invalidate restore outputs. The CLI on a bare assets file may turn it off.</summary>
    public bool InvalidateOnFailure { get; init; } = true;
}

/// <summary>One verification run with its side effects: cache, lock, JSON report, step summary, stamp and R-03 outputs.</summary>
public static class RestoreRun
{
    public const string ReportFileName = "verify-packages.json";

    public static Task<RestoreVerificationResult> ExecuteAsync(RestoreRunRequest request, IPackageSignatureVerifier? verifier, HttpClient? http, CancellationToken cancellationToken) =>
        ExecuteAsync(request, () => verifier, http, cancellationToken);

    /// <summary>
    /// <paramref name="verifierFactory"/> is called only when verification is on, so trust settings are validated (and
    /// may throw SSB5116) only for builds that verify; the verifier itself should load its trust root lazily.
    /// </summary>
    public static async Task<RestoreVerificationResult> ExecuteAsync(RestoreRunRequest request, Func<IPackageSignatureVerifier?> verifierFactory, HttpClient? http, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(verifierFactory);
        var revocations = TrustPolicyReader.ReadRevocations(request.Revocations, request.PolicyBaseDirectory);
        var policy = TrustPolicyReader.FromItems(request.TrustedIdentities, request.UnsignedAllowed, request.Suppressions, request.TrustedKeys, request.PolicyBaseDirectory,
            revocations.Entries, revocations.Sources);
        string? fileMode = null;
        if (!string.IsNullOrWhiteSpace(request.PolicyFile))
        {
            var (filePolicy, mode) = TrustPolicyReader.FromJsonFile(request.PolicyFile);
            policy = policy.Merge(filePolicy);
            fileMode = mode;
        }

        var modeText = string.IsNullOrWhiteSpace(request.Mode) ? fileMode : request.Mode;
        var verificationMode = TrustPolicy.ParseMode(modeText, !policy.IsEmpty);
        var stateDirectory = request.StateDirectory ?? Path.Combine(Path.GetDirectoryName(Path.GetFullPath(request.AssetsFilePath))!, "sigstore");
        var projectName = request.ProjectFileName ?? Path.GetFileName(Path.GetDirectoryName(Path.GetDirectoryName(Path.GetFullPath(request.AssetsFilePath)))) ?? "project";

        if (verificationMode == VerificationMode.Off)
        {
            var diagnostics = policy.IsEmpty ? [] : new[] { new RestoreDiagnostic(RestoreCodes.UnsafeVerificationOff, DiagnosticSeverity.Warning, null, null, "A Sigstore trust policy is configured but SigstoreVerifyPackages=off, so dependencies are not verified. Set it to audit or enforce.") };
            if (diagnostics.Length == 0)
            {
                Touch(request.StampFile);
            }
            else
            {
                DeleteStamp(request.StampFile);
            }

            return new RestoreVerificationResult { Packages = [], Diagnostics = diagnostics, Mode = verificationMode };
        }

        foreach (var directory in request.BundleDirectories.Where(d => !string.IsNullOrWhiteSpace(d) && !Directory.Exists(d)))
        {
            throw new SigstoreException(RestoreCodes.SourceInvalid, $"The bundle directory '{directory}' (SigstoreBundleDirectory or --bundle-dir) does not exist. Fix the path, or remove the item.");
        }

        var verifier = verifierFactory();
        var sources = new List<IBundleSource> { new EmbeddedBundleSource(), new SidecarBundleSource() };
        sources.AddRange(request.BundleDirectories.Where(d => !string.IsNullOrWhiteSpace(d)).Select(d => new DirectoryBundleSource(Path.GetFullPath(d))));
        sources.Add(new PackageFolderCacheBundleSource());

        // Revocation documents are fetched without following redirects; the attestation sources' client follows them.
        var revocationHttp = http;
        if (!string.IsNullOrWhiteSpace(request.AttestationUrlTemplate) || request.GitHubAttestations)
        {
            http ??= new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
            if (!string.IsNullOrWhiteSpace(request.AttestationUrlTemplate))
            {
                sources.Add(new HttpTemplateBundleSource(http, request.AttestationUrlTemplate));
            }

            if (request.GitHubAttestations)
            {
                var api = new Uri(string.IsNullOrWhiteSpace(request.GitHubApiUrl) ? "https://api.github.com/" : request.GitHubApiUrl.TrimEnd('/') + "/");
                sources.Add(new GitHubAttestationBundleSource(http, api, request.GitHubToken));
            }
        }

        IReadOnlyList<ConfigurationFinding> findings = [];
        if (policy.RevocationSources.Count > 0)
        {
            var (published, problems) = await PublishedRevocationResolver.ResolveAsync(policy, stateDirectory, verifier, revocationHttp, request.RevocationFreshness ?? PublishedRevocationResolver.DefaultFreshness, TimeProvider.System, cancellationToken).ConfigureAwait(false);
            policy = policy.WithPublished(published);
            findings = problems;
        }

        var result = await new RestoreVerifier(new RestoreVerificationOptions
        {
            ConfigurationFindings = findings,
            AssetsFilePath = request.AssetsFilePath,
            Policy = policy,
            Mode = verificationMode,
            LockFilePath = string.IsNullOrWhiteSpace(request.LockFile) ? null : request.LockFile,
            LockUpdate = request.LockUpdate,
            LockedMode = request.LockedMode,
            Rehash = request.Rehash,
            CacheFilePath = Path.Combine(stateDirectory, "cache.json"),
            Sources = sources,
            Verifier = verifier,
        }).VerifyAsync(cancellationToken).ConfigureAwait(false);

        Directory.CreateDirectory(stateDirectory);
        FileWrites.WriteAtomically(Path.Combine(stateDirectory, ReportFileName), System.Text.Encoding.UTF8.GetBytes(RestoreReport.ToJson(result, projectName)));
        if (!string.IsNullOrWhiteSpace(request.StepSummaryPath))
        {
            using var stream = new FileStream(request.StepSummaryPath, FileMode.Append, FileAccess.Write, FileShare.ReadWrite);
            stream.Write(System.Text.Encoding.UTF8.GetBytes(RestoreReport.ToMarkdown(result, projectName)));
        }

        if (result.Succeeded)
        {
            RestoreOutputs.ClearMarker(stateDirectory);

            // The stamp lets an unchanged project skip the target, and a skipped target prints nothing: so a run with
            // warnings (audit findings, trust source warnings) leaves no stamp, and the next build reports them again.
            var hasWarnings = result.Diagnostics.Any(d => d.Severity == DiagnosticSeverity.Warning && !d.Suppressed)
                || verifier is TrustRootPackageSignatureVerifier { Warnings.Count: > 0 };

            // A published document may change without any input changing (a URL, or a file the policy file names): the
            // target runs each build, and the fetched copy and the verification cache keep that cheap.
            if (hasWarnings || policy.RevocationSources.Count > 0)
            {
                DeleteStamp(request.StampFile);
            }
            else
            {
                Touch(request.StampFile);
            }
        }
        else
        {
            DeleteStamp(request.StampFile);
            if (verificationMode == VerificationMode.Enforce && request.InvalidateOnFailure)
            {
                RestoreOutputs.Invalidate(request.AssetsFilePath, stateDirectory, request.ProjectFileName, result.Summary);
            }
        }

        return result;
    }

    /// <summary>SHA-256 (hex) of a trust root file, for the verification cache key.</summary>
    public static string FingerprintFile(string path) =>
        Convert.ToHexStringLower(SHA256.HashData(InputFile.ReadAllBytes(path, SigstoreBuild.Trust.TrustDocumentSerializer.TrustedRootFile)));

    private static void DeleteStamp(string? stamp)
    {
        if (!string.IsNullOrWhiteSpace(stamp) && File.Exists(stamp))
        {
            File.Delete(stamp);
        }
    }

    private static void Touch(string? stamp)
    {
        if (string.IsNullOrWhiteSpace(stamp))
        {
            return;
        }

        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(stamp))!);
        File.WriteAllText(stamp, string.Empty);
        File.SetLastWriteTimeUtc(stamp, DateTime.UtcNow);
    }
}
