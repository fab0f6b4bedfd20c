using System.Text;
using System.Text.Json.Nodes;
using SigstoreBuild.Containers.Attestations;
using SigstoreBuild.Containers.Oci;
using SigstoreBuild.Containers.Registry;
using SigstoreBuild.Containers.Tests.Infrastructure;
using SigstoreBuild.Diagnostics;

namespace SigstoreBuild.Containers.Tests;

/// <summary>What signing at container publish builds on: reading the SDK's manifest, the base image's layers, the statement, attaching once.</summary>
[TestClass]
public sealed class ImageSigningTests
{
    private static readonly string s_layer1 = "sha256:" + new string('1', 64);
    private static readonly string s_layer2 = "sha256:" + new string('2', 64);

    [TestMethod]
    public void SdkManifest_IsReadAsPushed_WithItsEscapedPlusSigns()
    {
        // The SDK's GeneratedContainerManifest escapes '+' as \u002B: the digest is of these bytes, as pushed.
        var json = "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1\\u002Bjson\",\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1\\u002Bjson\",\"size\":10,\"digest\":\"" + s_layer1 + "\"},"
            + "\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\\u002Bgzip\",\"size\":5,\"digest\":\"" + s_layer2 + "\"}]}";
        var bytes = Encoding.UTF8.GetBytes(json);
        var manifest = ImageManifest.Parse(bytes);
        Assert.AreEqual(OciDescriptor.Sha256Digest(bytes), manifest.Digest);
        Assert.AreEqual(OciMediaTypes.ImageManifest, manifest.MediaType);
        Assert.IsFalse(manifest.IsIndex);
        Assert.AreEqual(s_layer2, manifest.Layers.Single().Digest);
    }

    [TestMethod]
    [DataRow("[]", DisplayName = "not an object")]
    [DataRow("{\"schemaVersion\":2,\"mediaType\":\"text/plain\"}", DisplayName = "not a manifest media type")]
    [DataRow("{\"schemaVersion\":2,\"config\":{\"digest\":\"sha256:x\"},\"layers\":[]}", DisplayName = "descriptor without media type and size")]
    [DataRow("{\"schemaVersion\":2,", DisplayName = "truncated")]
    public void MalformedManifest_IsACodedError(string json)
    {
        var ex = Assert.ThrowsExactly<SigstoreException>(() => ImageManifest.Parse(Encoding.UTF8.GetBytes(json)));
        Assert.AreEqual(ContainerCodes.RegistryResponseInvalid, ex.Code);
    }

    [TestMethod]
    public void InvalidUtf8InAString_IsACodedError_NotACrash()
    {
        // Found by the oci fuzz target: JsonElement.GetString throws InvalidOperationException on invalid UTF-8.
        byte[] mediaType = [.. "{\"schemaVersion\":2,\"mediaType\":\""u8, 0xFF, .. "\"}"u8];
        Assert.AreEqual(ContainerCodes.RegistryResponseInvalid, Assert.ThrowsExactly<SigstoreException>(() => ImageManifest.Parse(mediaType)).Code);
        byte[] layer = [.. "{\"schemaVersion\":2,\"config\":{\"mediaType\":\"a\",\"digest\":\""u8, 0xC3, .. "\",\"size\":1},\"layers\":[]}"u8];
        Assert.AreEqual(ContainerCodes.RegistryResponseInvalid, Assert.ThrowsExactly<SigstoreException>(() => ImageManifest.Parse(layer)).Code);
        Assert.AreEqual(new ImageConfig(null, null, null), ImageConfig.Parse("{\"os\":\"\uD800\"}"));
        byte[] index = [.. "{\"manifests\":[{\"mediaType\":\"a\",\"digest\":\"b\",\"size\":1,\"artifactType\":\""u8, 0xFF, .. "\"}]}"u8];
        Assert.AreEqual(ContainerCodes.RegistryResponseInvalid, Assert.ThrowsExactly<SigstoreException>(() => SigstoreBuild.Containers.Registry.RegistryClient.ReadIndexManifests(index, "an index")).Code);
    }

    [TestMethod]
    public void FallbackTag_IsTheAlgorithmAndTheDigestCutTo64Characters()
    {
        Assert.AreEqual("sha256-" + new string('a', 64), SigstoreReferrers.FallbackTag("sha256:" + new string('a', 64)));
        Assert.AreEqual("sha512-" + new string('b', 64), SigstoreReferrers.FallbackTag("sha512:" + new string('b', 128)));
    }

    [TestMethod]
    public void Index_ListsItsPlatformManifests()
    {
        var json = "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\",\"manifests\":["
            + "{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"" + s_layer1 + "\",\"size\":3,\"platform\":{\"os\":\"linux\",\"architecture\":\"amd64\"}},"
            + "{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"" + s_layer2 + "\",\"size\":4,\"platform\":{\"os\":\"linux\",\"architecture\":\"arm\",\"variant\":\"v7\"}}]}";
        var index = ImageManifest.Parse(Encoding.UTF8.GetBytes(json));
        Assert.IsTrue(index.IsIndex);
        CollectionAssert.AreEqual(new[] { "linux/amd64", "linux/arm/v7" }, index.Manifests.Select(m => m.Platform).ToArray());
    }

