using SigstoreBuild.Cli;

return await SigstoreCommand.RunAsync(args, Console.Out, Console.Error).ConfigureAwait(false);
