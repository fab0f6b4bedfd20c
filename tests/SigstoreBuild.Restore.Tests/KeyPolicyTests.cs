using System.Security.Cryptography;
using System.Text.Json.Nodes;
using SigstoreBuild.Attestations;
using SigstoreBuild.Crypto;
using SigstoreBuild.Diagnostics;
using SigstoreBuild.Identity;
using SigstoreBuild.LocalStack;
using SigstoreBuild.NuGet;
using SigstoreBuild.NuGet.Attestations;
using SigstoreBuild.NuGet.Restore;
using SigstoreBuild.NuGet.Sbom;
using SigstoreBuild.Restore.Tests.Infrastructure;
using SigstoreBuild.Signing;

namespace SigstoreBuild.Restore.Tests;

/// <summary>
/// <c>SigstoreTrustedKey</c> through the real restore verifier: packages whose embedded provenance bundle is signed with a
/// key (as <c>dotnet pack -p:SigstoreSigningKeyPath=...</c> does) or with a certificate, by the local Sigstore instance.
/// </summary>
[TestClass]
public sealed class KeyPolicyTests
{
    private const string Publisher = "publisher@example.com";
    private static LocalSigstore s_sigstore = null!;
    private static string s_root = null!;
    private static string s_keyA = null!;
    private static string s_keyB = null!;

    public TestContext TestContext { get; set; } = null!;

    [ClassInitialize]
    public static async Task StartAsync(TestContext context)
    {
        s_root = Directory.CreateTempSubdirectory("ssb-restore-key-").FullName;
        s_sigstore = await LocalSigstore.StartAsync(Path.Combine(s_root, "instance"), 0, context.CancellationToken);
        s_keyA = WriteKey("a", SigningKeyAlgorithm.EcdsaP256);
        s_keyB = WriteKey("b", SigningKeyAlgorithm.Ed25519);
    }

    [ClassCleanup]
    public static async Task StopAsync()
    {
        await s_sigstore.DisposeAsync();
        Directory.Delete(s_root, recursive: true);
    }

    private static string Issuer => s_sigstore.Services.Oidc.Issuer;

    [TestMethod]
    public async Task KeySignedPackage_PassesWithTheTrustedKey_LocksTheKey_AndComesFromTheCacheNextTime()
    {
        using var feed = new TestFeed();
        await PublishAsync(feed, "Contoso.Lib", "1.0.0", s_keyA);
        for (var run = 0; run < 2; run++)
        {
            var result = await RunAsync(feed, Policy(Key("Contoso.*", s_keyA)));
            Assert.IsTrue(result.Succeeded, Describe(result));
            Assert.AreEqual(1, result.Verified);
            Assert.AreEqual(run == 1, result.Packages[0].FromCache, "the second run reuses the verdict");
            Assert.AreEqual("key:sha256:" + Fingerprint(s_keyA), result.Packages[0].Signer!.Subject);
        }

        var locked = SigstoreLockFile.Load(feed.LockFile).Find("Contoso.Lib")!;
        Assert.AreEqual("key", locked.Issuer);
        Assert.AreEqual("key:sha256:" + Fingerprint(s_keyA), locked.Subject);
    }

    [TestMethod]
    public async Task KeySignedPackage_WithAnotherKeyTrusted_FailsWithKeyNotTrusted_AlsoInAudit()
    {
        using var feed = new TestFeed();
        await PublishAsync(feed, "Contoso.Lib", "1.0.0", s_keyA);
        var result = await RunAsync(feed, Policy(Key("Contoso.*", s_keyB)));
        Assert.IsFalse(result.Succeeded, Describe(result));
        var diagnostic = result.Diagnostics.Single();
        Assert.AreEqual(RestoreCodes.KeyNotTrusted, diagnostic.Code, Describe(result));
        StringAssert.Contains(diagnostic.Message, Fingerprint(s_keyB));

        var audit = await RunAsync(feed, Policy(Key("Contoso.*", s_keyB)), VerificationMode.Audit);
        Assert.IsTrue(audit.Succeeded, Describe(audit));
        Assert.AreEqual(RestoreCodes.ToAuditWarning(RestoreCodes.KeyNotTrusted), audit.Diagnostics.Single().Code);
    }

