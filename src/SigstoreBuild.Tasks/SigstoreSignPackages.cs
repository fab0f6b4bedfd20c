using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;
using SigstoreBuild.Attestations;
using SigstoreBuild.Diagnostics;
using SigstoreBuild.NuGet;
using SigstoreBuild.NuGet.Attestations;
using SigstoreBuild.NuGet.Sbom;
using SigstoreBuild.Tasks.Reporting;

namespace SigstoreBuild.Tasks;

/// <summary>
/// Signs each .nupkg/.snupkg that pack produced: a DSSE in-toto attestation whose subject is <c>pkg:nuget/id@version</c>
/// with the package digest (docs/embedded-bundle.md), and, for a .nupkg, the SBOM as a second attestation. By default the bundle is embedded in the package
/// (<see cref="EmbeddedBundle"/>), so it survives <c>dotnet nuget push</c> to any feed; <c>sidecar</c> writes
/// <c>&lt;package&gt;&lt;extension&gt;</c> instead and leaves the package bytes untouched; <c>both</c> does both.
/// </summary>
public sealed class SigstoreSignPackages : SigstoreSigningTask
{
    [Required]
    public ITaskItem[] Packages { get; set; } = [];

    /// <summary>embedded (default), sidecar or both.</summary>
    public string? BundleLocation { get; set; }

    /// <summary>
    /// Where embedded bundles are also kept (obj): a repack with the same content gets the bundle back without signing.
    /// </summary>
    public string? IntermediateBundleDirectory { get; set; }

    /// <summary>The bundle files written or kept (sidecars, and the intermediate copies of embedded bundles), for FileWrites.</summary>
    [Output]
    public ITaskItem[] Bundles { get; set; } = [];

    private protected override void ExecuteCore(TaskRun run)
    {
        var packageLocation = ParseLocation(BundleLocation);
        var packages = Packages
            .Select(item => Path.GetFullPath(item.ItemSpec))
            .Where(path => path.EndsWith(".nupkg", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".snupkg", StringComparison.OrdinalIgnoreCase))
            .Distinct(StringComparer.Ordinal)
            .ToList();
        var pending = new List<Target>();
        var bundles = new List<string>();
        var kept = new HashSet<string>(StringComparer.Ordinal);
        try
        {
            foreach (var path in packages)
            {
                var target = Prepare(run, path, packageLocation);
                if (TryKeep(run, target))
                {
                    kept.Add(path);
                    bundles.AddRange(target.Files().Where(File.Exists));
                    continue;
                }

                pending.Add(target);
            }
        }
        catch (Exception) when (run.Required)
        {
            // Nothing signs a package whose SBOM (or inspection) failed, so none of the rest may look finished either.
            RemoveUnsigned(packages.Where(p => !kept.Contains(p) && File.Exists(p)).ToList());
            throw;
        }

        if (pending.Count > 0)
        {
            SignPending(run, pending);
            bundles.AddRange(pending.SelectMany(t => t.Files()).Where(File.Exists));
        }

        Bundles = [.. bundles.Distinct(StringComparer.Ordinal).Select(b => new TaskItem(b))];
    }

    /// <summary>Inspects one package and works out what to sign for it and where the bundles go.</summary>
    private Target Prepare(TaskRun run, string path, PackageBundleLocation packageLocation)
    {
        if (!File.Exists(path))
        {
            throw new SigstoreException(TaskCodes.ArtifactMissing, $"Pack reported '{path}', but the file does not exist. Run dotnet pack again.");
        }

        // Our own output goes through the same strict checks as anyone's: a package we would reject, we do not sign.
        var package = PackageInspector.Inspect(path);

        // The public gallery accepts only symbol files in a .snupkg (an unknown entry fails the push), so its bundle
        // stays beside it; restore never reads symbol packages, and symbols have no dependencies of their own to list.
        var symbols = IsSymbolPackage(path);
        var location = symbols ? PackageBundleLocation.Sidecar : packageLocation;
        var sbom = symbols ? null : run.Sbom([PackageStatements.ForPackage(package)], assets => SbomStatements.ForPackage(package, assets, DateTimeOffset.UtcNow));
        var sidecar = path + run.BundleExtension;
        var intermediate = IntermediatePath(path, run.BundleExtension);
        var target = new Target(path, package, PackageStatements.ForPackage(package), sidecar, intermediate, location, sbom,
            SigstoreSignFiles.SbomBundlePath(sidecar, run.BundleExtension), SigstoreSignFiles.SbomBundlePath(intermediate, run.BundleExtension));
        if (location != PackageBundleLocation.Sidecar && package.IsSigned)
        {
            throw new SigstoreException(PackageCodes.AlreadyNuGetSigned, $"'{Path.GetFileName(path)}' is already NuGet-signed, so the Sigstore bundle cannot be embedded without breaking that signature. Run dotnet nuget sign after dotnet pack, not before; or set SigstoreBundleLocation=sidecar.");
        }

        RemoveStaleSidecars(target);
        return target;
    }

