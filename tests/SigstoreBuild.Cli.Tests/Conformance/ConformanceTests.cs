using System.Text.Json;
using SigstoreBuild.Cli.Tests.Infrastructure;

namespace SigstoreBuild.Cli.Tests.Conformance;

/// <summary>
/// Every case of shared/conformance/manifest.jsonl (sigstore-conformance bundle-verify), in artifact and digest mode,
/// through <c>sigstore verify-bundle</c> exactly as the conformance harness calls it.
/// </summary>
[TestClass]
public sealed class ConformanceTests
{
    public static IEnumerable<object[]> Cases()
    {
        var shared = SharedAssets.SharedRoot;
        if (shared is null)
        {
            yield return ["(shared/ missing)", "artifact"];
            yield break;
        }

        foreach (var line in File.ReadLines(Path.Combine(shared, "conformance", "manifest.jsonl")))
        {
            using var doc = JsonDocument.Parse(line);
            var id = doc.RootElement.GetProperty("id").GetString()!;
            foreach (var mode in doc.RootElement.GetProperty("modes").EnumerateArray())
            {
                yield return [id, mode.GetString()!];
            }
        }
    }

    [TestMethod]
    [DynamicData(nameof(Cases))]
    public async Task VerifyBundle_GivesTheExpectedResult(string id, string mode)
    {
        var shared = SharedAssets.RequireShared();
        var folder = Path.Combine(shared, "conformance");
        var entry = File.ReadLines(Path.Combine(folder, "manifest.jsonl"))
            .Select(l => JsonDocument.Parse(l).RootElement)
            .Single(e => e.GetProperty("id").GetString() == id);

        var args = new List<string> { "verify-bundle", "--bundle", Path.Combine(folder, entry.GetProperty("bundle").GetString()!) };
        if (entry.TryGetProperty("key", out var key) && key.ValueKind == JsonValueKind.String)
        {
            args.AddRange(["--key", Path.Combine(folder, key.GetString()!)]);
        }
        else
        {
            args.AddRange(["--certificate-identity", entry.GetProperty("identity").GetString()!]);
            args.AddRange(["--certificate-oidc-issuer", entry.GetProperty("issuer").GetString()!]);
        }

        args.AddRange(["--trusted-root", Path.Combine(folder, entry.GetProperty("trusted_root").GetString()!)]);
        args.Add(mode == "digest" ? entry.GetProperty("digest").GetString()! : Path.Combine(folder, entry.GetProperty("artifact").GetString()!));

        var run = await CliRunner.RunAsync([.. args]);
        var expectPass = entry.GetProperty("expect").GetString() == "pass";
        if (expectPass)
        {
            Assert.AreEqual(0, run.ExitCode, $"{id} ({mode}) should verify.\n{run}\n{entry.GetProperty("why").GetString()}");
        }
        else
        {
            Assert.AreEqual(SigstoreCommand.Failure, run.ExitCode, $"{id} ({mode}) should be rejected with a coded error.\n{run}\n{entry.GetProperty("why").GetString()}");
            StringAssert.Matches(run.Error, new System.Text.RegularExpressions.Regex(@"error SSB\d{4}: "), "A rejection names its SSB code.");
        }
    }
}
