using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using System.Web;
using SigstoreBuild.Diagnostics;
using SigstoreBuild.Identity;
using SigstoreBuild.Tests.Signing;
using SigstoreBuild.Trust;

namespace SigstoreBuild.Tests.Identity;

[TestClass]
public sealed class IdentityProviderTests
{
    public TestContext TestContext { get; set; } = null!;

    private static IdentityContext Context(Dictionary<string, string> env, CapturingLog? log = null, IProcessRunner? runner = null, IBrowserLauncher? browser = null) => new()
    {
        Environment = new DictionaryEnvironment(env),
        Log = log ?? new CapturingLog(),
        RetryPolicy = SigningTestSupport.FastRetries,
        ProcessRunner = runner ?? new FakeRunner(0, TestSigstore.Http.MakeToken()),
        Browser = browser ?? new FakeBrowser(_ => Task.CompletedTask),
    };

    private static SigstoreException Throws(Action action)
    {
        try
        {
            action();
        }
        catch (SigstoreException ex)
        {
            return ex;
        }

        Assert.Fail("Expected a SigstoreException.");
        return null!;
    }

    private static async Task<SigstoreException> ThrowsAsync(Func<Task> action)
    {
        try
        {
            await action();
        }
        catch (SigstoreException ex)
        {
            return ex;
        }

        Assert.Fail("Expected a SigstoreException.");
        return null!;
    }

    [TestMethod]
    [DataRow("GITHUB_ACTIONS=true;ACTIONS_ID_TOKEN_REQUEST_URL=https://x/token;ACTIONS_ID_TOKEN_REQUEST_TOKEN=r", typeof(GitHubActionsTokenProvider), "GitHub Actions")]
    [DataRow("GITLAB_CI=true;CI=true;SIGSTORE_ID_TOKEN=a.b.c", typeof(ExplicitTokenProvider), "GitLab CI")]
    [DataRow("BUILDKITE=true;CI=true", typeof(CliTokenProvider), "Buildkite")]
    [DataRow("CIRCLECI=true;CI=true", typeof(CliTokenProvider), "CircleCI")]
    [DataRow("TF_BUILD=True;SYSTEM_OIDCREQUESTURI=https://dev.azure.example/oidc", typeof(AzurePipelinesTokenProvider), "Azure Pipelines")]
    [DataRow("CI=true;SIGSTORE_ID_TOKEN=a.b.c", typeof(ExplicitTokenProvider), "environment token")]
    [DataRow("", typeof(InteractiveBrowserTokenProvider), "interactive browser login")]
    public void Autodetection_PicksAmbientProvider(string env, Type expected, string name)
    {
        var vars = env.Split(';', StringSplitOptions.RemoveEmptyEntries).Select(p => p.Split('=', 2)).ToDictionary(p => p[0], p => p[1]);
        var provider = IdentityTokenProviders.Create(new IdentityOptions(), Context(vars));
        Assert.IsInstanceOfType(provider, expected);
        Assert.AreEqual(name, provider.Name);
    }

    [TestMethod]
    [DataRow("CI=true")]
    [DataRow("GITHUB_ACTIONS=true")]
    [DataRow("GITLAB_CI=true")]
    [DataRow("TF_BUILD=True")]
    [DataRow("JENKINS_URL=https://jenkins.example")]
    public void X04_CiWithoutToken_NeverStartsInteractiveLogin(string env)
    {
        var vars = env.Split(';').Select(p => p.Split('=', 2)).ToDictionary(p => p[0], p => p[1]);
        var ex = Throws(() => IdentityTokenProviders.Create(new IdentityOptions { AllowInteractive = true }, Context(vars)));
        Assert.AreEqual(IdentityCodes.NoTokenInCi, ex.Code);
    }

    [TestMethod]
    public void X04_GitHubWithoutIdTokenPermission_SaysWhatToDo()
    {
        var ex = Throws(() => IdentityTokenProviders.Create(new IdentityOptions(), Context(new() { ["GITHUB_ACTIONS"] = "true", ["CI"] = "true" })));
        StringAssert.Contains(ex.Message, "id-token: write");
    }

    [TestMethod]
    public void NoCiAndInteractiveDisabled_IsCodedError()
    {
        var ex = Throws(() => IdentityTokenProviders.Create(new IdentityOptions { AllowInteractive = false }, Context([])));
        Assert.AreEqual(IdentityCodes.NoProvider, ex.Code);
    }

