using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using SigstoreBuild.Bundles;
using SigstoreBuild.Crypto;
using SigstoreBuild.Diagnostics;
using SigstoreBuild.NuGet;
using SigstoreBuild.NuGet.Sbom;
using SigstoreBuild.NuGet.Verification;
using SigstoreBuild.Trust;
using SigstoreBuild.Verification;

namespace SigstoreBuild.Cli.Commands;

/// <summary>
/// <c>sigstore verify-package PACKAGE.nupkg</c>: the package's Sigstore bundle (default: the one embedded in the package,
/// else a <c>.sigstore.json</c> sidecar beside it) verifies for the signer identity, and its attestation names this very
/// package and its content (the package digest). A package that was author- or repository-signed afterwards still
/// verifies. With
/// <c>--provenance-consistency</c> its SLSA provenance must also agree with the certificate (D-06).
/// </summary>
internal static class VerifyPackageCommand
{
    public static Command Create(CliConsole console)
    {
        var package = new Argument<FileInfo>("PACKAGE") { Description = "The .nupkg or .snupkg to verify." };
        var bundle = new Option<FileInfo>("--bundle") { Description = "A bundle file (default: the bundle embedded in the package, else <PACKAGE>.sigstore.json)." };
        var identity = new Option<string>("--certificate-identity") { Description = "The exact certificate identity (SAN) of the signer." };
        var identityRegex = SignerPolicyOptions.CreateRegex();
        var issuer = new Option<string>("--certificate-oidc-issuer") { Description = "The exact OIDC issuer of the signer." };
        var key = new Option<FileInfo>("--key") { Description = "A PEM public key, for packages signed with a key (SigstoreSigningKeyPath) instead of a certificate." };
        var predicateType = new Option<string>("--predicate-type") { Description = "The in-toto predicate type the attestation must have." };
        var revocations = RevocationOptions.Create();
        var provenance = ProvenanceOptions.Create();
        var output = OutputOption.Create();
        var extensions = ExtensionOptions.Create();
        var trust = TrustOptions.Create();

        var command = new Command("verify-package", "Verify a NuGet package against its Sigstore bundle and the expected signer.")
        {
            package, bundle, identity, identityRegex, issuer, key, predicateType,
        };
        output.AddTo(command);
        revocations.AddTo(command);
        provenance.AddTo(command);
        extensions.AddTo(command);
        trust.AddTo(command);
        command.Validators.Add(result =>
        {
            var hasKey = result.GetValue(key) is not null;
            var hasIdentity = result.GetValue(identity) is not null || result.GetValue(identityRegex) is not null || result.GetValue(issuer) is not null;
            if (hasKey && hasIdentity)
            {
                result.AddError("Give either --key, or --certificate-identity (or --certificate-identity-regexp) with --certificate-oidc-issuer.");
            }
            else if (!hasKey && ((result.GetValue(identity) is null) == (result.GetValue(identityRegex) is null) || result.GetValue(issuer) is null))
            {
                result.AddError("Give --certificate-oidc-issuer and exactly one of --certificate-identity or --certificate-identity-regexp (or --key for a key-signed package).");
            }
        });

        command.SetAction(async (parse, ct) =>
        {
            var packagePath = parse.GetValue(package)!.FullName;
            if (!Path.Exists(packagePath))
            {
                throw new SigstoreException(SetupCodes.SubjectNotFound, $"The package '{packagePath}' does not exist.");
            }

            // A bundle file named on the command line is read first, so its problems are reported against it.
            var bundleFile = parse.GetValue(bundle)?.FullName;
            var explicitBundle = bundleFile is null ? null : BundleSerializer.Load(bundleFile);
            var inspection = PackageInspector.Inspect(packagePath);
            var (bundleSource, bundleModel) = explicitBundle is not null ? (bundleFile!, explicitBundle) : SelectBundle(packagePath, inspection, parse.GetValue(predicateType));

            var selection = trust.Read(parse);
            var material = await TrustResolver.GetAsync(selection, console, ct).ConfigureAwait(false);
            var verifier = new SigstoreVerifier(TrustedRoot.Parse(material.TrustedRootJson), VerifierOptions.PublicGood);
            var signer = parse.GetValue(key) is null ? CertificatePolicy(parse.GetValue(identity), parse.GetValue(identityRegex), parse.GetValue(issuer)!, extensions.Read(parse)) : null;
            var attestations = parse.GetValue(key) is { } keyFile
                ? SigstoreAttestationVerifier.ForKey(verifier, VerificationKey.FromPemFile(keyFile.FullName))
                : new SigstoreAttestationVerifier(verifier, signer!);
            var revoked = await RevocationOptions.AddPublishedAsync(revocations.Read(parse), revocations.ReadPublished(parse), verifier.TrustedRoot, signer, ct).ConfigureAwait(false);

            var policy = PackageVerificationPolicy.Default with
            {
                PredicateType = parse.GetValue(predicateType),
                RequireProvenanceConsistency = provenance.Read(parse).Required,
                UnsafeAllowUncorroboratedProvenance = provenance.Read(parse).AllowUncorroborated,
                Revocations = revoked,
            };
            var result = new PackageVerifier(attestations).Verify(inspection, bundleModel, policy);
            var verification = result.Verification;
            VerifyRunner.ReportWarnings(verification, console);

            if (output.IsJson(parse))
            {
                console.Out.WriteLine(ToJson(result, bundleSource, verification));
            }
            else
            {
                var signed = result.Package.IsSigned ? " (NuGet-signed after the attestation)" : "";
                console.Out.WriteLine($"Verified OK: {result.MatchedSubject.Name}{signed}, {verification.Summary()}; bundle: {bundleSource}");
            }

            return SigstoreCommand.Success;
        });
        return command;
    }

