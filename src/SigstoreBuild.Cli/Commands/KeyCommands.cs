using System.CommandLine;
using System.Text.Json.Nodes;
using SigstoreBuild.Crypto;
using SigstoreBuild.Signing;
using SigstoreBuild.Tuf;

namespace SigstoreBuild.Cli.Commands;

/// <summary>
/// Key-based signing, for identity providers the public Fulcio does not accept: <c>generate-key-pair</c>, and the
/// <c>--key</c> branch of <c>sign</c> and <c>attest</c>. The password is only ever read from the environment.
/// </summary>
internal static class KeyCommands
{
    public static void Add(RootCommand root, CliConsole console) => root.Subcommands.Add(CreateGenerateKeyPair(console));

    /// <summary>The <c>--key</c> option of <c>sign</c> and <c>attest</c>.</summary>
    public static Option<FileInfo> CreateKeyOption() => new("--key")
    {
        Description = $"Sign with this PEM private key (PKCS#8, from generate-key-pair) instead of a Fulcio certificate; an encrypted key's password comes from {SigningKey.PasswordVariable}. The identity options are then not used.",
    };

    /// <summary>Signs <paramref name="requests"/> with the key at <paramref name="keyFile"/>, through the selected instance's log and TSA.</summary>
    public static async Task<IReadOnlyList<SignedArtifact>> SignFilesAsync(FileInfo keyFile, TrustSettings trust, int? rekorVersion,
        IReadOnlyList<SigningRequest> requests, CliConsole console, CancellationToken cancellationToken)
    {
        using var key = SigningKey.Load(keyFile.FullName, Environment.GetEnvironmentVariable(SigningKey.PasswordVariable));
        var log = new ConsoleSigningLog(console);
        var trustProvider = new TrustRootSigningTrustProvider(new TrustRootProvider(TrustResolver.ToConfiguration(trust)));
        using var session = new KeySigningSession(trustProvider, key, new SigningOptions { Log = log, RekorApiVersion = rekorVersion });
        return await session.SignFilesAsync(requests, cancellationToken).ConfigureAwait(false);
    }

    private static Command CreateGenerateKeyPair(CliConsole console)
    {
        var prefix = new Option<string>("--output-key-prefix") { Description = "Write PREFIX.key (private) and PREFIX.pub (public).", DefaultValueFactory = _ => "sigstore" };
        var algorithm = new Option<string>("--algorithm") { Description = "The key algorithm: ecdsa-p256, ecdsa-p384 or ed25519 (attestations only).", DefaultValueFactory = _ => "ecdsa-p256" };
        algorithm.AcceptOnlyFromAmong("ecdsa-p256", "ecdsa-p384", "ed25519");
        var command = new Command("generate-key-pair",
            $"Generate a key pair for 'sign --key' and 'attest --key'. The private key is encrypted with {SigningKey.PasswordVariable} when it is set; never overwrites files.")
        {
            prefix, algorithm,
        };
        var output = OutputOption.Create();
        output.AddTo(command);
        command.SetAction(parse =>
        {
            var keyAlgorithm = parse.GetValue(algorithm) switch
            {
                "ecdsa-p384" => SigningKeyAlgorithm.EcdsaP384,
                "ed25519" => SigningKeyAlgorithm.Ed25519,
                _ => SigningKeyAlgorithm.EcdsaP256,
            };
            var privatePath = Path.GetFullPath(parse.GetValue(prefix)! + ".key");
            var publicPath = Path.GetFullPath(parse.GetValue(prefix)! + ".pub");
            var password = Environment.GetEnvironmentVariable(SigningKey.PasswordVariable);
            using var key = SigningKey.Generate(keyAlgorithm);
            key.WriteKeyPair(privatePath, publicPath, password, new ConsoleSigningLog(console));
            if (output.IsJson(parse))
            {
                console.Out.WriteLine(new JsonObject { ["privateKey"] = privatePath, ["publicKey"] = publicPath, ["hint"] = key.Hint }.ToJsonString());
                return SigstoreCommand.Success;
            }

            console.Out.WriteLine($"Private key: {privatePath}");
            console.Out.WriteLine($"Public key:  {publicPath} (hint {key.Hint})");
            return SigstoreCommand.Success;
        });
        return command;
    }
}