    [TestMethod]
    public async Task KeySignedPackage_WhenOnlyIdentitiesAreTrusted_FailsWithKeyNotTrusted()
    {
        using var feed = new TestFeed();
        await PublishAsync(feed, "Contoso.Lib", "1.0.0", s_keyA);
        var result = await RunAsync(feed, Policy(Identity("Contoso.*")));
        Assert.IsFalse(result.Succeeded, Describe(result));
        Assert.AreEqual(RestoreCodes.KeyNotTrusted, result.Diagnostics.Single().Code, Describe(result));
        StringAssert.Contains(result.Diagnostics[0].Message, "SigstoreTrustedKey");
    }

    [TestMethod]
    public async Task CertificateSignedPackage_WhenOnlyAKeyIsTrusted_FailsWithIdentityNotTrusted()
    {
        using var feed = new TestFeed();
        await PublishAsync(feed, "Contoso.Lib", "1.0.0", keyPath: null);
        var result = await RunAsync(feed, Policy(Key("Contoso.*", s_keyA)));
        Assert.IsFalse(result.Succeeded, Describe(result));
        Assert.AreEqual(RestoreCodes.IdentityNotTrusted, result.Diagnostics.Single().Code, Describe(result));
        StringAssert.Contains(result.Diagnostics[0].Message, Publisher);
    }

    [TestMethod]
    public async Task KeysAndIdentitiesAtTheSamePattern_AreBothAccepted_AndTheMostSpecificPatternDecides()
    {
        using var feed = new TestFeed();
        await PublishAsync(feed, "Contoso.Lib", "1.0.0", s_keyA);
        await PublishAsync(feed, "Contoso.Tool", "1.0.0", keyPath: null);
        var both = await RunAsync(feed, Policy(Key("Contoso.*", s_keyA), Identity("Contoso.*")));
        Assert.IsTrue(both.Succeeded, Describe(both));
        Assert.AreEqual(2, both.Verified);

        // An exact pattern for the key-signed package trusts only its identity: the broader key no longer counts.
        var specific = await RunAsync(feed, Policy(Key("Contoso.*", s_keyA), Identity("Contoso.*"), Identity("Contoso.Lib")), lockFile: false);
        Assert.IsFalse(specific.Succeeded, Describe(specific));
        var diagnostic = specific.Diagnostics.Single();
        Assert.AreEqual(RestoreCodes.KeyNotTrusted, diagnostic.Code, Describe(specific));
        StringAssert.Contains(diagnostic.Message, "Contoso.Lib");
    }

    [TestMethod]
    public async Task LockedKey_ThenAnotherKeyOrACertificate_FailsAsASignerChange()
    {
        using var feed = new TestFeed();
        await PublishAsync(feed, "Contoso.Lib", "1.0.0", s_keyA);
        var first = await RunAsync(feed, Policy(Key("Contoso.*", s_keyA), Key("Contoso.*", s_keyB), Identity("Contoso.*")));
        Assert.IsTrue(first.Succeeded, Describe(first));

        // The publisher re-signs with key B: both keys are trusted, but the lock records key A.
        using (var rekeyed = new TestFeed())
        {
            File.Copy(feed.LockFile, rekeyed.LockFile);
            await PublishAsync(rekeyed, "Contoso.Lib", "1.1.0", s_keyB);
            var second = await RunAsync(rekeyed, Policy(Key("Contoso.*", s_keyA), Key("Contoso.*", s_keyB), Identity("Contoso.*")));
            Assert.IsFalse(second.Succeeded, Describe(second));
            Assert.AreEqual(RestoreCodes.LockIdentityChanged, second.Diagnostics.Single().Code, Describe(second));
            StringAssert.Contains(second.Diagnostics[0].Message, Fingerprint(s_keyA));
        }

        using var certified = new TestFeed();
        File.Copy(feed.LockFile, certified.LockFile);
        await PublishAsync(certified, "Contoso.Lib", "1.1.0", keyPath: null);
        var third = await RunAsync(certified, Policy(Key("Contoso.*", s_keyA), Identity("Contoso.*")));
        Assert.IsFalse(third.Succeeded, Describe(third));
        Assert.AreEqual(RestoreCodes.LockIdentityChanged, third.Diagnostics.Single().Code, Describe(third));
    }

