using System.CommandLine;
using System.Text.Json;
using SigstoreBuild.Bundles;
using SigstoreBuild.Containers;
using SigstoreBuild.Containers.Oci;
using SigstoreBuild.Diagnostics;
using SigstoreBuild.Trust;
using SigstoreBuild.Verification;

namespace SigstoreBuild.Cli.Commands;

/// <summary>
/// <c>verify-image</c>: finds the Sigstore bundles attached to a container image in its registry (OCI referrers, or the
/// referrers tag fallback) and verifies them against the image's manifest digest and the identity policy. Passes when at
/// least one attached bundle verifies, as cosign does; every rejected one is reported.
/// </summary>
internal static class VerifyImageCommand
{
    public static Command Create(CliConsole console)
    {
        var image = new Argument<string>("IMAGE") { Description = "REGISTRY/REPOSITORY@sha256:<hex>, or REGISTRY/REPOSITORY:TAG (resolved to its digest first; a digest names exactly one image)." };
        var identity = new Option<string>("--certificate-identity") { Description = "The exact certificate identity (SAN) expected." };
        var identityRegex = SignerPolicyOptions.CreateRegex();
        var issuer = new Option<string>("--certificate-oidc-issuer") { Description = "The exact OIDC issuer expected." };
        var predicateType = new Option<string>("--predicate-type") { Description = "The in-toto predicate type that must be present (e.g. https://slsa.dev/provenance/v1)." };
        var allowInsecure = new Option<bool>("--allow-insecure-registry") { Description = "Allow plain HTTP to a registry that is not on loopback (loopback registries may always use HTTP)." };
        var tlogThreshold = new Option<int>("--tlog-threshold") { Description = "Transparency log entries required, from distinct logs.", DefaultValueFactory = _ => 1 };
        var timeThreshold = new Option<int>("--timestamp-threshold") { Description = "Verified times required (signed timestamps or log integration times).", DefaultValueFactory = _ => 1 };
        var output = OutputOption.Create();
        var revocations = RevocationOptions.Create();
        var provenance = ProvenanceOptions.Create();
        var extensions = ExtensionOptions.Create();
        var trust = TrustOptions.Create();

        var command = new Command("verify-image", "Verify the Sigstore bundles attached to a container image in its registry against an identity policy.")
        {
            image, identity, identityRegex, issuer, predicateType, allowInsecure, tlogThreshold, timeThreshold,
        };
        output.AddTo(command);
        revocations.AddTo(command);
        provenance.AddTo(command);
        extensions.AddTo(command);
        trust.AddTo(command);
        command.Validators.Add(result =>
        {
            if ((result.GetValue(identity) is null && result.GetValue(identityRegex) is null) || result.GetValue(issuer) is null)
            {
                result.AddError("Give --certificate-identity (or --certificate-identity-regexp) and --certificate-oidc-issuer: the identity the image must be signed by.");
            }
            else if (result.GetValue(identity) is not null && result.GetValue(identityRegex) is not null)
            {
                result.AddError("Give --certificate-identity or --certificate-identity-regexp, not both.");
            }
        });

        command.SetAction(async (parse, ct) =>
        {
            var reference = ImageReference.Parse(parse.GetValue(image)!);
            var registries = new ImageRegistries(Environment.GetEnvironmentVariable, parse.GetValue(allowInsecure), sdkEnvironment: false);
            using var client = registries.Open(reference.Registry, push: false);
            var manifest = await client.GetManifestAsync(reference.Repository, reference.Digest ?? reference.Tag ?? "latest", ct).ConfigureAwait(false);
            var digest = manifest.Descriptor.Digest;
            var name = $"{reference.Name}@{digest}";
            if (reference.Digest is null)
            {
                console.Info($"{reference} is {name} now; verify by digest, and deploy by digest, to be sure it is the image you checked.");
            }

            var referrers = await SigstoreReferrers.ListBundlesAsync(client, reference.Repository, digest, ct).ConfigureAwait(false);
            if (referrers.Count == 0)
            {
                throw new SigstoreException(ContainerCodes.NoBundleAttached, $"No Sigstore bundle is attached to {name} (no OCI referrer through the referrers API or the sha256-<hex> tag). Sign it when you publish it: dotnet publish -t:PublishContainer with the SigstoreBuild package.");
            }

            var trustedRoot = TrustedRoot.Parse((await TrustResolver.GetAsync(trust.Read(parse), console, ct).ConfigureAwait(false)).TrustedRootJson);
            var request = new VerifyRequest
            {
                BundlePath = name,
                Subject = digest,
                SubjectIsDigest = true,
                Identity = parse.GetValue(identity),
                IdentityRegex = parse.GetValue(identityRegex),
                Issuer = parse.GetValue(issuer),
                PredicateType = parse.GetValue(predicateType),
                ProvenanceConsistency = provenance.Read(parse).Required,
                Revocations = revocations.Read(parse),
                PublishedRevocations = revocations.ReadPublished(parse),
                UnsafeAllowUncorroboratedProvenance = provenance.Read(parse).AllowUncorroborated,
                TlogThreshold = parse.GetValue(tlogThreshold),
                TimestampThreshold = parse.GetValue(timeThreshold),
                Extensions = extensions.Read(parse),
                Trust = trust.Read(parse),
            };

            request = await VerifyRunner.WithPublishedRevocationsAsync(request, trustedRoot, ct).ConfigureAwait(false);
            var verified = new List<(OciDescriptor Referrer, VerificationResult Result)>();
            var rejected = new List<(OciDescriptor Referrer, string Code, string Message)>();
            foreach (var referrer in referrers)
            {
                try
                {
                    var bundle = BundleSerializer.Parse(await SigstoreReferrers.ReadBundleAsync(client, reference.Repository, digest, referrer, ct).ConfigureAwait(false));
                    verified.Add((referrer, VerifyRunner.Verify(bundle, request, trustedRoot)));
                }
                catch (SigstoreException ex) when (ex.Code != SetupCodes.Cancelled)
                {
                    rejected.Add((referrer, ex.Code, ex.Message));
                }
            }

            if (verified.Count == 0)
            {
                var reasons = string.Join(Environment.NewLine, rejected.Select(r => $"  referrer {r.Referrer.Digest}: {r.Code}: {r.Message}"));
                throw new SigstoreException(ContainerCodes.NoBundleVerified, $"{rejected.Count} Sigstore bundle(s) are attached to {name}, and none verifies for this policy:{Environment.NewLine}{reasons}");
            }

            foreach (var (referrer, code, message) in rejected)
            {
                console.Warning(ContainerCodes.AttachedBundleRejected, $"The bundle in referrer {referrer.Digest} does not verify ({code}: {message}); another one does.");
            }

            foreach (var (_, result) in verified)
            {
                VerifyRunner.ReportWarnings(result, console);
            }

            if (output.IsJson(parse))
            {
                WriteJson(console.Out, name, verified);
            }
            else
            {
                foreach (var (referrer, result) in verified)
                {
                    console.Out.WriteLine($"Verified OK: {name}: {result.Summary()} (referrer {referrer.Digest})");
                }
            }

            return SigstoreCommand.Success;
        });
        return command;
    }

    private static void WriteJson(TextWriter output, string image, List<(OciDescriptor Referrer, VerificationResult Result)> verified)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            writer.WriteStartObject();
            writer.WriteString("image", image);
            writer.WriteStartArray("verified");
            foreach (var (referrer, result) in verified)
            {
                writer.WriteStartObject();
                writer.WriteString("referrer", referrer.Digest);
                writer.WritePropertyName("result");
                using var document = JsonDocument.Parse(result.ToJson(indented: false));
                document.RootElement.WriteTo(writer);
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        output.WriteLine(System.Text.Encoding.UTF8.GetString(stream.ToArray()));
    }
}
