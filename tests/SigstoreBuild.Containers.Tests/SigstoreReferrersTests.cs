using System.Text;
using System.Text.Json;
using SigstoreBuild.Containers.Oci;
using SigstoreBuild.Containers.Registry;
using SigstoreBuild.Containers.Tests.Infrastructure;
using SigstoreBuild.Diagnostics;

namespace SigstoreBuild.Containers.Tests;

[TestClass]
public sealed class SigstoreReferrersTests
{
    private static readonly DateTimeOffset s_created = new(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);

    private static OciDescriptor Subject(PushedImage image) => new(image.MediaType, image.Digest, image.Size);

    [TestMethod]
    public async Task RoundTripThroughTheReferrersApi()
    {
        await using var registry = await FakeOciRegistry.StartAsync();
        var image = await TestImages.PushImageAsync(registry.BaseUri, "app", "1");
        using var client = new RegistryClient(registry.Host);
        var bundle = TestBundles.Dsse();

        var referrer = await SigstoreReferrers.AttachAsync(client, "app", Subject(image), bundle, created: s_created);
        Assert.AreEqual(SigstoreReferrers.BundleMediaType, referrer.ArtifactType);
        Assert.AreEqual("dsse-envelope", referrer.Annotations![SigstoreReferrers.ContentAnnotation]);
        Assert.AreEqual("https://slsa.dev/provenance/v1", referrer.Annotations[SigstoreReferrers.PredicateTypeAnnotation]);
        Assert.AreEqual("2026-01-02T03:04:05Z", referrer.Annotations[SigstoreReferrers.CreatedAnnotation]);
        Assert.IsFalse(registry.TagsOf("app").Any(t => t.StartsWith("sha256-", StringComparison.Ordinal)), "the registry indexed the subject: no fallback tag");

        var listed = await SigstoreReferrers.ListBundlesAsync(client, "app", image.Digest);
        Assert.HasCount(1, listed);
        Assert.AreEqual(referrer.Digest, listed[0].Digest);
        Assert.IsTrue(registry.Requests.Any(r => r.PathAndQuery.StartsWith($"/v2/app/referrers/{image.Digest}?artifactType=", StringComparison.Ordinal)));
        CollectionAssert.AreEqual(bundle, await SigstoreReferrers.ReadBundleAsync(client, "app", image.Digest, listed[0]));
    }

    [TestMethod]
    public async Task ReferrerManifestHasTheCosignLayout()
    {
        await using var registry = await FakeOciRegistry.StartAsync();
        var image = await TestImages.PushImageAsync(registry.BaseUri, "app", "1");
        using var client = new RegistryClient(registry.Host);
        var bundle = TestBundles.MessageSignature();
        var referrer = await SigstoreReferrers.AttachAsync(client, "app", Subject(image), bundle, created: s_created);

        var manifest = await client.GetManifestAsync("app", referrer.Digest);
        var bundleDigest = TestImages.Digest(bundle);
        var expected = "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"artifactType\":\"application/vnd.dev.sigstore.bundle.v0.3+json\","
            + "\"config\":{\"mediaType\":\"application/vnd.oci.empty.v1+json\",\"digest\":\"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a\",\"size\":2},"
            + $"\"layers\":[{{\"mediaType\":\"application/vnd.dev.sigstore.bundle.v0.3+json\",\"digest\":\"{bundleDigest}\",\"size\":{bundle.Length},\"annotations\":{{\"org.opencontainers.image.title\":\"{bundleDigest.Replace(':', '-')}.sigstore.json\"}}}}],"
            + $"\"subject\":{{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"{image.Digest}\",\"size\":{image.Size}}},"
            + "\"annotations\":{\"dev.sigstore.bundle.content\":\"message-signature\",\"org.opencontainers.image.created\":\"2026-01-02T03:04:05Z\"}}";
        Assert.AreEqual(expected, Encoding.UTF8.GetString(manifest.Bytes.Span));
        CollectionAssert.AreEqual("{}"u8.ToArray(), await client.GetBlobAsync("app", SigstoreReferrers.EmptyDescriptor, 2));
    }