    [TestMethod]
    [DataRow("pull_request_target")]
    [DataRow("workflow_run")]
    public void X03_PrivilegedTrigger_IsRefusedUnlessOverridden(string eventName)
    {
        var env = new Dictionary<string, string> { ["GITHUB_ACTIONS"] = "true", ["GITHUB_EVENT_NAME"] = eventName, ["ACTIONS_ID_TOKEN_REQUEST_URL"] = "https://x", ["ACTIONS_ID_TOKEN_REQUEST_TOKEN"] = "r" };
        Assert.AreEqual(IdentityCodes.PrivilegedTrigger, Throws(() => IdentityTokenProviders.Create(new IdentityOptions(), Context(env))).Code);

        var log = new CapturingLog();
        var provider = IdentityTokenProviders.Create(new IdentityOptions { UnsafeAllowPrivilegedTriggers = true }, Context(env, log));
        Assert.IsInstanceOfType<GitHubActionsTokenProvider>(provider);
        Assert.IsTrue(log.Entries.Any(e => e.Code == IdentityCodes.PrivilegedTriggerAllowed));
    }

    [TestMethod]
    public async Task GitHubActions_RequestsSigstoreAudienceWithRequestToken()
    {
        var token = TestSigstore.Http.MakeToken();
        string? query = null, auth = null;
        using var server = new TestHttpServer(async ctx =>
        {
            query = ctx.Request.Url!.Query;
            auth = ctx.Request.Headers["Authorization"];
            await TestHttpServer.RespondAsync(ctx, 200, Encoding.UTF8.GetBytes(new JsonObject { ["value"] = token }.ToJsonString()));
        });
        var env = new Dictionary<string, string>
        {
            ["GITHUB_ACTIONS"] = "true",
            ["GITHUB_EVENT_NAME"] = "push",
            ["ACTIONS_ID_TOKEN_REQUEST_URL"] = server.BaseUrl + "token?api-version=2.0",
            ["ACTIONS_ID_TOKEN_REQUEST_TOKEN"] = "request-token-secret",
        };
        var log = new CapturingLog();
        var result = await IdentityTokenProviders.Create(new IdentityOptions(), Context(env, log)).GetTokenAsync(TestContext.CancellationToken);
        Assert.AreEqual(TestSigstore.Http.Email, result.Email);
        Assert.AreEqual("?api-version=2.0&audience=sigstore", query);
        Assert.AreEqual("bearer request-token-secret", auth);
        Assert.IsFalse(log.AllText.Contains("request-token-secret", StringComparison.Ordinal));
    }

    [TestMethod]
    public async Task GitHubActions_RefusedRequest_IsCoded()
    {
        using var server = new TestHttpServer(ctx => TestHttpServer.RespondAsync(ctx, 403, "{}"u8.ToArray()));
        var env = new Dictionary<string, string> { ["ACTIONS_ID_TOKEN_REQUEST_URL"] = server.BaseUrl + "token", ["ACTIONS_ID_TOKEN_REQUEST_TOKEN"] = "r" };
        var ex = await ThrowsAsync(() => new GitHubActionsTokenProvider(Context(env)).GetTokenAsync(TestContext.CancellationToken));
        Assert.AreEqual(IdentityCodes.TokenRequestFailed, ex.Code);
    }

    [TestMethod]
    public async Task AzurePipelines_PostsWithAccessToken()
    {
        var token = TestSigstore.Http.MakeToken();
        string? method = null, auth = null;
        using var server = new TestHttpServer(async ctx =>
        {
            method = ctx.Request.HttpMethod;
            auth = ctx.Request.Headers["Authorization"];
            await TestHttpServer.RespondAsync(ctx, 200, Encoding.UTF8.GetBytes(new JsonObject { ["oidcToken"] = token }.ToJsonString()));
        });
        var env = new Dictionary<string, string> { ["TF_BUILD"] = "True", ["SYSTEM_OIDCREQUESTURI"] = server.BaseUrl + "oidctoken", ["SYSTEM_ACCESSTOKEN"] = "azure-access" };
        var result = await new AzurePipelinesTokenProvider(Context(env)).GetTokenAsync(TestContext.CancellationToken);
        Assert.AreEqual("subject-123", result.Subject);
        Assert.AreEqual("POST", method);
        Assert.AreEqual("Bearer azure-access", auth);
    }

