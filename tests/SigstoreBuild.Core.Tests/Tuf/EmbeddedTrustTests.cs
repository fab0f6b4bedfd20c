using System.Security.Cryptography;
using System.Text.Json.Nodes;
using SigstoreBuild.Diagnostics;
using SigstoreBuild.Trust;
using SigstoreBuild.Tuf;

namespace SigstoreBuild.Tests.Tuf;

/// <summary>
/// The trust material embedded in the assembly (refreshed with build/refresh-trust-roots.sh): each embedded root is a
/// legitimate successor of the previous published root (signed by a threshold of the previous root's keys and of its
/// own, through <see cref="TrustedMetadataSet.UpdateRoot"/>), valid until the date it states, and the embedded
/// trusted_root.json and signing_config parse. No test depends on today's date.
/// </summary>
[TestClass]
public sealed class EmbeddedTrustTests
{
    private static byte[] Embedded(string instance) => instance == "production" ? EmbeddedTrust.PublicGoodRoot : EmbeddedTrust.StagingRoot;

    /// <summary>Root version N of an instance from the shared root history (shared/conformance/trust/tuf/…-root-history).</summary>
    private static byte[]? PublishedRoot(string instance, long version)
    {
        string path = Path.Combine(SharedFiles.RequireTufDirectory(), instance + "-root-history", $"{version}.root.json");
        return File.Exists(path) ? File.ReadAllBytes(path) : null;
    }

    [TestMethod]
    [DataRow("production")]
    [DataRow("staging")]
    public void EmbeddedRoot_ChainsForwardFromThePreviousRoot(string instance)
    {
        byte[] embedded = Embedded(instance);
        RootMetadata root = RootMetadata.Parse(embedded);
        byte[]? previous = PublishedRoot(instance, root.Version - 1);
        Assert.IsNotNull(previous, $"The {instance} root history lacks v{root.Version - 1}, the predecessor of the embedded root v{root.Version}: add the intermediate roots to the history before embedding a root more than one version ahead.");

        // Reference time inside the previous root's validity, so only signatures and versions are checked here.
        var trusted = new TrustedMetadataSet(previous, RootMetadata.Parse(previous).Expires.AddDays(-1));
        trusted.UpdateRoot(embedded);

        Assert.AreEqual(root.Version, trusted.Root.Version);
        Assert.IsGreaterThanOrEqualTo(RootMetadata.Parse(previous).Expires, root.Expires, "a new root does not expire before its predecessor");
    }

    [TestMethod]
    [DataRow("production")]
    [DataRow("staging")]
    public void EmbeddedRoot_WithASignatureChanged_DoesNotChainForward(string instance)
    {
        byte[] embedded = Embedded(instance);
        RootMetadata root = RootMetadata.Parse(embedded);
        byte[]? previous = PublishedRoot(instance, root.Version - 1);
        Assert.IsNotNull(previous);

        // Keep only one signature: below the threshold of both the previous root and the new one.
        JsonNode modified = JsonNode.Parse(embedded)!;
        var signatures = (JsonArray)modified["signatures"]!;
        while (signatures.Count > 1)
        {
            signatures.RemoveAt(0);
        }

        var trusted = new TrustedMetadataSet(previous, RootMetadata.Parse(previous).Expires.AddDays(-1));
        var ex = Assert.ThrowsExactly<SigstoreException>(() => trusted.UpdateRoot(System.Text.Encoding.UTF8.GetBytes(modified.ToJsonString())));
        Assert.AreEqual(TufCodes.ThresholdNotMet, ex.Code);
    }

    [TestMethod]
    [DataRow("production")]
    [DataRow("staging")]
    public void EmbeddedRoot_IsValidUntilTheDateItStates(string instance)
    {
        byte[] embedded = Embedded(instance);
        RootMetadata root = RootMetadata.Parse(embedded);

        // Self-signed by a threshold of its own keys (the constructor checks it), and final until it expires.
        var beforeExpiry = new TrustedMetadataSet(embedded, root.Expires.AddSeconds(-1));
        beforeExpiry.CheckFinalRoot();

        var atExpiry = new TrustedMetadataSet(embedded, root.Expires);
        var ex = Assert.ThrowsExactly<SigstoreException>(atExpiry.CheckFinalRoot);
        Assert.AreEqual(TufCodes.Expired, ex.Code);
    }