    [TestMethod]
    public async Task ListingFiltersArtifactTypesItself()
    {
        await using var registry = await FakeOciRegistry.StartAsync();
        registry.HonourArtifactTypeFilter = false;
        var image = await TestImages.PushImageAsync(registry.BaseUri, "app", "1");
        using var client = new RegistryClient(registry.Host);
        var sbom = await client.PushBlobAsync("app", "{\"spdx\":1}"u8.ToArray(), "application/spdx+json");
        await client.PushBlobAsync("app", SigstoreReferrers.EmptyConfig, OciMediaTypes.Empty);
        var other = Encoding.UTF8.GetBytes(
            $"{{\"schemaVersion\":2,\"mediaType\":\"{OciMediaTypes.ImageManifest}\",\"artifactType\":\"application/spdx+json\",\"config\":{{\"mediaType\":\"{OciMediaTypes.Empty}\",\"digest\":\"{SigstoreReferrers.EmptyDigest}\",\"size\":2}},\"layers\":[{{\"mediaType\":\"application/spdx+json\",\"digest\":\"{sbom.Digest}\",\"size\":{sbom.Size}}}],\"subject\":{{\"mediaType\":\"{image.MediaType}\",\"digest\":\"{image.Digest}\",\"size\":{image.Size}}}}}");
        await client.PushManifestAsync("app", TestImages.Digest(other), other, OciMediaTypes.ImageManifest);
        var referrer = await SigstoreReferrers.AttachAsync(client, "app", Subject(image), TestBundles.Dsse());

        Assert.HasCount(2, await client.GetReferrersAsync("app", image.Digest, SigstoreReferrers.BundleMediaType) ?? []);
        var listed = await SigstoreReferrers.ListBundlesAsync(client, "app", image.Digest);
        Assert.HasCount(1, listed);
        Assert.AreEqual(referrer.Digest, listed[0].Digest);
    }

    [TestMethod]
    [DataRow("application/vnd.dev.sigstore.bundle.v0.3+json", true)]
    [DataRow("application/vnd.dev.sigstore.bundle.v0.2+json", true)]
    [DataRow("application/vnd.dev.sigstore.bundle+json;version=0.1", true)]
    [DataRow("application/vnd.dev.sigstore.bundle+json; version=0.2", true)]
    [DataRow("application/vnd.dev.sigstore.bundle.v0.4+json", false)]
    [DataRow("application/vnd.dsse.envelope.v1+json", false)]
    [DataRow(null, false)]
    public void RecognisesBundleMediaTypes(string? mediaType, bool expected) =>
        Assert.AreEqual(expected, SigstoreReferrers.IsBundleMediaType(mediaType));

