using System.Net;
using System.Security.Authentication;
using System.Text;
using SigstoreBuild.Containers.Credentials;
using SigstoreBuild.Containers.Oci;
using SigstoreBuild.Containers.Registry;
using SigstoreBuild.Containers.Tests.Infrastructure;
using SigstoreBuild.Diagnostics;

namespace SigstoreBuild.Containers.Tests;

[TestClass]
public sealed class RegistryClientTests
{
    [TestMethod]
    public async Task GetsManifestsByTagAndDigest()
    {
        await using var registry = await FakeOciRegistry.StartAsync();
        var image = await TestImages.PushImageAsync(registry.BaseUri, "app", "1");
        using var client = new RegistryClient(registry.Host);

        var byTag = await client.GetManifestAsync("app", "1");
        Assert.AreEqual(image.Digest, byTag.Descriptor.Digest);
        Assert.AreEqual(OciMediaTypes.ImageManifest, byTag.Descriptor.MediaType);
        Assert.AreEqual(image.Size, byTag.Descriptor.Size);
        CollectionAssert.AreEqual(image.Manifest, byTag.Bytes.ToArray());

        var byDigest = await client.GetManifestAsync("app", image.Digest);
        Assert.AreEqual(byTag.Descriptor, byDigest.Descriptor);
        Assert.AreEqual(byTag.Descriptor, await client.HeadManifestAsync("app", "1"));

        Assert.IsNull(await client.TryGetManifestAsync("app", "2"));
        Assert.IsNull(await client.HeadManifestAsync("app", "2"));
        var missing = await Assert.ThrowsExactlyAsync<SigstoreException>(() => client.GetManifestAsync("app", "2"));
        Assert.AreEqual(ContainerCodes.ManifestNotFound, missing.Code);
        StringAssert.Contains(missing.Message, $"{registry.Host}/app:2");
    }

    [TestMethod]
    public async Task AlteredManifestIsRefused()
    {
        await using var registry = await FakeOciRegistry.StartAsync();
        var image = await TestImages.PushImageAsync(registry.BaseUri, "app", "1");
        registry.AlterManifests = true;
        using var client = new RegistryClient(registry.Host);

        var byDigest = await Assert.ThrowsExactlyAsync<SigstoreException>(() => client.GetManifestAsync("app", image.Digest));
        Assert.AreEqual(ContainerCodes.DigestMismatch, byDigest.Code);
        // By tag, the registry's Docker-Content-Digest is what the bytes must match.
        var byTag = await Assert.ThrowsExactlyAsync<SigstoreException>(() => client.GetManifestAsync("app", "1"));
        Assert.AreEqual(ContainerCodes.DigestMismatch, byTag.Code);
    }

    [TestMethod]
    public async Task OversizedResponsesAreRefused()
    {
        await using var registry = await FakeOciRegistry.StartAsync();
        var huge = Encoding.UTF8.GetBytes("{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"pad\":\"" + new string('x', 4 * 1024 * 1024) + "\"}");
        registry.PutRawManifest("app", "huge", huge, OciMediaTypes.ImageManifest);
        using var client = new RegistryClient(registry.Host);
        var ex = await Assert.ThrowsExactlyAsync<SigstoreException>(() => client.GetManifestAsync("app", "huge"));
        Assert.AreEqual(ContainerCodes.RegistryResponseInvalid, ex.Code);

        var blob = await client.PushBlobAsync("app", new byte[1000]);
        var tooBig = await Assert.ThrowsExactlyAsync<SigstoreException>(() => client.GetBlobAsync("app", blob, maxBytes: 999));
        Assert.AreEqual(ContainerCodes.RegistryResponseInvalid, tooBig.Code);
        CollectionAssert.AreEqual(new byte[1000], await client.GetBlobAsync("app", blob, 1000));

        // A descriptor that understates the size: the body is cut at the stated size and refused.
        var understated = await Assert.ThrowsExactlyAsync<SigstoreException>(() => client.GetBlobAsync("app", blob with { Size = 10 }, 1000));
        Assert.IsTrue(understated.Code is ContainerCodes.RegistryResponseInvalid or ContainerCodes.DigestMismatch, understated.Code);
    }

