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
/// least one attached bundle verifies, as cosign does; every rejected one is reported. With <c>--all-platforms</c>, an
/// index and each of its platform manifests must verify, since a cluster pulls the platform manifest, not the index.
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
        var allPlatforms = new Option<bool>("--all-platforms") { Description = "For an image index: also verify each platform manifest it lists (each must have a bundle that verifies)." };
        var output = OutputOption.Create();
        var revocations = RevocationOptions.Create();
        var provenance = ProvenanceOptions.Create();
        var extensions = ExtensionOptions.Create();
        var trust = TrustOptions.Create();

        var command = new Command("verify-image", "Verify the Sigstore bundles attached to a container image in its registry against an identity policy.")
        {
            image, identity, identityRegex, issuer, predicateType, allowInsecure, tlogThreshold, timeThreshold, allPlatforms,
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
            var images = new List<(string Name, string? Platform, string Digest)> { (name, null, digest) };
            if (parse.GetValue(allPlatforms))
            {
                var parsed = ImageManifest.Parse(manifest.Bytes.Span, manifest.Descriptor.MediaType);
                if (!parsed.IsIndex)
                {
                    throw new SigstoreException(SetupCodes.InvalidArgument, $"{name} is a single image manifest, not an index: --all-platforms has no platforms to check. Leave it out.");
                }

                images.AddRange(parsed.Manifests.Select(m => ($"{reference.Name}@{m.Digest}", m.Platform, m.Digest)));
            }

            var results = new List<(string Name, string? Platform, List<(OciDescriptor Referrer, VerificationResult Result)> Verified)>();
            foreach (var (imageName, platform, imageDigest) in images)
            {
                var verified = await VerifyAttachedAsync(client, reference.Repository, imageName, imageDigest, request with { BundlePath = imageName, Subject = imageDigest }, trustedRoot, console, ct).ConfigureAwait(false);
                results.Add((imageName, platform, verified));
            }

            if (output.IsJson(parse))
            {
                WriteJson(console.Out, results);
            }
            else
            {
                foreach (var (imageName, platform, verified) in results)
                {
                    foreach (var (referrer, result) in verified)
                    {
                        console.Out.WriteLine($"Verified OK: {imageName}{(platform is null ? "" : $" ({platform})")}: {result.Summary()} (referrer {referrer.Digest})");
                    }
                }
            }

            return SigstoreCommand.Success;
        });
        return command;
    }

    /// <summary>The bundles attached to one image that verify (at least one, else SSB7101 or SSB7102); the rejected ones are warnings.</summary>
    private static async Task<List<(OciDescriptor Referrer, VerificationResult Result)>> VerifyAttachedAsync(
        SigstoreBuild.Containers.Registry.RegistryClient client, string repository, string name, string digest, VerifyRequest request, TrustedRoot trustedRoot, CliConsole console, CancellationToken ct)
    {
        var referrers = await SigstoreReferrers.ListBundlesAsync(client, repository, digest, ct).ConfigureAwait(false);
        if (referrers.Count == 0)
        {
            throw new SigstoreException(ContainerCodes.NoBundleAttached, $"No Sigstore bundle is attached to {name} (no OCI referrer through the referrers API or the sha256-<hex> tag). Sign it when you publish it: dotnet publish -t:PublishContainer with the SigstoreBuild package.");
        }

        var verified = new List<(OciDescriptor Referrer, VerificationResult Result)>();
        var rejected = new List<(OciDescriptor Referrer, string Code, string Message)>();
        foreach (var referrer in referrers)
        {
            try
            {
                var bundle = BundleSerializer.Parse(await SigstoreReferrers.ReadBundleAsync(client, repository, digest, referrer, ct).ConfigureAwait(false));
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
            console.Warning(ContainerCodes.AttachedBundleRejected, $"The bundle in referrer {referrer.Digest} of {name} does not verify ({code}: {message}); another one does.");
        }

        foreach (var (_, result) in verified)
        {
            VerifyRunner.ReportWarnings(result, console);
        }

        return verified;
    }

    /// <summary>The requested image as before (image, verified); with --all-platforms, its platform manifests under "platforms".</summary>
    private static void WriteJson(TextWriter output, List<(string Name, string? Platform, List<(OciDescriptor Referrer, VerificationResult Result)> Verified)> results)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            void WriteImage(string name, string? platform, List<(OciDescriptor Referrer, VerificationResult Result)> verified)
            {
                writer.WriteString("image", name);
                if (platform is not null)
                {
                    writer.WriteString("platform", platform);
                }

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
            }

            writer.WriteStartObject();
            WriteImage(results[0].Name, results[0].Platform, results[0].Verified);
            if (results.Count > 1)
            {
                writer.WriteStartArray("platforms");
                foreach (var (name, platform, verified) in results.Skip(1))
                {
                    writer.WriteStartObject();
                    WriteImage(name, platform, verified);
                    writer.WriteEndObject();
                }

                writer.WriteEndArray();
            }

            writer.WriteEndObject();
        }

        output.WriteLine(System.Text.Encoding.UTF8.GetString(stream.ToArray()));
    }
}