    private static CertificateIdentity CertificatePolicy(string? identity, string? identityRegex, string issuer, IReadOnlyDictionary<string, string> extensions)
    {
        var signer = identityRegex is not null ? CertificateIdentity.Regex(identityRegex, issuer) : CertificateIdentity.Exact(identity!, issuer);
        foreach (var (oid, value) in extensions)
        {
            signer = signer.WithExtension(oid, value);
        }

        return signer;
    }

    /// <summary>
    /// Without --bundle: the embedded bundle, else the sidecar dotnet pack writes with SigstoreBundleLocation=sidecar; the
    /// SBOM's (<c>.sigstore/sbom.sigstore.json</c>, <c>&lt;PACKAGE&gt;.sbom.sigstore.json</c>) when the predicate type asked
    /// for is an SBOM's.
    /// </summary>
    private static (string Source, Bundle Bundle) SelectBundle(string packagePath, PackageInspection package, string? predicateType)
    {
        var sbom = SbomStatements.IsSbomPredicateType(predicateType);
        var (embedded, entry, sidecar) = sbom
            ? (package.EmbeddedSbomBundle, EmbeddedBundle.SbomEntryName, packagePath + ".sbom.sigstore.json")
            : (package.EmbeddedBundle, EmbeddedBundle.EntryName, packagePath + ".sigstore.json");
        if (embedded is not null)
        {
            return ($"embedded ({entry})", BundleSerializer.Parse(embedded));
        }

        if (!Path.Exists(sidecar))
        {
            throw new SigstoreException(
                SetupCodes.NoBundle,
                sbom
                    ? $"'{Path.GetFileName(packagePath)}' carries no embedded SBOM attestation ('{entry}') and there is no bundle at '{sidecar}'. Pass the SBOM's bundle with --bundle, or ask the publisher to pack with SigstoreBuild and SigstoreSbom left on."
                    : $"'{Path.GetFileName(packagePath)}' carries no embedded Sigstore bundle and there is no bundle at '{sidecar}'. Pass the bundle with --bundle, or ask the publisher to sign the package with SigstoreBuild.");
        }

        return (sidecar, BundleSerializer.Load(sidecar));
    }

    private static string ToJson(PackageVerificationResult result, string bundlePath, VerificationResult verification)
    {
        var json = new JsonObject
        {
            ["package"] = result.Package.Identity.Id,
            ["version"] = result.Package.Identity.Version.ToNormalizedString(),
            ["subject"] = result.MatchedSubject.Name,
            ["sha256"] = Convert.ToHexStringLower(result.Package.FileSha256),
            ["packageDigest"] = Convert.ToHexStringLower(result.Package.PackageDigest),
            ["contentHashSha512"] = Convert.ToHexStringLower(result.Package.ContentHashSha512),
            ["nugetSigned"] = result.Package.IsSigned,
            ["predicateType"] = result.Statement.PredicateType,
            ["bundle"] = bundlePath,
            ["verification"] = JsonNode.Parse(verification.ToJson()),
        };
        return json.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }
}
