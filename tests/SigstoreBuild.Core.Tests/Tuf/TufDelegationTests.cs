using System.Text;
using System.Text.Json.Nodes;
using SigstoreBuild.Diagnostics;
using SigstoreBuild.Tuf;

namespace SigstoreBuild.Tests.Tuf;

/// <summary>U-09: repository-controlled names and delegation traversal (test_updater_delegation_graphs.py, test_quoting_issues.py).</summary>
[TestClass]
public sealed class TufDelegationTests : TufTestBase
{
    private static readonly byte[] Content = Encoding.UTF8.GetBytes("artifact");

    [TestMethod]
    [DataRow("../escape")]
    [DataRow("../../../../tmp/escape")]
    [DataRow("..")]
    [DataRow(".")]
    [DataRow("role with spaces")]
    [DataRow("rôle-ünïcödé-名前")]
    [DataRow("a/b\\c:d")]
    [DataRow("%2e%2e%2fx")]
    [DataRow("quote\"d?#")]
    public async Task UnusualRoleName_IsEncodedInUrlAndCache(string roleName)
    {
        Repo.AddDelegation("targets", roleName);
        Repo.AddTarget("file.txt", Content, roleName);
        Repo.PublishTargets(roleName);
        Repo.PublishAll();

        CollectionAssert.AreEqual(Content, await DownloadAsync("file.txt"));

        string encoded = TufCache.EncodeName(roleName);
        // On the wire the role name is one path segment: "/" and "\" stay percent-encoded.
        Assert.IsTrue(
            Repo.RawRequests.Any(r => r.Count(c => c == '/') == 1 && Uri.UnescapeDataString(r) == Uri.UnescapeDataString($"metadata/2.{encoded}.json")),
            string.Join(", ", Repo.RawRequests));
        string expectedFile = Path.Combine(CacheDirectory, "metadata", "delegated", encoded + ".json");
        Assert.IsTrue(File.Exists(expectedFile), expectedFile);
        AssertNothingOutsideTheCache();
    }

    [TestMethod]
    [DataRow("...")]
    [DataRow("a%2F..%2Fb")]
    [DataRow("quote\"d?#.json")]
    public async Task UnusualTargetName_StaysInsideTheCache(string targetName)
    {
        Repo.AddTarget(targetName, Content);
        Repo.PublishAll();

        CollectionAssert.AreEqual(Content, await DownloadAsync(targetName));

        Assert.IsTrue(File.Exists(Path.Combine(CacheDirectory, "targets", TufCache.EncodeName(targetName))));
        AssertNothingOutsideTheCache();
    }

    /// <summary>
    /// targets delegates to A (paths *) and B; A delegates to C and D. Pre-order DFS for a target in D:
    /// targets, A, C, D (B never). With A terminating and the target absent: targets, A, C, D and still not B.
    /// </summary>
    [TestMethod]
    [DataRow("D", false, "targets,A,C,D", true)]
    [DataRow("B", false, "targets,A,C,D,B", true)]
    [DataRow("B", true, "targets,A,C,D", false)]
    [DataRow("C", false, "targets,A,C", true)]
    public async Task GraphTraversal_IsPreOrderDepthFirst(string holder, bool aTerminating, string expectedOrder, bool found)
    {
        Repo.AddDelegation("targets", "A", terminating: aTerminating);
        Repo.AddDelegation("targets", "B");
        Repo.AddDelegation("A", "C");
        Repo.AddDelegation("A", "D");
        Repo.AddTarget("file.txt", Content, holder);
        foreach (string role in new[] { "A", "B", "C", "D" })
        {
            Repo.PublishTargets(role);
        }

        Repo.PublishAll();
        await RefreshAsync();
        Repo.ClearRequests();

        if (found)
        {
            await DownloadAsync("file.txt");
        }
        else
        {
            await DownloadFailsAsync("file.txt", TufCodes.TargetNotFound);
        }

        string[] visited = Repo.RequestList()
            .Where(r => r.StartsWith("metadata/", StringComparison.Ordinal) && !r.EndsWith("root.json", StringComparison.Ordinal) && !r.EndsWith("timestamp.json", StringComparison.Ordinal))
            .Select(r => r.Split('.')[1])
            .ToArray();
        // targets is verified from the cache and not downloaded again.
        Assert.AreEqual(expectedOrder, string.Join(",", new[] { "targets" }.Concat(visited)));
    }

    [TestMethod]
    [DataRow("releases/*.json", "releases/trusted_root.json", true)]
    [DataRow("releases/*.json", "releases/sub/trusted_root.json", false)]
    [DataRow("releases/*.json", "other/trusted_root.json", false)]
    [DataRow("*", "trusted_root.json", true)]
    [DataRow("trusted_root.jso?", "trusted_root.json", true)]
    [DataRow("[st]*", "trusted_root.json", true)]
    [DataRow("[!t]*", "trusted_root.json", false)]
    public async Task TargetFileSearch_FollowsOnlyMatchingDelegations(string pattern, string target, bool found)
    {
        Repo.AddDelegation("targets", "role1", [pattern]);
        Repo.AddTarget(target, Content, "role1");
        Repo.PublishTargets("role1");
        Repo.PublishAll();

        if (found)
        {
            CollectionAssert.AreEqual(Content, await DownloadAsync(target));
        }
        else
        {
            await DownloadFailsAsync(target, TufCodes.TargetNotFound);
            Assert.IsFalse(Repo.RequestList().Any(r => r.Contains("role1", StringComparison.Ordinal)));
        }
    }