    private void SignPending(TaskRun run, List<Target> pending)
    {
        var signed = 0;
        try
        {
            var signer = run.AcquireSigner(pending.Count);
            if (signer is null)
            {
                foreach (var target in pending)
                {
                    RemoveStaleBundles(target);
                }

                return;
            }

            var context = run.BuildContext("pack");
            foreach (var target in pending)
            {
                CancellationToken.ThrowIfCancellationRequested();
                var statement = run.WithAssemblies(PackageStatements.ForPackages([target.Package], context, run.Provenance("pack")), target.Path);
                var sidecar = target.Location == PackageBundleLocation.Sidecar;
                var attestations = new List<(InTotoStatement Statement, string Path, string Label)> { (statement, sidecar ? target.Sidecar : target.Intermediate, "") };
                if (target.Sbom is { } sbom)
                {
                    attestations.Add((sbom.Statement, sidecar ? target.SbomSidecar : target.SbomIntermediate, " SBOM"));
                }

                var rows = new List<SignedArtifactRow>();
                foreach (var (attestation, bundlePath, label) in attestations)
                {
                    Directory.CreateDirectory(System.IO.Path.GetDirectoryName(bundlePath)!);
                    var result = run.Sign(signer, attestation, bundlePath);
                    rows.Add(new SignedArtifactRow(System.IO.Path.GetFileName(target.Path) + label, target.Subject.Name, target.Subject.Digest["sha256"], result.SignerIdentity, result.LogIndex, Describe(target, label.Length > 0), "signed"));
                }

                Place(target);
                signed++;
                rows.ForEach(run.Report);
            }
        }
        catch (Exception) when (run.Required)
        {
            RemoveUnsigned(pending.Skip(signed).Select(t => t.Path).ToList());
            throw;
        }

        run.WriteStepSummary(System.IO.Path.GetFileName(ProjectPath ?? "packages"));
    }

    /// <summary>With signing required, an unsigned package must not look finished (a later push would publish it).</summary>
    private void RemoveUnsigned(List<string> unsigned)
    {
        foreach (var path in unsigned)
        {
            File.Delete(path);
        }

        if (unsigned.Count > 0)
        {
            LogCodedError(TaskCodes.UnsignedPackageRemoved, $"Signing is required and failed, so {string.Join(", ", unsigned.Select(System.IO.Path.GetFileName))} {(unsigned.Count == 1 ? "was" : "were")} deleted. Fix the error that follows and pack again.");
        }
    }

    /// <summary>
    /// Bundles that already sign this content (in the package, in obj, or the sidecars) are kept, not re-signed: the
    /// provenance and, when wanted, the SBOM. If either must be signed, both are.
    /// </summary>
    private static bool TryKeep(TaskRun run, Target target)
    {
        var provenance = Current(target, target.Sidecar, target.Intermediate, target.Package.EmbeddedBundle, json => BundleFreshness.IsUpToDate(json, [target.Subject]));
        byte[]? sbom = null;
        if (provenance is null || (target.Sbom is { } wanted && (sbom = Current(target, target.SbomSidecar, target.SbomIntermediate, target.Package.EmbeddedSbomBundle, wanted.IsUpToDate)) is null))
        {
            return false;
        }

        var status = "up to date";
        if (target.Location != PackageBundleLocation.Sidecar)
        {
            if (!Same(target.Package.EmbeddedBundle, provenance) || !Same(target.Package.EmbeddedSbomBundle, sbom))
            {
                EmbeddedBundle.Embed(target.Path, provenance, sbom);
                status = "up to date (embedded again)";
            }

            if (target.Location == PackageBundleLocation.Both)
            {
                CopySidecars(target);
            }
        }

        run.Report(new SignedArtifactRow(System.IO.Path.GetFileName(target.Path), target.Subject.Name, target.Subject.Digest["sha256"], null, null, Describe(target, sbom: false), status));
        if (target.Sbom is not null)
        {
            run.Report(new SignedArtifactRow(System.IO.Path.GetFileName(target.Path) + " SBOM", target.Subject.Name, target.Subject.Digest["sha256"], null, null, Describe(target, sbom: true), status));
        }

        return true;

        static bool Same(byte[]? a, byte[]? b) => (a ?? []).AsSpan().SequenceEqual(b ?? []);
    }

    /// <summary>
    /// The current bundle of one attestation, or null when it must be signed: the sidecar (sidecar location), else the
    /// embedded entry (copied to obj if missing there), else the copy in obj (to be embedded again).
    /// </summary>
    private static byte[]? Current(Target target, string sidecar, string intermediate, byte[]? embedded, Func<byte[], bool> isUpToDate)
    {
        if (target.Location == PackageBundleLocation.Sidecar)
        {
            return File.Exists(sidecar) && File.ReadAllBytes(sidecar) is var json && isUpToDate(json) ? json : null;
        }

        if (embedded is not null && isUpToDate(embedded))
        {
            if (!File.Exists(intermediate))
            {
                WriteFile(intermediate, embedded);
            }

            return embedded;
        }

        return File.Exists(intermediate) && File.ReadAllBytes(intermediate) is var kept && isUpToDate(kept) ? kept : null;
    }

