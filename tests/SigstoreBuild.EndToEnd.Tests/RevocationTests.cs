using System.Text.Json.Nodes;
using SigstoreBuild.EndToEnd.Tests.Infrastructure;
using SigstoreBuild.LocalStack;

namespace SigstoreBuild.EndToEnd.Tests;

/// <summary>
/// A compromise, end to end: one publisher identity packs and signs Contoso.Greetings in two time windows (two feeds,
/// the first logged in Rekor v1, the second in Rekor v2 with a timestamp); the installed <c>sigstore monitor</c> finds
/// each signature in its log; a revocation document revokes the first window; a consumer build that restores the
/// package signed in that window fails with SSB5121, and one that restores the package signed later passes, with the
/// same policy: first as the consumer's own file, then as the publisher's signed document fetched from a URL.
/// </summary>
[TestClass]
public sealed class RevocationTests
{
    private const string Signer = "greetings-release@example.com";
    private static LocalSigstore s_sigstore = null!;

    public TestContext TestContext { get; set; } = null!;

    [ClassInitialize]
    public static async Task StartSigstore(TestContext context)
    {
        E2E.RequirePackage();
        s_sigstore = await LocalSigstore.StartAsync(Path.Combine(E2E.Root, "sigstore-revocation"), 0, context.CancellationToken);
    }

    [ClassCleanup]
    public static async Task StopSigstore()
    {
        if (s_sigstore is not null)
        {
            await s_sigstore.DisposeAsync();
        }
    }

    [TestMethod]
    public async Task ConsumerBuild_FailsForTheRevokedWindow_AndPassesForTheOther()
    {
        var testDirectory = Path.Combine(E2E.Root, TestContext.TestName!);
        var compromisedFrom = DateTimeOffset.UtcNow.AddSeconds(-1);
        var compromised = Pack("compromised", s_sigstore.SigningConfigPath);
        var compromisedUntil = DateTimeOffset.UtcNow.AddSeconds(1);
        await Task.Delay(TimeSpan.FromSeconds(3), TestContext.CancellationToken);
        var clean = Pack("clean", s_sigstore.SigningConfigRekorV2Path);

        // The publisher's monitor finds each signature, in the log it went to.
        var logged = DateTimeOffset.Parse((string)Monitor(s_sigstore.BaseUrl, "rekor-v1")["integratedTime"]!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.IsTrue(logged >= compromisedFrom.AddSeconds(-1) && logged <= compromisedUntil, $"the v1 entry was logged in the window: {logged:O}");
        Assert.IsNull(Monitor(s_sigstore.RekorV2Url, "tlog-tiles")["integratedTime"], "Rekor v2 records no time");

        var revocations = Path.Combine(testDirectory, "revocations.json");
        Directory.CreateDirectory(testDirectory);
        File.WriteAllText(revocations, new JsonObject
        {
            ["revocations"] = new JsonArray
            {
                (JsonNode)new JsonObject
                {
                    ["identity"] = new JsonObject { ["issuer"] = s_sigstore.Services.Oidc.Issuer, ["subject"] = Signer },
                    ["signedFrom"] = compromisedFrom.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture),
                    ["signedUntil"] = compromisedUntil.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture),
                    ["reason"] = "release workflow hijacked",
                },
            },
        }.ToJsonString());

        var failed = Build("compromised", compromised, revocations);
        Assert.IsFalse(failed.Succeeded, failed.ToString());
        Assert.Contains("error SSB5121", failed.Output);
        Assert.Contains("release workflow hijacked", failed.Output);

        var passed = Build("clean", clean, revocations);
        Assert.IsTrue(passed.Succeeded, passed.ToString());
        Assert.Contains("Sigstore: verified 1 package", passed.Output);