    [TestMethod]
    public async Task NonManifestMediaTypeIsRefused()
    {
        await using var registry = await FakeOciRegistry.StartAsync();
        registry.PutRawManifest("app", "odd", Encoding.UTF8.GetBytes("{\"schemaVersion\":2}"), "text/plain");
        using var client = new RegistryClient(registry.Host);
        var ex = await Assert.ThrowsExactlyAsync<SigstoreException>(() => client.GetManifestAsync("app", "odd"));
        Assert.AreEqual(ContainerCodes.RegistryResponseInvalid, ex.Code);
    }

    [TestMethod]
    public async Task PushesBlobsOnceAndManifests()
    {
        await using var registry = await FakeOciRegistry.StartAsync();
        using var client = new RegistryClient(registry.Host);
        var first = await client.PushBlobAsync("team/app", "hello"u8.ToArray(), "text/plain");
        var second = await client.PushBlobAsync("team/app", "hello"u8.ToArray(), "text/plain");
        Assert.AreEqual(first, second);
        Assert.AreEqual(1, registry.Requests.Count(r => r.Method == "POST"), "the second push found the blob with HEAD");

        var image = await TestImages.PushImageAsync(registry.BaseUri, "team/app", "1");
        var copy = await client.PushManifestAsync("team/app", "copy", image.Manifest, OciMediaTypes.ImageManifest);
        Assert.AreEqual(image.Digest, copy.Descriptor.Digest);
        Assert.IsFalse(copy.SubjectProcessed, "no subject, no OCI-Subject");
    }

    [TestMethod]
    public async Task BearerFlowWithDockerConfigCredentials()
    {
        await using var registry = await FakeOciRegistry.StartAsync();
        var image = await TestImages.PushImageAsync(registry.BaseUri, "app", "1");
        registry.RequireToken = true;
        using var config = new TempDockerConfig();
        config.WriteConfig($$"""{"auths":{"{{registry.Host}}":{"auth":"{{TempDockerConfig.Auth(registry.Username, registry.Password)}}"} } }""");
        using var client = new RegistryClient(registry.Host, new RegistryClientOptions { Credentials = config.Credentials });

        Assert.AreEqual(image.Digest, (await client.GetManifestAsync("app", "1")).Descriptor.Digest);
        Assert.AreEqual(image.Digest, (await client.GetManifestAsync("app", image.Digest)).Descriptor.Digest);
        var tokens = registry.Requests.Where(r => r.PathAndQuery.StartsWith("/token", StringComparison.Ordinal)).ToList();
        Assert.HasCount(1, tokens, "the token is cached per scope");
        StringAssert.Contains(tokens[0].PathAndQuery, "scope=repository%3Aapp%3Apull");
        StringAssert.StartsWith(tokens[0].Authorization, "Basic ");

        // Pushing needs another scope: a second token.
        await client.PushBlobAsync("app", "x"u8.ToArray());
        Assert.AreEqual(2, registry.Requests.Count(r => r.PathAndQuery.StartsWith("/token", StringComparison.Ordinal)));
    }

    [TestMethod]
    public async Task BearerFlowWithACredentialHelper()
    {
        await using var registry = await FakeOciRegistry.StartAsync();
        var image = await TestImages.PushImageAsync(registry.BaseUri, "app", "1");
        registry.RequireToken = true;
        using var config = new TempDockerConfig();
        config.WriteConfig($$"""{"credHelpers":{"{{registry.Host}}":"test"} }""");
        config.WriteHelper("test", $$"""
            read host
            [ "$host" = "{{registry.Host}}" ] || exit 1
            echo '{"Username":"{{registry.Username}}","Secret":"{{registry.Password}}"}'
            """);
        using var client = new RegistryClient(registry.Host, new RegistryClientOptions { Credentials = config.Credentials });
        Assert.AreEqual(image.Digest, (await client.GetManifestAsync("app", "1")).Descriptor.Digest);
    }