    [TestMethod]
    public async Task PathHashPrefixes_SelectTheDelegation()
    {
        string hash = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes("file.txt")));
        Repo.AddDelegation("targets", "wrong", hashPrefixes: [hash[0] == '0' ? "1" : "0"]);
        Repo.AddDelegation("targets", "right", hashPrefixes: [hash[..2]]);
        Repo.AddTarget("file.txt", Encoding.UTF8.GetBytes("wrong"), "wrong");
        Repo.AddTarget("file.txt", Content, "right");
        Repo.PublishTargets("wrong");
        Repo.PublishTargets("right");
        Repo.PublishAll();

        CollectionAssert.AreEqual(Content, await DownloadAsync("file.txt"));
    }

    [TestMethod]
    public async Task CachedRole_IsVerifiedAgainstTheCurrentDelegator()
    {
        Repo.AddDelegation("targets", "role1");
        Repo.AddTarget("file.txt", Content, "role1");
        Repo.PublishTargets("role1");
        Repo.PublishAll();
        await DownloadAsync("file.txt");

        // The delegator replaces role1's key; role1 itself (still signed by the old key) is unchanged.
        var delegations = (JsonObject)Repo.Targets["targets"]["delegations"]!;
        var newKey = TestSigner.Ecdsa();
        ((JsonObject)delegations["keys"]!)[newKey.KeyId] = newKey.KeyJson();
        delegations["roles"]![0]!["keyids"] = new JsonArray(newKey.KeyId);
        Repo.PublishAll();

        await DownloadFailsAsync("file.txt", TufCodes.ThresholdNotMet);
    }

    [TestMethod]
    public async Task DelegationNotInSnapshot_IsRefused()
    {
        Repo.AddDelegation("targets", "role1");
        Repo.AddTarget("file.txt", Content, "role1");
        Repo.PublishTargets("role1");
        Repo.Targets.Remove("role1"); // the snapshot will not list it
        Repo.PublishAll();

        await DownloadFailsAsync("file.txt", TufCodes.Rollback);
    }

    [TestMethod]
    public async Task MaxDelegations_BoundsTheSearch()
    {
        string parent = "targets";
        for (int i = 1; i <= 5; i++)
        {
            Repo.AddDelegation(parent, $"level{i}");
            parent = $"level{i}";
        }

        Repo.AddTarget("file.txt", Content, "level5");
        for (int i = 1; i <= 5; i++)
        {
            Repo.PublishTargets($"level{i}");
        }

        Repo.PublishAll();

        await DownloadFailsAsync("file.txt", TufCodes.TargetNotFound, Options() with { MaxDelegations = 3 });
        CollectionAssert.AreEqual(Content, await DownloadAsync("file.txt"));
    }

    [TestMethod]
    [DataRow("../../outside.txt")]
    [DataRow("..")]
    [DataRow("dir/../../x")]
    [DataRow("/absolute")]
    [DataRow("dir//x")]
    [DataRow("./x")]
    public async Task TargetNameWithDotOrEmptySegments_IsRefused(string targetName)
    {
        Repo.AddTarget(targetName, Content);
        Repo.PublishAll();

        await DownloadFailsAsync(targetName, TufCodes.TargetNotFound);
        Assert.IsFalse(Repo.RequestList().Any(r => r.Contains("outside", StringComparison.Ordinal) || !r.StartsWith("metadata/", StringComparison.Ordinal)));
        AssertNothingOutsideTheCache();
    }

    [TestMethod]
    [DataRow("timestamp")]
    [DataRow("root")]
    public async Task DelegationNamedLikeATopLevelRole_IsRefused(string name)
    {
        var delegations = new JsonObject { ["keys"] = new JsonObject(), ["roles"] = new JsonArray(new JsonObject { ["name"] = name, ["keyids"] = new JsonArray(), ["threshold"] = 1, ["paths"] = new JsonArray("*") }) };
        Repo.Targets["targets"]["delegations"] = delegations;
        Repo.PublishAll();

        await DownloadFailsAsync("file.txt", TufCodes.InvalidMetadata);
    }

    private void AssertNothingOutsideTheCache()
    {
        string[] outside = Directory.GetFileSystemEntries(TempDirectory, "*", SearchOption.AllDirectories)
            .Where(p => !Path.GetFullPath(p).StartsWith(Path.GetFullPath(CacheDirectory), StringComparison.Ordinal))
            .ToArray();
        Assert.IsEmpty(outside, string.Join(", ", outside));
        Assert.IsTrue(Directory.Exists(CacheDirectory));
    }
}
