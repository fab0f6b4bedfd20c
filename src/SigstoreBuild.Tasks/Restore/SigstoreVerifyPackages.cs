using Microsoft.Build.Framework;
using SigstoreBuild.Diagnostics;
using SigstoreBuild.NuGet.Restore;

namespace SigstoreBuild.Tasks.Restore;

/// <summary>
/// Verifies the packages of project.assets.json against the Sigstore trust policy (see SigstoreBuild.Restore.targets).
/// A thin adapter: items become <see cref="PolicyItem"/>s, findings become coded MSBuild errors and warnings.
/// </summary>
public sealed class SigstoreVerifyPackages : Microsoft.Build.Utilities.Task, ICancelableTask
{
    private readonly CancellationTokenSource _cancellation = new();

    [Required]
    public string AssetsFile { get; set; } = string.Empty;

    public string? ProjectPath { get; set; }

    public string? StateDirectory { get; set; }

    public string? Mode { get; set; }

    public ITaskItem[] TrustedIdentities { get; set; } = [];

    /// <summary>SigstoreTrustedKey items: Include = package ID glob, PublicKey = a PEM public key file relative to the project.</summary>
    public ITaskItem[] TrustedKeys { get; set; } = [];

    public ITaskItem[] UnsignedAllowed { get; set; } = [];

    public ITaskItem[] Suppressions { get; set; } = [];

    /// <summary>SigstoreRevocations items (docs/revocation.md): a document file, or a published one (a URL, or a file with Bundle metadata), relative to the project.</summary>
    public ITaskItem[] RevocationFiles { get; set; } = [];

    /// <summary>SigstoreRevocationFreshness: how long a fetched published revocation document is used before it is fetched again (hh:mm:ss; default one hour).</summary>
    public string? RevocationFreshness { get; set; }

    public string? PolicyFile { get; set; }

    public string? LockFile { get; set; }

    public bool LockUpdate { get; set; }

    public bool LockedMode { get; set; }

    public bool Rehash { get; set; }

    public ITaskItem[] BundleDirectories { get; set; } = [];

    public string? AttestationUrlTemplate { get; set; }

    public bool GitHubAttestations { get; set; }

    public string? GitHubApiUrl { get; set; }

    public string? TrustedRootPath { get; set; }

    /// <summary>public-good (default), staging or custom.</summary>
    public string? Instance { get; set; }

    public string? TufUrl { get; set; }

    public string? TufRootPath { get; set; }

    public string? TufCachePath { get; set; }

    /// <summary>true or false (validated by <see cref="TrustProperties"/>).</summary>
    public string? Offline { get; set; }

    public string? StampFile { get; set; }

    public void Cancel() => _cancellation.Cancel();