    [TestMethod]
    public async Task Buildkite_And_CircleCi_AskTheAgentForSigstoreAudience()
    {
        var runner = new FakeRunner(0, TestSigstore.Http.MakeToken() + "\n");
        await CliTokenProvider.Buildkite(Context([], runner: runner)).GetTokenAsync(TestContext.CancellationToken);
        Assert.AreEqual("buildkite-agent oidc request-token --audience sigstore", runner.LastCommand);
        await CliTokenProvider.CircleCi(Context([], runner: runner)).GetTokenAsync(TestContext.CancellationToken);
        Assert.AreEqual("circleci run oidc get --claims {\"aud\":\"sigstore\"}", runner.LastCommand);
    }

    [TestMethod]
    public async Task CliProviderFailure_IsCodedAndDoesNotEchoStderr()
    {
        var runner = new FakeRunner(1, string.Empty, "leaked-secret-in-stderr");
        var ex = await ThrowsAsync(() => CliTokenProvider.Buildkite(Context([], runner: runner)).GetTokenAsync(TestContext.CancellationToken));
        Assert.AreEqual(IdentityCodes.ToolFailed, ex.Code);
        Assert.IsFalse(ex.ToString().Contains("leaked-secret", StringComparison.Ordinal));
    }

    [TestMethod]
    public async Task TokenFile_IsReadAtCallTime()
    {
        using var dir = new TempDirectory();
        var path = dir.File("token", TestSigstore.Http.MakeToken() + "\n");
        var token = await IdentityTokenProviders.Create(new IdentityOptions { TokenFile = path }, Context([])).GetTokenAsync(TestContext.CancellationToken);
        Assert.AreEqual(TestSigstore.Http.Issuer, token.Issuer);
        var missing = await ThrowsAsync(() => ExplicitTokenProvider.FromFile(dir.File("nope")).GetTokenAsync(TestContext.CancellationToken));
        Assert.AreEqual(IdentityCodes.TokenFileUnreadable, missing.Code);
    }

    [TestMethod]
    public void Token_ClaimsParsed_AndToStringRedacts()
    {
        var raw = TestSigstore.Http.MakeToken(secret: "SENTINELxTOKENxSECRET");
        var token = IdentityToken.Parse(raw);
        Assert.AreEqual(TestSigstore.Http.Issuer, token.Issuer);
        Assert.AreEqual("subject-123", token.Subject);
        Assert.AreEqual(TestSigstore.Http.Email, token.Email);
        CollectionAssert.AreEqual(new[] { "sigstore" }, token.Audiences.ToArray());
        Assert.IsNotNull(token.ExpiresAt);
        Assert.IsFalse(token.ToString().Contains("SENTINEL", StringComparison.Ordinal));
        Assert.IsFalse(token.ToString().Contains(raw, StringComparison.Ordinal));
    }

    [TestMethod]
    [DataRow("not-a-jwt")]
    [DataRow("a.!!!.c")]
    [DataRow("a.bm90IGpzb24.c")]
    public void MalformedToken_IsCoded_WithoutEchoingIt(string raw)
    {
        var ex = Throws(() => IdentityToken.Parse(raw));
        Assert.AreEqual(IdentityCodes.MalformedToken, ex.Code);
        Assert.IsFalse(ex.Message.Contains(raw, StringComparison.Ordinal));
    }

    [TestMethod]
    public void EmailIssuers_UseEmailChallenge_OthersUseSub()
    {
        Assert.AreEqual("alice@example.com", IdentityToken.Parse(TestSigstore.Http.MakeToken(issuer: "https://oauth2.sigstore.dev/auth")).ProofOfPossessionChallenge);
        Assert.AreEqual("subject-123", IdentityToken.Parse(TestSigstore.Http.MakeToken(issuer: "https://token.actions.githubusercontent.com")).ProofOfPossessionChallenge);
    }

    [TestMethod]
    public void Pkce_S256_MatchesRfc7636Vector()
    {
        Assert.AreEqual("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", Pkce.ChallengeFor("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"));
    }

