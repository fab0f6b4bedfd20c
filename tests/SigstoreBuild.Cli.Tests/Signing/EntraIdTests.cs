using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;
using SigstoreBuild.Cli.Tests.Infrastructure;
using SigstoreBuild.LocalStack;
using SigstoreBuild.LocalStack.Oidc;

namespace SigstoreBuild.Cli.Tests.Signing;

/// <summary>
/// <c>sign --oidc-provider entra</c> through real MSAL against the local instance's Entra ID tenant (HTTPS on loopback,
/// its certificate pinned by the test's HTTP client): a registered application's certificate, a federated assertion and
/// a person's device-code login each yield a token the local Fulcio certifies, and the bundle verifies with the identity
/// the tenant vouched for. A certificate the tenant does not know is refused, and no token or secret is ever printed.
/// </summary>
[TestClass]
public sealed partial class EntraIdTests
{
    private const string Tenant = "contoso";
    private static LocalSigstore s_sigstore = null!;
    private static HttpClient s_http = null!;
    private static string s_root = null!;

    public TestContext TestContext { get; set; } = null!;

    private static EntraDirectory Entra => s_sigstore.Services.Oidc.Entra;

    [ClassInitialize]
    public static async Task StartAsync(TestContext context)
    {
        s_root = Directory.CreateTempSubdirectory("ssb-cli-entra-").FullName;
        s_sigstore = await LocalSigstore.StartAsync(new LocalSigstoreOptions { DataDirectory = Path.Combine(s_root, "instance"), Https = true }, context.CancellationToken);
        s_http = PinnedHttps.Trusting(s_sigstore.HttpsCertificate!);
    }

    [ClassCleanup]
    public static async Task StopAsync()
    {
        s_http.Dispose();
        await s_sigstore.DisposeAsync();
        Directory.Delete(s_root, recursive: true);
    }

    [GeneratedRegex(@"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")]
    private static partial Regex CompactJwt();

    [TestMethod]
    public async Task ClientCertificate_FromAPasswordProtectedPfx_SignsAsTheApplication()
    {
        const string clientId = "cert-signer";
        using var certificate = CreateClientCertificate(clientId);
        Entra.RegisterCertificate(Tenant, clientId, certificate);
        var password = Convert.ToHexString(RandomNumberGenerator.GetBytes(12));
        var pfx = Path.Combine(s_root, Guid.NewGuid().ToString("N") + ".pfx");
        File.WriteAllBytes(pfx, certificate.Export(X509ContentType.Pkcs12, password));
        var variable = "SSB_TEST_ENTRA_PFX_PASSWORD_" + Guid.NewGuid().ToString("N");
        Environment.SetEnvironmentVariable(variable, password);
        var file = Artifact();

        var run = await SignAsync(file, "--entra-flow", "client-certificate", "--entra-client-id", clientId, "--entra-scope", "sigstore/.default",
            "--entra-certificate", pfx, "--entra-certificate-password-variable", variable);

        Environment.SetEnvironmentVariable(variable, null);
        Assert.AreEqual(0, run.ExitCode, run.ToString());
        Assert.DoesNotContain(password, run.Output + run.Error, "the certificate's password is never printed");
        await AssertSignedByAsync(file, Entra.ApplicationSubject(Tenant, clientId));
    }

    [TestMethod]
    public async Task Federated_AWorkloadTokenInAFile_SignsAsTheApplication()
    {
        const string clientId = "workload-signer";
        const string workload = "system:serviceaccount:build:signer";
        Entra.RegisterFederation(Tenant, clientId, workload);
        var assertionFile = WriteAssertion(workload);
        var file = Artifact();

        var run = await SignAsync(file, "--entra-flow", "federated", "--entra-client-id", clientId, "--entra-scope", "sigstore/.default", "--entra-assertion-file", assertionFile);

        Assert.AreEqual(0, run.ExitCode, run.ToString());
        await AssertSignedByAsync(file, Entra.ApplicationSubject(Tenant, clientId));
    }

    [TestMethod]
    public async Task DeviceCode_PrintsTheUrlAndCode_AndSignsAsThePersonWhoApproved()
    {
        const string user = "entra-user@contoso.example";
        var file = Artifact();
        var started = s_sigstore.Services.Oidc.Logins.DeviceAuthorizations.Count;
        using var http = new HttpClient();
        var approve = Task.Run(async () =>
        {
            var device = await WaitForDeviceAsync(started);
            var page = await http.GetStringAsync($"{s_sigstore.BaseUrl}/oauth/device?user_code={device.UserCode}&login={Uri.EscapeDataString(user)}", TestContext.CancellationToken);
            StringAssert.Contains(page, "Logged in as " + user);
            return device;
        });

        // The signing application's client ID is the ID token's audience: "sigstore", as the local Fulcio requires.
        var run = await SignAsync(file, "--entra-flow", "device-code", "--entra-client-id", "sigstore");
        var approved = await approve;

        Assert.AreEqual(0, run.ExitCode, run.ToString());
        StringAssert.Contains(run.Error, $"To sign, visit {s_sigstore.BaseUrl}/oauth/device and enter the code {approved.UserCode}.");
        Assert.AreEqual("sigstore", approved.ClientId);
        await AssertSignedByAsync(file, user);
    }

