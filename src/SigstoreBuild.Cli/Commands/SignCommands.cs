using System.CommandLine;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using SigstoreBuild.Attestations;
using SigstoreBuild.Bundles;
using SigstoreBuild.Diagnostics;
using SigstoreBuild.Identity;
using SigstoreBuild.IO;
using SigstoreBuild.Signing;
using SigstoreBuild.Tuf;

namespace SigstoreBuild.Cli.Commands;

/// <summary><c>sign-bundle</c> (sigstore-conformance protocol), <c>sign</c> and <c>attest</c>.</summary>
internal static class SignCommands
{
    private static readonly System.Text.Json.JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static void Add(RootCommand root, CliConsole console)
    {
        root.Subcommands.Add(CreateSignBundle(console));
        root.Subcommands.Add(CreateSign(console));
        root.Subcommands.Add(CreateAttest(console));
        KeyCommands.Add(root, console);
    }

    private static Command CreateSignBundle(CliConsole console)
    {
        var inToto = new Option<bool>("--in-toto") { Description = "FILE is an in-toto statement: sign it as a DSSE attestation." };
        var token = new Option<string>("--identity-token") { Description = "The OIDC identity token to use.", Required = true };
        var bundle = new Option<FileInfo>("--bundle") { Description = "Where to write the bundle.", Required = true };
        var signingConfig = new Option<FileInfo>("--signing-config") { Description = "A signing_config.json (v0.2) naming the services of a custom instance (with --trusted-root)." };
        var file = new Argument<FileInfo>("FILE") { Description = "The artifact (or in-toto statement) to sign." };
        var trust = TrustOptions.Create();
        var command = new Command("sign-bundle", "Sign a file into a bundle (sigstore-conformance protocol).")
        {
            inToto, token, bundle, signingConfig, file,
        };
        trust.AddTo(command);
        command.SetAction(async (parse, ct) =>
        {
            var selection = trust.Read(parse) with { SigningConfigPath = parse.GetValue(signingConfig)?.FullName };
            var identity = new IdentityOptions { Token = parse.GetValue(token), Provider = IdentityProviderKind.Environment, AllowInteractive = false };
            using var session = CreateSession(selection, identity, rekorVersion: null, console);
            var input = parse.GetValue(file)!;
            var bundlePath = parse.GetValue(bundle)!.FullName;
            if (parse.GetValue(inToto))
            {
                var statement = ReadDocument(input, "in-toto statement");
                var signed = await session.SignDsseAsync(InTotoStatement.PayloadType, statement, FirstSubjectSha256(statement), ct).ConfigureAwait(false);
                await WriteAsync(bundlePath, signed, ct).ConfigureAwait(false);
            }
            else
            {
                await session.SignFileAsync(input.FullName, bundlePath, ct).ConfigureAwait(false);
            }

            return SigstoreCommand.Success;
        });
        return command;
    }

    private static Command CreateSign(CliConsole console)
    {
        var files = new Argument<FileInfo[]>("FILE") { Description = "Files to sign; each gets <FILE>.sigstore.json.", Arity = ArgumentArity.OneOrMore };
        var common = new SigningOptionSet();
        var output = OutputOption.Create();
        var key = KeyCommands.CreateKeyOption();
        var command = new Command("sign", "Sign files with an ambient or interactive identity (one certificate for all of them), or with a private key (--key).") { files, key };
        common.AddTo(command);
        output.AddTo(command);
        command.SetAction(async (parse, ct) =>
        {
            var requests = parse.GetValue(files)!.Select(f => new SigningRequest(f.FullName, f.FullName + common.BundleExtension(parse))).ToList();
            var signed = await common.SignAsync(parse, parse.GetValue(key), requests, console, ct).ConfigureAwait(false);
            if (output.IsJson(parse))
            {
                var list = new JsonArray(signed.Select(s => (JsonNode)new JsonObject { ["bundle"] = s.BundlePath, ["sha256"] = Convert.ToHexStringLower(s.Sha256) }).ToArray());
                console.Out.WriteLine(list.ToJsonString(Indented));
                return SigstoreCommand.Success;
            }

            foreach (var s in signed)
            {
                console.Out.WriteLine($"{s.BundlePath}  sha256:{Convert.ToHexStringLower(s.Sha256)}");
            }

            return SigstoreCommand.Success;
        });
        return command;
    }

