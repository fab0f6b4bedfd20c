using System.Text.Json.Nodes;
using SigstoreBuild.Cli.Tests.Infrastructure;
using SigstoreBuild.LocalStack;

namespace SigstoreBuild.Cli.Tests.Monitoring;

/// <summary>
/// <c>sigstore monitor</c> against the local instance's real Rekor v1 log (REST API) and Rekor v2 log (tlog-tiles): it
/// finds every entry signed with the identity and none of another, only the new ones on the next run, fails on an entry
/// outside the allow list, and detects a log that rewrote its history (the instance's fault injection), leaving the
/// state file as evidence.
/// </summary>
[TestClass]
public sealed class MonitorCommandTests
{
    private const string Publisher = "release@example.com";
    private const string Other = "someone-else@example.com";
    private static LocalSigstore s_sigstore = null!;
    private static string s_root = null!;

    public TestContext TestContext { get; set; } = null!;

    [ClassInitialize]
    public static async Task StartAsync(TestContext context)
    {
        s_root = Directory.CreateTempSubdirectory("ssb-cli-monitor-").FullName;
        s_sigstore = await LocalSigstore.StartAsync(Path.Combine(s_root, "instance"), 0, context.CancellationToken);
    }

    [ClassCleanup]
    public static async Task StopAsync()
    {
        await s_sigstore.DisposeAsync();
        Directory.Delete(s_root, recursive: true);
    }

    [TestMethod]
    [DataRow(1)]
    [DataRow(2)]
    public async Task FindsEveryEntryOfTheIdentity_ThenOnlyNewOnes_AndFailsOnAnUnexpectedOne(int rekor)
    {
        var state = Path.Combine(s_root, Guid.NewGuid().ToString("N") + ".state.json");
        var start = Log(rekor).Size;
        var first = new[] { await SignAsync(Publisher, rekor), await SignAsync(Other, rekor), await SignAsync(Publisher, rekor) };

        var run = await MonitorAsync(rekor, state, "--from-index", start.ToString(System.Globalization.CultureInfo.InvariantCulture), "--output", "json");
        Assert.AreEqual(0, run.ExitCode, run.ToString());
        var report = JsonNode.Parse(run.Output)!;
        Assert.AreEqual(rekor == 1 ? "rekor-v1" : "tlog-tiles", (string?)report["api"]);
        Assert.AreEqual(3L, (long)report["entriesRead"]!, run.Output);
        var entries = report["entries"]!.AsArray();
        Assert.HasCount(2, entries, run.Output);
        Assert.IsTrue(entries.All(e => (string?)e!["subjectAlternativeName"] == Publisher));
        CollectionAssert.AreEqual(new[] { first[0], first[2] }, entries.Select(e => "sha256:" + ((string)e!["digest"]!).Split(':')[1]).ToArray(), "the artifact digests, in log order");
        Assert.AreEqual(Log(rekor).Size, (long)report["treeSize"]!);
        Assert.AreEqual(rekor == 1, entries.All(e => e!["integratedTime"] is not null), "only Rekor v1 records an integration time");
        Assert.IsTrue(entries.All(e => e!["certificateNotBefore"] is not null));

        // The next run reads from the saved checkpoint: only what was signed since.
        var later = await SignAsync(Publisher, rekor);
        await SignAsync(Other, rekor);
        var next = await MonitorAsync(rekor, state, "--allow", "release@example\\.com");
        Assert.AreEqual(0, next.ExitCode, next.ToString());
        StringAssert.Contains(next.Output, "1 signed by");
        StringAssert.Contains(next.Output, "expected   #");
        StringAssert.Contains(next.Output, later[7..]);

        // An entry outside the allow list fails the run (a scheduled job goes red) and says what to do.
        await SignAsync(Publisher, rekor);
        var alarm = await MonitorAsync(rekor, state, "--allow", "carol@example\\.com");
        Assert.AreEqual(1, alarm.ExitCode, alarm.ToString());
        StringAssert.Contains(alarm.Output, "UNEXPECTED #");
        StringAssert.Contains(alarm.Error, "warning SSB8501: ");
        StringAssert.Contains(alarm.Error, "docs/monitor.md");

        var quiet = await MonitorAsync(rekor, state, "--allow", "carol@example\\.com");
        Assert.AreEqual(0, quiet.ExitCode, "the state moved on: " + quiet);
    }

