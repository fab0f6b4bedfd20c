using System.CommandLine;
using SigstoreBuild.Bundles;
using SigstoreBuild.Diagnostics;

namespace SigstoreBuild.Cli.Commands;

/// <summary><c>verify-bundle</c> (the sigstore-conformance protocol, exactly) and the friendlier <c>verify</c>.</summary>
internal static class VerifyCommands
{
    public static void Add(RootCommand root, CliConsole console)
    {
        root.Subcommands.Add(CreateVerifyBundle(console));
        root.Subcommands.Add(CreateVerify(console));
    }

    private static Command CreateVerifyBundle(CliConsole console)
    {
        var bundle = new Option<FileInfo>("--bundle") { Description = "The Sigstore bundle to verify.", Required = true };
        var identity = new Option<string>("--certificate-identity") { Description = "The exact certificate identity (SAN) expected." };
        var issuer = new Option<string>("--certificate-oidc-issuer") { Description = "The exact OIDC issuer expected." };
        var key = new Option<FileInfo>("--key") { Description = "A PEM public key, for bundles signed with a key instead of a certificate." };
        var subject = new Argument<string>("FILE_OR_DIGEST") { Description = "The artifact, or its digest as sha256:<hex>. For an attestation, names an in-toto subject." };
        var trust = TrustOptions.Create();
        var output = OutputOption.Create();

        var command = new Command("verify-bundle", "Verify a bundle (sigstore-conformance protocol). Exit code 0 only when verified.")
        {
            bundle, identity, issuer, key, subject,
        };
        trust.AddTo(command);
        output.AddTo(command);
        AddIdentityValidator(command, identity, issuer, key);

        command.SetAction(async (parse, ct) =>
        {
            var request = new VerifyRequest
            {
                BundlePath = parse.GetValue(bundle)!.FullName,
                Subject = parse.GetValue(subject)!,
                Identity = parse.GetValue(identity),
                Issuer = parse.GetValue(issuer),
                KeyPath = parse.GetValue(key)?.FullName,
                Trust = trust.Read(parse),
            };
            var result = await VerifyRunner.RunAsync(request, console, ct).ConfigureAwait(false);
            if (output.IsJson(parse))
            {
                console.Out.WriteLine(result.ToJson());
            }
            else
            {
                // The conformance protocol reads only the exit code; the OK line goes to standard error, as it always has.
                console.Info($"OK: {result.Summary()}");
            }

            return SigstoreCommand.Success;
        });
        return command;
    }