    private static Command CreateAttest(CliConsole console)
    {
        var file = new Argument<FileInfo>("FILE") { Description = "The subject of the attestation." };
        var predicateType = new Option<string>("--predicate-type") { Description = "The predicate type URI, e.g. https://slsa.dev/provenance/v1.", Required = true };
        var predicate = new Option<FileInfo>("--predicate") { Description = "A JSON file holding the predicate (default: an empty object)." };
        var subjectName = new Option<string>("--subject-name") { Description = "The subject name (default: the file name)." };
        var common = new SigningOptionSet();
        var output = OutputOption.Create();
        var key = KeyCommands.CreateKeyOption();
        var command = new Command("attest", "Sign an in-toto attestation about a file; writes <FILE>.sigstore.json.") { file, predicateType, predicate, subjectName, key };
        common.AddTo(command);
        output.AddTo(command);
        command.SetAction(async (parse, ct) =>
        {
            JsonNode? body = null;
            if (parse.GetValue(predicate) is { } p)
            {
                try
                {
                    body = JsonNode.Parse(ReadDocument(p, "predicate"));
                }
                catch (System.Text.Json.JsonException ex)
                {
                    throw new SigstoreException(SetupCodes.InvalidArgument, $"The predicate '{p.FullName}' is not JSON: {ex.Message}");
                }
            }

            var subject = parse.GetValue(file)!;
            var request = new SigningRequest(subject.FullName, subject.FullName + common.BundleExtension(parse))
            {
                PredicateType = parse.GetValue(predicateType),
                Predicate = body ?? new JsonObject(),
                SubjectName = parse.GetValue(subjectName),
            };
            var signed = await common.SignAsync(parse, parse.GetValue(key), [request], console, ct).ConfigureAwait(false);
            console.Out.WriteLine(output.IsJson(parse)
                ? new JsonObject { ["bundle"] = signed[0].BundlePath, ["sha256"] = Convert.ToHexStringLower(signed[0].Sha256) }.ToJsonString(Indented)
                : signed[0].BundlePath);
            return SigstoreCommand.Success;
        });
        return command;
    }

    /// <summary>Options shared by <c>sign</c> and <c>attest</c>: identity source, instance, services.</summary>
    private sealed class SigningOptionSet
    {
        private readonly Option<string> _provider = new("--oidc-provider")
        {
            Description = "Where the identity token comes from: auto, github, gitlab, buildkite, circleci, azure-pipelines, env, interactive, device, entra.",
            DefaultValueFactory = _ => "auto",
        };

        private readonly Option<FileInfo> _tokenFile = new("--identity-token-file") { Description = "Read the identity token from this file (safer than an argument)." };
        private readonly Option<string> _oidcIssuer = new("--oidc-issuer") { Description = "The OIDC issuer of the browser and device-code logins (default: the one the signing config names, else Sigstore's public one)." };
        private readonly Option<string> _oidcClientId = new("--oidc-client-id") { Description = "The OAuth client ID of those logins (default: sigstore)." };
        private readonly Option<FileInfo> _signingConfig = new("--signing-config") { Description = "A signing_config.json (v0.2) naming the services of a custom instance (with --trusted-root)." };
        private readonly EntraOptions _entra = new();
        private readonly Option<int?> _rekorVersion = new("--rekor-version") { Description = "Force Rekor API version 1 or 2 (default: the signing config's choice)." };
        private readonly Option<string> _extension = new("--bundle-extension") { Description = "The bundle file suffix.", DefaultValueFactory = _ => ".sigstore.json" };
        private readonly TrustOptions _trust = TrustOptions.Create();

        public void AddTo(Command command)
        {
            command.Options.Add(_provider);
            command.Options.Add(_tokenFile);
            command.Options.Add(_oidcIssuer);
            command.Options.Add(_oidcClientId);
            command.Options.Add(_signingConfig);
            _entra.AddTo(command);
            command.Options.Add(_rekorVersion);
            command.Options.Add(_extension);
            _trust.AddTo(command);
            _provider.AcceptOnlyFromAmong("auto", "github", "gitlab", "buildkite", "circleci", "azure-pipelines", "env", "interactive", "device", "entra");
            command.Validators.Add(result =>
            {
                if (_entra.AnyGiven(result) && result.GetValue(_provider) != "entra")
                {
                    result.AddError("The --entra-* options configure --oidc-provider entra; add it, or drop them.");
                }
            });
            _rekorVersion.Validators.Add(r =>
            {
                if (r.GetValue(_rekorVersion) is { } v && v is not (1 or 2))
                {
                    r.AddError("--rekor-version is 1 or 2.");
                }
            });
        }

