using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using SigstoreBuild.Cli.Tests.Infrastructure;
using SigstoreBuild.LocalStack;
using SigstoreBuild.LocalStack.Oidc;

namespace SigstoreBuild.Cli.Tests.Signing;

/// <summary>
/// The logins a person takes part in, against the local instance's real OAuth endpoints: the device-code login prints
/// its URL and code (and the "user" approving it over HTTP gets the certificate), the browser login says which URL to
/// open when no browser opens, and the issuer comes from the signing config unless --oidc-issuer names one.
/// </summary>
[TestClass]
public sealed partial class LoginTests
{
    private static LocalSigstore s_sigstore = null!;
    private static string s_root = null!;

    public TestContext TestContext { get; set; } = null!;

    [ClassInitialize]
    public static async Task StartAsync(TestContext context)
    {
        s_root = Directory.CreateTempSubdirectory("ssb-cli-login-").FullName;
        s_sigstore = await LocalSigstore.StartAsync(Path.Combine(s_root, "instance"), 0, context.CancellationToken);
    }

    [ClassCleanup]
    public static async Task StopAsync()
    {
        await s_sigstore.DisposeAsync();
        Directory.Delete(s_root, recursive: true);
    }

    [GeneratedRegex(@"visit (?<url>\S+) and enter the code (?<code>[A-Z]{4}-[A-Z]{4})\.")]
    private static partial Regex DevicePrompt();

    [GeneratedRegex(@"If it does not open, visit: (?<url>\S+)")]
    private static partial Regex BrowserPrompt();

    [TestMethod]
    public async Task DeviceCode_PrintsTheUrlAndCode_TheIssuerComesFromTheSigningConfig_AndTheApprovingUserSigns()
    {
        const string user = "device-user@example.com";
        var file = Artifact();
        var started = s_sigstore.Services.Oidc.Logins.DeviceAuthorizations.Count;

        // The user: waits for the login to start, then opens the verification URL and logs in.
        using var http = new HttpClient();
        var approve = Task.Run(async () =>
        {
            var device = await WaitForDeviceAsync(started);
            var page = await http.GetStringAsync($"{s_sigstore.BaseUrl}/oauth/device?user_code={device.UserCode}&login={Uri.EscapeDataString(user)}", TestContext.CancellationToken);
            StringAssert.Contains(page, "Logged in as " + user);
            return device;
        });

        var run = await CliRunner.RunAsync("sign", file, "--oidc-provider", "device", "--trusted-root", s_sigstore.TrustedRootPath, "--signing-config", s_sigstore.SigningConfigPath);
        var approved = await approve;

        Assert.AreEqual(0, run.ExitCode, run.ToString());
        var prompt = DevicePrompt().Match(run.Error);
        Assert.IsTrue(prompt.Success, "the device code and URL are printed: " + run.Error);
        Assert.AreEqual(approved.UserCode, prompt.Groups["code"].Value);
        StringAssert.StartsWith(prompt.Groups["url"].Value, s_sigstore.BaseUrl + "/oauth/device", "the signing config's issuer, with no --oidc-issuer");
        Assert.AreEqual("sigstore", approved.ClientId);
        AssertNoToken(run.Output + run.Error);
        await AssertSignedByAsync(file, user);
    }

    [TestMethod]
    public async Task Browser_WithoutABrowser_SaysWhichUrlToOpen_AndOpeningItCompletesTheLogin()
    {
        const string user = "browser-user@example.com";
        var file = Artifact();
        using var http = new HttpClient();
        Task<string>? opened = null;
        var error = new LineWatcher(line =>
        {
            // The user opens the printed URL and logs in; the issuer redirects back to the command's loopback listener.
            if (BrowserPrompt().Match(line) is { Success: true } match)
            {
                opened = http.GetStringAsync(match.Groups["url"].Value + "&login=" + Uri.EscapeDataString(user), TestContext.CancellationToken);
            }
        });

        var code = await SigstoreCommand.RunAsync(
            ["sign", file, "--oidc-provider", "interactive", "--oidc-issuer", s_sigstore.BaseUrl, "--trusted-root", s_sigstore.TrustedRootPath, "--signing-config", s_sigstore.SigningConfigPath],
            TextWriter.Null, error);

        Assert.AreEqual(0, code, error.ToString());
        Assert.IsNotNull(opened, "the URL to open is printed: " + error);
        StringAssert.Contains(await opened, "You can close this window", "the command's listener answered the redirect");
        StringAssert.Contains(error.ToString(), $"visit: {s_sigstore.BaseUrl}/oauth/authorize?response_type=code&client_id=sigstore");
        AssertNoToken(error.ToString());
        await AssertSignedByAsync(file, user);
    }