    private static Command CreateVerify(CliConsole console)
    {
        var artifact = new Argument<string>("FILE_OR_DIGEST_OR_DIR") { Description = "The artifact, its digest as sha256:<hex>, or a publish output folder whose files the bundle lists." };
        var bundle = new Option<FileInfo>("--bundle") { Description = "The bundle (default: <FILE>.sigstore.json, or <DIR>.sigstore.json beside a folder, where dotnet publish signing writes it)." };
        var exact = new Option<bool>("--exact") { Description = "For a folder: fail if it holds any file the bundle does not list (the bundle itself excepted)." };
        var identity = new Option<string>("--certificate-identity") { Description = "The exact certificate identity (SAN) expected." };
        var identityRegex = SignerPolicyOptions.CreateRegex();
        var issuer = new Option<string>("--certificate-oidc-issuer") { Description = "The exact OIDC issuer expected." };
        var key = new Option<FileInfo>("--key") { Description = "A PEM public key, for bundles signed with a key." };
        var predicateType = new Option<string>("--predicate-type") { Description = "For attestations: the in-toto predicate type that must be present." };
        var output = OutputOption.Create();
        var revocations = RevocationOptions.Create();
        var provenance = ProvenanceOptions.Create();
        var tlogThreshold = new Option<int>("--tlog-threshold") { Description = "Transparency log entries required, from distinct logs.", DefaultValueFactory = _ => 1 };
        var timeThreshold = new Option<int>("--timestamp-threshold") { Description = "Verified times required (signed timestamps or log integration times).", DefaultValueFactory = _ => 1 };
        var sctThreshold = new Option<int>("--sct-threshold") { Description = "SCTs required, from distinct CT logs.", DefaultValueFactory = _ => 1 };
        var extensions = ExtensionOptions.Create();
        var trust = TrustOptions.Create();

        var command = new Command("verify", "Verify an artifact or attestation against a Sigstore bundle and an identity policy.")
        {
            artifact, bundle, exact, identity, identityRegex, issuer, key, predicateType,
            tlogThreshold, timeThreshold, sctThreshold,
        };
        output.AddTo(command);
        revocations.AddTo(command);
        provenance.AddTo(command);
        extensions.AddTo(command);
        trust.AddTo(command);
        command.Validators.Add(result =>
        {
            var hasKey = result.GetValue(key) is not null;
            var hasSan = result.GetValue(identity) is not null || result.GetValue(identityRegex) is not null;
            if (hasKey == (hasSan || result.GetValue(issuer) is not null))
            {
                result.AddError("Give either --key, or --certificate-identity (or --certificate-identity-regexp) with --certificate-oidc-issuer.");
            }
            else if (!hasKey && (!hasSan || result.GetValue(issuer) is null))
            {
                result.AddError("A certificate policy needs both an identity (--certificate-identity or --certificate-identity-regexp) and --certificate-oidc-issuer.");
            }
        });

        command.SetAction(async (parse, ct) =>
        {
            var subject = parse.GetValue(artifact)!;
            var folder = Directory.Exists(subject);
            if (parse.GetValue(exact) && !folder)
            {
                throw new SigstoreException(SetupCodes.InvalidArgument, $"--exact applies to a folder, and '{subject}' is not one. Leave out --exact, or pass the publish output folder.");
            }

            var bundlePath = parse.GetValue(bundle)?.FullName
                ?? (folder ? Path.TrimEndingDirectorySeparator(Path.GetFullPath(subject)) + ".sigstore.json"
                    : File.Exists(subject) ? subject + ".sigstore.json"
                    : throw new SigstoreException(SetupCodes.NoBundle, $"No --bundle given and '{subject}' is not a file with a <file>.sigstore.json beside it. Pass --bundle."));
            if (folder && parse.GetValue(bundle) is null && !File.Exists(bundlePath))
            {
                throw new SigstoreException(SetupCodes.NoBundle, $"No --bundle given and there is no '{bundlePath}' beside the folder. Pass the bundle dotnet publish wrote with --bundle.");
            }
            var request = new VerifyRequest
            {
                BundlePath = bundlePath,
                Subject = subject,
                Identity = parse.GetValue(identity),
                IdentityRegex = parse.GetValue(identityRegex),
                Issuer = parse.GetValue(issuer),
                KeyPath = parse.GetValue(key)?.FullName,
                PredicateType = parse.GetValue(predicateType),
                ProvenanceConsistency = provenance.Read(parse).Required,
                Revocations = revocations.Read(parse),
                PublishedRevocations = revocations.ReadPublished(parse),
                UnsafeAllowUncorroboratedProvenance = provenance.Read(parse).AllowUncorroborated,
                TlogThreshold = parse.GetValue(tlogThreshold),
                TimestampThreshold = parse.GetValue(timeThreshold),
                SctThreshold = parse.GetValue(sctThreshold),
                Extensions = extensions.Read(parse),
                Trust = trust.Read(parse),
            };
            if (folder)
            {
                return await VerifyFolder.RunAsync(request, subject, parse.GetValue(exact), output.IsJson(parse), console, ct).ConfigureAwait(false);
            }

            var result = await VerifyRunner.RunAsync(request, console, ct).ConfigureAwait(false);
            if (output.IsJson(parse))
            {
                console.Out.WriteLine(result.ToJson());
            }
            else
            {
                console.Out.WriteLine($"Verified OK: {result.Summary()}");
            }

            return SigstoreCommand.Success;
        });
        return command;
    }

    private static void AddIdentityValidator(Command command, Option<string> identity, Option<string> issuer, Option<FileInfo> key)
    {
        command.Validators.Add(result =>
        {
            var hasKey = result.GetValue(key) is not null;
            var hasIdentity = result.GetValue(identity) is not null && result.GetValue(issuer) is not null;
            if (!hasKey && !hasIdentity)
            {
                result.AddError("Give --certificate-identity and --certificate-oidc-issuer, or --key.");
            }
        });
    }
}
