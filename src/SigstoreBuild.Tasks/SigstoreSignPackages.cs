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
/// with the package digest (docs/embedded-bundle.md). By default the bundle is embedded in the package
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
        foreach (var path in packages)
        {
            if (!File.Exists(path))
            {
                throw new SigstoreException(TaskCodes.ArtifactMissing, $"Pack reported '{path}', but the file does not exist. Run dotnet pack again.");
            }

            // Our own output goes through the same strict checks as anyone's: a package we would reject, we do not sign.
            var package = PackageInspector.Inspect(path);

            // The public gallery accepts only symbol files in a .snupkg (an unknown entry fails the push), so its bundle
            // stays beside it; restore never reads symbol packages.
            var location = IsSymbolPackage(path) ? PackageBundleLocation.Sidecar : packageLocation;
            var target = new Target(path, package, PackageStatements.ForPackage(package), path + run.BundleExtension, IntermediatePath(path, run.BundleExtension), location);
            if (location != PackageBundleLocation.Sidecar)
            {
                if (package.IsSigned)
                {
                    throw new SigstoreException(PackageCodes.AlreadyNuGetSigned, $"'{Path.GetFileName(path)}' is already NuGet-signed, so the Sigstore bundle cannot be embedded without breaking that signature. Run dotnet nuget sign after dotnet pack, not before; or set SigstoreBundleLocation=sidecar.");
                }

                RemoveStaleSidecar(target, location);
            }

            if (TryKeep(run, target, location))
            {
                bundles.AddRange(target.Files(location).Where(File.Exists));
                continue;
            }

            pending.Add(target);
        }

        if (pending.Count > 0)
        {
            SignPending(run, pending);
            bundles.AddRange(pending.SelectMany(t => t.Files(t.Location)).Where(File.Exists));
        }

        Bundles = [.. bundles.Distinct(StringComparer.Ordinal).Select(b => new TaskItem(b))];
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
                var location = target.Location;
                var bundlePath = location == PackageBundleLocation.Sidecar ? target.Sidecar : target.Intermediate;
                Directory.CreateDirectory(System.IO.Path.GetDirectoryName(bundlePath)!);
                var result = run.Sign(signer, statement, bundlePath);
                Place(target, location);
                signed++;
                run.Report(new SignedArtifactRow(System.IO.Path.GetFileName(target.Path), target.Subject.Name, target.Subject.Digest["sha256"], result.SignerIdentity, result.LogIndex, Describe(target, location), "signed"));
            }
        }
        catch (Exception) when (run.Required)
        {
            // With signing required, an unsigned package must not look finished (a later push would publish it).
            var unsigned = pending.Skip(signed).Select(t => t.Path).ToList();
            foreach (var path in unsigned)
            {
                File.Delete(path);
            }

            LogCodedError(TaskCodes.UnsignedPackageRemoved, $"Signing is required and failed, so {string.Join(", ", unsigned.Select(System.IO.Path.GetFileName))} {(unsigned.Count == 1 ? "was" : "were")} deleted. Fix the error that follows and pack again.");
            throw;
        }

        run.WriteStepSummary(System.IO.Path.GetFileName(ProjectPath ?? "packages"));
    }

    /// <summary>A bundle that already signs this content (in the package, in obj, or the sidecar) is kept, not re-signed.</summary>
    private static bool TryKeep(TaskRun run, Target target, PackageBundleLocation location)
    {
        string? status = null;
        if (location == PackageBundleLocation.Sidecar)
        {
            status = BundleFreshness.IsUpToDate(target.Sidecar, [target.Subject]) ? "up to date" : null;
        }
        else if (target.Package.EmbeddedBundle is { } embedded && BundleFreshness.IsUpToDate(embedded, [target.Subject]))
        {
            if (!File.Exists(target.Intermediate))
            {
                WriteFile(target.Intermediate, embedded);
            }

            status = "up to date";
        }
        else if (BundleFreshness.IsUpToDate(target.Intermediate, [target.Subject]))
        {
            EmbeddedBundle.Embed(target.Path, File.ReadAllBytes(target.Intermediate));
            status = "up to date (embedded again)";
        }

        if (status is null)
        {
            return false;
        }

        if (location == PackageBundleLocation.Both)
        {
            File.Copy(target.Intermediate, target.Sidecar, overwrite: true);
        }

        run.Report(new SignedArtifactRow(System.IO.Path.GetFileName(target.Path), target.Subject.Name, target.Subject.Digest["sha256"], null, null, Describe(target, location), status));
        return true;
    }

    private static void Place(Target target, PackageBundleLocation location)
    {
        if (location == PackageBundleLocation.Sidecar)
        {
            return;
        }

        EmbeddedBundle.Embed(target.Path, File.ReadAllBytes(target.Intermediate));
        if (location == PackageBundleLocation.Both)
        {
            File.Copy(target.Intermediate, target.Sidecar, overwrite: true);
        }
    }

    /// <summary>A sidecar from an earlier pack describes an earlier package; with embedding it only misleads.</summary>
    private void RemoveStaleSidecar(Target target, PackageBundleLocation location)
    {
        if (location == PackageBundleLocation.Embedded && File.Exists(target.Sidecar))
        {
            File.Delete(target.Sidecar);
            Log.LogMessage(MessageImportance.Normal, $"Sigstore: removed '{target.Sidecar}' from an earlier pack; the bundle is embedded in the package now.");
        }
    }

    /// <summary>Left unsigned: no bundle from an earlier pack may stay beside (or be re-embedded into) the new package.</summary>
    private void RemoveStaleBundles(Target target)
    {
        foreach (var path in new[] { target.Sidecar, target.Intermediate }.Where(File.Exists))
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

    private static string Describe(Target target, PackageBundleLocation location) => location switch
    {
        PackageBundleLocation.Sidecar => System.IO.Path.GetFileName(target.Sidecar),
        PackageBundleLocation.Both => $"{System.IO.Path.GetFileName(target.Path)} ({EmbeddedBundle.EntryName}) and {System.IO.Path.GetFileName(target.Sidecar)}",
        _ => $"{System.IO.Path.GetFileName(target.Path)} ({EmbeddedBundle.EntryName})",
    };

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

    private sealed record Target(string Path, PackageInspection Package, InTotoSubject Subject, string Sidecar, string Intermediate, PackageBundleLocation Location)
    {
        public IEnumerable<string> Files(PackageBundleLocation location) => location switch
        {
            PackageBundleLocation.Sidecar => [Sidecar],
            PackageBundleLocation.Both => [Intermediate, Sidecar],
            _ => [Intermediate],
        };
    }
}
