using Microsoft.Build.Framework;
using SigstoreBuild.Attestations;
using SigstoreBuild.Diagnostics;
using SigstoreBuild.NuGet.Attestations;
using SigstoreBuild.NuGet.Sbom;
using SigstoreBuild.Signing.Sharing;
using SigstoreBuild.Tasks.Reporting;
using SigstoreBuild.Tasks.Signing;
using SignedAttestation = SigstoreBuild.Signing.SignedAttestation;

namespace SigstoreBuild.Tasks;

/// <summary>
/// What the signing tasks (SigstoreSignPackages, SigstoreSignFiles) share: settings, the identity check, the per-build
/// signer and the one place where exceptions become coded MSBuild errors. No parameter ever carries a token; the
/// environment is read in code only.
/// </summary>
public abstract class SigstoreSigningTask : Microsoft.Build.Utilities.Task, ICancelableTask
{
    private readonly CancellationTokenSource _cancellation = new();

    /// <summary><c>auto</c> (default: sign when an identity is available), <c>true</c> (signing required) or <c>false</c>.</summary>
    public string? Sign { get; set; }

    /// <summary>Fail instead of skipping when no identity is available .</summary>
    public bool RequireSigning { get; set; }

    public string? Instance { get; set; }
    public string? TrustedRootPath { get; set; }
    public string? SigningConfigPath { get; set; }
    public string? TufUrl { get; set; }
    public string? TufRootPath { get; set; }
    public string? TufCachePath { get; set; }

    /// <summary>Use the TUF cache (or, for the public instances, the embedded trust root) without contacting the mirror.</summary>
    public string? Offline { get; set; }
    public string? OidcProvider { get; set; }

    /// <summary>The OIDC issuer and client ID of a device-code or browser login (SigstoreOidcIssuer, SigstoreOidcClientId).</summary>
    public string? OidcIssuer { get; set; }

    public string? OidcClientId { get; set; }

    /// <summary>SigstoreOidcProvider=msal: the SigstoreEntra* properties (see EntraSettings).</summary>
    public string? EntraAuthority { get; set; }
    public string? EntraClientId { get; set; }
    public string? EntraFlow { get; set; }
    public string? EntraScope { get; set; }
    public string? EntraCertificatePath { get; set; }
    public string? EntraCertificatePasswordVariable { get; set; }
    public string? EntraAssertionFile { get; set; }
    public bool UnsafeAllowUntrustedTrigger { get; set; }

    /// <summary>A PKCS#8 PEM private key to sign with instead of a Fulcio certificate; relative to the project. Its password is read from the environment only.</summary>
    public string? SigningKeyPath { get; set; }

    /// <summary>One signing session for all MSBuild nodes of the build (default); false: one per node process.</summary>
    public bool ShareSigningSession { get; set; } = true;
    public string? BundleExtension { get; set; }
    public string? ProjectPath { get; set; }
    public string? Configuration { get; set; }
    public string? TargetFrameworks { get; set; }

    /// <summary>The inputs file written by SigstoreCollectProvenance; empty: the minimal predicate (SigstoreProvenance=false).</summary>
    public string? ProvenanceInputs { get; set; }

    /// <summary>The project's assets file: when set, a CycloneDX SBOM of what it resolved is signed too (SigstoreSbom).</summary>
    public string? SbomAssetsFile { get; set; }

    /// <summary>An SBOM the build already produced (SigstoreSbomFile): attested as it is, instead of generating one.</summary>
    public string? SbomFile { get; set; }

    internal ITaskEnvironment Environment { get; set; } = ProcessTaskEnvironment.Instance;

    protected CancellationToken CancellationToken => _cancellation.Token;

    public void Cancel() => _cancellation.Cancel();