    [TestMethod]
    public async Task IdentityTokenUsesTheOAuthFlow()
    {
        await using var registry = await FakeOciRegistry.StartAsync();
        var image = await TestImages.PushImageAsync(registry.BaseUri, "app", "1");
        registry.RequireToken = true;
        var credentials = new StaticCredentialSource(new RegistryCredentials(null, null, registry.IdentityToken));
        using var client = new RegistryClient(registry.Host, new RegistryClientOptions { Credentials = credentials });
        Assert.AreEqual(image.Digest, (await client.GetManifestAsync("app", "1")).Descriptor.Digest);
        Assert.IsTrue(registry.Requests.Any(r => r.Method == "POST" && r.PathAndQuery == "/token"));
    }

    [TestMethod]
    public async Task WrongPasswordIsRefusedWithoutTheSecret()
    {
        await using var registry = await FakeOciRegistry.StartAsync();
        await TestImages.PushImageAsync(registry.BaseUri, "app", "1");
        registry.RequireToken = true;
        using var config = new TempDockerConfig();
        const string wrong = "wrong-password-123";
        config.WriteConfig($$"""{"auths":{"{{registry.Host}}":{"auth":"{{TempDockerConfig.Auth(registry.Username, wrong)}}"} } }""");
        using var client = new RegistryClient(registry.Host, new RegistryClientOptions { Credentials = config.Credentials });
        var ex = await Assert.ThrowsExactlyAsync<SigstoreException>(() => client.GetManifestAsync("app", "1"));
        Assert.AreEqual(ContainerCodes.RegistryAuthenticationFailed, ex.Code);
        StringAssert.Contains(ex.Message, Path.Combine(config.Folder, "config.json"), "says which credentials were used");
        StringAssert.Contains(ex.Message, "docker login");
        Assert.IsFalse(ex.ToString().Contains(wrong, StringComparison.Ordinal), ex.ToString());
        Assert.IsFalse(ex.ToString().Contains(TempDockerConfig.Auth(registry.Username, wrong), StringComparison.Ordinal));
    }

    [TestMethod]
    public async Task NoCredentialsSaysWhereItLooked()
    {
        await using var registry = await FakeOciRegistry.StartAsync();
        registry.RequireToken = true;
        using var config = new TempDockerConfig();
        using var client = new RegistryClient(registry.Host, new RegistryClientOptions { Credentials = config.Credentials });
        var ex = await Assert.ThrowsExactlyAsync<SigstoreException>(() => client.GetManifestAsync("app", "1"));
        Assert.AreEqual(ContainerCodes.RegistryAuthenticationFailed, ex.Code);
        StringAssert.Contains(ex.Message, "none were found");
        StringAssert.Contains(ex.Message, config.Folder);
    }

    [TestMethod]
    public async Task BasicChallengeGetsBasicCredentials()
    {
        await using var registry = await FakeOciRegistry.StartAsync();
        var image = await TestImages.PushImageAsync(registry.BaseUri, "app", "1");
        registry.RequireBasic = true;
        var credentials = new StaticCredentialSource(new RegistryCredentials(registry.Username, registry.Password), "the test's credentials");
        using (var client = new RegistryClient(registry.Host, new RegistryClientOptions { Credentials = credentials }))
        {
            Assert.AreEqual(image.Digest, (await client.GetManifestAsync("app", "1")).Descriptor.Digest);
        }

        var wrong = new StaticCredentialSource(new RegistryCredentials(registry.Username, "not-it-456"), "the test's credentials");
        using var refused = new RegistryClient(registry.Host, new RegistryClientOptions { Credentials = wrong });
        var ex = await Assert.ThrowsExactlyAsync<SigstoreException>(() => refused.GetManifestAsync("app", "1"));
        Assert.AreEqual(ContainerCodes.RegistryAuthenticationFailed, ex.Code);
        StringAssert.Contains(ex.Message, "the test's credentials");
        Assert.IsFalse(ex.ToString().Contains("not-it-456", StringComparison.Ordinal), ex.ToString());
    }

