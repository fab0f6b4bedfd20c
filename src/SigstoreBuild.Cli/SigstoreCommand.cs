using System.CommandLine;
using SigstoreBuild.Cli.Commands;
using SigstoreBuild.Diagnostics;

namespace SigstoreBuild.Cli;

/// <summary>The <c>sigstore</c> command line. Exit codes: 0 success, 1 failure (coded error printed), 2 usage error.</summary>
public static class SigstoreCommand
{
    public const int Success = 0;
    public const int Failure = 1;
    public const int UsageError = 2;

    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, CancellationToken cancellationToken = default)
    {
        var console = new CliConsole(output, error);
        var root = new RootCommand("Sign, attest and verify with Sigstore (SigstoreBuild).");
        VerifyCommands.Add(root, console);
        SignCommands.Add(root, console);
        root.Subcommands.Add(TrustRootCommands.Create(console));
        root.Subcommands.Add(VerifyPackagesCommand.Create(console));
        root.Subcommands.Add(VerifyPackageCommand.Create(console));
        root.Subcommands.Add(VerifyPackagesCommand.CreateLock(console));
        root.Subcommands.Add(InspectCommand.Create(console));
        root.Subcommands.Add(ExtractBundleCommand.Create(console));

        var parseResult = root.Parse(args);
        var configuration = new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false };
        try
        {
            var code = await parseResult.InvokeAsync(configuration, cancellationToken).ConfigureAwait(false);
            return parseResult.Errors.Count > 0 ? UsageError : code;
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
}

/// <summary>Where commands write: results to standard output, diagnostics to standard error.</summary>
public sealed class CliConsole(TextWriter output, TextWriter error)
{
    public TextWriter Out { get; } = output;

    public void Error(string code, string message) => error.WriteLine($"error {code}: {message}");

    public void Warning(string code, string message) => error.WriteLine($"warning {code}: {message}");

    public void Info(string message) => error.WriteLine(message);
}