    public override bool Execute()
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        try
        {
            var request = new RestoreRunRequest
            {
                AssetsFilePath = AssetsFile,
                ProjectFileName = ProjectPath is null ? null : Path.GetFileName(ProjectPath),
                StateDirectory = string.IsNullOrWhiteSpace(StateDirectory) ? null : StateDirectory,
                Mode = Mode,
                TrustedIdentities = TrustedIdentities.Select(ToPolicyItem).ToList(),
                TrustedKeys = TrustedKeys.Select(ToPolicyItem).ToList(),
                PolicyBaseDirectory = ProjectPath is null ? null : Path.GetDirectoryName(Path.GetFullPath(ProjectPath)),
                UnsignedAllowed = UnsignedAllowed.Select(ToPolicyItem).ToList(),
                Suppressions = Suppressions.Select(ToPolicyItem).ToList(),
                Revocations = RevocationFiles.Select(i => new PolicyItem(i.ItemSpec, new Dictionary<string, string> { ["Bundle"] = i.GetMetadata("Bundle") })).ToList(),
                RevocationFreshness = RestoreRunRequest.ParseRevocationFreshness(RevocationFreshness),
                PolicyFile = string.IsNullOrWhiteSpace(PolicyFile) ? null : PolicyFile,
                LockFile = LockFile,
                LockUpdate = LockUpdate,
                LockedMode = LockedMode,
                Rehash = Rehash,
                BundleDirectories = BundleDirectories.Select(i => i.GetMetadata("FullPath")).ToList(),
                AttestationUrlTemplate = AttestationUrlTemplate,
                GitHubAttestations = GitHubAttestations,
                GitHubApiUrl = GitHubApiUrl,
                GitHubToken = Environment.GetEnvironmentVariable("GITHUB_TOKEN"),
                StampFile = StampFile,
                StepSummaryPath = Environment.GetEnvironmentVariable("GITHUB_STEP_SUMMARY") is { Length: > 0 } summary ? summary : null,
            };
            TrustRootPackageSignatureVerifier? verifier = null;
            var result = RestoreRun.ExecuteAsync(request, () => verifier = RestoreVerifierResolver.Resolve(this), http: null, _cancellation.Token).GetAwaiter().GetResult();
            foreach (var warning in verifier?.Warnings ?? [])
            {
                Log.LogWarning("Sigstore", warning.Code, null, ProjectPath, 0, 0, 0, 0, warning.Message);
            }

            foreach (var diagnostic in result.Diagnostics)
            {
                if (diagnostic.Suppressed)
                {
                    Log.LogMessage(MessageImportance.Low, $"Sigstore: suppressed {diagnostic.Code}: {diagnostic.Message}");
                }
                else if (diagnostic.Severity == NuGet.Restore.DiagnosticSeverity.Error)
                {
                    LogError(diagnostic.Code, diagnostic.Message);
                }
                else if (diagnostic.Severity == NuGet.Restore.DiagnosticSeverity.Warning)
                {
                    Log.LogWarning("Sigstore", diagnostic.Code, null, ProjectPath, 0, 0, 0, 0, diagnostic.Message);
                }
            }

            if (result.Packages.Count > 0)
            {
                // A passing check is visible at normal verbosity too, as NuGet's restore summary is.
                Log.LogMessage(MessageImportance.High, result.Succeeded ? RestoreReport.ToSummaryLine(result, request.ProjectFileName ?? "project") : "Sigstore: " + result.Summary);
            }
        }
        catch (SigstoreException ex)
        {
            LogError(ex.Code, ex.Message);
        }
        catch (OperationCanceledException)
        {
            LogError(SetupCodes.Cancelled, "Dependency verification was cancelled.");
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // The task boundary: one coded error instead of an MSBuild crash report.
            LogError(SetupCodes.Internal, $"Dependency verification failed unexpectedly ({ex.GetType().Name}: {ex.Message}). Rerun with -v:diag and report it if it persists.");
        }

        Log.LogMessage(MessageImportance.Low, $"Sigstore: dependency check took {clock.ElapsedMilliseconds} ms.");
        return !Log.HasLoggedErrors;
    }

    private void LogError(string code, string message) => Log.LogError("Sigstore", code, null, ProjectPath, 0, 0, 0, 0, message);

    private static PolicyItem ToPolicyItem(ITaskItem item)
    {
        // MSBuild expands '*' in Include as a file wildcard: Include="*" becomes the files of the project folder.
        if (File.Exists(item.GetMetadata("FullPath")))
        {
            throw new SigstoreException(RestoreCodes.PolicyInvalid, $"The Sigstore policy item '{item.ItemSpec}' is a file: MSBuild expanded a '*' in Include as a file wildcard. Write '*' as %2A in Include (Include=\"Contoso.%2A\"), or put the pattern in Packages=\"Contoso.*\".");
        }

        var metadata = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var name in item.MetadataNames.Cast<string>())
        {
            metadata[name] = item.GetMetadata(name);
        }

        return new PolicyItem(item.ItemSpec, metadata);
    }
}

/// <summary>
/// The task's trust properties through the package's shared <see cref="TrustProperties"/> (SSB0401/SSB0402 for invalid
/// settings, as for signing). The trust root itself is loaded on first use, so a build without bundles needs none.
/// </summary>
internal static class RestoreVerifierResolver
{
    public static TrustRootPackageSignatureVerifier Resolve(SigstoreVerifyPackages task) => TrustRootPackageSignatureVerifier.Create(
        TrustProperties.Create(task.Instance, task.TrustedRootPath, signingConfigPath: null, task.TufUrl, task.TufRootPath, task.TufCachePath, task.Offline, forSigning: false).Configuration);
}
