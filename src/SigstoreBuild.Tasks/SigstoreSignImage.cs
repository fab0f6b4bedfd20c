using System.Text;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;
using SigstoreBuild.Containers;
using SigstoreBuild.Containers.Attestations;
using SigstoreBuild.Containers.Registry;
using SigstoreBuild.Diagnostics;
using SigstoreBuild.Attestations;
using SigstoreBuild.NuGet.Attestations;
using SigstoreBuild.NuGet.Sbom;
using SigstoreBuild.Tasks.Reporting;

namespace SigstoreBuild.Tasks;

/// <summary>
/// Signs a container image the SDK's container publish just produced (an image manifest, or a multi-platform index):
/// an in-toto statement over the manifest digest with SLSA provenance, attached in the registry as an OCI 1.1 referrer
/// (or written beside the archive when the SDK wrote a tarball).
/// </summary>
public sealed class SigstoreSignImage : SigstoreSigningTask
{
    /// <summary>The registry the SDK pushed to (ContainerRegistry); empty with <see cref="ArchivePath"/>.</summary>
    public string? Registry { get; set; }

    [Required]
    public string Repository { get; set; } = "";

    public ITaskItem[] Tags { get; set; } = [];

    /// <summary>The manifest (or index) JSON exactly as pushed: its SHA-256 is the image digest.</summary>
    [Required]
    public string Manifest { get; set; } = "";

    /// <summary>The digest the SDK reported, checked against <see cref="Manifest"/>.</summary>
    public string? ManifestDigest { get; set; }

    public string? ManifestMediaType { get; set; }

    /// <summary>The image configuration JSON (platform and base-image labels).</summary>
    public string? ImageConfiguration { get; set; }

    /// <summary>The tarball the SDK wrote instead of pushing; the bundle goes beside it.</summary>
    public string? ArchivePath { get; set; }

    public string? BaseRegistry { get; set; }
    public string? BaseName { get; set; }
    public string? BaseTag { get; set; }
    public string? BaseDigest { get; set; }
    public string? RuntimeIdentifier { get; set; }

    /// <summary>Allow plain HTTP to a registry that is not on loopback (SigstoreAllowInsecureRegistry).</summary>
    public bool AllowInsecureRegistry { get; set; }

    [Required]
    public string IntermediateBundleDirectory { get; set; } = "";

    [Output]
    public ITaskItem[] Bundles { get; set; } = [];

