using System.CommandLine;
using SigstoreBuild.Diagnostics;
using SigstoreBuild.NuGet;

namespace SigstoreBuild.Cli.Commands;

/// <summary>
/// <c>sigstore extract-bundle PACKAGE [--bundle FILE]</c>: writes the bundle embedded in a .nupkg/.snupkg out as an ordinary
/// Sigstore bundle file, for other Sigstore clients (cosign, sigstore-js, sigstore-python) and for archiving.
/// </summary>
internal static class ExtractBundleCommand
{
    public static Command Create(CliConsole console)
    {
        var package = new Argument<FileInfo>("PACKAGE") { Description = "The .nupkg or .snupkg that carries the bundle." };
        // --output is the result format on every verb; the file to write is --bundle, as on the other verbs (-o kept for scripts).
        var destinationOption = new Option<FileInfo>("--bundle", "-o") { Description = "Where to write the bundle (default: <PACKAGE>.sigstore.json, with --sbom <PACKAGE>.sbom.sigstore.json)." };
        var sbomOption = new Option<bool>("--sbom") { Description = "Write the SBOM attestation's bundle (.sigstore/sbom.sigstore.json) instead of the provenance's." };
        var output = OutputOption.Create();
        var command = new Command("extract-bundle", "Write the Sigstore bundle embedded in a package to a .sigstore.json file (not verified; use verify-package).") { package, destinationOption, sbomOption };
        output.AddTo(command);
        command.SetAction(async (parse, ct) =>
        {
            var path = parse.GetValue(package)!.FullName;
            var sbom = parse.GetValue(sbomOption);
            var entry = sbom ? EmbeddedBundle.SbomEntryName : EmbeddedBundle.EntryName;
            var destination = parse.GetValue(destinationOption)?.FullName ?? path + (sbom ? ".sbom.sigstore.json" : ".sigstore.json");
            var json = ReadEmbedded(path, sbom);
            await SignCommands.WriteAtomicallyAsync(destination, json, ct).ConfigureAwait(false);
            console.Out.WriteLine(output.IsJson(parse)
                ? new System.Text.Json.Nodes.JsonObject { ["bundle"] = destination, ["package"] = path, ["entry"] = entry, ["verified"] = false }.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true })
                : $"Wrote {destination} (from {Path.GetFileName(path)}, {entry}; not verified: run 'sigstore verify-package' to check it).");
            return SigstoreCommand.Success;
        });
        return command;
    }

    public static bool IsPackage(string path) =>
        path.EndsWith(".nupkg", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".snupkg", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// The embedded bundle's bytes as stored (with <paramref name="sbom"/>, the SBOM attestation's); SSB5414 (SSB5416)
    /// when the package has none.
    /// </summary>
    public static byte[] ReadEmbedded(string packagePath, bool sbom = false)
    {
        if (!Path.Exists(packagePath))
        {
            throw new SigstoreException(SetupCodes.SubjectNotFound, $"The package '{packagePath}' does not exist. Check the path.");
        }

        if (sbom)
        {
            return PackageInspector.Inspect(packagePath).EmbeddedSbomBundle ?? throw new SigstoreException(
                PackageCodes.NoEmbeddedSbom,
                $"'{Path.GetFileName(packagePath)}' carries no embedded SBOM attestation ({EmbeddedBundle.SbomEntryName}). It was packed without SigstoreBuild, with SigstoreSbom=false, or with SigstoreBundleLocation=sidecar; look for '{Path.GetFileName(packagePath)}.sbom.sigstore.json' beside it.");
        }

        return EmbeddedBundle.Read(packagePath) ?? throw new SigstoreException(
            PackageCodes.NoEmbeddedBundle,
            $"'{Path.GetFileName(packagePath)}' carries no embedded Sigstore bundle ({EmbeddedBundle.EntryName}). It was packed without SigstoreBuild, or with SigstoreBundleLocation=sidecar; look for '{Path.GetFileName(packagePath)}.sigstore.json' beside it.");
    }
}