    [TestMethod]
    public async Task ManagedIdentity_AnAppServiceStyleEndpoint_SignsAsTheIdentity()
    {
        const string clientId = "web-app-identity";
        var secret = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
        var endpoint = Entra.RegisterManagedIdentity(Tenant, clientId, secret);
        var file = Artifact();

        // MSAL reads App Service's variables from the process environment; this class runs its tests one at a time.
        Environment.SetEnvironmentVariable("IDENTITY_ENDPOINT", endpoint);
        Environment.SetEnvironmentVariable("IDENTITY_HEADER", secret);
        CliRun run;
        try
        {
            run = await SignAsync(file, "--entra-flow", "managed-identity", "--entra-scope", "sigstore/.default");
        }
        finally
        {
            Environment.SetEnvironmentVariable("IDENTITY_ENDPOINT", null);
            Environment.SetEnvironmentVariable("IDENTITY_HEADER", null);
        }

        Assert.AreEqual(0, run.ExitCode, run.ToString());
        Assert.DoesNotContain(secret, run.Output + run.Error, "the identity header is never printed");
        await AssertSignedByAsync(file, Entra.ApplicationSubject(Tenant, clientId));
    }

    [TestMethod]
    public async Task ClientCertificate_ACertificateTheTenantDoesNotKnow_IsRefused_AndNothingIsSigned()
    {
        const string clientId = "pinned-signer";
        using var registered = CreateClientCertificate(clientId);
        using var other = CreateClientCertificate(clientId);
        Entra.RegisterCertificate(Tenant, clientId, registered);
        var pem = Path.Combine(s_root, Guid.NewGuid().ToString("N") + ".pem");
        File.WriteAllText(pem, other.ExportCertificatePem() + "\n" + other.GetRSAPrivateKey()!.ExportPkcs8PrivateKeyPem() + "\n");
        var file = Artifact();

        var run = await SignAsync(file, "--entra-flow", "client-certificate", "--entra-client-id", clientId, "--entra-scope", "sigstore/.default", "--entra-certificate", pem);

        Assert.AreEqual(1, run.ExitCode, run.ToString());
        StringAssert.Contains(run.Error, "error SSB1012: Microsoft Entra ID login failed (invalid_client).");
        Assert.IsFalse(File.Exists(file + ".sigstore.json"), "nothing signed");
    }

    [TestMethod]
    public async Task NoTokenOrAssertion_IsEverPrinted_EvenWhenFulcioRefusesTheToken()
    {
        const string clientId = "wrong-audience-signer";
        const string workload = "system:serviceaccount:build:other";
        Entra.RegisterFederation(Tenant, clientId, workload);
        var assertionFile = WriteAssertion(workload);
        var sentinel = File.ReadAllText(assertionFile);
        var file = Artifact();

        // A token for another audience: MSAL gets it, the local Fulcio refuses it, the error is reported.
        var run = await SignAsync(file, "--entra-flow", "federated", "--entra-client-id", clientId, "--entra-scope", "not-sigstore/.default", "--entra-assertion-file", assertionFile);

        Assert.AreEqual(1, run.ExitCode, run.ToString());
        StringAssert.Matches(run.Error, new Regex(@"error SSB[12]\d{3}: "));
        Assert.DoesNotContain(sentinel, run.Output + run.Error, "the federated assertion is never printed");
        Assert.DoesNotContain(sentinel.Split('.')[1], run.Output + run.Error, "not even its claims");
        Assert.IsFalse(CompactJwt().IsMatch(run.Output + run.Error), "no token of any kind is printed: " + run);
        Assert.IsFalse(File.Exists(file + ".sigstore.json"), "nothing signed");
    }

    [TestMethod]
    public async Task EntraOptions_WithoutTheEntraProvider_AreAUsageError()
    {
        var run = await CliRunner.RunAsync("sign", Artifact(), "--entra-client-id", "app", "--trusted-root", s_sigstore.TrustedRootPath);

        Assert.AreEqual(SigstoreCommand.UsageError, run.ExitCode, run.ToString());
        StringAssert.Contains(run.Error, "--oidc-provider entra");
    }

    private static async Task<CliRun> SignAsync(string file, params string[] entra)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        string[] args = ["sign", file, "--oidc-provider", "entra", "--entra-authority", Entra.Authority(Tenant), .. entra,
            "--trusted-root", s_sigstore.TrustedRootPath, "--signing-config", s_sigstore.SigningConfigPath];
        var code = await SigstoreCommand.RunAsync(args, output, error, s_http);
        return new CliRun(code, output.ToString(), error.ToString());
    }

    private static async Task AssertSignedByAsync(string file, string identity)
    {
        var verify = await CliRunner.RunAsync("verify-bundle", "--bundle", file + ".sigstore.json", "--certificate-identity", identity,
            "--certificate-oidc-issuer", Entra.IssuerOf(Tenant), "--trusted-root", s_sigstore.TrustedRootPath, file);
        Assert.AreEqual(0, verify.ExitCode, verify.ToString());
    }

    /// <summary>What AKS projects into AZURE_FEDERATED_TOKEN_FILE: the cluster issuer's token for the Entra exchange audience.</summary>
    private static string WriteAssertion(string subject)
    {
        var path = Path.Combine(s_root, Guid.NewGuid().ToString("N") + ".jwt");
        File.WriteAllText(path, s_sigstore.MintToken(new TokenRequest { Subject = subject, Audience = EntraDirectory.FederatedAudience }));
        return path;
    }

    private static X509Certificate2 CreateClientCertificate(string name)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=" + name, key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddDays(1));
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

    private static string Artifact()
    {
        var path = Path.Combine(s_root, Guid.NewGuid().ToString("N") + ".txt");
        File.WriteAllText(path, "signed with an Entra ID identity");
        return path;
    }
}