    [TestMethod]
    public async Task BrowserLogin_PkceAndState_Succeeds()
    {
        using var idp = new FakeIdentityProvider();
        var browser = new FakeBrowser(async url => await FollowRedirectAsync(url, tamperState: false));
        var provider = new InteractiveBrowserTokenProvider(Context([], browser: browser), new OAuthOptions { Issuer = idp.Issuer, LoginTimeout = TimeSpan.FromSeconds(30) });
        var token = await provider.GetTokenAsync(TestContext.CancellationToken);
        Assert.AreEqual(TestSigstore.Http.Email, token.Email);
        Assert.IsTrue(idp.PkceVerified, "the token endpoint saw a verifier matching the S256 challenge");
        StringAssert.StartsWith(idp.RedirectUri, "http://127.0.0.1:");
    }

    [TestMethod]
    public async Task BrowserLogin_StateMismatch_IsRejected()
    {
        using var idp = new FakeIdentityProvider();
        var browser = new FakeBrowser(async url => await FollowRedirectAsync(url, tamperState: true));
        var provider = new InteractiveBrowserTokenProvider(Context([], browser: browser), new OAuthOptions { Issuer = idp.Issuer, LoginTimeout = TimeSpan.FromSeconds(30) });
        var ex = await ThrowsAsync(() => provider.GetTokenAsync(TestContext.CancellationToken));
        Assert.AreEqual(IdentityCodes.StateMismatch, ex.Code);
        Assert.AreEqual(0, idp.TokenRequests, "no code exchange after a state mismatch");
    }

    [TestMethod]
    public async Task InsecureIssuer_IsRefused()
    {
        var provider = new InteractiveBrowserTokenProvider(Context([]), new OAuthOptions { Issuer = "http://issuer.example" });
        var ex = await ThrowsAsync(() => provider.GetTokenAsync(TestContext.CancellationToken));
        Assert.AreEqual(IdentityCodes.InsecureIssuer, ex.Code);
    }

    [TestMethod]
    public async Task DeviceCode_PollsUntilAuthorized()
    {
        using var idp = new FakeIdentityProvider { PendingPolls = 2 };
        string? prompt = null;
        var provider = new DeviceCodeTokenProvider(Context([]), new OAuthOptions { Issuer = idp.Issuer, Prompt = p => prompt = p });
        var token = await provider.GetTokenAsync(TestContext.CancellationToken);
        Assert.AreEqual(TestSigstore.Http.Email, token.Email);
        Assert.AreEqual(3, idp.TokenRequests);
        StringAssert.Contains(prompt, "WDJB-MJHT");
    }

    [TestMethod]
    public async Task DeviceCode_Denied_IsCoded()
    {
        using var idp = new FakeIdentityProvider { DenyDevice = true };
        var ex = await ThrowsAsync(() => new DeviceCodeTokenProvider(Context([]), new OAuthOptions { Issuer = idp.Issuer }).GetTokenAsync(TestContext.CancellationToken));
        Assert.AreEqual(IdentityCodes.DeviceCodeFailed, ex.Code);
    }

    private static async Task FollowRedirectAsync(Uri authorizeUrl, bool tamperState)
    {
        var q = HttpUtility.ParseQueryString(authorizeUrl.Query);
        Assert.AreEqual("S256", q["code_challenge_method"]);
        Assert.AreEqual("sigstore", q["client_id"]);
        using var client = new HttpClient();
        // The fake IdP records the challenge when the "user" visits the authorize URL.
        await client.GetAsync(authorizeUrl);
        var state = tamperState ? "attacker-state" : q["state"];
        await client.GetAsync($"{q["redirect_uri"]}?code=the-code&state={Uri.EscapeDataString(state!)}");
    }

    private sealed class FakeRunner(int exitCode, string stdout, string stderr = "") : IProcessRunner
    {
        public string? LastCommand { get; private set; }

        public Task<ProcessRunResult> RunAsync(string fileName, IReadOnlyList<string> arguments, CancellationToken cancellationToken)
        {
            LastCommand = fileName + " " + string.Join(' ', arguments);
            return Task.FromResult(new ProcessRunResult(exitCode, stdout, stderr));
        }
    }

    private sealed class FakeBrowser(Func<Uri, Task> onOpen) : IBrowserLauncher
    {
        public Task OpenAsync(Uri url, CancellationToken cancellationToken)
        {
            _ = Task.Run(() => onOpen(url), cancellationToken);
            return Task.CompletedTask;
        }
    }