    [TestMethod]
    public void Statement_NamesTheImage_AndRecordsBaseImageAndAddedLayers()
    {
        var predicate = new JsonObject
        {
            ["buildDefinition"] = new JsonObject { ["buildType"] = "t", ["externalParameters"] = new JsonObject { ["step"] = "container" }, ["resolvedDependencies"] = new JsonArray(new JsonObject { ["uri"] = "pkg:nuget/A@1.0.0" }) },
            ["runDetails"] = new JsonObject { ["builder"] = new JsonObject { ["id"] = "b" } },
        };
        var details = new ImageBuildDetails
        {
            Registry = "127.0.0.1:5000",
            Repository = "contoso/app",
            Tags = ["1.0.0"],
            MediaType = OciMediaTypes.ImageManifest,
            RuntimeIdentifier = "linux-x64",
            BaseImage = "127.0.0.1:5000/base:1",
            BaseImageDigest = s_layer1,
            AddedLayers = [new ImageLayer("application/vnd.oci.image.layer.v1.tar+gzip", s_layer2, 42)],
        };
        var statement = ImageStatements.ForImage(s_layer2, details, predicate);
        Assert.AreEqual("127.0.0.1:5000/contoso/app", statement.Subjects.Single().Name);
        Assert.AreEqual(new string('2', 64), statement.Subjects.Single().Digest["sha256"]);
        Assert.AreEqual(ImageStatements.SlsaProvenanceV1, statement.PredicateType);

        var written = JsonNode.Parse(statement.Predicate!.Value.GetRawText())!;
        var dependencies = written["buildDefinition"]!["resolvedDependencies"]!.AsArray();
        Assert.AreEqual("oci://127.0.0.1:5000/base:1", (string?)dependencies[0]!["uri"]);
        Assert.AreEqual(new string('1', 64), (string?)dependencies[0]!["digest"]!["sha256"]);
        Assert.AreEqual("pkg:nuget/A@1.0.0", (string?)dependencies[1]!["uri"], "the package graph stays");
        Assert.AreEqual("contoso/app", (string?)written["buildDefinition"]!["externalParameters"]!["container"]!["repository"]);
        var layer = written["runDetails"]!["byproducts"]!.AsArray().Single()!;
        Assert.AreEqual("layer", (string?)layer["name"]);
        Assert.AreEqual(new string('2', 64), (string?)layer["digest"]!["sha256"]);
        Assert.IsNull(predicate["runDetails"]!["byproducts"], "the caller's predicate is not changed");
    }

    [TestMethod]
    public void Statement_RefusesADigestThatIsNotSha256()
    {
        var details = new ImageBuildDetails { Repository = "app", MediaType = OciMediaTypes.ImageManifest };
        Assert.ThrowsExactly<ArgumentException>(() => ImageStatements.ForImage("sha512:" + new string('a', 128), details, new JsonObject()));
        Assert.ThrowsExactly<ArgumentException>(() => ImageStatements.ForImage("sha256:" + new string('A', 64), details, new JsonObject()));
    }

    [TestMethod]
    public async Task BaseImage_LayersAreTheOnesTheBuildDidNotAdd_AndAnIndexBaseResolvesToThePlatform()
    {
        await using var registry = await FakeOciRegistry.StartAsync();
        var (index, amd64, _) = await TestImages.PushIndexAsync(registry.BaseUri, "base", "1");
        var baseManifest = ImageManifest.Parse(amd64.Manifest);
        var added = new ImageLayer("application/vnd.oci.image.layer.v1.tar+gzip", s_layer2, 9);
        var image = baseManifest with { Layers = [.. baseManifest.Layers, added] };
        var registries = new ImageRegistries(_ => null, allowInsecure: false);

        var resolved = BaseImages.Resolve(registries, $"{registry.Host}/base:1", null, "linux/amd64", image, CancellationToken.None);
        Assert.IsNull(resolved.Warning);
        Assert.AreEqual(index.Digest, resolved.Digest, "the digest of the reference the build named");
        Assert.AreEqual(added, resolved.AddedLayers.Single());

        var unknownPlatform = BaseImages.Resolve(registries, $"{registry.Host}/base:1", null, "linux/s390x", image, CancellationToken.None);
        StringAssert.Contains(unknownPlatform.Warning, "could not be read");
        Assert.HasCount(image.Layers.Count, unknownPlatform.AddedLayers);

        var missing = BaseImages.Resolve(registries, $"{registry.Host}/nothing:1", null, "linux/amd64", image, CancellationToken.None);
        StringAssert.Contains(missing.Warning, ContainerCodes.ManifestNotFound);

        // A base whose layers the image does not start with (its tag moved since the build): no base digest is claimed.
        await TestImages.PushImageAsync(registry.BaseUri, "moved", "1", content: "another base");
        var moved = BaseImages.Resolve(registries, $"{registry.Host}/moved:1", null, "linux/amd64", image, CancellationToken.None);
        StringAssert.Contains(moved.Warning, "does not have the layers the image starts with");
        Assert.IsNull(moved.Digest);
        Assert.HasCount(image.Layers.Count, moved.AddedLayers);
    }

