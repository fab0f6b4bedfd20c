using System.Text.Json.Nodes;
using SigstoreBuild.Cli.Tests.Infrastructure;
using SigstoreBuild.Containers;
using SigstoreBuild.Containers.Oci;
using SigstoreBuild.Containers.Registry;
using SigstoreBuild.Containers.Tests.Infrastructure;
using SigstoreBuild.LocalStack;

namespace SigstoreBuild.Cli.Tests.Images;

/// <summary>
/// <c>sigstore verify-image</c> through the OCI referrers API: an in-process registry that implements it
/// (<see cref="FakeOciRegistry"/>; the real Debian registry, which has none, is the end-to-end tests' tag-fallback path),
/// an attestation signed by <c>sigstore attest</c> over the image manifest against the local Sigstore instance.
/// </summary>
[TestClass]
public sealed class VerifyImageCommandTests
{
    private const string Email = "image-builder@example.com";
    private static LocalSigstore s_sigstore = null!;
    private static string s_root = null!;

    public TestContext TestContext { get; set; } = null!;

    [ClassInitialize]
    public static async Task StartAsync(TestContext context)
    {
        s_root = Directory.CreateTempSubdirectory("ssb-cli-image-").FullName;
        s_sigstore = await LocalSigstore.StartAsync(Path.Combine(s_root, "instance"), 0, context.CancellationToken);
    }

    [ClassCleanup]
    public static async Task StopAsync()
    {
        await s_sigstore.DisposeAsync();
        Directory.Delete(s_root, recursive: true);
    }

    /// <summary>Signs an in-toto statement about the image (its manifest bytes hash to its digest) and attaches the bundle.</summary>
    private async Task<string> SignAndAttachAsync(FakeOciRegistry registry, PushedImage image, string repository)
    {
        var dir = Directory.CreateDirectory(Path.Combine(s_root, TestContext.TestName!, Guid.NewGuid().ToString("N")[..8])).FullName;
        var manifest = Path.Combine(dir, "manifest.json");
        await File.WriteAllBytesAsync(manifest, image.Manifest);
        var tokenFile = Path.Combine(dir, "token.jwt");
        await File.WriteAllTextAsync(tokenFile, s_sigstore.MintToken(Email));
        var attest = await CliRunner.RunAsync("attest", manifest, "--predicate-type", "https://slsa.dev/provenance/v1", "--subject-name", $"{registry.Host}/{repository}",
            "--oidc-provider", "env", "--identity-token-file", tokenFile, "--trusted-root", s_sigstore.TrustedRootPath, "--signing-config", s_sigstore.SigningConfigPath);
        Assert.AreEqual(0, attest.ExitCode, attest.ToString());

        using var client = new RegistryClient(registry.Host);
        var referrer = await SigstoreReferrers.AttachAsync(client, repository, new OciDescriptor(image.MediaType, image.Digest, image.Size),
            await File.ReadAllBytesAsync(manifest + ".sigstore.json"), cancellationToken: TestContext.CancellationToken);
        return referrer.Digest;
    }

    private static Task<CliRun> VerifyImageAsync(string image, string identity = Email, params string[] more) =>
        CliRunner.RunAsync(["verify-image", image, "--certificate-identity", identity, "--certificate-oidc-issuer", s_sigstore.BaseUrl,
            "--trusted-root", s_sigstore.TrustedRootPath, .. more]);

