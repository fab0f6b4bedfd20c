using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;
using SigstoreBuild.Attestations;
using SigstoreBuild.Diagnostics;
using SigstoreBuild.NuGet;
using SigstoreBuild.NuGet.Attestations;
using SigstoreBuild.Tasks.Reporting;

namespace SigstoreBuild.Tasks;

/// <summary>
/// Signs each .nupkg/.snupkg that pack produced: a DSSE in-toto attestation whose subject is <c>pkg:nuget/id@version</c>
/// with the package's SHA-256 and SHA-512 (NuGet content hash), written to <c>&lt;package&gt;&lt;extension&gt;</c>.
/// The package bytes are never modified.
/// </summary>
public sealed class SigstoreSignPackages : SigstoreSigningTask
{
    [Required]
    public ITaskItem[] Packages { get; set; } = [];

    /// <summary>The bundle paths (signed now or already up to date), for FileWrites.</summary>
    [Output]
    public ITaskItem[] Bundles { get; set; } = [];

    private protected override void ExecuteCore(TaskRun run)
    {
        var packages = Packages
            .Select(item => Path.GetFullPath(item.ItemSpec))
            .Where(path => path.EndsWith(".nupkg", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".snupkg", StringComparison.OrdinalIgnoreCase))
            .Distinct(StringComparer.Ordinal)
            .ToList();
        var pending = new List<(PackageInspection Package, InTotoSubject Subject, string BundlePath, string Path)>();
        var bundles = new List<ITaskItem>();
        foreach (var path in packages)
        {
            if (!File.Exists(path))
            {
                throw new SigstoreException(TaskCodes.ArtifactMissing, $"Pack reported '{path}', but the file does not exist. Run dotnet pack again.");
            }

            // Our own output goes through the same strict checks as anyone's: a package we would reject, we do not sign.
            var package = PackageInspector.Inspect(path);
            var subject = PackageStatements.ForPackage(package);
            var bundlePath = path + run.BundleExtension;
            bundles.Add(new TaskItem(bundlePath));
            if (BundleFreshness.IsUpToDate(bundlePath, [subject]))
            {
                run.Report(new SignedArtifactRow(Path.GetFileName(path), subject.Name, subject.Digest["sha256"], null, null, Path.GetFileName(bundlePath), "up to date"));
                continue;
            }

            pending.Add((package, subject, bundlePath, path));
        }

        Bundles = [.. bundles];
        if (pending.Count == 0)
        {
            return;
        }

        var signer = run.AcquireSigner(pending.Count);
        if (signer is null)
        {
            Bundles = [.. bundles.Where(b => File.Exists(b.ItemSpec))];
            return;
        }

        var context = run.BuildContext("pack");
        foreach (var (package, subject, bundlePath, path) in pending)
        {
            CancellationToken.ThrowIfCancellationRequested();
            var statement = run.WithAssemblies(PackageStatements.ForPackages([package], context, run.Provenance("pack")), path);
            var signed = run.Sign(signer, statement, bundlePath);
            run.Report(new SignedArtifactRow(Path.GetFileName(path), subject.Name, subject.Digest["sha256"], signed.SignerIdentity, signed.LogIndex, Path.GetFileName(bundlePath), "signed"));
        }

        run.WriteStepSummary(Path.GetFileName(ProjectPath ?? "packages"));
    }
}