    /// <summary>A minimal OIDC provider: discovery, authorize (records the PKCE challenge), token and device endpoints.</summary>
    private sealed class FakeIdentityProvider : IDisposable
    {
        private readonly TestHttpServer _server;
        private string? _challenge;

        public FakeIdentityProvider()
        {
            _server = new TestHttpServer(HandleAsync);
        }

        public string Issuer => _server.BaseUrl.AbsoluteUri.TrimEnd('/');

        public bool PkceVerified { get; private set; }

        public string RedirectUri { get; private set; } = string.Empty;

        public int TokenRequests;

        public int PendingPolls { get; set; }

        public bool DenyDevice { get; set; }

        public void Dispose() => _server.Dispose();

        private async Task HandleAsync(HttpListenerContext ctx)
        {
            var path = ctx.Request.Url!.AbsolutePath;
            if (path == "/.well-known/openid-configuration")
            {
                var doc = new JsonObject
                {
                    ["issuer"] = Issuer,
                    ["authorization_endpoint"] = Issuer + "/authorize",
                    ["token_endpoint"] = Issuer + "/token",
                    ["device_authorization_endpoint"] = Issuer + "/device",
                };
                await TestHttpServer.RespondAsync(ctx, 200, Encoding.UTF8.GetBytes(doc.ToJsonString()));
            }
            else if (path == "/authorize")
            {
                var q = HttpUtility.ParseQueryString(ctx.Request.Url.Query);
                _challenge = q["code_challenge"];
                RedirectUri = q["redirect_uri"]!;
                await TestHttpServer.RespondAsync(ctx, 200, "login page"u8.ToArray(), "text/plain");
            }
            else if (path == "/device")
            {
                await TestHttpServer.RespondAsync(ctx, 200, Encoding.UTF8.GetBytes(new JsonObject
                {
                    ["device_code"] = "dev-code",
                    ["user_code"] = "WDJB-MJHT",
                    ["verification_uri"] = Issuer + "/activate",
                    ["interval"] = 0,
                    ["expires_in"] = 60,
                }.ToJsonString()));
            }
            else if (path == "/token")
            {
                Interlocked.Increment(ref TokenRequests);
                var form = HttpUtility.ParseQueryString(Encoding.UTF8.GetString(await TestHttpServer.ReadBodyAsync(ctx.Request)));
                if (form["grant_type"] == "authorization_code")
                {
                    PkceVerified = _challenge is not null && Pkce.ChallengeFor(form["code_verifier"]!) == _challenge && form["redirect_uri"] == RedirectUri;
                    if (!PkceVerified)
                    {
                        await TestHttpServer.RespondAsync(ctx, 400, "{\"error\":\"invalid_grant\"}"u8.ToArray());
                        return;
                    }
                }
                else if (DenyDevice)
                {
                    await TestHttpServer.RespondAsync(ctx, 400, "{\"error\":\"access_denied\"}"u8.ToArray());
                    return;
                }
                else if (PendingPolls-- > 0)
                {
                    await TestHttpServer.RespondAsync(ctx, 400, "{\"error\":\"authorization_pending\"}"u8.ToArray());
                    return;
                }

                await TestHttpServer.RespondAsync(ctx, 200, Encoding.UTF8.GetBytes(new JsonObject { ["id_token"] = TestSigstore.Http.MakeToken(), ["token_type"] = "Bearer" }.ToJsonString()));
            }
            else
            {
                await TestHttpServer.RespondAsync(ctx, 404);
            }
        }
    }
}

[TestClass]
public sealed class ServiceSelectorTests
{
    private static ServiceDocument Svc(string url, int version, int startDaysAgo = 1, int? endDaysAgo = null) => new()
    {
        Url = url,
        MajorApiVersion = version,
        ValidFor = new TimeRangeDocument { Start = DateTimeOffset.UtcNow.AddDays(-startDaysAgo), End = endDaysAgo is { } e ? DateTimeOffset.UtcNow.AddDays(-e) : null },
    };

    private static SigningConfigDocument Config(List<ServiceDocument> rekor, ServiceConfigurationDocument? rekorConfig = null, List<ServiceDocument>? tsa = null) => new()
    {
        MediaType = SigningConfigDocument.MediaTypeV02,
        CaUrls = [Svc("https://old-fulcio.example", 1, 10, 5), Svc("https://fulcio.example", 1)],
        RekorTlogUrls = rekor,
        TsaUrls = tsa ?? [Svc("https://tsa.example/api/v1/timestamp", 1)],
        RekorTlogConfig = rekorConfig,
    };

