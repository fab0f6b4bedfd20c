using System.IO.Compression;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using SigstoreBuild.Attestations;
using SigstoreBuild.Bundles;
using SigstoreBuild.EndToEnd.Tests.Infrastructure;
using SigstoreBuild.LocalStack;

namespace SigstoreBuild.EndToEnd.Tests;

/// <summary>
/// dotnet publish -t:PublishContainer of samples/ContainerApp through the packed SigstoreBuild, pushing to Debian's real
/// registry (CNCF distribution 2.8, which has no referrers API, so the bundle is found through the sha256-&lt;hex&gt; tag
/// fallback) on loopback, on a base image the fixture built and pushed itself. What is in the registry is read through
/// its HTTP API with a plain HttpClient, not through our code; sigstore verify-image is the installed tool.
/// </summary>
[TestClass]
public sealed class ContainerTests
{
    private const string Signer = "container-signer@example.com";
    private const string BundleType = "application/vnd.dev.sigstore.bundle.v0.3+json";
    private static LocalSigstore s_sigstore = null!;
    private static DistributionRegistry s_registry = null!;
    private static string s_baseDigest = null!;
    private static readonly HttpClient s_http = new();

    public TestContext TestContext { get; set; } = null!;

    [ClassInitialize]
    public static async Task Start(TestContext context)
    {
        E2E.RequirePackage();
        s_sigstore = await LocalSigstore.StartAsync(Path.Combine(E2E.Root, "container-sigstore"), 0, context.CancellationToken);
        s_registry = await DistributionRegistry.StartAsync();
        s_baseDigest = (await TestImages.PushImageAsync(s_registry.BaseUri, "base", "1")).Digest;
    }

    [ClassCleanup]
    public static async Task Stop()
    {
        s_registry?.Dispose();
        if (s_sigstore is not null)
        {
            await s_sigstore.DisposeAsync();
        }
    }

    private static string Registry => s_registry.Host;

    private Dictionary<string, string> Environment(string? extraName = null, string? extraValue = null)
    {
        var environment = new Dictionary<string, string>
        {
            ["SIGSTORE_ID_TOKEN"] = s_sigstore.MintToken(Signer),
            ["DOTNET_CONTAINER_INSECURE_REGISTRIES"] = Registry,
        };
        if (extraName is not null)
        {
            environment[extraName] = extraValue!;
        }

        return environment;
    }

    /// <summary>A framework-dependent publish without an apphost: no runtime pack to download, and the image is built the same way.</summary>
    private string[] PublishContainer(string repository, params string[] more) => DotNet.BuildArguments("publish",
    [
        "-t:PublishContainer", "-p:RuntimeIdentifier=linux-x64", "-p:SelfContained=false", "-p:UseAppHost=false",
        $"-p:ContainerBaseImage={Registry}/base:1", $"-p:ContainerRepository={repository}",
        $"-p:SigstoreTrustedRootPath={s_sigstore.TrustedRootPath}", $"-p:SigstoreSigningConfigPath={s_sigstore.SigningConfigPath}",
        "-p:SigstoreRequireSigning=true", .. more,
    ]);

    private DotNetResult VerifyImage(string image, string identity = Signer, params string[] more) =>
        DotNet.RunProgram(E2E.InstallCli(), E2E.Root, DotNet.RootEnvironment(),
        [
            "verify-image", image, "--certificate-identity", identity, "--certificate-oidc-issuer", s_sigstore.Services.Oidc.Issuer,
            "--trusted-root", s_sigstore.TrustedRootPath, .. more,
        ]);