    [TestMethod]
    [DataRow(1)]
    [DataRow(2)]
    public async Task AReleaseIdentitySigningFromAnUnexpectedWorkflow_FailsTheRun_WithItsWorkflowRefAndCommit(int rekor)
    {
        var state = Path.Combine(s_root, Guid.NewGuid().ToString("N") + ".state.json");
        Assert.AreEqual(0, (await MonitorWorkflowsAsync(rekor, state)).ExitCode, "baseline");
        await SignAsync(s_sigstore.MintGitHubActionsToken(workflowPath: ".github/workflows/release.yml", reference: "refs/tags/v1.2.0"), rekor);
        await SignAsync(s_sigstore.MintGitHubActionsToken(workflowPath: ".github/workflows/pr-check.yml", reference: "refs/heads/attacker"), rekor);
        await SignAsync(s_sigstore.MintGitHubActionsToken(repository: "other-org/other-repo"), rekor);

        var run = await MonitorWorkflowsAsync(rekor, state);

        Assert.AreEqual(1, run.ExitCode, run.ToString());
        StringAssert.Contains(run.Output, "2 signed by", "both of the repository's workflows, not the other repository's");
        var lines = run.Output.Split('\n');
        Assert.IsTrue(lines.Any(l => l.Contains("expected   #", StringComparison.Ordinal) && l.Contains("release.yml@refs/tags/v1.2.0", StringComparison.Ordinal)), run.Output);
        var alarm = lines.Single(l => l.Contains("UNEXPECTED #", StringComparison.Ordinal));
        StringAssert.Contains(alarm, "workflow https://github.com/octo-org/octo-repo/.github/workflows/pr-check.yml@refs/heads/attacker");
        StringAssert.Contains(alarm, "ref refs/heads/attacker");
        StringAssert.Contains(alarm, "commit 0123456789abcdef0123456789abcdef01234567");
        StringAssert.Contains(run.Error, "warning SSB8501: ");
        StringAssert.Contains(run.Error, "pr-check.yml");
    }

    private static Task<CliRun> MonitorWorkflowsAsync(int rekor, string state) =>
        CliRunner.RunAsync("monitor", "--certificate-identity-regexp", "https://github\\.com/octo-org/octo-repo/.*", "--certificate-oidc-issuer", s_sigstore.BaseUrl,
            "--log", rekor == 1 ? s_sigstore.BaseUrl : s_sigstore.RekorV2Url, "--trusted-root", s_sigstore.TrustedRootPath, "--state", state,
            "--allow", "https://github\\.com/octo-org/octo-repo/\\.github/workflows/release\\.yml@refs/tags/v.*");

    [TestMethod]
    [DataRow(1)]
    [DataRow(2)]
    public async Task ALogThatRewritesItsHistory_IsDetected_AndTheStateIsKept(int rekor)
    {
        var state = Path.Combine(s_root, Guid.NewGuid().ToString("N") + ".state.json");
        await SignAsync(Publisher, rekor);
        var baseline = await MonitorAsync(rekor, state);
        Assert.AreEqual(0, baseline.ExitCode, baseline.ToString());
        var saved = await File.ReadAllTextAsync(state);

        await SignAsync(Publisher, rekor);
        var log = Log(rekor);
        var victim = log.Get(log.Size - 2)!;
        log.RewriteHistory(victim.Index, [.. victim.Body, (byte)' ']);

        var run = await MonitorAsync(rekor, state);
        Assert.AreEqual(1, run.ExitCode, run.ToString());
        StringAssert.StartsWith(run.Error, "error SSB8003: ");
        StringAssert.Contains(run.Error, "rewrote its history");
        Assert.AreEqual(saved, await File.ReadAllTextAsync(state), "the evidence is not overwritten");
    }

    [TestMethod]
    public async Task WithoutStateOrStartIndex_StartsAtTheCurrentCheckpoint_AndAnUntrustedLogIsRefused()
    {
        await SignAsync(Publisher, 1);
        var run = await MonitorAsync(1, null);
        Assert.AreEqual(0, run.ExitCode, run.ToString());
        StringAssert.Contains(run.Output, "read 0 entries");

        var other = await CliRunner.RunAsync("monitor", "--certificate-identity", Publisher, "--certificate-oidc-issuer", s_sigstore.BaseUrl,
            "--log", "http://127.0.0.1:1", "--trusted-root", s_sigstore.TrustedRootPath);
        Assert.AreEqual(1, other.ExitCode, other.ToString());
        StringAssert.StartsWith(other.Error, "error SSB8007: ");
    }

    private static SigstoreBuild.LocalStack.Transparency.TransparencyLog Log(int rekor) => rekor == 1 ? s_sigstore.Services.RekorV1.Log : s_sigstore.Services.RekorV2.Log;

    private static Task<CliRun> MonitorAsync(int rekor, string? state, params string[] more) =>
        CliRunner.RunAsync([
            "monitor", "--certificate-identity", Publisher, "--certificate-oidc-issuer", s_sigstore.BaseUrl, "--log", rekor == 1 ? s_sigstore.BaseUrl : s_sigstore.RekorV2Url,
            "--trusted-root", s_sigstore.TrustedRootPath, .. state is null ? Array.Empty<string>() : ["--state", state], .. more]);

    /// <summary>Signs a fresh file as <paramref name="emailOrToken"/> (an email, or an identity token); returns its sha256 digest.</summary>
    private static async Task<string> SignAsync(string emailOrToken, int rekor)
    {
        var file = Path.Combine(s_root, Guid.NewGuid().ToString("N") + ".txt");
        await File.WriteAllTextAsync(file, "artifact " + Guid.NewGuid());
        var token = emailOrToken.Contains('@', StringComparison.Ordinal) ? s_sigstore.MintToken(emailOrToken) : emailOrToken;
        var sign = await CliRunner.RunAsync("sign-bundle", "--identity-token", token, "--bundle", file + ".sigstore.json",
            "--trusted-root", s_sigstore.TrustedRootPath, "--signing-config", rekor == 1 ? s_sigstore.SigningConfigPath : s_sigstore.SigningConfigRekorV2Path, file);
        Assert.AreEqual(0, sign.ExitCode, sign.ToString());
        return "sha256:" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(await File.ReadAllBytesAsync(file)));
    }
}
