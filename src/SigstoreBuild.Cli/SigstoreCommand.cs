using System.CommandLine;
using System.Text.RegularExpressions;
using SigstoreBuild.Cli.Commands;
using SigstoreBuild.Cli.Diagnostics;
using SigstoreBuild.Diagnostics;

namespace SigstoreBuild.Cli;

/// <summary>The <c>sigstore</c> command line. Exit codes: 0 success, 1 failure (coded error printed), 2 usage error.</summary>
public static partial class SigstoreCommand
{
    public const int Success = 0;
    public const int Failure = 1;
    public const int UsageError = 2;

    public static Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, CancellationToken cancellationToken = default) =>
        RunAsync(args, output, error, identityHttpClient: null, cancellationToken);

    /// <param name="identityHttpClient">The HTTP client of the identity logins (tests pass one that trusts a local HTTPS issuer).</param>
    internal static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, HttpClient? identityHttpClient, CancellationToken cancellationToken = default)
    {
        var console = new CliConsole(output, error) { IdentityHttpClient = identityHttpClient };
        var root = CreateRoot(console);
        var parseResult = root.Parse(args);
        if (parseResult.Errors.Count > 0)
        {
            ReportUsageErrors(parseResult, console);
            return UsageError;
        }

        var configuration = new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false };
        try
        {
            var code = await parseResult.InvokeAsync(configuration, cancellationToken).ConfigureAwait(false);
            return code;
        }
        catch (SigstoreException ex)
        {
            console.Error(ex.Code, ex.Message);
            return Failure;
        }
        catch (OperationCanceledException)
        {
            console.Error(SetupCodes.Cancelled, "The operation was cancelled.");
            return Failure;
        }
#pragma warning disable CA1031 // The command-line boundary turns every unexpected failure into one coded error.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            console.Error(SetupCodes.Internal, $"Internal error ({ex.GetType().Name}): {ex.Message} Please report this at the project's issue tracker.");
            return Failure;
        }
    }

    /// <summary>Every verb; tests walk this tree to check options and help text.</summary>
    internal static RootCommand CreateRoot(CliConsole console)
    {
        var root = new RootCommand("Sign, attest and verify with Sigstore (SigstoreBuild).");
        VerifyCommands.Add(root, console);
        SignCommands.Add(root, console);
        root.Subcommands.Add(TrustRootCommands.Create(console));
        root.Subcommands.Add(VerifyPackagesCommand.Create(console));
        root.Subcommands.Add(VerifyPackageCommand.Create(console));
        root.Subcommands.Add(VerifyPackagesCommand.CreateLock(console));
        root.Subcommands.Add(InspectCommand.Create(console));
        root.Subcommands.Add(ExtractBundleCommand.Create(console));
        root.Subcommands.Add(VerifyImageCommand.Create(console));
        root.Subcommands.Add(MonitorCommand.Create(console));
        return root;
    }

    /// <summary>
    /// A short coded line per problem and one pointer to the verb's help, instead of the whole help page: the problem
    /// stays visible, and the help is one command away. A validator's own code (<c>SSBxxxx: …</c>) is kept.
    /// </summary>
    private static void ReportUsageErrors(ParseResult parseResult, CliConsole console)
    {
        foreach (var error in parseResult.Errors)
        {
            var match = CodedMessage().Match(error.Message);
            var message = match.Success ? match.Groups[2].Value : error.Message;
            message = LineBreaks().Replace(message, " ");
            if (match.Success)
            {
                console.Error(match.Groups[1].Value, message);
            }
            else
            {
                console.Error(CliCodes.UsageError, message);
            }
        }

        console.Info($"Run '{CommandPath(parseResult.CommandResult)} --help' for usage.");
    }

    private static string CommandPath(System.CommandLine.Parsing.CommandResult result)
    {
        var names = new List<string>();
        for (System.CommandLine.Parsing.SymbolResult? r = result; r is not null; r = r.Parent)
        {
            if (r is System.CommandLine.Parsing.CommandResult c)
            {
                names.Add(c.Command is RootCommand ? "sigstore" : c.Command.Name);
            }
        }

        names.Reverse();
        return string.Join(' ', names);
    }

    [GeneratedRegex(@"\A(SSB[0-9]{4}): (.*)\z", RegexOptions.Singleline)]
    private static partial Regex CodedMessage();

    /// <summary>One line per error: System.CommandLine lists allowed values on lines of their own.</summary>
    [GeneratedRegex(@"\s*\n\s*")]
    private static partial Regex LineBreaks();
}

/// <summary>Where commands write: results to standard output, diagnostics to standard error.</summary>
public sealed class CliConsole(TextWriter output, TextWriter error)
{
    public TextWriter Out { get; } = output;

    /// <summary>The HTTP client of the identity logins; null for the default one.</summary>
    internal HttpClient? IdentityHttpClient { get; init; }

    public void Error(string code, string message) => error.WriteLine($"error {code}: {message}");

    public void Warning(string code, string message) => error.WriteLine($"warning {code}: {message}");

    public void Info(string message) => error.WriteLine(message);
}
