using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using SigstoreBuild.Identity;
using SigstoreBuild.LocalStack;
using SigstoreBuild.NuGet;
using SigstoreBuild.NuGet.Attestations;
using SigstoreBuild.Signing;
using SigstoreBuild.Tuf;

namespace SigstoreBuild.Fuzz;

/// <summary>
/// Writes a starting corpus per target, made at run time and never kept in the repository: from the shared conformance
/// cases (bundles of other Sigstore clients and the public-good trust material) and from what this project produces
/// (the embedded trust documents, a package and a file signed through the local Sigstore instance, its TUF repository,
/// a real project.assets.json).
/// </summary>
internal sealed class Seeds(string outputDirectory)
{
    /// <summary>The local instance's trusted root, beside the target folders, for the harness's --trusted-root.</summary>
    public const string LocalTrustedRootName = "local.trusted_root.json";

    private int _written;

    public int Written => _written;

    public async Task WriteAsync(string? conformanceDirectory, string? assetsFile, CancellationToken cancellationToken)
    {
        foreach (var target in FuzzTargets.All)
        {
            Directory.CreateDirectory(Path.Combine(outputDirectory, target.Name));
        }

        if (conformanceDirectory is not null)
        {
            FromConformance(conformanceDirectory);
        }

        FromEmbeddedTrust();
        await FromLocalInstanceAsync(cancellationToken);
        FromAssets(assetsFile);
        FromRegistry();
    }

    private void FromConformance(string directory)
    {
        foreach (var line in File.ReadLines(Path.Combine(directory, "manifest.jsonl")))
        {
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            var entry = JsonNode.Parse(line)!;
            var bundlePath = Path.Combine(directory, (string)entry["bundle"]!);
            if (File.Exists(bundlePath))
            {
                FromBundle(File.ReadAllBytes(bundlePath));
            }

            if ((string?)entry["trusted_root"] is { } root && File.Exists(Path.Combine(directory, root)))
            {
                Add("trusted-root", File.ReadAllBytes(Path.Combine(directory, root)));
            }
        }

        var tuf = Path.Combine(directory, "trust", "tuf");
        if (Directory.Exists(tuf))
        {
            foreach (var file in Directory.EnumerateFiles(tuf, "*.json", SearchOption.AllDirectories))
            {
                Add(file.Contains("signing_config", StringComparison.Ordinal) ? "signing-config" : "tuf", File.ReadAllBytes(file));
            }
        }
    }

    private void FromEmbeddedTrust()
    {
        Add("trusted-root", EmbeddedTrust.PublicGoodTrustedRoot);
        Add("trusted-root", EmbeddedTrust.StagingTrustedRoot);
        Add("signing-config", EmbeddedTrust.PublicGoodSigningConfig);
        Add("signing-config", EmbeddedTrust.StagingSigningConfig);
        Add("tuf", EmbeddedTrust.PublicGoodRoot);
        Add("tuf", EmbeddedTrust.StagingRoot);
    }

