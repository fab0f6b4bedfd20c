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
        var destinationOption = new Option<FileInfo>("--bundle", "-o") { Description = "Where to write the bundle (default: <PACKAGE>.sigstore.json)." };
        var output = OutputOption.Create();
        var command = new Command("extract-bundle", "Write the Sigstore bundle embedded in a package to a .sigstore.json file (not verified; use verify-package).") { package, destinationOption };
        output.AddTo(command);
        command.SetAction(async (parse, ct) =>
        {
            var path = parse.GetValue(package)!.FullName;
            var destination = parse.GetValue(destinationOption)?.FullName ?? path + ".sigstore.json";
            var json = ReadEmbedded(path);
            await SignCommands.WriteAtomicallyAsync(destination, json, ct).ConfigureAwait(false);
            console.Out.WriteLine(output.IsJson(parse)
                ? new System.Text.Json.Nodes.JsonObject { ["bundle"] = destination, ["package"] = path, ["entry"] = EmbeddedBundle.EntryName, ["verified"] = false }.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true })
                : $"Wrote {destination} (from {Path.GetFileName(path)}, {EmbeddedBundle.EntryName}; not verified: run 'sigstore verify-package' to check it).");
            return SigstoreCommand.Success;
        });
        return command;
    }

    public static bool IsPackage(string path) =>
        path.EndsWith(".nupkg", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".snupkg", StringComparison.OrdinalIgnoreCase);

    /// <summary>The embedded bundle's bytes as stored; SSB5414 when the package has none.</summary>
    public static byte[] ReadEmbedded(string packagePath)
    {
        if (!Path.Exists(packagePath))
        {
            throw new SigstoreException(SetupCodes.SubjectNotFound, $"The package '{packagePath}' does not exist. Check the path.");
        }

        return EmbeddedBundle.Read(packagePath) ?? throw new SigstoreException(
            PackageCodes.NoEmbeddedBundle,
            $"'{Path.GetFileName(packagePath)}' carries no embedded Sigstore bundle ({EmbeddedBundle.EntryName}). It was packed without SigstoreBuild, or with SigstoreBundleLocation=sidecar; look for '{Path.GetFileName(packagePath)}.sigstore.json' beside it.");
    }
}