    [TestMethod]
    public async Task RoundTripThroughTheTagFallbackOnARealRegistry()
    {
        using var registry = await DistributionRegistry.StartAsync();
        var (index, amd64, _) = await TestImages.PushIndexAsync(registry.BaseUri, "team/app", "1");
        using var client = new RegistryClient(registry.Host);
        Assert.IsNull(await client.GetReferrersAsync("team/app", index.Digest), "distribution 2.8 has no referrers API");

        var first = TestBundles.Dsse(marker: "first");
        var second = TestBundles.MessageSignature();
        var a = await SigstoreReferrers.AttachAsync(client, "team/app", Subject(index), first, created: s_created);
        var b = await SigstoreReferrers.AttachAsync(client, "team/app", Subject(index), second, created: s_created);
        // Attaching the same again changes nothing.
        await SigstoreReferrers.AttachAsync(client, "team/app", Subject(index), first, created: s_created);

        // Ground truth through raw HTTP: the sha256-<hex> tag holds an OCI index listing both referrers.
        var tag = "sha256-" + index.Digest["sha256:".Length..];
        var raw = await TestImages.GetManifestAsync(registry.BaseUri, "team/app", tag);
        Assert.IsNotNull(raw);
        Assert.AreEqual(OciMediaTypes.ImageIndex, raw.Value.MediaType);
        using (var document = JsonDocument.Parse(raw.Value.Bytes))
        {
            var manifests = document.RootElement.GetProperty("manifests").EnumerateArray().ToList();
            Assert.HasCount(2, manifests);
            foreach (var (entry, expected) in manifests.Zip(new[] { a, b }))
            {
                Assert.AreEqual(expected.Digest, entry.GetProperty("digest").GetString());
                Assert.AreEqual(OciMediaTypes.ImageManifest, entry.GetProperty("mediaType").GetString());
                Assert.AreEqual(SigstoreReferrers.BundleMediaType, entry.GetProperty("artifactType").GetString());
                Assert.AreEqual("2026-01-02T03:04:05Z", entry.GetProperty("annotations").GetProperty("org.opencontainers.image.created").GetString());
            }

            Assert.AreEqual("dsse-envelope", manifests[0].GetProperty("annotations").GetProperty("dev.sigstore.bundle.content").GetString());
        }

        var listed = await SigstoreReferrers.ListBundlesAsync(client, "team/app", index.Digest);
        CollectionAssert.AreEqual(new[] { a.Digest, b.Digest }, listed.Select(l => l.Digest).ToArray());
        CollectionAssert.AreEqual(first, await SigstoreReferrers.ReadBundleAsync(client, "team/app", index.Digest, listed[0]));
        CollectionAssert.AreEqual(second, await SigstoreReferrers.ReadBundleAsync(client, "team/app", index.Digest, listed[1]));

        // The referrer of the index is not a referrer of the platform image.
        Assert.IsEmpty(await SigstoreReferrers.ListBundlesAsync(client, "team/app", amd64.Digest));
        var wrongSubject = await Assert.ThrowsExactlyAsync<SigstoreException>(() => SigstoreReferrers.ReadBundleAsync(client, "team/app", amd64.Digest, listed[0]));
        Assert.AreEqual(ContainerCodes.ReferrerMalformed, wrongSubject.Code);
    }

    [TestMethod]
    public async Task TwoAttachesThroughTheReferrersApiAreBothListed()
    {
        await using var registry = await FakeOciRegistry.StartAsync();
        var image = await TestImages.PushImageAsync(registry.BaseUri, "app", "1");
        using var client = new RegistryClient(registry.Host);
        var a = await SigstoreReferrers.AttachAsync(client, "app", Subject(image), TestBundles.Dsse(marker: "1"));
        var b = await SigstoreReferrers.AttachAsync(client, "app", Subject(image), TestBundles.Dsse(marker: "2"));
        var listed = await SigstoreReferrers.ListBundlesAsync(client, "app", image.Digest);
        CollectionAssert.AreEquivalent(new[] { a.Digest, b.Digest }, listed.Select(l => l.Digest).ToArray());
    }

    [TestMethod]
    public async Task TagFallbackWhenTheRegistryIgnoresTheSubject()
    {
        await using var registry = await FakeOciRegistry.StartAsync();
        registry.ReferrersApi = false;
        var image = await TestImages.PushImageAsync(registry.BaseUri, "app", "1");
        using var client = new RegistryClient(registry.Host);
        var a = await SigstoreReferrers.AttachAsync(client, "app", Subject(image), TestBundles.Dsse(marker: "1"));
        var b = await SigstoreReferrers.AttachAsync(client, "app", Subject(image), TestBundles.Dsse(marker: "2"));
        CollectionAssert.Contains(registry.TagsOf("app").ToList(), SigstoreReferrers.FallbackTag(image.Digest));
        // The second update was conditional on the index the first wrote.
        Assert.IsTrue(registry.Requests.Count(r => r.Method == "PUT" && r.PathAndQuery.Contains("/manifests/sha256-", StringComparison.Ordinal)) == 2);
        var listed = await SigstoreReferrers.ListBundlesAsync(client, "app", image.Digest);
        CollectionAssert.AreEqual(new[] { a.Digest, b.Digest }, listed.Select(l => l.Digest).ToArray());
    }