    [TestMethod]
    public async Task ClosedPortIsUnreachable()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        using var client = new RegistryClient($"127.0.0.1:{port}");
        var ex = await Assert.ThrowsExactlyAsync<SigstoreException>(() => client.GetManifestAsync("app", "1"));
        Assert.AreEqual(ContainerCodes.RegistryUnreachable, ex.Code);
        StringAssert.Contains(ex.Message, $"127.0.0.1:{port}");
    }

    [TestMethod]
    public async Task AuthorizationNeverFollowsARedirectToAnotherHost()
    {
        await using var registry = await FakeOciRegistry.StartAsync();
        registry.RequireToken = true;
        registry.RedirectBlobs = true;
        var credentials = new StaticCredentialSource(new RegistryCredentials(registry.Username, registry.Password));
        using var client = new RegistryClient(registry.Host, new RegistryClientOptions { Credentials = credentials });
        var blob = await client.PushBlobAsync("app", "layer bytes"u8.ToArray());
        CollectionAssert.AreEqual("layer bytes"u8.ToArray(), await client.GetBlobAsync("app", blob, 1024));

        var storage = registry.Requests.Where(r => r.PathAndQuery.StartsWith("/storage/", StringComparison.Ordinal)).ToList();
        Assert.HasCount(1, storage);
        StringAssert.StartsWith(storage[0].Host, "localhost:");
        Assert.IsNull(storage[0].Authorization, "the registry's token went to another host");
        Assert.IsTrue(registry.Requests.Any(r => r.PathAndQuery.StartsWith("/v2/app/blobs/sha256:", StringComparison.Ordinal) && r.Authorization?.StartsWith("Bearer ", StringComparison.Ordinal) == true));
    }

    [TestMethod]
    public void PlainHttpToARemoteHostIsRefusedBeforeConnecting()
    {
        var ex = Assert.ThrowsExactly<SigstoreException>(() => new RegistryClient("http://registry.invalid"));
        Assert.AreEqual(ContainerCodes.InsecureRegistryRefused, ex.Code);
        StringAssert.Contains(ex.Message, "--allow-insecure-registry");
        using var allowed = new RegistryClient("http://registry.invalid", new RegistryClientOptions { AllowInsecure = true });
        using var loopback = new RegistryClient("http://127.0.0.2:5000");
    }

    [TestMethod]
    public async Task TlsFailureFallsBackToHttpOnlyWhenAllowed()
    {
        var handler = new TlsFailingHandler();
        using (var strict = new RegistryClient("registry.invalid", new RegistryClientOptions { Handler = handler }))
        {
            var ex = await Assert.ThrowsExactlyAsync<SigstoreException>(() => strict.GetManifestAsync("app", "1"));
            Assert.AreEqual(ContainerCodes.RegistryUnreachable, ex.Code);
            StringAssert.Contains(ex.Message, "--allow-insecure-registry");
            Assert.IsTrue(handler.Seen.All(u => u.Scheme == "https"), "never plain HTTP without AllowInsecure");
        }

        handler.Seen.Clear();
        using var insecure = new RegistryClient("registry.invalid", new RegistryClientOptions { Handler = handler, AllowInsecure = true });
        Assert.IsNull(await insecure.TryGetManifestAsync("app", "1"));
        Assert.AreEqual("https", handler.Seen[0].Scheme, "HTTPS is tried first");
        Assert.AreEqual("http", handler.Seen[^1].Scheme);
    }

    /// <summary>A registry that only speaks plain HTTP: TLS fails, HTTP answers 404.</summary>
    private sealed class TlsFailingHandler : HttpMessageHandler
    {
        public List<Uri> Seen { get; } = [];

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Seen.Add(request.RequestUri!);
            if (request.RequestUri!.Scheme == "https")
            {
                throw new HttpRequestException(HttpRequestError.SecureConnectionError, "The SSL connection could not be established", new AuthenticationException("bad frame"));
            }

            return Task.FromResult(new HttpResponseMessage(HttpStatusCode.NotFound) { Content = new StringContent("") });
        }
    }
}