    public sealed override bool Execute()
    {
        try
        {
            var mode = (Sign ?? "").Trim().ToLowerInvariant();
            if (mode is "false")
            {
                return true;
            }

            if (mode is not ("" or "auto" or "true"))
            {
                throw new SigstoreException(TaskCodes.InvalidSetting, $"SigstoreSign is '{Sign}'. Use true, false or auto.");
            }

            var extension = string.IsNullOrWhiteSpace(BundleExtension) ? ".sigstore.json" : BundleExtension.Trim();
            if (!extension.StartsWith('.') || extension.IndexOfAny(['/', '\\', ':']) >= 0 || extension.Length < 2)
            {
                throw new SigstoreException(TaskCodes.InvalidSetting, $"SigstoreBundleExtension is '{BundleExtension}'. Use a file extension that starts with a dot, such as .sigstore.json.");
            }

            var trust = TrustProperties.Create(Instance, TrustedRootPath, SigningConfigPath, TufUrl, TufRootPath, TufCachePath, Offline, forSigning: true);
            var settings = SignerSettings.Create(trust, OidcProvider, UnsafeAllowUntrustedTrigger, ShareSigningSession, OidcIssuer, OidcClientId, ResolveProjectRelative(SigningKeyPath)) with
            {
                Entra = EntraSettings.Create(EntraAuthority, EntraClientId, EntraFlow, EntraScope, EntraCertificatePath, EntraCertificatePasswordVariable, EntraAssertionFile),
            };
            ExecuteCore(new TaskRun(this, settings, extension, required: mode == "true" || RequireSigning));
        }
        catch (SigstoreException ex)
        {
            LogCodedError(ex.Code, ex.Message);
        }
        catch (OperationCanceledException)
        {
            LogCodedError(SetupCodes.Cancelled, "Signing was cancelled.");
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // The task boundary: one coded error instead of an MSBuild crash report.
            LogCodedError(TaskCodes.SigningFailed, $"Signing failed unexpectedly ({ex.GetType().Name}: {ex.Message}). Rerun with -v:diag and report it if it persists.");
        }

        return !Log.HasLoggedErrors;
    }

    private protected abstract void ExecuteCore(TaskRun run);

    private string? ResolveProjectRelative(string? path) =>
        string.IsNullOrWhiteSpace(path) || Path.IsPathRooted(path.Trim()) || string.IsNullOrEmpty(ProjectPath)
            ? path
            : Path.Combine(Path.GetDirectoryName(Path.GetFullPath(ProjectPath))!, path.Trim());

    /// <summary>
    /// A login's instructions (the URL to open, the device code), while the build waits for the user: at high importance,
    /// so the default verbosity shows them, and on standard error, which the terminal shows even if this task has ended
    /// by the time the shared session logs in.
    /// </summary>
    private void Prompt(string message)
    {
        Console.Error.WriteLine($"Sigstore: {message}");
        try
        {
            Log.LogMessage(MessageImportance.High, $"Sigstore: {message}");
        }
        catch (InvalidOperationException)
        {
            // The task that created the shared session has finished; standard error above still shows it.
        }
    }

    internal void LogCodedError(string code, string message) =>
        Log.LogError(subcategory: "Sigstore", errorCode: code, helpKeyword: null, file: ProjectPath, lineNumber: 0, columnNumber: 0, endLineNumber: 0, endColumnNumber: 0, message: message);

    internal void LogCodedWarning(string code, string message) =>
        Log.LogWarning(subcategory: "Sigstore", warningCode: code, helpKeyword: null, file: ProjectPath, lineNumber: 0, columnNumber: 0, endLineNumber: 0, endColumnNumber: 0, message: message);

    /// <summary>One invocation's resolved state.</summary>
    private protected sealed class TaskRun(SigstoreSigningTask task, SignerSettings settings, string bundleExtension, bool required)
    {
        private readonly List<SignedArtifactRow> _rows = [];

        public SignerSettings Settings { get; } = settings;
        public string BundleExtension { get; } = bundleExtension;

        /// <summary>Signing is required (SigstoreSign=true or SigstoreRequireSigning=true): nothing may be left unsigned.</summary>
        public bool Required { get; } = required;

        private SlsaProvenanceSource? _provenance;

        public SlsaBuildContext BuildContext(string step) =>
            BuildContextReader.Read(task.Environment, step, task.ProjectPath, task.Configuration, task.TargetFrameworks);

        /// <summary>The SLSA provenance predicate for <paramref name="step"/>, or null for the minimal one.</summary>
        public System.Text.Json.Nodes.JsonObject? Provenance(string step) =>
            (_provenance ??= SlsaProvenanceSource.Create(task.ProvenanceInputs, task.Environment, task.LogCodedWarning))?.Build(step);

        /// <summary>Adds the package's assemblies as subjects when SigstoreProvenanceIncludeAssemblies is set.</summary>
        public InTotoStatement WithAssemblies(InTotoStatement statement, string packagePath) =>
            (_provenance ??= SlsaProvenanceSource.Create(task.ProvenanceInputs, task.Environment, task.LogCodedWarning))?.WithAssemblies(statement, packagePath) ?? statement;