    private static async Task<(byte[] Bytes, string Digest, string MediaType)> GetManifestAsync(string repository, string reference, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(s_registry.BaseUri, $"v2/{repository}/manifests/{reference}"));
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/vnd.oci.image.manifest.v1+json"));
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/vnd.oci.image.index.v1+json"));
        using var response = await s_http.SendAsync(request, cancellationToken);
        Assert.IsTrue(response.IsSuccessStatusCode, $"GET {repository}/manifests/{reference}: {(int)response.StatusCode}");
        var bytes = await response.Content.ReadAsByteArrayAsync(cancellationToken);
        return (bytes, "sha256:" + Convert.ToHexStringLower(SHA256.HashData(bytes)), response.Content.Headers.ContentType?.MediaType ?? "");
    }

    private static async Task<byte[]> GetBlobAsync(string repository, string digest, CancellationToken cancellationToken) =>
        await s_http.GetByteArrayAsync(new Uri(s_registry.BaseUri, $"v2/{repository}/blobs/{digest}"), cancellationToken);

    private static async Task PutManifestAsync(string repository, string reference, byte[] bytes, string mediaType, CancellationToken cancellationToken)
    {
        using var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue(mediaType);
        using var response = await s_http.PutAsync(new Uri(s_registry.BaseUri, $"v2/{repository}/manifests/{reference}"), content, cancellationToken);
        Assert.IsTrue(response.IsSuccessStatusCode, $"PUT {repository}/manifests/{reference}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(cancellationToken)}");
    }

    private static async Task<string> PutBlobAsync(string repository, byte[] bytes, CancellationToken cancellationToken)
    {
        var digest = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(bytes));
        using var start = await s_http.PostAsync(new Uri(s_registry.BaseUri, $"v2/{repository}/blobs/uploads/"), null, cancellationToken);
        var location = start.Headers.Location!;
        var upload = location.IsAbsoluteUri ? location : new Uri(s_registry.BaseUri, location);
        var separator = upload.Query.Length > 0 ? "&" : "?";
        using var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        using var put = await s_http.PutAsync(new Uri(upload + separator + "digest=" + digest), content, cancellationToken);
        Assert.IsTrue(put.IsSuccessStatusCode, $"blob upload: {(int)put.StatusCode}");
        return digest;
    }

    /// <summary>The referrer whose annotation names <paramref name="predicateType"/> (provenance by default; the SBOM is the other one).</summary>
    private static JsonNode Referrer(JsonArray referrers, string predicateType = "https://slsa.dev/provenance/v1") =>
        referrers.Single(r => (string?)r!["annotations"]?["dev.sigstore.bundle.predicateType"] == predicateType)!;

    /// <summary>The referrers listed by the tag fallback index for <paramref name="digest"/>.</summary>
    private static async Task<JsonArray> FallbackReferrersAsync(string repository, string digest, CancellationToken cancellationToken)
    {
        var (bytes, _, mediaType) = await GetManifestAsync(repository, digest.Replace(':', '-'), cancellationToken);
        Assert.AreEqual("application/vnd.oci.image.index.v1+json", mediaType);
        return JsonNode.Parse(bytes)!["manifests"]!.AsArray();
    }

    private async Task<string> PublishSignedAsync(string repository)
    {
        var project = E2E.CopySample("ContainerApp", TestContext.TestName!);
        var result = DotNet.Run(project, Environment(), PublishContainer(repository, $"-p:ContainerRegistry={Registry}"));
        Assert.IsTrue(result.Succeeded, result.ToString());
        StringAssert.Contains(result.Output, "Sigstore: signed");
        var (_, digest, _) = await GetManifestAsync(repository, "1.0.0", TestContext.CancellationToken);
        return digest;
    }

    [TestMethod]
    public async Task PublishContainer_AttachesAVerifiableBundle_ThroughTheTagFallback()
    {
        var ct = TestContext.CancellationToken;
        var imageDigest = await PublishSignedAsync("contoso/signed");

        // Read back through the registry's own API.
        var referrers = await FallbackReferrersAsync("contoso/signed", imageDigest, ct);
        Assert.HasCount(2, referrers, "the provenance and the SBOM");
        var provenanceReferrer = Referrer(referrers);
        Assert.AreEqual(BundleType, (string?)provenanceReferrer["artifactType"]);
        var (referrerBytes, referrerDigest, _) = await GetManifestAsync("contoso/signed", (string)provenanceReferrer["digest"]!, ct);
        Assert.AreEqual((string)provenanceReferrer["digest"]!, referrerDigest);
        var referrer = JsonNode.Parse(referrerBytes)!;
        Assert.AreEqual(BundleType, (string?)referrer["artifactType"]);
        Assert.AreEqual("application/vnd.oci.empty.v1+json", (string?)referrer["config"]!["mediaType"]);
        Assert.AreEqual(imageDigest, (string?)referrer["subject"]!["digest"]);
        Assert.AreEqual("dsse-envelope", (string?)referrer["annotations"]!["dev.sigstore.bundle.content"]);
        var layer = referrer["layers"]!.AsArray().Single()!;
        Assert.AreEqual(BundleType, (string?)layer["mediaType"]);

        var bundle = BundleSerializer.Parse(await GetBlobAsync("contoso/signed", (string)layer["digest"]!, ct));
        var statement = InTotoStatement.Parse(bundle.DsseEnvelope!.Payload!);
        Assert.AreEqual($"{Registry}/contoso/signed", statement.Subjects.Single().Name);
        Assert.AreEqual(imageDigest["sha256:".Length..], statement.Subjects.Single().Digest["sha256"]);

        // Provenance: the base image by reference and digest, and the layer the SDK added (not the base's).
        var predicate = JsonNode.Parse(statement.Predicate!.Value.GetRawText())!;
        var baseImage = predicate["buildDefinition"]!["resolvedDependencies"]!.AsArray().Single(d => (string?)d!["name"] == "base-image")!;
        Assert.AreEqual($"oci://{Registry}/base:1", (string?)baseImage["uri"]);
        Assert.AreEqual(s_baseDigest["sha256:".Length..], (string?)baseImage["digest"]!["sha256"]);
        var (imageBytes, _, _) = await GetManifestAsync("contoso/signed", imageDigest, ct);
        var imageLayers = JsonNode.Parse(imageBytes)!["layers"]!.AsArray().Select(l => ((string)l!["digest"]!)["sha256:".Length..]).ToList();
        var added = predicate["runDetails"]!["byproducts"]!.AsArray().Where(b => (string?)b!["name"] == "layer").Select(b => (string)b!["digest"]!["sha256"]!).ToList();
        Assert.HasCount(imageLayers.Count - 1, added, "every layer but the base's one");
        CollectionAssert.AreEqual(imageLayers.Skip(1).ToList(), added);
        Assert.AreEqual("contoso/signed", (string?)predicate["buildDefinition"]!["externalParameters"]!["container"]!["repository"]);

        // The installed tool finds and verifies it, by digest and by tag.
        var verified = VerifyImage($"{Registry}/contoso/signed@{imageDigest}", Signer, "--predicate-type", "https://slsa.dev/provenance/v1");
        Assert.AreEqual(0, verified.ExitCode, verified.ToString());
        StringAssert.Contains(verified.Output, "Verified OK");
        var sbom = VerifyImage($"{Registry}/contoso/signed@{imageDigest}", Signer, "--predicate-type", "https://cyclonedx.org/bom");
        Assert.AreEqual(0, sbom.ExitCode, sbom.ToString());
        StringAssert.Contains(sbom.Output, "https://cyclonedx.org/bom");
        var byTag = VerifyImage($"{Registry}/contoso/signed:1.0.0");
        Assert.AreEqual(0, byTag.ExitCode, byTag.ToString());
        StringAssert.Contains(byTag.Output, imageDigest);

        // Another identity: refused, with the code that names the identity check.
        var wrong = VerifyImage($"{Registry}/contoso/signed@{imageDigest}", "someone-else@example.com");
        Assert.AreEqual(1, wrong.ExitCode, wrong.ToString());
        StringAssert.Contains(wrong.Output, "error SSB7102");
        StringAssert.Contains(wrong.Output, "SSB34");

        // sigstore-js, independently: fetches the referrer from the registry and verifies it against the digest.
        var js = SigstoreJs.Oci(null, "verify", "--insecure", "--registry", Registry, "--repository", "contoso/signed", "--digest", imageDigest,
            "--trusted-root", s_sigstore.TrustedRootPath, "--certificate-identity", Signer, "--certificate-oidc-issuer", s_sigstore.Services.Oidc.Issuer);
        Assert.AreEqual(0, js.ExitCode, js.Output);
        // Each attached bundle, the provenance and the SBOM, verified by sigstore-js against the image digest.
        StringAssert.Contains(js.Output, $"OK {(string)provenanceReferrer["digest"]!} https://slsa.dev/provenance/v1");
        StringAssert.Contains(js.Output, $"OK {(string)Referrer(referrers, "https://cyclonedx.org/bom")["digest"]!} https://cyclonedx.org/bom");
        var jsWrong = SigstoreJs.Oci(null, "verify", "--insecure", "--registry", Registry, "--repository", "contoso/signed", "--digest", imageDigest,
            "--trusted-root", s_sigstore.TrustedRootPath, "--certificate-identity", "someone-else@example.com", "--certificate-oidc-issuer", s_sigstore.Services.Oidc.Issuer);
        Assert.AreNotEqual(0, jsWrong.ExitCode, jsWrong.Output);
    }

    [TestMethod]
    public async Task BundleAttachedBySigstoreJs_WithSigstoreOci_IsFoundAndVerifiedByVerifyImage()
    {
        const string JsSigner = "js-signer@example.com";
        var ct = TestContext.CancellationToken;
        var image = await TestImages.PushImageAsync(s_registry.BaseUri, "contoso/js", "1");
        var attach = SigstoreJs.Oci(s_sigstore.MintToken(JsSigner), "attach", "--registry", Registry, "--repository", "contoso/js",
            "--digest", image.Digest, "--signing-config", s_sigstore.SigningConfigPath);
        Assert.AreEqual(0, attach.ExitCode, attach.Output);

        var verified = VerifyImage($"{Registry}/contoso/js@{image.Digest}", JsSigner);
        Assert.AreEqual(0, verified.ExitCode, verified.ToString());
        StringAssert.Contains(verified.Output, "Verified OK");
        var wrong = VerifyImage($"{Registry}/contoso/js@{image.Digest}", Signer);
        Assert.AreEqual(1, wrong.ExitCode, wrong.ToString());
        StringAssert.Contains(wrong.Output, "error SSB7102");
    }

    [TestMethod]
    public async Task AlteredReferrerBundle_IsRejected_AndAValidOneBesideItStillPasses()
    {
        var ct = TestContext.CancellationToken;
        var imageDigest = await PublishSignedAsync("contoso/altered");
        var referrers = await FallbackReferrersAsync("contoso/altered", imageDigest, ct);
        var (referrerBytes, _, _) = await GetManifestAsync("contoso/altered", (string)Referrer(referrers)["digest"]!, ct);
        var referrer = JsonNode.Parse(referrerBytes)!;
        var layer = referrer["layers"]!.AsArray().Single()!;
        var bundle = JsonNode.Parse(await GetBlobAsync("contoso/altered", (string)layer["digest"]!, ct))!;

        // Change one character of the DSSE signature: still a well-formed bundle, no longer a valid signature.
        var signature = (string)bundle["dsseEnvelope"]!["signatures"]![0]!["sig"]!;
        bundle["dsseEnvelope"]!["signatures"]![0]!["sig"] = (signature[0] == 'M' ? "N" : "M") + signature[1..];
        var altered = Encoding.UTF8.GetBytes(bundle.ToJsonString());
        layer["digest"] = await PutBlobAsync("contoso/altered", altered, ct);
        layer["size"] = altered.Length;
        var alteredManifest = Encoding.UTF8.GetBytes(referrer.ToJsonString());
        var alteredDigest = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(alteredManifest));
        await PutManifestAsync("contoso/altered", alteredDigest, alteredManifest, "application/vnd.oci.image.manifest.v1+json", ct);

        // Only the altered one attached: refused.
        var index = new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = "application/vnd.oci.image.index.v1+json",
            ["manifests"] = new JsonArray(new JsonObject { ["mediaType"] = "application/vnd.oci.image.manifest.v1+json", ["digest"] = alteredDigest, ["size"] = alteredManifest.Length, ["artifactType"] = BundleType }),
        };
        await PutManifestAsync("contoso/altered", imageDigest.Replace(':', '-'), Encoding.UTF8.GetBytes(index.ToJsonString()), "application/vnd.oci.image.index.v1+json", ct);
        var rejected = VerifyImage($"{Registry}/contoso/altered@{imageDigest}");
        Assert.AreEqual(1, rejected.ExitCode, rejected.ToString());
        StringAssert.Contains(rejected.Output, "error SSB7102");
        StringAssert.Contains(rejected.Output, alteredDigest);

        // Both attached: the valid one passes, the altered one is named in a warning.
        index["manifests"]!.AsArray().Add(Referrer(referrers).DeepClone());
        await PutManifestAsync("contoso/altered", imageDigest.Replace(':', '-'), Encoding.UTF8.GetBytes(index.ToJsonString()), "application/vnd.oci.image.index.v1+json", ct);
        var both = VerifyImage($"{Registry}/contoso/altered@{imageDigest}");
        Assert.AreEqual(0, both.ExitCode, both.ToString());
        StringAssert.Contains(both.Output, "warning SSB7501");
    }

    [TestMethod]
    public async Task ImageRepushedWithAChange_HasNoValidSignature_EvenWithTheOldBundleMovedOver()
    {
        var ct = TestContext.CancellationToken;
        var imageDigest = await PublishSignedAsync("contoso/repushed");
        var (imageBytes, _, _) = await GetManifestAsync("contoso/repushed", imageDigest, ct);

        // Re-push the tag with a changed manifest (an added annotation): a new digest with nothing attached.
        var changed = JsonNode.Parse(imageBytes)!;
        changed["annotations"] = new JsonObject { ["org.example.changed"] = "yes" };
        var changedBytes = Encoding.UTF8.GetBytes(changed.ToJsonString());
        var changedDigest = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(changedBytes));
        await PutManifestAsync("contoso/repushed", "1.0.0", changedBytes, "application/vnd.oci.image.manifest.v1+json", ct);
        var unsigned = VerifyImage($"{Registry}/contoso/repushed:1.0.0");
        Assert.AreEqual(1, unsigned.ExitCode, unsigned.ToString());
        StringAssert.Contains(unsigned.Output, "error SSB7101");
        StringAssert.Contains(unsigned.Output, changedDigest);

        // An attacker copies the old referrer over to the new digest, re-pointing its subject: the bundle still signs the old digest.
        var referrers = await FallbackReferrersAsync("contoso/repushed", imageDigest, ct);
        var (referrerBytes, _, _) = await GetManifestAsync("contoso/repushed", (string)Referrer(referrers)["digest"]!, ct);
        var moved = JsonNode.Parse(referrerBytes)!;
        moved["subject"] = new JsonObject { ["mediaType"] = "application/vnd.oci.image.manifest.v1+json", ["digest"] = changedDigest, ["size"] = changedBytes.Length };
        var movedBytes = Encoding.UTF8.GetBytes(moved.ToJsonString());
        var movedDigest = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(movedBytes));
        await PutManifestAsync("contoso/repushed", movedDigest, movedBytes, "application/vnd.oci.image.manifest.v1+json", ct);
        var index = new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = "application/vnd.oci.image.index.v1+json",
            ["manifests"] = new JsonArray(new JsonObject { ["mediaType"] = "application/vnd.oci.image.manifest.v1+json", ["digest"] = movedDigest, ["size"] = movedBytes.Length, ["artifactType"] = BundleType }),
        };
        await PutManifestAsync("contoso/repushed", changedDigest.Replace(':', '-'), Encoding.UTF8.GetBytes(index.ToJsonString()), "application/vnd.oci.image.index.v1+json", ct);
        var moved2 = VerifyImage($"{Registry}/contoso/repushed:1.0.0");
        Assert.AreEqual(1, moved2.ExitCode, moved2.ToString());
        StringAssert.Contains(moved2.Output, "error SSB7102");
    }

    [TestMethod]
    public async Task WithoutAnIdentity_ThePublishWarnsAndAttachesNothing()
    {
        var project = E2E.CopySample("ContainerApp", TestContext.TestName!);
        var environment = Environment();
        environment.Remove("SIGSTORE_ID_TOKEN");
        var arguments = PublishContainer("contoso/unsigned", $"-p:ContainerRegistry={Registry}").Where(a => a != "-p:SigstoreRequireSigning=true").ToArray();
        var result = DotNet.Run(project, environment, arguments);
        Assert.IsTrue(result.Succeeded, result.ToString());
        StringAssert.Contains(result.Output, "SSB0900");
        var (_, digest, _) = await GetManifestAsync("contoso/unsigned", "1.0.0", TestContext.CancellationToken);
        using var fallback = await s_http.GetAsync(new Uri(s_registry.BaseUri, $"v2/contoso/unsigned/manifests/{digest.Replace(':', '-')}"), TestContext.CancellationToken);
        Assert.AreEqual(System.Net.HttpStatusCode.NotFound, fallback.StatusCode, "nothing attached");
    }

    [TestMethod]
    public void ArchiveOutput_WritesTheBundleBesideTheTarball_ForTheManifestInside()
    {
        var project = E2E.CopySample("ContainerApp", TestContext.TestName!);
        var archive = Path.Combine(project, "out", "image.tar.gz");
        var result = DotNet.Run(project, Environment(), PublishContainer("contoso/archived", $"-p:ContainerArchiveOutputPath={archive}"));
        Assert.IsTrue(result.Succeeded, result.ToString());
        var bundlePath = archive + ".sigstore.json";
        Assert.IsTrue(File.Exists(bundlePath), result.Output);
        Assert.IsTrue(File.Exists(archive + ".sbom.sigstore.json"), "the SBOM beside the archive too");

        // The OCI layout inside the archive: index.json names the manifest, whose blob must hash to the signed digest.
        using var tar = new System.Formats.Tar.TarReader(File.OpenRead(archive));
        var entries = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        while (tar.GetNextEntry() is { } entry)
        {
            if (entry.DataStream is { } data)
            {
                using var copy = new MemoryStream();
                data.CopyTo(copy);
                entries[entry.Name.TrimStart('.', '/')] = copy.ToArray();
            }
        }

        var manifestDigest = (string)JsonNode.Parse(entries["index.json"])!["manifests"]![0]!["digest"]!;
        Assert.AreEqual(manifestDigest, "sha256:" + Convert.ToHexStringLower(SHA256.HashData(entries["blobs/sha256/" + manifestDigest["sha256:".Length..]])));
        var verified = DotNet.RunProgram(E2E.InstallCli(), E2E.Root, DotNet.RootEnvironment(),
            "verify", manifestDigest, "--bundle", bundlePath, "--certificate-identity", Signer,
            "--certificate-oidc-issuer", s_sigstore.Services.Oidc.Issuer, "--trusted-root", s_sigstore.TrustedRootPath);
        Assert.AreEqual(0, verified.ExitCode, verified.ToString());
    }

    [TestMethod]
    public async Task MultiPlatformPublish_SignsTheIndexAndEachPlatformManifest_WithOneCertificate()
    {
        var ct = TestContext.CancellationToken;
        await TestImages.PushIndexAsync(s_registry.BaseUri, "base-multi", "1");
        var project = E2E.CopySample("ContainerApp", TestContext.TestName!);
        var arguments = DotNet.BuildArguments("publish",
        [
            "-t:PublishContainer", "-p:RuntimeIdentifiers=\"linux-x64;linux-arm64\"", "-p:SelfContained=false", "-p:UseAppHost=false",
            $"-p:ContainerBaseImage={Registry}/base-multi:1", "-p:ContainerRepository=contoso/multi", $"-p:ContainerRegistry={Registry}",
            $"-p:SigstoreTrustedRootPath={s_sigstore.TrustedRootPath}", $"-p:SigstoreSigningConfigPath={s_sigstore.SigningConfigPath}",
            "-p:SigstoreRequireSigning=true",
        ]);
        var result = DotNet.Run(project, Environment(), arguments);
        Assert.IsTrue(result.Succeeded, result.ToString());

        var (indexBytes, indexDigest, indexType) = await GetManifestAsync("contoso/multi", "1.0.0", ct);
        Assert.AreEqual("application/vnd.oci.image.index.v1+json", indexType);
        var platforms = JsonNode.Parse(indexBytes)!["manifests"]!.AsArray().Select(m => (string)m!["digest"]!).ToList();
        Assert.HasCount(2, platforms);
        var certificates = new HashSet<string>(StringComparer.Ordinal);
        foreach (var digest in platforms.Prepend(indexDigest))
        {
            var referrers = await FallbackReferrersAsync("contoso/multi", digest, ct);
            Assert.HasCount(2, referrers, $"{digest}: the provenance and the SBOM");
            foreach (var referrer in referrers)
            {
                var (referrerBytes, _, _) = await GetManifestAsync("contoso/multi", (string)referrer!["digest"]!, ct);
                var layer = JsonNode.Parse(referrerBytes)!["layers"]!.AsArray().Single()!;
                var bundle = BundleSerializer.Parse(await GetBlobAsync("contoso/multi", (string)layer["digest"]!, ct));
                certificates.Add(Convert.ToBase64String(bundle.VerificationMaterial!.Certificate!.RawBytes!));
            }

            var verified = VerifyImage($"{Registry}/contoso/multi@{digest}");
            Assert.AreEqual(0, verified.ExitCode, verified.ToString());
        }

        Assert.HasCount(1, certificates, "one certificate for the whole build");
    }

    [TestMethod]
    public async Task RegistryCredentials_AndTheToken_NeverReachTheLogOrBinlog()
    {
        // A registry that asks for credentials, given to the build as docker login does: in the docker config file.
        const string User = "sentinel-user";
        const string Secret = "registry-password-sentinel-4b1d";
        var hash = Org.BouncyCastle.Crypto.Generators.OpenBsdBCrypt.Generate("2b", Secret.ToCharArray(), RandomNumberGenerator.GetBytes(16), 6);
        using var locked = await DistributionRegistry.StartAsync($"{User}:{hash}");
        var project = E2E.CopySample("ContainerApp", TestContext.TestName!);
        var dockerConfig = Path.Combine(project, "docker-config");
        Directory.CreateDirectory(dockerConfig);
        var auth = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{User}:{Secret}"));
        File.WriteAllText(Path.Combine(dockerConfig, "config.json"), new JsonObject { ["auths"] = new JsonObject { [locked.Host] = new JsonObject { ["auth"] = auth } } }.ToJsonString());

        var binlog = Path.Combine(project, "container.binlog");
        var environment = Environment("DOCKER_CONFIG", dockerConfig);
        environment["DOTNET_CONTAINER_INSECURE_REGISTRIES"] = $"{Registry};{locked.Host}";
        var token = environment["SIGSTORE_ID_TOKEN"];
        var result = DotNet.Run(project, environment, PublishContainer("contoso/sentinel", $"-p:ContainerRegistry={locked.Host}", "-v:diag", $"-bl:{binlog}"));
        Assert.IsTrue(result.Succeeded, result.ToString());
        StringAssert.Contains(result.Output, "Sigstore: signed");

        // The referrer is there, behind the same credentials.
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(locked.BaseUri, "v2/contoso/sentinel/tags/list"));
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", auth);
        using var tags = await s_http.SendAsync(request, TestContext.CancellationToken);
        StringAssert.Contains(await tags.Content.ReadAsStringAsync(TestContext.CancellationToken), "\"sha256-");

        foreach (var secret in new[] { Secret, auth, token.Split('.')[2] })
        {
            Assert.DoesNotContain(secret, result.Output);
        }

        using var gzip = new GZipStream(File.OpenRead(binlog), CompressionMode.Decompress);
        using var decompressed = new MemoryStream();
        gzip.CopyTo(decompressed);
        var bytes = decompressed.ToArray();
        Assert.AreNotEqual(-1, bytes.AsSpan().IndexOf("SigstoreSignContainerImage"u8), "the binlog should record the signing target");
        Assert.AreEqual(-1, bytes.AsSpan().IndexOf(Encoding.UTF8.GetBytes(Secret)), "the registry password is in the binlog");
        Assert.AreEqual(-1, bytes.AsSpan().IndexOf(Encoding.UTF8.GetBytes(auth)), "the docker config auth is in the binlog");
        Assert.AreEqual(-1, bytes.AsSpan().IndexOf(Encoding.UTF8.GetBytes(token.Split('.')[2])), "the token's signature is in the binlog");
    }
}
