using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;
using SigstoreBuild.Diagnostics;
using SigstoreBuild.NuGet.Attestations;
using SigstoreBuild.Attestations;
using SigstoreBuild.NuGet.Sbom;
using SigstoreBuild.Tasks.Reporting;

namespace SigstoreBuild.Tasks;

/// <summary>
/// Signs a set of files (by default every file of a publish folder) with one bundle whose in-toto statement lists each
/// file, by its path relative to the folder, as a subject.
/// </summary>
public sealed class SigstoreSignFiles : SigstoreSigningTask
{
    [Required]
    public string BaseDirectory { get; set; } = "";

    /// <summary>Files to attest; empty: every file under <see cref="BaseDirectory"/> except bundles.</summary>
    public ITaskItem[] Files { get; set; } = [];

    [Required]
    public string BundlePath { get; set; } = "";

    public string Step { get; set; } = "publish";

    [Output]
    public ITaskItem[] Bundles { get; set; } = [];

    private protected override void ExecuteCore(TaskRun run)
    {
        var root = Path.GetFullPath(BaseDirectory);
        if (!Directory.Exists(root))
        {
            throw new SigstoreException(TaskCodes.ArtifactMissing, $"The folder to sign, '{root}', does not exist. Run the publish again.");
        }

        var bundlePath = Path.GetFullPath(BundlePath);
        var files = (Files.Length > 0
                ? Files.Select(f => Path.GetFullPath(f.ItemSpec))
                : Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories))
            .Where(f => !f.EndsWith(run.BundleExtension, StringComparison.OrdinalIgnoreCase) && !string.Equals(f, bundlePath, StringComparison.Ordinal))
            .ToList();
        var missing = files.FirstOrDefault(f => !File.Exists(f));
        if (missing is not null)
        {
            throw new SigstoreException(TaskCodes.ArtifactMissing, $"'{missing}' does not exist. Run the publish again.");
        }

        if (files.Count == 0)
        {
            throw new SigstoreException(TaskCodes.ArtifactMissing, $"The folder '{root}' has no files to sign.");
        }

        var statement = PackageStatements.ForPublishOutput(root, files, run.BuildContext(Step), run.Provenance(Step));
        var label = $"{Path.GetFileName(root.TrimEnd(Path.DirectorySeparatorChar))} ({statement.Subjects.Count} files)";

        // The SBOM: a second attestation over the same subjects, beside the provenance.
        var attestations = new List<(InTotoStatement Statement, Func<string, bool> IsUpToDate, string Path, string Label)>
        {
            (statement, path => BundleFreshness.IsUpToDate(path, statement.Subjects, statement.PredicateType), bundlePath, label),
        };
        if (run.Sbom(statement.Subjects, assets => SbomStatements.ForAssets(statement.Subjects, assets, Path.GetFileNameWithoutExtension(ProjectPath) ?? "project", DateTimeOffset.UtcNow)) is { } sbom)
        {
            attestations.Add((sbom.Statement, sbom.IsUpToDate, SbomBundlePath(bundlePath, run.BundleExtension), label + " SBOM"));
        }

        var bundles = new List<ITaskItem>();
        SigstoreBuild.Signing.Sharing.SharedSigner? signer = null;
        foreach (var (attestation, isUpToDate, path, name) in attestations)
        {
            bundles.Add(new TaskItem(path));
            if (isUpToDate(path))
            {
                run.Report(new SignedArtifactRow(name, attestation.Subjects[0].Name, attestation.Subjects[0].Digest["sha256"], null, null, Path.GetFileName(path), "up to date"));
                continue;
            }

            signer ??= run.AcquireSigner(statement.Subjects.Count);
            if (signer is null)
            {
                return;
            }

            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            var signed = run.Sign(signer, attestation, path);
            run.Report(new SignedArtifactRow(name, attestation.Subjects[0].Name, attestation.Subjects[0].Digest["sha256"], signed.SignerIdentity, signed.LogIndex, Path.GetFileName(path), "signed"));
        }

        Bundles = [.. bundles];
        run.WriteStepSummary(Path.GetFileName(ProjectPath ?? "publish"));
    }

    /// <summary><c>publish.sigstore.json</c> → <c>publish.sbom.sigstore.json</c>.</summary>
    internal static string SbomBundlePath(string bundlePath, string extension) =>
        bundlePath.EndsWith(extension, StringComparison.OrdinalIgnoreCase)
            ? bundlePath[..^extension.Length] + ".sbom" + extension
            : bundlePath + ".sbom" + extension;
}
