using System.Globalization;
using System.Runtime.InteropServices;
using SigstoreBuild.Diagnostics;
using SigstoreBuild.LocalStack;

string? dataDirectory = null;
var port = 0;
var keyType = CheckpointKeyType.Ed25519;
for (var i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--port" when i + 1 < args.Length && int.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out var p) && p <= 65535:
            port = p;
            i++;
            break;
        case "--data-dir" when i + 1 < args.Length:
            dataDirectory = args[++i];
            break;
        case "--rekor-v2-key" when i + 1 < args.Length:
            keyType = args[++i] switch
            {
                "ecdsa" => CheckpointKeyType.EcdsaP256,
                _ => CheckpointKeyType.Ed25519,
            };
            break;
        case "-h" or "--help":
            Console.WriteLine("Usage: SigstoreBuild.LocalStack --data-dir DIR [--port N] [--rekor-v2-key ed25519|ecdsa]");
            Console.WriteLine("Serves OIDC, Fulcio v2, Rekor v1/v2, an RFC 3161 TSA and a TUF repository (/tuf) on 127.0.0.1; writes DIR/trusted_root.json, DIR/signing_config.json and DIR/tuf-root.json.");
            return 0;
        default:
            Console.Error.WriteLine($"{LocalStackCodes.ListenerFailed}: unknown or incomplete argument '{args[i]}'. Run with --help.");
            return 2;
    }
}

if (dataDirectory is null)
{
    Console.Error.WriteLine($"{LocalStackCodes.DataDirectoryUnusable}: --data-dir is required. Pass a directory for keys and logs.");
    return 2;
}

using var stop = new CancellationTokenSource();

// The web host's console lifetime swallows SIGTERM and SIGINT (it expects Run() to stop it); stop on them ourselves.
void Stop(PosixSignalContext context)
{
    context.Cancel = true;
    stop.Cancel();
}

using var onTerm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
using var onInt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
using var onQuit = PosixSignalRegistration.Create(PosixSignal.SIGQUIT, Stop);

LocalSigstore instance;
try
{
    instance = await LocalSigstore.StartAsync(new LocalSigstoreOptions { DataDirectory = dataDirectory, Port = port, RekorV2KeyType = keyType }, stop.Token);
}
catch (SigstoreException ex)
{
    Console.Error.WriteLine(ex.ToString());
    return 1;
}

await using (instance)
{
    Console.WriteLine($"SigstoreBuild.LocalStack listening on {instance.BaseUrl}");
    Console.WriteLine($"trusted root: {instance.TrustedRootPath}");
    Console.WriteLine($"signing config: {instance.SigningConfigPath}");
    Console.WriteLine($"TUF mirror: {instance.TufMirrorUrl} (initial root: {instance.TufRootPath})");
    Console.WriteLine($"identity token: {instance.BaseUrl}/token?sub=you@example.com");
    try
    {
        await Task.Delay(Timeout.Infinite, stop.Token);
    }
    catch (OperationCanceledException)
    {
    }
}

return 0;