        // The same document, published by the publisher: signed with the installed 'sigstore sign' as the trusted
        // identity, served with its bundle, and named by URL in the consumers' policy.
        var token = Path.Combine(testDirectory, "token");
        File.WriteAllText(token, s_sigstore.MintToken(Signer));
        var sign = DotNet.RunProgram(E2E.InstallCli(), testDirectory, DotNet.RootEnvironment(), "sign", revocations, "--identity-token-file", token,
            "--trusted-root", s_sigstore.TrustedRootPath, "--signing-config", s_sigstore.SigningConfigPath);
        Assert.IsTrue(sign.Succeeded, sign.ToString());
        using var server = new LoopbackServer();
        server.Routes["/revocations.json"] = (200, File.ReadAllBytes(revocations));
        server.Routes["/revocations.json.sigstore.json"] = (200, File.ReadAllBytes(revocations + ".sigstore.json"));
        var url = new Uri(server.BaseUrl, "revocations.json").ToString();

        var publishedFailed = Build("compromised-published", compromised, url);
        Assert.IsFalse(publishedFailed.Succeeded, publishedFailed.ToString());
        Assert.Contains("error SSB5121", publishedFailed.Output);
        Assert.Contains("release workflow hijacked", publishedFailed.Output);
        Assert.IsTrue(server.Requests.Any(r => r.Path == "/revocations.json.sigstore.json"), "the bundle was fetched");

        var publishedPassed = Build("clean-published", clean, url);
        Assert.IsTrue(publishedPassed.Succeeded, publishedPassed.ToString());
        Assert.Contains("Sigstore: verified 1 package", publishedPassed.Output);
    }

    /// <summary>The one entry <c>sigstore monitor</c> finds for the publisher in the log at <paramref name="log"/>, read from its start.</summary>
    private JsonNode Monitor(string log, string api)
    {
        var run = DotNet.RunProgram(E2E.InstallCli(), E2E.Root, DotNet.RootEnvironment(), "monitor", "--certificate-identity", Signer,
            "--certificate-oidc-issuer", s_sigstore.Services.Oidc.Issuer, "--log", log, "--from-index", "0", "--trusted-root", s_sigstore.TrustedRootPath,
            "--allow", System.Text.RegularExpressions.Regex.Escape(Signer), "--output", "json");
        Assert.IsTrue(run.Succeeded, run.ToString());
        var report = JsonNode.Parse(run.Output[run.Output.IndexOf('{', StringComparison.Ordinal)..(run.Output.LastIndexOf('}') + 1)])!;
        Assert.AreEqual(api, (string?)report["api"], run.Output);
        var entry = report["entries"]!.AsArray().Single()!;
        Assert.AreEqual(Signer, (string?)entry["subjectAlternativeName"]);
        Assert.AreEqual("dsse", (string?)entry["kind"], "the provenance attestation");
        return entry;
    }

    /// <summary>dotnet pack of samples/Library into its own feed, signed now by the publisher's identity.</summary>
    private string Pack(string name, string signingConfig)
    {
        var library = E2E.CopySample("Library", $"{TestContext.TestName}-{name}");
        var feed = Path.Combine(E2E.Root, TestContext.TestName!, name, "feed");
        var pack = DotNet.Run(library, new Dictionary<string, string> { ["SIGSTORE_ID_TOKEN"] = s_sigstore.MintToken(Signer) },
            DotNet.BuildArguments("pack", "-o", feed, "-p:SigstoreRequireSigning=true", "-p:SigstoreSbom=false",
                $"-p:SigstoreTrustedRootPath={s_sigstore.TrustedRootPath}", $"-p:SigstoreSigningConfigPath={signingConfig}"));
        Assert.IsTrue(pack.Succeeded, pack.ToString());
        return feed;
    }

    /// <summary>samples/Consumer, restoring Contoso.Greetings from <paramref name="feed"/>, with the revocation document in its policy.</summary>
    private DotNetResult Build(string name, string feed, string revocations)
    {
        var consumer = E2E.CopyConsumer($"{TestContext.TestName}-{name}-consumer", feed,
            policy => policy.Replace("<SigstoreUnsignedAllowed ", $"<SigstoreRevocations Include=\"{revocations}\" />\n    <SigstoreUnsignedAllowed ", StringComparison.Ordinal));
        return E2E.BuildConsumer(consumer, $"-p:ContosoSigner={Signer}", $"-p:ContosoSignerIssuer={s_sigstore.Services.Oidc.Issuer}", $"-p:SigstoreTrustedRootPath={s_sigstore.TrustedRootPath}");
    }
}