    [TestMethod]
    public void SkipsExpiredServices_AndPrefersHighestVersion()
    {
        var selected = SigstoreBuild.Signing.ServiceSelector.Select(Config([Svc("https://rekor.example", 1), Svc("https://rekor2.example", 2), Svc("https://future.example", 3)]), DateTimeOffset.UtcNow);
        Assert.AreEqual("https://fulcio.example/", selected.CertificateAuthority!.AbsoluteUri);
        Assert.AreEqual(2, selected.TransparencyLogs.Single().MajorApiVersion);
    }

    [TestMethod]
    public void AllAndExactSelectors()
    {
        var logs = new List<ServiceDocument> { Svc("https://a.example", 1), Svc("https://b.example", 1), Svc("https://c.example", 1) };
        Assert.AreEqual(3, SigstoreBuild.Signing.ServiceSelector.Select(Config(logs, new() { Selector = "ALL" }), DateTimeOffset.UtcNow).TransparencyLogs.Count);
        Assert.AreEqual(2, SigstoreBuild.Signing.ServiceSelector.Select(Config(logs, new() { Selector = "EXACT", Count = 2 }), DateTimeOffset.UtcNow).TransparencyLogs.Count);
        var ex = Assert.ThrowsExactly<SigstoreException>(() => SigstoreBuild.Signing.ServiceSelector.Select(Config(logs, new() { Selector = "EXACT", Count = 4 }), DateTimeOffset.UtcNow));
        Assert.AreEqual(SigningCodes.NoService, ex.Code);
    }

    [TestMethod]
    public void NoValidLog_IsCoded()
    {
        var ex = Assert.ThrowsExactly<SigstoreException>(() => SigstoreBuild.Signing.ServiceSelector.Select(Config([Svc("https://a.example", 1, 10, 5)]), DateTimeOffset.UtcNow));
        Assert.AreEqual(SigningCodes.NoService, ex.Code);
    }

    [TestMethod]
    public void SigningConfig_InProto3Json_ServicesWithoutValidForOrStart_DefaultsRead()
    {
        // The local instance's signing_config.json, rewritten as other writers may: no validFor (or no start), uint32s as
        // strings, an explicit default selector. protobuf-specs leaves validFor optional; sigstore-go reads it so.
        var json = SigstoreBuild.LocalStack.Trust.TrustDocuments.SigningConfig("https://sigstore.example", DateTimeOffset.UtcNow.AddDays(-1), 1);
        json["caUrls"]![0]!.AsObject().Remove("validFor");
        json["rekorTlogUrls"]![0]!["validFor"] = new JsonObject { ["end"] = SigstoreBuild.LocalStack.Trust.TrustDocuments.Timestamp(DateTimeOffset.UtcNow.AddDays(1)) };
        json["rekorTlogUrls"]![0]!["majorApiVersion"] = "1";
        json["tsaUrls"]![0]!["validFor"] = null;
        json["rekorTlogConfig"] = new JsonObject { ["selector"] = "SERVICE_SELECTOR_UNDEFINED", ["count"] = null };
        var config = TrustDocumentSerializer.ParseSigningConfig(Encoding.UTF8.GetBytes(json.ToJsonString()));

        var selected = SigstoreBuild.Signing.ServiceSelector.Select(config, DateTimeOffset.UtcNow);
        Assert.AreEqual("https://sigstore.example/", selected.CertificateAuthority!.AbsoluteUri);
        Assert.AreEqual(1, selected.TransparencyLogs.Single().MajorApiVersion);
        Assert.HasCount(1, selected.TimestampAuthorities);

        // An end still applies.
        json["rekorTlogUrls"]![0]!["validFor"] = new JsonObject { ["end"] = SigstoreBuild.LocalStack.Trust.TrustDocuments.Timestamp(DateTimeOffset.UtcNow.AddDays(-1)) };
        var ended = TrustDocumentSerializer.ParseSigningConfig(Encoding.UTF8.GetBytes(json.ToJsonString()));
        Assert.AreEqual(SigningCodes.NoService, Assert.ThrowsExactly<SigstoreException>(() => SigstoreBuild.Signing.ServiceSelector.Select(ended, DateTimeOffset.UtcNow)).Code);
    }
}