    [TestMethod]
    public async Task ConcurrentAttachesThroughTheTagFallback_AllEndUpInTheIndex()
    {
        // Publishers signing the same image at once (a matrix build, a re-run) race on the fallback tag: each update is
        // conditional, a lost race reads the index again, and no referrer is dropped.
        await using var registry = await FakeOciRegistry.StartAsync();
        registry.ReferrersApi = false;
        var image = await TestImages.PushImageAsync(registry.BaseUri, "app", "1");
        var attached = await Task.WhenAll(Enumerable.Range(0, 6).Select(async i =>
        {
            using var client = new RegistryClient(registry.Host);
            return await SigstoreReferrers.AttachAsync(client, "app", Subject(image), TestBundles.Dsse(marker: $"c{i}"));
        }));

        using var reader = new RegistryClient(registry.Host);
        var listed = await SigstoreReferrers.ListBundlesAsync(reader, "app", image.Digest);
        CollectionAssert.AreEquivalent(attached.Select(a => a.Digest).ToArray(), listed.Select(l => l.Digest).ToArray());
        Assert.IsTrue(registry.Requests.Any(r => r.Method == "PUT" && r.PathAndQuery.Contains("/manifests/sha256-", StringComparison.Ordinal)));
    }

    [TestMethod]
    public async Task ReadBundleRefusesMalformedReferrers()
    {
        await using var registry = await FakeOciRegistry.StartAsync();
        var image = await TestImages.PushImageAsync(registry.BaseUri, "app", "1");
        var other = await TestImages.PushImageAsync(registry.BaseUri, "app", "2", content: "other");
        using var client = new RegistryClient(registry.Host);
        var bundle = TestBundles.Dsse();
        var layer = await client.PushBlobAsync("app", bundle, SigstoreReferrers.BundleMediaType);
        await client.PushBlobAsync("app", SigstoreReferrers.EmptyConfig, OciMediaTypes.Empty);

        async Task<OciDescriptor> Push(OciDescriptor subject, params OciDescriptor[] layers)
        {
            using var buffer = new MemoryStream();
            using (var writer = new Utf8JsonWriter(buffer, OciDescriptor.WriterOptions))
            {
                writer.WriteStartObject();
                writer.WriteNumber("schemaVersion", 2);
                writer.WriteString("mediaType", OciMediaTypes.ImageManifest);
                writer.WriteString("artifactType", SigstoreReferrers.BundleMediaType);
                writer.WritePropertyName("config");
                SigstoreReferrers.EmptyDescriptor.WriteTo(writer);
                writer.WriteStartArray("layers");
                foreach (var l in layers)
                {
                    l.WriteTo(writer);
                }

                writer.WriteEndArray();
                writer.WritePropertyName("subject");
                subject.WriteTo(writer);
                writer.WriteEndObject();
            }

            var bytes = buffer.ToArray();
            return (await client.PushManifestAsync("app", TestImages.Digest(bytes), bytes, OciMediaTypes.ImageManifest)).Descriptor;
        }

        var good = await Push(Subject(image), layer);
        CollectionAssert.AreEqual(bundle, await SigstoreReferrers.ReadBundleAsync(client, "app", image.Digest, good));

        var otherSubject = await Push(Subject(other), layer);
        var twoLayers = await Push(Subject(image), layer, layer);
        var notABundle = await Push(Subject(image), layer with { MediaType = "application/octet-stream" });
        foreach (var referrer in new[] { otherSubject, twoLayers, notABundle })
        {
            var ex = await Assert.ThrowsExactlyAsync<SigstoreException>(() => SigstoreReferrers.ReadBundleAsync(client, "app", image.Digest, referrer));
            Assert.AreEqual(ContainerCodes.ReferrerMalformed, ex.Code);
        }

        // An index is not a referrer either.
        var index = await Assert.ThrowsExactlyAsync<SigstoreException>(() => SigstoreReferrers.ReadBundleAsync(client, "app", image.Digest,
            new OciDescriptor(OciMediaTypes.ImageManifest, other.Digest, other.Size)));
        Assert.AreEqual(ContainerCodes.ReferrerMalformed, index.Code);
    }
}