    private static void Place(Target target)
    {
        if (target.Location == PackageBundleLocation.Sidecar)
        {
            return;
        }

        EmbeddedBundle.Embed(target.Path, File.ReadAllBytes(target.Intermediate), target.Sbom is null ? null : File.ReadAllBytes(target.SbomIntermediate));
        if (target.Location == PackageBundleLocation.Both)
        {
            CopySidecars(target);
        }
    }

    private static void CopySidecars(Target target)
    {
        File.Copy(target.Intermediate, target.Sidecar, overwrite: true);
        if (target.Sbom is not null)
        {
            File.Copy(target.SbomIntermediate, target.SbomSidecar, overwrite: true);
        }
    }

    /// <summary>
    /// A sidecar from an earlier pack describes an earlier package: with embedding it only misleads, and an SBOM sidecar
    /// stays only while an SBOM is signed.
    /// </summary>
    private void RemoveStaleSidecars(Target target)
    {
        var stale = new List<string>();
        if (target.Location == PackageBundleLocation.Embedded)
        {
            stale.Add(target.Sidecar);
            stale.Add(target.SbomSidecar);
        }
        else if (target.Sbom is null)
        {
            stale.Add(target.SbomSidecar);
        }

        foreach (var path in stale.Where(File.Exists))
        {
            File.Delete(path);
            Log.LogMessage(MessageImportance.Normal, $"Sigstore: removed '{path}' from an earlier pack; {(target.Location == PackageBundleLocation.Embedded ? "the bundles are embedded in the package now" : "no SBOM is signed now")}.");
        }
    }

    /// <summary>Left unsigned: no bundle from an earlier pack may stay beside (or be re-embedded into) the new package.</summary>
    private void RemoveStaleBundles(Target target)
    {
        foreach (var path in new[] { target.Sidecar, target.Intermediate, target.SbomSidecar, target.SbomIntermediate }.Where(File.Exists))
        {
            File.Delete(path);
            Log.LogMessage(MessageImportance.Normal, $"Sigstore: removed '{path}' from an earlier pack; it does not sign the new package.");
        }
    }

    private string IntermediatePath(string packagePath, string extension)
    {
        var directory = string.IsNullOrWhiteSpace(IntermediateBundleDirectory) ? System.IO.Path.GetDirectoryName(packagePath)! : System.IO.Path.GetFullPath(IntermediateBundleDirectory);
        return System.IO.Path.Combine(directory, System.IO.Path.GetFileName(packagePath) + extension);
    }

    private static string Describe(Target target, bool sbom)
    {
        var (entry, sidecar) = sbom ? (EmbeddedBundle.SbomEntryName, target.SbomSidecar) : (EmbeddedBundle.EntryName, target.Sidecar);
        return target.Location switch
        {
            PackageBundleLocation.Sidecar => System.IO.Path.GetFileName(sidecar),
            PackageBundleLocation.Both => $"{System.IO.Path.GetFileName(target.Path)} ({entry}) and {System.IO.Path.GetFileName(sidecar)}",
            _ => $"{System.IO.Path.GetFileName(target.Path)} ({entry})",
        };
    }

    private static void WriteFile(string path, byte[] bytes)
    {
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, bytes);
    }

    private static PackageBundleLocation ParseLocation(string? value) => (value ?? "").Trim().ToLowerInvariant() switch
    {
        "" or "embedded" => PackageBundleLocation.Embedded,
        "sidecar" => PackageBundleLocation.Sidecar,
        "both" => PackageBundleLocation.Both,
        _ => throw new SigstoreException(TaskCodes.InvalidSetting, $"SigstoreBundleLocation is '{value}'. Use embedded (the bundle inside the .nupkg, the default), sidecar (a <package>.sigstore.json file beside it) or both."),
    };

    private enum PackageBundleLocation
    {
        Embedded,
        Sidecar,
        Both,
    }

    private static bool IsSymbolPackage(string path) => path.EndsWith(".snupkg", StringComparison.OrdinalIgnoreCase);

    private sealed record Target(
        string Path, PackageInspection Package, InTotoSubject Subject, string Sidecar, string Intermediate, PackageBundleLocation Location,
        SbomAttestation? Sbom, string SbomSidecar, string SbomIntermediate)
    {
        public IEnumerable<string> Files()
        {
            IEnumerable<string> files = Location switch
            {
                PackageBundleLocation.Sidecar => [Sidecar, SbomSidecar],
                PackageBundleLocation.Both => [Intermediate, Sidecar, SbomIntermediate, SbomSidecar],
                _ => [Intermediate, SbomIntermediate],
            };
            return Sbom is null ? files.Where(f => f != SbomSidecar && f != SbomIntermediate) : files;
        }
    }
}
