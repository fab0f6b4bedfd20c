using System.CommandLine;
using SigstoreBuild.Diagnostics;
using SigstoreBuild.Tuf;

namespace SigstoreBuild.Cli.Commands;

/// <summary><c>sigstore trust-root init|update|show</c>: manage the TUF-verified trust root cache.</summary>
internal static class TrustRootCommands
{
    public static Command Create(CliConsole console)
    {
        var command = new Command("trust-root", "Initialise, refresh and inspect the TUF-verified trust root.");
        command.Subcommands.Add(CreateInit(console));
        command.Subcommands.Add(CreateUpdate(console));
        command.Subcommands.Add(CreateShow(console));
        return command;
    }

    private static Command CreateInit(CliConsole console)
    {
        var mirror = new Option<string>("--tuf-mirror") { Description = "The TUF mirror URL of the Sigstore instance (the same option as on the verbs that verify).", Required = true };
        var root = new Option<FileInfo>("--tuf-root") { Description = "The initial root.json to trust (obtained out of band).", Required = true };
        var cacheDir = new Option<DirectoryInfo>("--cache-dir") { Description = "Where to keep the verified metadata and targets." };
        var output = OutputOption.Create();
        var command = new Command("init", "Trust a TUF mirror starting from an initial root, and refresh.") { mirror, root, cacheDir };
        output.AddTo(command);
        command.SetAction(async (parse, ct) =>
        {
            var rootFile = parse.GetValue(root)!;
            if (!Path.Exists(rootFile.FullName))
            {
                throw new SigstoreException(SetupCodes.TrustedRootNotFound, $"The initial root '{rootFile.FullName}' does not exist.");
            }

            if (!Uri.TryCreate(parse.GetValue(mirror), UriKind.Absolute, out var uri))
            {
                throw new SigstoreException(SetupCodes.InvalidArgument, $"--tuf-mirror '{parse.GetValue(mirror)}' is not an absolute URL: give the mirror's full address, such as http://127.0.0.1:8080/tuf.");
            }

            var options = TufOptions.CustomFromFile(uri, rootFile.FullName);
            if (parse.GetValue(cacheDir) is { } dir)
            {
                options = options with { CacheDirectory = dir.FullName };
            }

            return await RefreshAsync(options, output.IsJson(parse), console, ct).ConfigureAwait(false);
        });
        return command;
    }

    private static Command CreateUpdate(CliConsole console)
    {
        var cacheDir = new Option<DirectoryInfo>("--cache-dir") { Description = "The cache initialised by 'trust-root init' (default: the public-good instance's cache)." };
        var staging = new Option<bool>("--staging") { Description = "Refresh the staging instance's cache." };
        var output = OutputOption.Create();
        var command = new Command("update", "Refresh the trust root from the mirror recorded in the cache, with rollback protection.") { cacheDir, staging };
        output.AddTo(command);
        command.SetAction(async (parse, ct) =>
        {
            var options = parse.GetValue(cacheDir) is { } dir
                ? TufOptions.FromCache(dir.FullName)
                : parse.GetValue(staging) ? TufOptions.Staging : TufOptions.PublicGood;
            return await RefreshAsync(options, output.IsJson(parse), console, ct).ConfigureAwait(false);
        });
        return command;
    }

    private static Command CreateShow(CliConsole console)
    {
        var cacheDir = new Option<DirectoryInfo>("--cache-dir") { Description = "The TUF cache to describe.", Required = true };
        var output = OutputOption.Create();
        var command = new Command("show", "Describe what a TUF cache holds (without contacting the mirror).") { cacheDir };
        output.AddTo(command);
        command.SetAction(parse =>
        {
            Print(TufClient.DescribeCache(parse.GetValue(cacheDir)!.FullName), output.IsJson(parse), console);
            return SigstoreCommand.Success;
        });
        return command;
    }

    private static async Task<int> RefreshAsync(TufOptions options, bool json, CliConsole console, CancellationToken cancellationToken)
    {
        using var client = await TufClient.CreateAsync(options, cancellationToken).ConfigureAwait(false);
        var state = await client.RefreshAsync(cancellationToken).ConfigureAwait(false);
        foreach (var name in new[] { TrustRootProvider.TrustedRootTarget, TrustRootProvider.SigningConfigTarget })
        {
            await client.GetTargetBytesAsync(name, cancellationToken).ConfigureAwait(false);
        }

        Print(state, json, console);
        return SigstoreCommand.Success;
    }

    private static void Print(TufTrustState state, bool json, CliConsole console)
    {
        if (json)
        {
            var report = new System.Text.Json.Nodes.JsonObject
            {
                ["mirror"] = state.MetadataUri.ToString(),
                ["cache"] = state.CacheDirectory,
                ["rootVersion"] = state.RootVersion,
                ["rootExpires"] = state.RootExpires,
                ["timestampVersion"] = state.TimestampVersion,
                ["timestampExpires"] = state.TimestampExpires,
            };
            console.Out.WriteLine(report.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
            return;
        }

        console.Out.WriteLine($"mirror:    {state.MetadataUri}");
        console.Out.WriteLine($"cache:     {state.CacheDirectory}");
        console.Out.WriteLine($"root:      version {state.RootVersion}, expires {state.RootExpires:u}");
        if (state.TimestampVersion is { } ts)
        {
            console.Out.WriteLine($"timestamp: version {ts}, expires {state.TimestampExpires:u}");
        }
    }
}