    /// <summary>Signs a package (embedded bundle, Rekor v1 and v2) and a file through the local instance, as the tests do.</summary>
    private async Task FromLocalInstanceAsync(CancellationToken cancellationToken)
    {
        var work = Path.Combine(Path.GetTempPath(), "ssb-fuzz-seeds-" + Guid.NewGuid().ToString("N")[..10]);
        Directory.CreateDirectory(work);
        try
        {
            await using var sigstore = await LocalSigstore.StartAsync(Path.Combine(work, "sigstore"), 0, cancellationToken);
            Add("trusted-root", File.ReadAllBytes(sigstore.TrustedRootPath));
            File.Copy(sigstore.TrustedRootPath, Path.Combine(outputDirectory, LocalTrustedRootName), overwrite: true);
            foreach (var config in new[] { sigstore.SigningConfigPath, sigstore.SigningConfigRekorV2Path })
            {
                Add("signing-config", File.ReadAllBytes(config));
            }

            foreach (var file in Directory.EnumerateFiles(sigstore.Services.Tuf.Directory, "*.json", SearchOption.AllDirectories))
            {
                Add(file.Contains("signing_config", StringComparison.Ordinal) ? "signing-config" : file.Contains("trusted_root", StringComparison.Ordinal) ? "trusted-root" : "tuf", File.ReadAllBytes(file));
            }

            var unsigned = Path.Combine(work, "Fuzz.Seed.1.0.0.nupkg");
            File.WriteAllBytes(unsigned, MinimalPackage("Fuzz.Seed", "1.0.0"));
            Add("nupkg", File.ReadAllBytes(unsigned));

            foreach (var (config, name) in new[] { (sigstore.SigningConfigPath, "v1"), (sigstore.SigningConfigRekorV2Path, "v2") })
            {
                using var session = new SigningSession(
                    StaticSigningTrustProvider.Load(sigstore.TrustedRootPath, config),
                    ExplicitTokenProvider.FromToken(sigstore.MintGitHubActionsToken()),
                    new SigstoreBundleVerifier());

                // A message signature first: the attestation signer below takes the session over and disposes it.
                var file = Path.Combine(work, $"file-{name}.txt");
                File.WriteAllText(file, "signed by the fuzz seeds " + name);
                var signed = await session.SignFileAsync(file, file + ".sigstore.json", cancellationToken);
                FromBundle(File.ReadAllBytes(signed.BundlePath));

                var package = Path.Combine(work, $"Fuzz.Seed.{name}.1.0.0.nupkg");
                File.Copy(unsigned, package);
                var inspection = PackageInspector.Inspect(package);
                var statement = PackageStatements.ForPackages([inspection], new SlsaBuildContext { Project = "Fuzz.Seed", BuilderId = "https://sigstorebuild.invalid/fuzz/seeds", Step = "pack" });
                using (var signer = new SessionAttestationSigner(session))
                {
                    await signer.SignAsync(statement, package + ".sigstore.json", cancellationToken);
                }

                var bundle = File.ReadAllBytes(package + ".sigstore.json");
                FromBundle(bundle);
                EmbeddedBundle.Embed(package, bundle);
                Add("nupkg", File.ReadAllBytes(package));
            }
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    private void FromAssets(string? assetsFile)
    {
        Add("assets", """
            {"version":3,"targets":{"net10.0":{}},"libraries":{"Contoso.Lib/1.0.0":{"sha512":"AAAA","type":"package","path":"contoso.lib/1.0.0","files":["contoso.lib.nuspec"]},"Other/2.0.0":{"type":"project","path":"../Other/Other.csproj"}},"packageFolders":{"/root/.nuget/packages/":{}},"project":{"version":"1.0.0"}}
            """u8.ToArray());
        if (assetsFile is not null && File.Exists(assetsFile))
        {
            Add("assets", File.ReadAllBytes(assetsFile));
        }
    }

    /// <summary>Registry responses, each behind the selector byte of the oci target.</summary>
    private void FromRegistry()
    {
        const string Layer = "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";
        const string Empty = "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a";
        void Oci(byte selector, string text) => Add("oci", [selector, .. Encoding.UTF8.GetBytes(text)]);
        Oci(0, $$$"""{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1\u002Bjson","config":{"mediaType":"application/vnd.oci.image.config.v1+json","size":2,"digest":"{{{Empty}}}"},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","size":5,"digest":"{{{Layer}}}"}]}""");
        Oci(0, $$$"""{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","size":5,"digest":"{{{Layer}}}","platform":{"os":"linux","architecture":"arm","variant":"v7"}}]}""");
        Oci(1, $$$"""{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","size":5,"digest":"{{{Layer}}}","artifactType":"application/vnd.dev.sigstore.bundle.v0.3+json","annotations":{"dev.sigstore.bundle.content":"dsse-envelope"}}]}""");
        Oci(2, $$$"""{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","artifactType":"application/vnd.dev.sigstore.bundle.v0.3+json","config":{"mediaType":"application/vnd.oci.empty.v1+json","digest":"{{{Empty}}}","size":2},"layers":[{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","digest":"{{{Layer}}}","size":5}],"subject":{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{{{Layer}}}","size":5}}""");
        Oci(3, """{"architecture":"amd64","os":"linux","config":{"Labels":{"org.opencontainers.image.base.name":"r/base:1","org.opencontainers.image.base.digest":"sha256:00"}}}""");
        Oci(4, "realm=\"https://auth.example/token\",service=\"registry.example\",scope=\"repository:a/b:pull,push\"");
    }

    /// <summary>Every piece of a bundle that has a target of its own.</summary>
    private void FromBundle(byte[] json)
    {
        Add("bundle", json);
        JsonNode? bundle;
        try
        {
            bundle = JsonNode.Parse(json);
        }
        catch (System.Text.Json.JsonException)
        {
            return; // the deliberately malformed cases are bundle seeds only
        }

        var material = bundle?["verificationMaterial"];
        if (material is null)
        {
            return;
        }

        if (Base64(material["certificate"]?["rawBytes"]) is { } leaf)
        {
            Add("certificate", leaf);
        }

        foreach (var certificate in material["x509CertificateChain"]?["certificates"]?.AsArray() ?? [])
        {
            if (Base64(certificate?["rawBytes"]) is { } der)
            {
                Add("certificate", der);
            }
        }

        var signature = Base64(bundle!["messageSignature"]?["signature"]) ?? Base64(bundle["dsseEnvelope"]?["signatures"]?[0]?["sig"]);
        foreach (var timestamp in material["timestampVerificationData"]?["rfc3161Timestamps"]?.AsArray() ?? [])
        {
            if (Base64(timestamp?["signedTimestamp"]) is { } token && signature is { Length: <= byte.MaxValue })
            {
                Add("timestamp", [(byte)signature.Length, .. signature, .. token]);
            }
        }

        foreach (var entry in material["tlogEntries"]?.AsArray() ?? [])
        {
            if ((string?)entry?["inclusionProof"]?["checkpoint"]?["envelope"] is { } checkpoint)
            {
                Add("checkpoint", Encoding.UTF8.GetBytes(checkpoint));
            }

            var kind = (string?)entry?["kindVersion"]?["kind"];
            var version = (string?)entry?["kindVersion"]?["version"];
            var index = Array.IndexOf(RekorKinds.All, (kind ?? "", version ?? ""));
            if (index >= 0 && Base64(entry?["canonicalizedBody"]) is { } body)
            {
                var selector = (byte)((index << 1) | (bundle["dsseEnvelope"] is null ? 0 : 1));
                Add("rekor-body", [selector, .. body]);
                if (WithFixedSignature(body, kind!, version!) is { } bound)
                {
                    Add("rekor-body", [selector, .. bound]);
                }
            }
        }

        if (Base64(bundle["dsseEnvelope"]?["payload"]) is { } statement)
        {
            Add("intoto", statement);
        }
    }

    /// <summary>The body with its signature replaced by the fuzz target's fixed one, so that the signer and digest checks run.</summary>
    private static byte[]? WithFixedSignature(byte[] body, string kind, string version)
    {
        var node = JsonNode.Parse(body)!;
        var spec = node["spec"];
        var fixedSignature = Convert.ToBase64String(RekorKinds.Signature);
        (JsonNode? Holder, string Field, string Value) place = (kind, version) switch
        {
            ("hashedrekord", "0.0.1") => (spec?["signature"], "content", fixedSignature),
            ("hashedrekord", "0.0.2") => (spec?["hashedRekordV002"]?["signature"], "content", fixedSignature),
            ("dsse", "0.0.1") => (spec?["signatures"]?[0], "signature", fixedSignature),
            ("dsse", "0.0.2") => (spec?["dsseV002"]?["signatures"]?[0], "content", fixedSignature),
            // Rekor keeps the envelope's base64 signature base64-encoded again.
            ("intoto", "0.0.2") => (spec?["content"]?["envelope"]?["signatures"]?[0], "sig", Convert.ToBase64String(Encoding.ASCII.GetBytes(fixedSignature))),
            _ => (null, "", ""),
        };
        if (place.Holder is not JsonObject holder)
        {
            return null;
        }

        holder[place.Field] = place.Value;
        return Encoding.UTF8.GetBytes(node.ToJsonString());
    }

    /// <summary>Null for a missing value, or one of the conformance cases' deliberately broken ones.</summary>
    private static byte[]? Base64(JsonNode? value)
    {
        if (value is not JsonValue v || !v.TryGetValue<string>(out var text))
        {
            return null;
        }

        var bytes = new byte[text.Length];
        return Convert.TryFromBase64String(text, bytes, out var length) ? bytes[..length] : null;
    }

    /// <summary>A package as dotnet pack lays it out: nuspec first, content, then the OPC parts.</summary>
    internal static byte[] MinimalPackage(string id, string version)
    {
        using var stream = new MemoryStream();
        using (var zip = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: true))
        {
            Entry(zip, $"{id}.nuspec", $"""
                <?xml version="1.0" encoding="utf-8"?>
                <package xmlns="http://schemas.microsoft.com/packaging/2013/05/nuspec.xsd">
                  <metadata>
                    <id>{id}</id>
                    <version>{version}</version>
                    <authors>fuzz</authors>
                    <description>seed package</description>
                  </metadata>
                </package>
                """);
            Entry(zip, "lib/net10.0/readme.txt", "seed");
            Entry(zip, "[Content_Types].xml", "<Types />");
            Entry(zip, "_rels/.rels", "<Relationships />");
        }

        return stream.ToArray();
    }

    private static void Entry(ZipArchive zip, string name, string text)
    {
        var entry = zip.CreateEntry(name, CompressionLevel.Optimal);
        entry.LastWriteTime = new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);
        using var content = entry.Open();
        content.Write(Encoding.UTF8.GetBytes(text));
    }

    /// <summary>Named by content, so the same seed from two sources is kept once.</summary>
    private void Add(string target, byte[] content)
    {
        var path = Path.Combine(outputDirectory, target, Convert.ToHexStringLower(SHA256.HashData(content))[..16]);
        if (!File.Exists(path))
        {
            File.WriteAllBytes(path, content);
            _written++;
        }
    }
}