        /// <summary>
        /// The SBOM attestation over <paramref name="subjects"/>: the user's file (SbomFile) when set, else the one
        /// <paramref name="generate"/> makes from the assets file; null when SigstoreSbom is off.
        /// </summary>
        public SbomAttestation? Sbom(IReadOnlyList<InTotoSubject> subjects, Func<string, InTotoStatement> generate)
        {
            if (!string.IsNullOrWhiteSpace(task.SbomFile))
            {
                return new SbomAttestation(SbomStatements.ForFile(subjects, Path.GetFullPath(task.SbomFile)), FromFile: true);
            }

            return string.IsNullOrEmpty(task.SbomAssetsFile) ? null : new SbomAttestation(generate(task.SbomAssetsFile), FromFile: false);
        }

        /// <summary>The shared signer, or null when signing is skipped (no identity, not required).</summary>
        public SharedSigner? AcquireSigner(int artifactCount)
        {
            // With a key there is no identity to detect: the key is the signer.
            var source = Settings.SigningKeyPath is { } keyPath ? $"key '{keyPath}'" : DetectIdentity(artifactCount);
            if (source is null)
            {
                return null;
            }

            var signer = SignerCache.GetOrCreate(task.BuildEngine4, Settings, () => SignerFactory.Create(Settings, task.Environment, task.Prompt, task.CancellationToken), out var created);
            task.Log.LogMessage(MessageImportance.Low, created
                ? $"Sigstore: new signing session ({Settings.Instance}, {source})."
                : "Sigstore: reusing this build's signing session.");
            LogNotices(signer);
            return signer;
        }

        /// <summary>Where the OIDC identity comes from, or null when signing is skipped (none, not required).</summary>
        private string? DetectIdentity(int artifactCount)
        {
            IdentityAvailability.CheckTrigger(task.Environment, Settings, task.LogCodedWarning);
            var identity = IdentityAvailability.Detect(task.Environment, Settings.OidcProvider, Settings.Entra?.IsPersonal ?? true);
            if (!identity.Available)
            {
                if (Required)
                {
                    throw new SigstoreException(TaskCodes.NoIdentity, $"Signing is required but no OIDC identity is available ({identity.Source}). {identity.Fix}");
                }

                task.LogCodedWarning(TaskCodes.NotSigned, $"{artifactCount} artifact(s) left unsigned: no OIDC identity is available ({identity.Source}). {identity.Fix} Set SigstoreRequireSigning=true to make this an error.");
                return null;
            }

            return $"identity from {identity.Source}";
        }

        public SignedAttestation Sign(SharedSigner signer, InTotoStatement statement, string bundlePath)
        {
            try
            {
                return signer.SignAsync(statement, bundlePath, task.CancellationToken).GetAwaiter().GetResult();
            }
            finally
            {
                LogNotices(signer);
            }
        }

        /// <summary>What the signer had to say, in this task's log (the signer outlives the task that created it).</summary>
        private void LogNotices(SharedSigner signer)
        {
            foreach (var notice in signer.DrainNotices())
            {
                if (notice.Code is { } code)
                {
                    task.LogCodedWarning(code, notice.Message);
                }
                else
                {
                    task.Log.LogMessage(MessageImportance.Normal, notice.Message);
                }
            }
        }

        public void Report(SignedArtifactRow row)
        {
            _rows.Add(row);
            var who = row.Identity is null ? "" : $" as {row.Identity}";
            var log = row.LogIndex is null ? "" : $", log index {row.LogIndex}";
            task.Log.LogMessage(MessageImportance.High, $"Sigstore: {row.Status} {row.Artifact}{who}{log} -> {row.Bundle}");
        }

        public void WriteStepSummary(string title)
        {
            try
            {
                StepSummary.Append(task.Environment, title, _rows);
            }
            catch (IOException ex)
            {
                task.LogCodedWarning(TaskCodes.SummaryNotWritten, $"Could not append to GITHUB_STEP_SUMMARY: {ex.Message}");
            }
            catch (UnauthorizedAccessException ex)
            {
                task.LogCodedWarning(TaskCodes.SummaryNotWritten, $"Could not append to GITHUB_STEP_SUMMARY: {ex.Message}");
            }
        }
    }
}

/// <summary>
/// An SBOM statement to sign. A generated one carries its creation time, so only its subjects decide whether an existing
/// bundle is current; a user's file is compared whole, so editing it signs it again.
/// </summary>
internal sealed record SbomAttestation(InTotoStatement Statement, bool FromFile)
{
    public bool IsUpToDate(string bundlePath) =>
        BundleFreshness.IsUpToDate(bundlePath, Statement.Subjects, Statement.PredicateType, FromFile ? Statement.Predicate : null);

    public bool IsUpToDate(byte[] bundleJson) =>
        BundleFreshness.IsUpToDate(bundleJson, Statement.Subjects, Statement.PredicateType, FromFile ? Statement.Predicate : null);
}