    [TestMethod]
    public void EmbeddedPublicGoodRoot_IsNewerThanTheExpiredVersion15()
    {
        // Issue 13: root v15 expired on 2026-11-20 and offline use without a cache failed for everyone.
        RootMetadata root = RootMetadata.Parse(EmbeddedTrust.PublicGoodRoot);
        Assert.IsGreaterThanOrEqualTo(16L, root.Version);
        Assert.IsGreaterThan(new DateTimeOffset(2026, 11, 20, 13, 58, 18, TimeSpan.Zero), root.Expires);
    }

    [TestMethod]
    [DataRow("production")]
    [DataRow("staging")]
    public void EmbeddedTrustedRoot_ParsesWithConsistentKeys(string instance)
    {
        byte[] json = instance == "production" ? EmbeddedTrust.PublicGoodTrustedRoot : EmbeddedTrust.StagingTrustedRoot;
        TrustedRoot trustedRoot = TrustedRoot.Parse(json);

        Assert.IsNotEmpty(trustedRoot.CertificateAuthorities);
        Assert.IsNotEmpty(trustedRoot.TransparencyLogs);
        Assert.IsNotEmpty(trustedRoot.CertificateTransparencyLogs);
        Assert.IsTrue(trustedRoot.CertificateAuthorities.Any(ca => ca.ValidFor.End is null), "a Fulcio CA is still open");
        Assert.IsTrue(trustedRoot.TransparencyLogs.Any(log => log.ValidFor.End is null), "a Rekor log is still open");
        Assert.IsTrue(trustedRoot.CertificateTransparencyLogs.Any(log => log.ValidFor.End is null), "a CT log is still open");

        // Rekor v1 and CT logs are identified by the SHA-256 of their DER (SPKI) public key.
        JsonNode document = JsonNode.Parse(json)!;
        int checkedLogs = 0;
        foreach (string kind in new[] { "tlogs", "ctlogs" })
        {
            foreach (JsonNode? log in document[kind]!.AsArray())
            {
                string details = log!["publicKey"]!["keyDetails"]!.GetValue<string>();
                if (!details.StartsWith("PKIX_ECDSA", StringComparison.Ordinal))
                {
                    continue; // Rekor v2 (Ed25519) logs are identified by their checkpoint key ID; old RSA keys are PKCS#1, not SPKI.
                }

                byte[] key = Convert.FromBase64String(log["publicKey"]!["rawBytes"]!.GetValue<string>());
                byte[] logId = Convert.FromBase64String(log["logId"]!["keyId"]!.GetValue<string>());
                CollectionAssert.AreEqual(SHA256.HashData(key), logId, $"{kind} {log["baseUrl"]}");
                checkedLogs++;
            }
        }

        Assert.IsGreaterThan(1, checkedLogs);
        foreach (TransparencyLog log in trustedRoot.CertificateTransparencyLogs)
        {
            Assert.AreSame(log, trustedRoot.FindCertificateTransparencyLog(log.LogId));
        }
    }

    [TestMethod]
    [DataRow("production")]
    [DataRow("staging")]
    public void EmbeddedSigningConfig_IsAVersion02SigningConfig(string instance)
    {
        byte[] json = instance == "production" ? EmbeddedTrust.PublicGoodSigningConfig : EmbeddedTrust.StagingSigningConfig;
        SigningConfigDocument config = TrustDocumentSerializer.ParseSigningConfig(json);
        Assert.AreEqual(SigningConfigDocument.MediaTypeV02, config.MediaType);
        Assert.IsNotEmpty(config.CaUrls!);
        Assert.IsNotEmpty(config.RekorTlogUrls!);
    }
}