        public string BundleExtension(ParseResult parse) => parse.GetValue(_extension)!;

        /// <summary>Signs with <paramref name="key"/> when given (key-based), else keyless with the identity options.</summary>
        public async Task<IReadOnlyList<SignedArtifact>> SignAsync(ParseResult parse, FileInfo? key, IReadOnlyList<SigningRequest> requests, CliConsole console, CancellationToken cancellationToken)
        {
            if (key is not null)
            {
                var selection = _trust.Read(parse) with { SigningConfigPath = parse.GetValue(_signingConfig)?.FullName };
                return await KeyCommands.SignFilesAsync(key, selection, parse.GetValue(_rekorVersion), requests, console, cancellationToken).ConfigureAwait(false);
            }

            using var session = CreateSession(parse, console);
            return await session.SignFilesAsync(requests, cancellationToken).ConfigureAwait(false);
        }

        public SigningSession CreateSession(ParseResult parse, CliConsole console)
        {
            var selection = _trust.Read(parse) with
            {
                SigningConfigPath = parse.GetValue(_signingConfig)?.FullName,
            };
            var identity = _entra.Read(parse, new IdentityOptions
            {
                Provider = ParseProvider(parse.GetValue(_provider)!),
                TokenFile = parse.GetValue(_tokenFile)?.FullName,
                OidcIssuer = parse.GetValue(_oidcIssuer),
                OidcClientId = parse.GetValue(_oidcClientId),
            });
            return SignCommands.CreateSession(selection, identity, parse.GetValue(_rekorVersion), console);
        }

        private static IdentityProviderKind ParseProvider(string name) => name switch
        {
            "github" => IdentityProviderKind.GitHubActions,
            "gitlab" => IdentityProviderKind.GitLab,
            "buildkite" => IdentityProviderKind.Buildkite,
            "circleci" => IdentityProviderKind.CircleCi,
            "azure-pipelines" => IdentityProviderKind.AzurePipelines,
            "env" => IdentityProviderKind.Environment,
            "interactive" => IdentityProviderKind.Interactive,
            "device" => IdentityProviderKind.DeviceCode,
            "entra" => IdentityProviderKind.EntraId,
            _ => IdentityProviderKind.Auto,
        };
    }

    private static SigningSession CreateSession(TrustSettings selection, IdentityOptions identityOptions, int? rekorVersion, CliConsole console)
    {
        var log = new ConsoleSigningLog(console);
        var trust = new TrustRootSigningTrustProvider(new TrustRootProvider(TrustResolver.ToConfiguration(selection)));

        // A login's instructions go to standard error, where a user watching a terminal (or a CI log) sees them even when
        // standard output is piped into a file.
        var identity = IdentityTokenProviders.Create(
            identityOptions with { Prompt = console.Info, SigningTrust = trust },
            new IdentityContext { Log = log, HttpClient = console.IdentityHttpClient });
        return new SigningSession(trust, identity, new SigstoreBundleVerifier(), new SigningOptions { Log = log, RekorApiVersion = rekorVersion });
    }

    /// <summary>The Entra ID options of <c>--oidc-provider entra</c> (see docs/identity.md).</summary>
    private sealed class EntraOptions
    {
        private readonly Option<string> _authority = new("--entra-authority") { Description = "Entra ID: https://login.microsoftonline.com/<tenant-id> (or a sovereign cloud's), or just the tenant ID (default: AZURE_TENANT_ID)." };
        private readonly Option<string> _clientId = new("--entra-client-id") { Description = "Entra ID: the signing application's client ID (default: AZURE_CLIENT_ID); for a managed identity, a user-assigned one's." };
        private readonly Option<string> _flow = new("--entra-flow") { Description = "Entra ID: how to log in: device-code, interactive, client-certificate, federated or managed-identity.", DefaultValueFactory = _ => "device-code" };
        private readonly Option<string> _scope = new("--entra-scope") { Description = "Entra ID application flows: the access token's scope (default: <client-id>/.default; required for managed-identity)." };
        private readonly Option<FileInfo> _certificate = new("--entra-certificate") { Description = "Entra ID client-certificate flow: a PFX, or a PEM holding the certificate and its private key." };
        private readonly Option<string> _passwordVariable = new("--entra-certificate-password-variable") { Description = "The name of the environment variable holding the certificate's password (never the password itself)." };
        private readonly Option<FileInfo> _assertionFile = new("--entra-assertion-file") { Description = "Entra ID federated flow: the file holding the client assertion (default: AZURE_FEDERATED_TOKEN_FILE)." };