    [TestMethod]
    public async Task SignedImage_VerifiesThroughTheReferrersApi_ByDigestAndByTag()
    {
        await using var registry = await FakeOciRegistry.StartAsync();
        var image = await TestImages.PushImageAsync(registry.BaseUri, "contoso/app", "1.0");
        var referrer = await SignAndAttachAsync(registry, image, "contoso/app");
        Assert.IsFalse(registry.TagsOf("contoso/app").Any(t => t.StartsWith("sha256-", StringComparison.Ordinal)), "the registry indexed the referrer itself");

        var byDigest = await VerifyImageAsync($"{registry.Host}/contoso/app@{image.Digest}", Email, "--predicate-type", "https://slsa.dev/provenance/v1");
        Assert.AreEqual(0, byDigest.ExitCode, byDigest.ToString());
        StringAssert.Contains(byDigest.Output, $"Verified OK: {registry.Host}/contoso/app@{image.Digest}");
        StringAssert.Contains(byDigest.Output, referrer);
        Assert.IsTrue(registry.Requests.Any(r => r.PathAndQuery.StartsWith($"/v2/contoso/app/referrers/{image.Digest}", StringComparison.Ordinal)), "the referrers API was asked");
        Assert.IsFalse(registry.Requests.Any(r => r.PathAndQuery.Contains("/manifests/sha256-", StringComparison.Ordinal)), "no tag fallback when the API answers");

        var byTag = await VerifyImageAsync($"{registry.Host}/contoso/app:1.0", Email, "--output", "json");
        Assert.AreEqual(0, byTag.ExitCode, byTag.ToString());
        var json = JsonNode.Parse(byTag.Output)!;
        Assert.AreEqual($"{registry.Host}/contoso/app@{image.Digest}", (string?)json["image"]);
        Assert.AreEqual(referrer, (string?)json["verified"]![0]!["referrer"]);
        StringAssert.Contains(byTag.Error, "verify by digest");
    }

    [TestMethod]
    public async Task AllPlatforms_RequiresTheIndexAndEveryPlatformManifestToVerify()
    {
        await using var registry = await FakeOciRegistry.StartAsync();
        var (index, amd64, arm64) = await TestImages.PushIndexAsync(registry.BaseUri, "contoso/multi", "2.0");
        await SignAndAttachAsync(registry, index, "contoso/multi");
        await SignAndAttachAsync(registry, amd64, "contoso/multi");
        var name = $"{registry.Host}/contoso/multi@{index.Digest}";

        // The index alone verifies; the arm64 manifest a cluster on arm64 would pull has no bundle.
        Assert.AreEqual(0, (await VerifyImageAsync(name)).ExitCode);
        var partial = await VerifyImageAsync(name, Email, "--all-platforms");
        Assert.AreEqual(1, partial.ExitCode, partial.ToString());
        StringAssert.StartsWith(partial.Error, "error SSB7101: ");
        StringAssert.Contains(partial.Error, arm64.Digest);

        await SignAndAttachAsync(registry, arm64, "contoso/multi");
        var all = await VerifyImageAsync(name, Email, "--all-platforms");
        Assert.AreEqual(0, all.ExitCode, all.ToString());
        StringAssert.Contains(all.Output, $"Verified OK: {registry.Host}/contoso/multi@{amd64.Digest} (linux/amd64)");
        StringAssert.Contains(all.Output, $"Verified OK: {registry.Host}/contoso/multi@{arm64.Digest} (linux/arm64)");

        var json = JsonNode.Parse((await VerifyImageAsync(name, Email, "--all-platforms", "--output", "json")).Output)!;
        Assert.AreEqual(name, (string?)json["image"]);
        CollectionAssert.AreEqual(new[] { "linux/amd64", "linux/arm64" }, json["platforms"]!.AsArray().Select(p => (string?)p!["platform"]).ToArray());

        var single = await VerifyImageAsync($"{registry.Host}/contoso/multi@{amd64.Digest}", Email, "--all-platforms");
        Assert.AreEqual(1, single.ExitCode, single.ToString());
        StringAssert.StartsWith(single.Error, "error SSB0014: ");
    }

    [TestMethod]
    public async Task PolicyMismatches_AreCodedFailures()
    {
        await using var registry = await FakeOciRegistry.StartAsync();
        var image = await TestImages.PushImageAsync(registry.BaseUri, "contoso/app", "1.0");
        await SignAndAttachAsync(registry, image, "contoso/app");
        var name = $"{registry.Host}/contoso/app@{image.Digest}";

        var wrongIdentity = await VerifyImageAsync(name, "mallory@example.com");
        Assert.AreEqual(1, wrongIdentity.ExitCode, wrongIdentity.ToString());
        StringAssert.Contains(wrongIdentity.Error, "error SSB7102");

        var wrongPredicate = await VerifyImageAsync(name, Email, "--predicate-type", "https://cyclonedx.org/bom");
        Assert.AreEqual(1, wrongPredicate.ExitCode, wrongPredicate.ToString());
        StringAssert.Contains(wrongPredicate.Error, "error SSB7102");

        var regex = await CliRunner.RunAsync("verify-image", name, "--certificate-identity-regexp", "image-.*@example\\.com",
            "--certificate-oidc-issuer", s_sigstore.BaseUrl, "--trusted-root", s_sigstore.TrustedRootPath);
        Assert.AreEqual(0, regex.ExitCode, regex.ToString());
        var otherIssuer = await CliRunner.RunAsync("verify-image", name, "--certificate-identity", Email,
            "--certificate-oidc-issuer", "https://issuer.example", "--trusted-root", s_sigstore.TrustedRootPath);
        Assert.AreEqual(1, otherIssuer.ExitCode, otherIssuer.ToString());
        StringAssert.Contains(otherIssuer.Error, "error SSB7102");
    }

