using System.Text;
using System.Text.Json.Nodes;
using SigstoreBuild.Diagnostics;
using SigstoreBuild.Tuf;

namespace SigstoreBuild.Tests.Tuf;

/// <summary>The real Sigstore root histories (public-good and staging) verify link by link; broken links are refused.</summary>
[TestClass]
public sealed class RealRootChainTests
{
    private static readonly DateTimeOffset AnyTime = new(2024, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static List<byte[]> LoadHistory(string instance)
    {
        string directory = Path.Combine(SharedFiles.RequireTufDirectory(), instance + "-root-history");
        var roots = new List<byte[]>();
        for (int version = 1; File.Exists(Path.Combine(directory, $"{version}.root.json")); version++)
        {
            roots.Add(File.ReadAllBytes(Path.Combine(directory, $"{version}.root.json")));
        }

        if (roots.Count < 2)
        {
            Assert.Inconclusive($"The {instance} root history in {directory} is missing.");
        }

        return roots;
    }

    [TestMethod]
    [DataRow("production")]
    [DataRow("staging")]
    public void RootChain_FromVersionOneToLatest_Verifies(string instance)
    {
        List<byte[]> roots = LoadHistory(instance);
        var trusted = new TrustedMetadataSet(roots[0], AnyTime);
        for (int i = 1; i < roots.Count; i++)
        {
            trusted.UpdateRoot(roots[i]);
        }

        Assert.AreEqual(roots.Count, trusted.Root.Version);
        byte[] latest = File.ReadAllBytes(Path.Combine(SharedFiles.RequireTufDirectory(), $"{instance}.root.json"));
        CollectionAssert.AreEqual(latest, roots[^1], "the latest root in the history is the published root.json");
    }

    [TestMethod]
    [DataRow("production")]
    [DataRow("staging")]
    public void EmbeddedRoot_IsTheLatestPublishedRootOrItsSuccessor(string instance)
    {
        byte[] published = File.ReadAllBytes(Path.Combine(SharedFiles.RequireTufDirectory(), $"{instance}.root.json"));
        byte[] embedded = instance == "production" ? EmbeddedTrust.PublicGoodRoot : EmbeddedTrust.StagingRoot;
        var trusted = new TrustedMetadataSet(published, AnyTime);
        long embeddedVersion = new TrustedMetadataSet(embedded, AnyTime).Root.Version;
        Assert.IsGreaterThan(1L, embeddedVersion);
        if (embeddedVersion == trusted.Root.Version)
        {
            CollectionAssert.AreEqual(published, embedded);
        }
        else
        {
            // Refreshed ahead of the shared copy (build/refresh-trust-roots.sh): the next version, signed by a threshold
            // of the published root's keys and of its own.
            Assert.AreEqual(trusted.Root.Version + 1, embeddedVersion, "the embedded root is the published root or the one after it");
            trusted.UpdateRoot(embedded);
            Assert.AreEqual(embeddedVersion, trusted.Root.Version);
        }
    }

    [TestMethod]
    [DataRow("production", 5)]
    [DataRow("production", 12)]
    [DataRow("staging", 6)]
    public void RootChain_ModifiedRoot_IsRefused(string instance, int version)
    {
        List<byte[]> roots = LoadHistory(instance);
        var trusted = new TrustedMetadataSet(roots[0], AnyTime);
        for (int i = 1; i < version - 1; i++)
        {
            trusted.UpdateRoot(roots[i]);
        }

        // Extend the expiry by a year: a change to the signed content only.
        JsonNode modified = JsonNode.Parse(roots[version - 1])!;
        DateTimeOffset expires = DateTimeOffset.Parse(modified["signed"]!["expires"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture);
        modified["signed"]!["expires"] = RepositorySimulator.Expiry(expires.AddYears(1));
        var ex = Assert.ThrowsExactly<SigstoreException>(() => trusted.UpdateRoot(Encoding.UTF8.GetBytes(modified.ToJsonString())));
        Assert.AreEqual(TufCodes.ThresholdNotMet, ex.Code);
        Assert.AreEqual(version - 1, trusted.Root.Version, "the trusted root stays at the last good version");
    }

    [TestMethod]
    [DataRow("production")]
    [DataRow("staging")]
    public void RootChain_EverySkippedRoot_IsRefused(string instance)
    {
        List<byte[]> roots = LoadHistory(instance);
        int refusedOnlyByVersion = 0;
        for (int trustedVersion = 1; trustedVersion + 2 <= roots.Count; trustedVersion++)
        {
            var trusted = new TrustedMetadataSet(roots[trustedVersion - 1], AnyTime);
            var ex = Assert.ThrowsExactly<SigstoreException>(() => trusted.UpdateRoot(roots[trustedVersion + 1]));
            Assert.Contains(ex.Code, new[] { TufCodes.BadVersion, TufCodes.ThresholdNotMet }, ex.Message);
            refusedOnlyByVersion += ex.Code == TufCodes.BadVersion ? 1 : 0;
        }

        // Where the next-but-one root is still signed by the trusted keys, only the N+1 rule refuses it.
        Assert.IsGreaterThan(0, refusedOnlyByVersion);
    }

    [TestMethod]
    public void RootChain_SignaturesRemovedBelowThreshold_IsRefused()
    {
        List<byte[]> roots = LoadHistory("production");
        var trusted = new TrustedMetadataSet(roots[0], AnyTime);
        JsonNode modified = JsonNode.Parse(roots[1])!;
        var signatures = (JsonArray)modified["signatures"]!;
        while (signatures.Count > 2)
        {
            signatures.RemoveAt(0);
        }

        var ex = Assert.ThrowsExactly<SigstoreException>(() => trusted.UpdateRoot(Encoding.UTF8.GetBytes(modified.ToJsonString())));
        Assert.AreEqual(TufCodes.ThresholdNotMet, ex.Code);
    }
}