    [TestMethod]
    public async Task AttachOnce_DoesNotAttachTheSameBundleTwice()
    {
        await using var registry = await FakeOciRegistry.StartAsync();
        var image = await TestImages.PushImageAsync(registry.BaseUri, "app", "1");
        using var client = new RegistryClient(registry.Host);
        var subject = new OciDescriptor(image.MediaType, image.Digest, image.Size);
        var bundle = TestBundles.Dsse();

        var first = await BundleAttachment.AttachOnceAsync(client, "app", subject, bundle, CancellationToken.None);
        var second = await BundleAttachment.AttachOnceAsync(client, "app", subject, bundle, CancellationToken.None);
        Assert.IsTrue(first.AttachedNow);
        Assert.IsFalse(second.AttachedNow);
        Assert.AreEqual(first.Referrer.Digest, second.Referrer.Digest);
        Assert.HasCount(1, await SigstoreReferrers.ListBundlesAsync(client, "app", image.Digest));

        var other = await BundleAttachment.AttachOnceAsync(client, "app", subject, TestBundles.MessageSignature(), CancellationToken.None);
        Assert.IsTrue(other.AttachedNow);
        Assert.HasCount(2, await SigstoreReferrers.ListBundlesAsync(client, "app", image.Digest));
    }

    [TestMethod]
    public async Task Registries_UseTheSdkCredentialVariables_AndItsInsecureList()
    {
        await using var registry = await FakeOciRegistry.StartAsync();
        var image = await TestImages.PushImageAsync(registry.BaseUri, "app", "1");
        registry.RequireToken = true;
        var environment = new Dictionary<string, string>
        {
            ["DOTNET_CONTAINER_PUSH_REGISTRY_UNAME"] = registry.Username,
            ["DOTNET_CONTAINER_PUSH_REGISTRY_PWORD"] = registry.Password,
        };
        using (var push = new ImageRegistries(name => environment.GetValueOrDefault(name), allowInsecure: false).Open(registry.Host))
        {
            Assert.IsNotNull(await push.HeadManifestAsync("app", image.Digest));
        }

        // The pull role does not take the push credentials.
        using (var pull = new ImageRegistries(name => environment.GetValueOrDefault(name), allowInsecure: false).Open(registry.Host, push: false))
        {
            var ex = await Assert.ThrowsExactlyAsync<SigstoreException>(() => pull.HeadManifestAsync("app", image.Digest));
            Assert.AreEqual(ContainerCodes.RegistryAuthenticationFailed, ex.Code);
            Assert.DoesNotContain(registry.Password, ex.Message);
        }

        // Without the SDK's variables: docker login's config file (DOCKER_CONFIG), as the SDK itself does.
        using var config = new TempDockerConfig();
        config.WriteConfig(new JsonObject { ["auths"] = new JsonObject { [registry.Host] = new JsonObject { ["auth"] = TempDockerConfig.Auth(registry.Username, registry.Password) } } }.ToJsonString());
        using (var fromConfig = new ImageRegistries(name => name == "DOCKER_CONFIG" ? config.Folder : null, allowInsecure: false).Open(registry.Host))
        {
            Assert.IsNotNull(await fromConfig.HeadManifestAsync("app", image.Digest));
        }

        // Outside a build (the CLI) the SDK's variables are not read: they would send these credentials to any registry.
        using (var cli = new ImageRegistries(name => environment.GetValueOrDefault(name), allowInsecure: false, sdkEnvironment: false).Open(registry.Host))
        {
            var ex = await Assert.ThrowsExactlyAsync<SigstoreException>(() => cli.HeadManifestAsync("app", image.Digest));
            Assert.AreEqual(ContainerCodes.RegistryAuthenticationFailed, ex.Code);
        }

        Assert.AreEqual(ContainerCodes.InsecureRegistryRefused, Assert.ThrowsExactly<SigstoreException>(() =>
            new ImageRegistries(name => name == "DOTNET_CONTAINER_INSECURE_REGISTRIES" ? "registry.example:5000" : null, false, sdkEnvironment: false).Open("http://registry.example:5000")).Code);

        // A non-loopback name is refused over HTTP unless the SDK's insecure list names it.
        Assert.AreEqual(ContainerCodes.InsecureRegistryRefused,
            Assert.ThrowsExactly<SigstoreException>(() => new ImageRegistries(_ => null, false).Open("http://registry.example:5000")).Code);
        using var listed = new ImageRegistries(name => name == "DOTNET_CONTAINER_INSECURE_REGISTRIES" ? "a.example, registry.example:5000" : null, false).Open("http://registry.example:5000");
        Assert.IsNotNull(listed);
    }
}