    [TestMethod]
    public async Task AFileNamedLikeTheDigest_IsNeverWhatIsVerified()
    {
        // An attacker attaches to image E a genuine bundle for another artifact F, and leaves F in the working directory
        // under the name sha256:<E's hex>: the image digest must be checked, never a file that happens to have its name.
        await using var registry = await FakeOciRegistry.StartAsync();
        var image = await TestImages.PushImageAsync(registry.BaseUri, "contoso/evil", "1");
        var dir = Directory.CreateDirectory(Path.Combine(s_root, TestContext.TestName!)).FullName;
        var other = Path.Combine(dir, "other.bin");
        await File.WriteAllTextAsync(other, "a genuine artifact the victim signed");
        var tokenFile = Path.Combine(dir, "token.jwt");
        await File.WriteAllTextAsync(tokenFile, s_sigstore.MintToken(Email));
        var attest = await CliRunner.RunAsync("attest", other, "--predicate-type", "https://slsa.dev/provenance/v1",
            "--oidc-provider", "env", "--identity-token-file", tokenFile, "--trusted-root", s_sigstore.TrustedRootPath, "--signing-config", s_sigstore.SigningConfigPath);
        Assert.AreEqual(0, attest.ExitCode, attest.ToString());
        using var client = new RegistryClient(registry.Host);
        await SigstoreReferrers.AttachAsync(client, "contoso/evil", new OciDescriptor(image.MediaType, image.Digest, image.Size),
            await File.ReadAllBytesAsync(other + ".sigstore.json"), cancellationToken: TestContext.CancellationToken);

        var decoy = Path.Combine(Environment.CurrentDirectory, image.Digest);
        File.Copy(other, decoy, overwrite: true);
        try
        {
            var result = await VerifyImageAsync($"{registry.Host}/contoso/evil@{image.Digest}");
            Assert.AreEqual(1, result.ExitCode, result.ToString());
            StringAssert.Contains(result.Error, "error SSB7102");
        }
        finally
        {
            File.Delete(decoy);
        }
    }

    [TestMethod]
    public async Task IdentityAndIdentityRegexp_TogetherAreAUsageError()
    {
        var both = await VerifyImageAsync("127.0.0.1:1/contoso/app@sha256:" + new string('a', 64), Email, "--certificate-identity-regexp", ".*");
        Assert.AreEqual(2, both.ExitCode, both.ToString());
        StringAssert.Contains(both.Error, "not both");
    }

    [TestMethod]
    public async Task UnsignedImage_AndAMissingImage_SayWhatIsWrong()
    {
        await using var registry = await FakeOciRegistry.StartAsync();
        var image = await TestImages.PushImageAsync(registry.BaseUri, "contoso/app", "1.0");

        var unsigned = await VerifyImageAsync($"{registry.Host}/contoso/app@{image.Digest}");
        Assert.AreEqual(1, unsigned.ExitCode, unsigned.ToString());
        StringAssert.Contains(unsigned.Error, "error SSB7101");
        StringAssert.Contains(unsigned.Error, "dotnet publish -t:PublishContainer");

        var missing = await VerifyImageAsync($"{registry.Host}/contoso/app:2.0");
        Assert.AreEqual(1, missing.ExitCode, missing.ToString());
        StringAssert.Contains(missing.Error, "error SSB7005");

        var bad = await VerifyImageAsync("Not A Reference");
        Assert.AreEqual(1, bad.ExitCode, bad.ToString());
        StringAssert.Contains(bad.Error, "error SSB7001");
    }
}