    private protected override void ExecuteCore(TaskRun run)
    {
        var content = Encoding.UTF8.GetBytes(Manifest);
        var manifest = ImageManifest.Parse(content, ManifestMediaType);
        if (!string.IsNullOrEmpty(ManifestDigest) && !string.Equals(ManifestDigest, manifest.Digest, StringComparison.Ordinal))
        {
            throw new SigstoreException(TaskCodes.ImageNotSignable, $"The SDK reported image digest {ManifestDigest}, but the manifest it produced hashes to {manifest.Digest}; nothing was signed. Run the container publish again, and report it if it persists.");
        }

        var toArchive = !string.IsNullOrEmpty(ArchivePath);
        if (!toArchive && string.IsNullOrEmpty(Registry))
        {
            Log.LogMessage(MessageImportance.Normal, $"Sigstore: the image {Repository}@{manifest.Digest} went to the local container daemon, where a signature cannot be attached; push it to a registry (ContainerRegistry) to sign it.");
            return;
        }

        // The identity first: without one (and signing not required) nothing is signed, and the registry is not asked anything.
        if (run.AcquireSigner(1) is not { } signer)
        {
            return;
        }

        var config = ImageConfig.Parse(ImageConfiguration);
        var images = new ImageRegistries(Environment.Get, AllowInsecureRegistry);
        var details = new ImageBuildDetails
        {
            Registry = string.IsNullOrEmpty(Registry) ? null : Registry,
            Repository = Repository,
            Tags = Tags.Select(t => t.ItemSpec).Where(t => t.Length > 0).ToList(),
            MediaType = manifest.MediaType,
            RuntimeIdentifier = string.IsNullOrEmpty(RuntimeIdentifier) ? null : RuntimeIdentifier,
            BaseImage = BaseImageName(),
            PlatformManifests = manifest.Manifests,
        };
        if (!manifest.IsIndex)
        {
            var baseImage = BaseImages.Resolve(images, details.BaseImage, NonEmpty(BaseDigest) ?? config.BaseDigest, config.Platform, manifest, CancellationToken);
            if (baseImage.Warning is { } warning)
            {
                LogCodedWarning(TaskCodes.BaseImageUnreadable, warning);
            }

            details = details with { BaseImageDigest = baseImage.Digest, AddedLayers = baseImage.AddedLayers };
        }

        var statement = ImageStatements.ForImage(manifest.Digest, details, run.Provenance("container") ?? PackageStatements.MinimalPredicate(run.BuildContext("container")));
        var hex = manifest.Digest["sha256:".Length..];
        var kind = manifest.IsIndex ? "index" : details.RuntimeIdentifier ?? "image";
        var label = $"{ImageStatements.SubjectName(details.Registry, Repository)}@sha256:{hex[..12]} ({kind})";

        // The SBOM: a second attestation about the same image, beside the provenance.
        var attestations = new List<(InTotoStatement Statement, Func<string, bool> IsUpToDate, string Suffix, string Label)>
        {
            (statement, path => BundleFreshness.IsUpToDate(path, statement.Subjects, statement.PredicateType), "", label),
        };
        if (run.Sbom(statement.Subjects, assets => SbomStatements.ForAssets(statement.Subjects, assets, Path.GetFileNameWithoutExtension(ProjectPath) ?? Repository, DateTimeOffset.UtcNow)) is { } sbom)
        {
            attestations.Add((sbom.Statement, sbom.IsUpToDate, ".sbom", label + " SBOM"));
        }

        var bundles = new List<ITaskItem>();
        if (toArchive)
        {
            foreach (var (attestation, isUpToDate, suffix, name) in attestations)
            {
                var bundlePath = Path.GetFullPath(ArchivePath!) + suffix + run.BundleExtension;
                bundles.Add(new TaskItem(bundlePath));
                if (isUpToDate(bundlePath))
                {
                    run.Report(new SignedArtifactRow(name, attestation.Subjects[0].Name, hex, null, null, Path.GetFileName(bundlePath), "up to date"));
                    continue;
                }

                var signedArchive = run.Sign(signer, attestation, bundlePath);
                run.Report(new SignedArtifactRow(name, attestation.Subjects[0].Name, hex, signedArchive.SignerIdentity, signedArchive.LogIndex, Path.GetFileName(bundlePath), "signed"));
            }

            Bundles = [.. bundles];
            run.WriteStepSummary(Path.GetFileName(ProjectPath ?? "container"));
            return;
        }

        // The registry copy is authoritative; obj keeps each bundle so an unchanged image is not signed again.
        using var client = images.Open(Registry!);
        var subject = client.HeadManifestAsync(Repository, manifest.Digest, CancellationToken).GetAwaiter().GetResult()
            ?? throw new SigstoreException(TaskCodes.ImageNotSignable, $"The image {Registry}/{Repository}@{manifest.Digest} is not in the registry, so nothing was signed. Check that the container publish pushed it (ContainerRegistry), then publish again.");
        foreach (var (attestation, isUpToDate, suffix, name) in attestations)
        {
            var intermediate = Path.Combine(Path.GetFullPath(IntermediateBundleDirectory), $"image-sha256-{hex}{suffix}{run.BundleExtension}");
            string status;
            SigstoreBuild.Signing.SignedAttestation? signed = null;
            if (isUpToDate(intermediate))
            {
                status = "up to date";
            }
            else
            {
                Directory.CreateDirectory(Path.GetDirectoryName(intermediate)!);
                signed = run.Sign(signer, attestation, intermediate);
                status = "signed";
            }

            var attached = BundleAttachment.AttachOnceAsync(client, Repository, subject, File.ReadAllBytes(intermediate), CancellationToken).GetAwaiter().GetResult();
            if (status == "up to date" && attached.AttachedNow)
            {
                status = "attached again";
            }

            bundles.Add(new TaskItem(intermediate));
            var where = $"referrer {attached.Referrer.Digest[..19]}… in {Registry}/{Repository}";
            run.Report(new SignedArtifactRow(name, attestation.Subjects[0].Name, hex, signed?.SignerIdentity, signed?.LogIndex, where, status));
        }

        Bundles = [.. bundles];
        run.WriteStepSummary(Path.GetFileName(ProjectPath ?? "container"));
    }

    private string? BaseImageName()
    {
        if (string.IsNullOrEmpty(BaseName))
        {
            return null;
        }

        var name = string.IsNullOrEmpty(BaseRegistry) ? BaseName : $"{BaseRegistry}/{BaseName}";
        return !string.IsNullOrEmpty(BaseDigest) ? $"{name}@{BaseDigest}" : $"{name}:{(string.IsNullOrEmpty(BaseTag) ? "latest" : BaseTag)}";
    }

    private static string? NonEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;
}