    [TestMethod]
    public async Task RequireSbom_OnATrustedKey_AcceptsAnSbomSignedWithTheKey_AndRefusesAPackageWithout()
    {
        using var feed = new TestFeed();
        await PublishAsync(feed, "Contoso.Lib", "1.0.0", s_keyA, withSbom: true);
        await PublishAsync(feed, "Contoso.Bare", "1.0.0", s_keyA);
        var key = TrustedIdentity.ForKey(PackageIdPattern.Parse("Contoso.*"), VerificationKey.FromPemFile(Path.ChangeExtension(s_keyA, ".pub")), requireSbom: true);
        var result = await RunAsync(feed, Policy(key));
        Assert.IsFalse(result.Succeeded, Describe(result));
        Assert.AreEqual(1, result.Verified, Describe(result));
        var diagnostic = result.Diagnostics.Single();
        Assert.AreEqual(RestoreCodes.SbomMissing, diagnostic.Code, Describe(result));
        StringAssert.Contains(diagnostic.Message, "Contoso.Bare");
    }

    [TestMethod]
    public void TheKeyIsPartOfThePolicyHash()
    {
        var a = Policy(Key("Contoso.*", s_keyA));
        var b = Policy(Key("Contoso.*", s_keyB));
        Assert.AreNotEqual(a.Hash, b.Hash);
        Assert.AreEqual(a.Hash, Policy(Key("Contoso.*", s_keyA)).Hash);
        Assert.AreNotEqual(a.Hash, Policy(Key("Contoso.*", s_keyA), Identity("Contoso.*")).Hash);
    }

    [TestMethod]
    public void Items_AndThePolicyFile_ReadKeysRelativeToTheProjectAndTheFile()
    {
        var directory = Path.GetDirectoryName(s_keyA.Replace(".key", ".pub", StringComparison.Ordinal))!;
        var item = new PolicyItem("Contoso.*", new Dictionary<string, string> { ["PublicKey"] = "a.pub" });
        var fromItems = TrustPolicyReader.FromItems([], [], [], [item], directory);
        Assert.AreEqual("key:sha256:" + Fingerprint(s_keyA), fromItems.Decide("Contoso.Lib").Identities.Single().Subject);

        var policyFile = Path.Combine(directory, "policy.json");
        File.WriteAllText(policyFile, """{"trustedKeys": [{"packages": "Contoso.*", "publicKey": "a.pub"}]}""");
        var (fromFile, _) = TrustPolicyReader.FromJsonFile(policyFile);
        Assert.AreEqual(fromItems.Hash, fromFile.Hash);
    }

    [TestMethod]
    [DataRow("missing.pub", RestoreCodes.TrustedKeyUnreadable)]
    [DataRow("a.key", RestoreCodes.TrustedKeyUnreadable)]
    [DataRow(null, RestoreCodes.PolicyInvalid)]
    public void AMissingOrUnusableKey_IsACodedPolicyError(string? file, string code)
    {
        var metadata = new Dictionary<string, string>();
        if (file is not null)
        {
            metadata["PublicKey"] = file;
        }

        var ex = Assert.ThrowsExactly<SigstoreException>(() => TrustPolicyReader.FromItems([], [], [], [new PolicyItem("Contoso.*", metadata)], Path.GetDirectoryName(s_keyA)));
        Assert.AreEqual(code, ex.Code);
        Assert.DoesNotContain("PRIVATE", ex.Message, "the private key file's content never reaches a message");
    }

    private static TrustPolicy Policy(params TrustedIdentity[] signers) => new(signers, [], []);

    private static TrustedIdentity Key(string packages, string privateKeyPath) =>
        TrustedIdentity.ForKey(PackageIdPattern.Parse(packages), VerificationKey.FromPemFile(Path.ChangeExtension(privateKeyPath, ".pub")));

