namespace SigstoreBuild.Cli.Tests.Infrastructure;

internal sealed record CliRun(int ExitCode, string Output, string Error)
{
    public override string ToString() => $"exit {ExitCode}\nstdout:\n{Output}\nstderr:\n{Error}";
}

/// <summary>Runs the real <c>sigstore</c> command line in-process, capturing what it prints.</summary>
internal static class CliRunner
{
    public static async Task<CliRun> RunAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = await SigstoreCommand.RunAsync(args, output, error).ConfigureAwait(false);
        return new CliRun(code, output.ToString(), error.ToString());
    }
}
