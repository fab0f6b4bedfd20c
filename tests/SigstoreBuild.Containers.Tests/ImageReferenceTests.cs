using SigstoreBuild.Diagnostics;

namespace SigstoreBuild.Containers.Tests;

[TestClass]
public sealed class ImageReferenceTests
{
    private const string Hex = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    [TestMethod]
    [DataRow("alpine", "docker.io", "library/alpine", null, null)]
    [DataRow("alpine:3.20", "docker.io", "library/alpine", "3.20", null)]
    [DataRow("docker.io/alpine", "docker.io", "library/alpine", null, null)]
    [DataRow("index.docker.io/owner/app:v1", "docker.io", "owner/app", "v1", null)]
    [DataRow("owner/app", "docker.io", "owner/app", null, null)]
    [DataRow("ghcr.io/owner/team/app:1.0.0-rc.1", "ghcr.io", "owner/team/app", "1.0.0-rc.1", null)]
    [DataRow("127.0.0.1:5000/app:1", "127.0.0.1:5000", "app", "1", null)]
    [DataRow("localhost/app", "localhost", "app", null, null)]
    [DataRow("localhost:5000/a/b@sha256:" + Hex, "localhost:5000", "a/b", null, "sha256:" + Hex)]
    [DataRow("ghcr.io/o/app:1@sha256:" + Hex, "ghcr.io", "o/app", "1", "sha256:" + Hex)]
    [DataRow("[::1]:5000/app:x", "[::1]:5000", "app", "x", null)]
    [DataRow("registry.example.com/my_app__x/a-b.c:Tag_1", "registry.example.com", "my_app__x/a-b.c", "Tag_1", null)]
    public void Parses(string text, string registry, string repository, string? tag, string? digest)
    {
        var reference = ImageReference.Parse(text);
        Assert.AreEqual(registry, reference.Registry);
        Assert.AreEqual(repository, reference.Repository);
        Assert.AreEqual(tag, reference.Tag);
        Assert.AreEqual(digest, reference.Digest);
        Assert.AreEqual($"{registry}/{repository}", reference.Name);
        Assert.AreEqual(reference, ImageReference.Parse(reference.ToString()), "ToString round-trips");
    }

    [TestMethod]
    public void DockerHubIsServedByItsApiHost()
    {
        Assert.AreEqual("registry-1.docker.io", ImageReference.Parse("alpine").ApiHost);
        Assert.AreEqual("ghcr.io", ImageReference.Parse("ghcr.io/o/a").ApiHost);
        Assert.AreEqual("latest", ImageReference.Parse("ghcr.io/o/a").Reference);
        Assert.AreEqual("sha256:" + Hex, ImageReference.Parse("ghcr.io/o/a:1@sha256:" + Hex).Reference);
    }

    [TestMethod]
    [DataRow("")]
    [DataRow(" alpine")]
    [DataRow("Alpine")]
    [DataRow("ghcr.io/Owner/app")]
    [DataRow("ghcr.io/o/app:")]
    [DataRow("ghcr.io/o/app:-bad")]
    [DataRow("ghcr.io/o/app@sha256:abc")]
    [DataRow("ghcr.io/o/app@sha256:" + "0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef")]
    [DataRow("ghcr.io/o/app@md5:0123456789abcdef0123456789abcdef")]
    [DataRow("ghcr.io//app")]
    [DataRow("ghcr.io/o/app/")]
    [DataRow("ghcr.io/o/-app")]
    [DataRow("exa_mple.com/app")]
    [DataRow("ghcr.io/o/app:1:2")]
    [DataRow("http://ghcr.io/o/app")]
    public void RefusesWithAHint(string text)
    {
        var ex = Assert.ThrowsExactly<SigstoreException>(() => ImageReference.Parse(text));
        Assert.AreEqual(ContainerCodes.InvalidReference, ex.Code);
        StringAssert.Contains(ex.Message, "registry/repository[:tag][@sha256:<64 hex>]");
        Assert.IsFalse(ImageReference.TryParse(text, out _));
    }
}
