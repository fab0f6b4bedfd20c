using System.CommandLine;
using System.Formats.Asn1;
using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.Pkcs;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using SigstoreBuild.Bundles;
using SigstoreBuild.Cli.Diagnostics;
using SigstoreBuild.Diagnostics;
using SigstoreBuild.NuGet.Sbom;
using SigstoreBuild.Verification;

namespace SigstoreBuild.Cli.Commands;

/// <summary>
/// <c>sigstore inspect BUNDLE|PACKAGE [--output json]</c>: what a bundle (or the bundle embedded in a .nupkg) claims,
/// readably: signer identity and certificate extensions, log entries and timestamps, the in-toto subjects and the
/// predicate (SLSA provenance summarised). Nothing is verified here; <c>sigstore verify</c> does that.
/// </summary>
internal static class InspectCommand
{
    private const string Unverified = "NOT VERIFIED: this is what the bundle claims. Check it with 'sigstore verify'.";

    public static Command Create(CliConsole console)
    {
        var bundle = new Argument<FileInfo>("BUNDLE") { Description = "The Sigstore bundle (.sigstore.json) to show, or a .nupkg/.snupkg whose embedded bundle to show." };
        var sbomOption = new Option<bool>("--sbom") { Description = "Show the SBOM: for a package, its embedded SBOM attestation (.sigstore/sbom.sigstore.json); for a bundle, fail unless it attests an SBOM. Lists every component." };
        var output = OutputOption.Create();
        var command = new Command("inspect", "Show a bundle's signer, times, subjects and predicate (without verifying it).") { bundle, sbomOption };
        output.AddTo(command);
        command.SetAction(parse =>
        {
            var path = parse.GetValue(bundle)!.FullName;
            var sbom = parse.GetValue(sbomOption);
            var isPackage = ExtractBundleCommand.IsPackage(path);
            var report = Describe(isPackage ? BundleSerializer.Parse(ExtractBundleCommand.ReadEmbedded(path, sbom)) : BundleSerializer.Load(path));
            if (isPackage)
            {
                report["embeddedIn"] = path;
                report["entry"] = sbom ? NuGet.EmbeddedBundle.SbomEntryName : NuGet.EmbeddedBundle.EntryName;
            }

            if (sbom && report["sbom"] is null)
            {
                throw new SigstoreException(CliCodes.NotAnSbom, $"'{Path.GetFileName(path)}' does not attest an SBOM (its predicate type is '{report["statement"]?["predicateType"]}'; an SBOM's is {SbomStatements.CycloneDxPredicateType} or {SbomStatements.SpdxPredicateType}). Pass the SBOM's bundle (<artifact>.sbom.sigstore.json), or the package itself.");
            }

            if (output.IsJson(parse))
            {
                console.Out.WriteLine(report.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
            }
            else
            {
                WriteText(console.Out, path, report);
            }

            return SigstoreCommand.Success;
        });
        return command;
    }

    /// <summary>The bundle as a JSON report; the text form is rendered from the same data.</summary>
    internal static JsonObject Describe(Bundle bundle)
    {
        var report = new JsonObject
        {
            ["verified"] = false,
            ["mediaType"] = bundle.MediaType,
            ["contentType"] = bundle.MessageSignature is not null ? "messageSignature" : "dsseEnvelope",
        };

        var material = bundle.VerificationMaterial;
        var der = material?.Certificate?.RawBytes ?? material?.X509CertificateChain?.Certificates?.FirstOrDefault()?.RawBytes;
        if (der is not null)
        {
            report["certificate"] = DescribeCertificate(der);
        }
        else if (material?.PublicKey is { } key)
        {
            report["publicKey"] = new JsonObject { ["hint"] = key.Hint };
        }

        var entries = new JsonArray();
        foreach (var entry in material?.TlogEntries ?? [])
        {
            entries.Add((JsonNode)new JsonObject
            {
                ["logIndex"] = entry.LogIndex,
                ["logId"] = entry.LogId?.KeyId is { } id ? Convert.ToHexStringLower(id) : null,
                ["kind"] = entry.KindVersion is { } kv ? $"{kv.Kind} {kv.Version}" : null,
                ["integratedTime"] = entry.IntegratedTime > 0 ? Time(DateTimeOffset.FromUnixTimeSeconds(entry.IntegratedTime)) : null,
                ["inclusionProof"] = entry.InclusionProof is not null,
                ["inclusionPromise"] = entry.InclusionPromise is not null,
            });
        }

        report["tlogEntries"] = entries;
        var timestamps = new JsonArray();
        foreach (var timestamp in material?.TimestampVerificationData?.Rfc3161Timestamps ?? [])
        {
            timestamps.Add((JsonNode)(timestamp.SignedTimestamp is { } token && DecodeTimestamp(token) is { } decoded
                ? new JsonObject { ["time"] = Time(decoded.TokenInfo.Timestamp), ["serialNumber"] = Convert.ToHexStringLower(decoded.TokenInfo.GetSerialNumber().Span) }
                : new JsonObject { ["error"] = "not an RFC 3161 timestamp token" }));
        }

        report["timestamps"] = timestamps;

        if (bundle.MessageSignature is { } message)
        {
            report["messageDigest"] = message.MessageDigest?.Digest is { } digest
                ? $"{message.MessageDigest.Algorithm?.ToLowerInvariant().Replace("_", "", StringComparison.Ordinal)}:{Convert.ToHexStringLower(digest)}"
                : null;
        }
        else if (bundle.DsseEnvelope is { } envelope)
        {
            report["payloadType"] = envelope.PayloadType;
            var statement = DescribeStatement(envelope.Payload ?? []);
            report["statement"] = statement;
            if (statement["predicate"] is JsonObject predicate && (string?)statement["predicateType"] is { } type && SbomStatements.IsSbomPredicateType(type))
            {
                report["sbom"] = SbomSummary.Describe(type, predicate);
            }
        }

        return report;
    }

    /// <summary>A bundle holds a TimeStampResp (status, then the token) or, from some clients, the bare token.</summary>
    private static Rfc3161TimestampToken? DecodeTimestamp(byte[] bytes)
    {
        if (Rfc3161TimestampToken.TryDecode(bytes, out var token, out _))
        {
            return token;
        }

        try
        {
            var response = new AsnReader(bytes, AsnEncodingRules.DER).ReadSequence();
            response.ReadEncodedValue(); // PKIStatusInfo
            return response.HasData && Rfc3161TimestampToken.TryDecode(response.ReadEncodedValue(), out token, out _) ? token : null;
        }
        catch (AsnContentException)
        {
            return null;
        }
    }

    private static JsonObject DescribeCertificate(byte[] der)
    {
        var certificate = new JsonObject { ["sha256"] = Convert.ToHexStringLower(SHA256.HashData(der)) };
        try
        {
            var identity = VerifiedIdentity.ReadUnverified(der);
            using var x509 = X509CertificateLoader.LoadCertificate(der);
            certificate["subjectAlternativeName"] = identity.SubjectAlternativeName;
            certificate["subjectAlternativeNameKind"] = identity.SubjectAlternativeNameKind switch
            {
                SubjectAlternativeNameKind.Email => "email",
                SubjectAlternativeNameKind.Uri => "uri",
                _ => "other",
            };
            certificate["notBefore"] = Time(x509.NotBefore);
            certificate["notAfter"] = Time(x509.NotAfter);
            certificate["issuer"] = identity.Issuer;
            certificate["extensions"] = new JsonObject(identity.Extensions.Select(e => KeyValuePair.Create(e.Key, (JsonNode?)e.Value)));
        }
        catch (Exception ex) when (ex is VerificationException or CryptographicException)
        {
            certificate["error"] = $"the certificate cannot be read ({ex.Message})";
        }

        return certificate;
    }

    private static JsonObject DescribeStatement(byte[] payload)
    {
        JsonNode? parsed;
        try
        {
            parsed = JsonNode.Parse(payload);
        }
        catch (JsonException ex)
        {
            return new JsonObject { ["error"] = $"the DSSE payload is not JSON ({ex.Message})" };
        }

        if (parsed is not JsonObject statement)
        {
            return new JsonObject { ["error"] = "the DSSE payload is not a JSON object" };
        }

        return new JsonObject
        {
            ["type"] = statement["_type"]?.DeepClone(),
            ["predicateType"] = statement["predicateType"]?.DeepClone(),
            ["subjects"] = statement["subject"]?.DeepClone(),
            ["predicate"] = statement["predicate"]?.DeepClone(),
        };
    }

    private static void WriteText(TextWriter output, string path, JsonObject report)
    {
        var text = new StringBuilder();
        var where = report["embeddedIn"] is null ? path : $"embedded in {path} ({report["entry"]})";
        text.AppendLine(CultureInfo.InvariantCulture, $"Bundle {where}");
        text.AppendLine(CultureInfo.InvariantCulture, $"  media type: {report["mediaType"]}");
        text.AppendLine(CultureInfo.InvariantCulture, $"  content: {(report["contentType"]!.GetValue<string>() == "dsseEnvelope" ? $"DSSE envelope ({report["payloadType"]})" : $"message signature over {report["messageDigest"]}")}");
        text.AppendLine(Unverified);

        if (report["certificate"] is JsonObject certificate)
        {
            text.AppendLine();
            text.AppendLine("Signer (Fulcio certificate)");
            if (certificate["error"] is { } error)
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"  not a Fulcio signing certificate: {error}");
            }
            else
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"  identity: {certificate["subjectAlternativeName"]} ({certificate["subjectAlternativeNameKind"]})");
                text.AppendLine(CultureInfo.InvariantCulture, $"  issuer: {certificate["issuer"]}");
                text.AppendLine(CultureInfo.InvariantCulture, $"  valid: {certificate["notBefore"]} to {certificate["notAfter"]}");
                foreach (var (name, value) in (JsonObject)certificate["extensions"]!)
                {
                    if (name is not ("issuer" or "issuerV1"))
                    {
                        text.AppendLine(CultureInfo.InvariantCulture, $"  {name}: {value}");
                    }
                }
            }

            text.AppendLine(CultureInfo.InvariantCulture, $"  certificate sha256: {certificate["sha256"]}");
        }
        else if (report["publicKey"] is JsonObject key)
        {
            text.AppendLine();
            text.AppendLine(CultureInfo.InvariantCulture, $"Signer: public key (hint {key["hint"]})");
        }

        text.AppendLine();
        text.AppendLine("Times");
        foreach (var entry in report["tlogEntries"]!.AsArray())
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"  log entry {entry!["logIndex"]} ({entry["kind"]}): {(entry["integratedTime"] is { } integrated ? $"integrated {integrated}" : "no integration time (a Rekor v2 entry; a signed timestamp gives the time)")}, inclusion proof {(entry["inclusionProof"]!.GetValue<bool>() ? "yes" : "no")}");
        }

        foreach (var timestamp in report["timestamps"]!.AsArray())
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"  RFC 3161 timestamp: {timestamp!["time"] ?? timestamp["error"]}");
        }

        if (report["statement"] is JsonObject statement)
        {
            text.AppendLine();
            if (statement["error"] is { } error)
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"Statement: {error}");
            }
            else
            {
                WriteStatement(text, statement, report["sbom"] as JsonObject);
            }
        }

        output.Write(text.ToString());
    }

    private static void WriteStatement(StringBuilder text, JsonObject statement, JsonObject? sbom)
    {
        text.AppendLine(CultureInfo.InvariantCulture, $"Statement ({statement["type"]})");
        text.AppendLine(CultureInfo.InvariantCulture, $"  predicate type: {statement["predicateType"]}");
        var subjects = statement["subjects"] as JsonArray ?? [];
        text.AppendLine(CultureInfo.InvariantCulture, $"  subjects ({subjects.Count}):");
        foreach (var subject in subjects)
        {
            var digests = subject?["digest"] is JsonObject digest ? string.Join(" ", digest.Select(d => $"{d.Key}:{d.Value}")) : "no digest";
            text.AppendLine(CultureInfo.InvariantCulture, $"    {subject?["name"]}  {digests}");
        }

        if (statement["predicate"] is not JsonObject predicate)
        {
            return;
        }

        text.AppendLine();
        if (statement["predicateType"]?.GetValue<string>() == ProvenanceConsistency.SlsaProvenanceV1)
        {
            WriteProvenance(text, predicate);
        }
        else if (sbom is not null)
        {
            SbomSummary.Write(text, sbom);
        }
        else
        {
            text.AppendLine("Predicate");
            foreach (var line in predicate.ToJsonString(new JsonSerializerOptions { WriteIndented = true }).Split('\n'))
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"  {line.TrimEnd('\r')}");
            }
        }
    }

    private static void WriteProvenance(StringBuilder text, JsonObject predicate)
    {
        var definition = predicate["buildDefinition"] as JsonObject;
        var run = predicate["runDetails"] as JsonObject;
        text.AppendLine("Provenance (SLSA v1)");
        text.AppendLine(CultureInfo.InvariantCulture, $"  build type: {definition?["buildType"]}");
        text.AppendLine(CultureInfo.InvariantCulture, $"  builder: {run?["builder"]?["id"]}");
        if (run?["metadata"] is JsonObject metadata)
        {
            foreach (var name in new[] { "invocationId", "startedOn", "finishedOn" })
            {
                if (metadata[name] is { } value)
                {
                    text.AppendLine(CultureInfo.InvariantCulture, $"  {name}: {value}");
                }
            }
        }

        foreach (var section in new[] { "externalParameters", "internalParameters" })
        {
            if (definition?[section] is JsonObject parameters)
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"  {section}:");
                Flatten(text, parameters, "    ", "");
            }
        }

        if (definition?["resolvedDependencies"] is JsonArray dependencies)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"  resolvedDependencies ({dependencies.Count}):");
            foreach (var dependency in dependencies)
            {
                var digests = dependency?["digest"] is JsonObject digest ? string.Join(" ", digest.Select(d => $"{d.Key}:{d.Value}")) : "";
                var frameworks = dependency?["annotations"]?["targetFrameworks"] is JsonArray tfms ? $" [{string.Join(", ", tfms)}]" : "";
                text.AppendLine(CultureInfo.InvariantCulture, $"    {dependency?["uri"] ?? dependency?["name"]}  {digests}{frameworks}");
            }
        }
    }

    private static void Flatten(StringBuilder text, JsonObject node, string indent, string prefix)
    {
        foreach (var (name, value) in node)
        {
            switch (value)
            {
                case JsonObject child:
                    Flatten(text, child, indent, $"{prefix}{name}.");
                    break;
                case JsonArray array:
                    text.AppendLine(CultureInfo.InvariantCulture, $"{indent}{prefix}{name}: {string.Join(", ", array.Select(v => v is JsonValue ? v.ToString() : v?.ToJsonString()))}");
                    break;
                default:
                    text.AppendLine(CultureInfo.InvariantCulture, $"{indent}{prefix}{name}: {value}");
                    break;
            }
        }
    }

    private static string Time(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