    private static TrustedIdentity Identity(string packages) => new(PackageIdPattern.Parse(packages), Issuer, Publisher, null);

    private static string Fingerprint(string privateKeyPath) =>
        Convert.ToHexStringLower(SHA256.HashData(VerificationKey.FromPemFile(Path.ChangeExtension(privateKeyPath, ".pub")).SubjectPublicKeyInfo));

    private static string WriteKey(string name, SigningKeyAlgorithm algorithm)
    {
        using var key = SigningKey.Generate(algorithm);
        var path = Path.Combine(s_root, name + ".key");
        File.WriteAllText(path, key.ExportPrivateKeyPem(password: null));
        File.WriteAllText(Path.ChangeExtension(path, ".pub"), key.PublicKeyPem);
        return path;
    }

    private Task<RestoreVerificationResult> RunAsync(TestFeed feed, TrustPolicy policy, VerificationMode mode = VerificationMode.Enforce, bool lockFile = true) =>
        new RestoreVerifier(new RestoreVerificationOptions
        {
            AssetsFilePath = feed.AssetsFile,
            Policy = policy,
            Mode = mode,
            LockFilePath = lockFile ? feed.LockFile : null,
            CacheFilePath = feed.CacheFile,
            Verifier = SigstorePackageSignatureVerifier.ForTrustedRoot(s_sigstore.TrustedRootPath),
            Sources = [new EmbeddedBundleSource()],
        }).VerifyAsync(TestContext.CancellationToken);

    /// <summary>Packs the package and embeds its provenance bundle, signed with the key at <paramref name="keyPath"/> or, when null, a certificate.</summary>
    private async Task PublishAsync(TestFeed feed, string id, string version, string? keyPath, bool withSbom = false)
    {
        var work = Directory.CreateTempSubdirectory("ssb-key-package-").FullName;
        try
        {
            var nupkg = Path.Combine(work, $"{id}.{version}.nupkg");
            File.WriteAllBytes(nupkg, TestFeed.CreateNupkg(id, version));
            var package = PackageInspector.Inspect(nupkg);
            var provenance = PackageStatements.ForPackages([package], new SlsaBuildContext { Project = id, BuilderId = "https://example.com/builder", Step = "pack" });
            var bundlePath = Path.Combine(work, "provenance.sigstore.json");
            var sbomPath = Path.Combine(work, "sbom.sigstore.json");
            using (var signer = CreateSigner(keyPath))
            {
                await signer.SignAsync(provenance, bundlePath, TestContext.CancellationToken);
                if (withSbom)
                {
                    var bom = Path.Combine(work, "bom.json");
                    File.WriteAllText(bom, new JsonObject
                    {
                        ["bomFormat"] = "CycloneDX",
                        ["specVersion"] = "1.6",
                        ["version"] = 1,
                        ["metadata"] = new JsonObject { ["component"] = new JsonObject { ["type"] = "library", ["name"] = id, ["version"] = version } },
                    }.ToJsonString());
                    await signer.SignAsync(SbomStatements.ForFile([PackageStatements.ForPackage(package)], bom), sbomPath, TestContext.CancellationToken);
                }
            }

            EmbeddedBundle.Embed(nupkg, File.ReadAllBytes(bundlePath), withSbom ? File.ReadAllBytes(sbomPath) : null);
            feed.AddPackage(id, version, File.ReadAllBytes(nupkg));
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    private static StatementSigner CreateSigner(string? keyPath)
    {
        var trust = StaticSigningTrustProvider.Load(s_sigstore.TrustedRootPath, s_sigstore.SigningConfigPath);
        return keyPath is null
            ? new SessionAttestationSigner(new SigningSession(trust, ExplicitTokenProvider.FromToken(s_sigstore.MintToken(Publisher)), new SigstoreBundleVerifier()))
            : new KeyAttestationSigner(new KeySigningSession(trust, SigningKey.Load(keyPath, password: null)));
    }

    private static string Describe(RestoreVerificationResult result) => result.Summary + " " + string.Join(" | ", result.Diagnostics);
}