        public void AddTo(Command command)
        {
            command.Options.Add(_authority);
            command.Options.Add(_clientId);
            command.Options.Add(_flow);
            command.Options.Add(_scope);
            command.Options.Add(_certificate);
            command.Options.Add(_passwordVariable);
            command.Options.Add(_assertionFile);
            _flow.AcceptOnlyFromAmong("device-code", "interactive", "client-certificate", "federated", "managed-identity");
        }

        /// <summary>True when any Entra ID option was given: they only mean something with <c>--oidc-provider entra</c>.</summary>
        public bool AnyGiven(System.CommandLine.Parsing.CommandResult result) =>
            new Option[] { _authority, _clientId, _flow, _scope, _certificate, _passwordVariable, _assertionFile }
                .Any(option => result.GetResult(option) is { Implicit: false });

        public IdentityOptions Read(ParseResult parse, IdentityOptions options) => options with
        {
            EntraAuthority = parse.GetValue(_authority),
            EntraClientId = parse.GetValue(_clientId),
            EntraFlow = parse.GetValue(_flow) switch
            {
                "interactive" => EntraIdFlow.Interactive,
                "client-certificate" => EntraIdFlow.ClientCertificate,
                "federated" => EntraIdFlow.Federated,
                "managed-identity" => EntraIdFlow.ManagedIdentity,
                _ => EntraIdFlow.DeviceCode,
            },
            EntraScope = parse.GetValue(_scope),
            EntraCertificatePath = parse.GetValue(_certificate)?.FullName,
            EntraCertificatePasswordVariable = parse.GetValue(_passwordVariable),
            EntraAssertionFile = parse.GetValue(_assertionFile)?.FullName,
        };
    }

    private static byte[] ReadDocument(FileInfo file, string name)
    {
        if (!Path.Exists(file.FullName))
        {
            throw new SigstoreException(SetupCodes.SubjectNotFound, $"The {name} '{file.FullName}' does not exist.");
        }

        return InputFile.ReadAllBytes(file.FullName, new InputKind(name, InputFile.MaxDocumentBytes, "Check that it is a JSON document."));
    }

    /// <summary>The final verification of an attestation binds it to its first sha256 subject.</summary>
    private static byte[] FirstSubjectSha256(byte[] statement)
    {
        try
        {
            var hex = JsonNode.Parse(statement)?["subject"]?[0]?["digest"]?["sha256"]?.GetValue<string>();
            if (hex is { Length: 64 })
            {
                return Convert.FromHexString(hex);
            }
        }
        catch (Exception ex) when (ex is System.Text.Json.JsonException or InvalidOperationException or FormatException)
        {
            throw new SigstoreException(SetupCodes.InvalidArgument, $"The in-toto statement is not valid JSON: {ex.Message}");
        }

        throw new SigstoreException(SetupCodes.InvalidArgument, "The in-toto statement's first subject has no sha256 digest. Give every subject a sha256 digest.");
    }

    private static Task WriteAsync(string path, Bundle bundle, CancellationToken cancellationToken) =>
        WriteAtomicallyAsync(path, BundleSerializer.Serialize(bundle), cancellationToken);

    internal static async Task WriteAtomicallyAsync(string path, byte[] bytes, CancellationToken cancellationToken)
    {
        // Same directory, then rename: a reader never sees half a bundle.
        var temp = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path))!, $".{Path.GetFileName(path)}.{RandomNumberGenerator.GetHexString(8, lowercase: true)}.tmp");
        try
        {
            await File.WriteAllBytesAsync(temp, bytes, cancellationToken).ConfigureAwait(false);
            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            File.Delete(temp);
        }
    }
}

/// <summary>Signing progress and warnings on standard error, with their codes.</summary>
internal sealed class ConsoleSigningLog(CliConsole console) : ISigningLog
{
    public void Write(SigningLogLevel level, string? code, string message)
    {
        switch (level)
        {
            case SigningLogLevel.Warning:
                console.Warning(code ?? "SSB2500", message);
                break;
            case SigningLogLevel.Info:
                console.Info(message);
                break;
            default:
                break;
        }
    }
}