    [TestMethod]
    public async Task OidcClientId_IsTheClientTheIssuerSees_AndFulcioRefusesATokenForAnotherAudience()
    {
        var file = Artifact();
        var started = s_sigstore.Services.Oidc.Logins.DeviceAuthorizations.Count;
        using var http = new HttpClient();
        var approve = Task.Run(async () =>
        {
            // Fulcio's 401 makes the signer ask for a fresh token once: the user logs in twice, then it gives up.
            DeviceAuthorization? first = null;
            for (var login = 0; login < 2; login++)
            {
                var device = await WaitForDeviceAsync(started + login);
                first ??= device;
                await http.GetStringAsync($"{s_sigstore.BaseUrl}/oauth/device?user_code={device.UserCode}&login=someone%40example.com", TestContext.CancellationToken);
            }

            return first!;
        });

        var run = await CliRunner.RunAsync("sign", file, "--oidc-provider", "device", "--oidc-issuer", s_sigstore.BaseUrl, "--oidc-client-id", "private-signer",
            "--trusted-root", s_sigstore.TrustedRootPath, "--signing-config", s_sigstore.SigningConfigPath);

        Assert.AreEqual("private-signer", (await approve).ClientId);
        Assert.AreNotEqual(0, run.ExitCode, run.ToString());
        StringAssert.Contains(run.Error, "audience", "the local Fulcio accepts the audience 'sigstore' only, as the public one does");
        Assert.IsFalse(File.Exists(file + ".sigstore.json"), "nothing half-written");
    }

    private async Task<DeviceAuthorization> WaitForDeviceAsync(int alreadyStarted)
    {
        for (var attempt = 0; attempt < 600; attempt++)
        {
            var all = s_sigstore.Services.Oidc.Logins.DeviceAuthorizations;
            if (all.Count > alreadyStarted)
            {
                return all[^1];
            }

            await Task.Delay(50, TestContext.CancellationToken);
        }

        throw new AssertFailedException("The command never started a device-code login.");
    }

    private static async Task AssertSignedByAsync(string file, string email)
    {
        var verify = await CliRunner.RunAsync("verify-bundle", "--bundle", file + ".sigstore.json", "--certificate-identity", email,
            "--certificate-oidc-issuer", s_sigstore.BaseUrl, "--trusted-root", s_sigstore.TrustedRootPath, file);
        Assert.AreEqual(0, verify.ExitCode, verify.ToString());
    }

    /// <summary>Every token the local issuer mints starts with the same encoded header; none may be printed.</summary>
    private static void AssertNoToken(string printed)
    {
        var header = OidcIssuer.Base64Url(System.Text.Encoding.UTF8.GetBytes(
            new JsonObject { ["alg"] = "ES256", ["kid"] = s_sigstore.Services.Oidc.EcKeyId, ["typ"] = "JWT" }.ToJsonString()));
        Assert.DoesNotContain(header, printed, "an identity token was printed");
    }

    private static string Artifact()
    {
        var path = Path.Combine(s_root, Guid.NewGuid().ToString("N") + ".txt");
        File.WriteAllText(path, "signed after a login");
        return path;
    }

    /// <summary>Standard error as the user watches it: each line is seen as it is written.</summary>
    private sealed class LineWatcher(Action<string> onLine) : StringWriter
    {
        public override void WriteLine(string? value)
        {
            base.WriteLine(value);
            onLine(value ?? "");
        }
    }
}
