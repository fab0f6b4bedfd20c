using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using SigstoreBuild.EndToEnd.Tests.Infrastructure;
using SigstoreBuild.LocalStack;
using SigstoreBuild.NuGet.Verification;
using SigstoreBuild.Trust;
using SigstoreBuild.Verification;

namespace SigstoreBuild.EndToEnd.Tests;

/// <summary>
/// <c>dotnet pack -p:SigstoreOidcProvider=msal</c>: the packed task loads its private Microsoft.Identity.Client inside
/// MSBuild and logs in to the local instance's Entra ID tenant as an application with a client certificate. The build
/// trusts the tenant's HTTPS certificate through SSL_CERT_FILE, set for this build only. The installed Native AOT
/// <c>sigstore</c> command does the same with <c>--oidc-provider entra</c>: MSAL works trimmed and compiled ahead of time.
/// </summary>
[TestClass]
public sealed class EntraSigningTests
{
    private const string Tenant = "fabrikam";
    private static LocalSigstore s_sigstore = null!;

    public TestContext TestContext { get; set; } = null!;

    [ClassInitialize]
    public static async Task StartSigstore(TestContext context)
    {
        E2E.RequirePackage();
        s_sigstore = await LocalSigstore.StartAsync(new LocalSigstoreOptions { DataDirectory = Path.Combine(E2E.Root, "sigstore-entra"), Https = true }, context.CancellationToken);
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
    public void Pack_WithMsalAndAClientCertificate_SignsAsTheEntraApplication()
    {
        var entra = s_sigstore.Services.Oidc.Entra;
        var project = E2E.CopySample("Library", TestContext.TestName!);
        var (pfx, password, environment) = RegisterSigner(project, "package-signer");

        var result = DotNet.Run(project, environment, DotNet.BuildArguments("pack",
            "-o", "out", "-p:SigstoreRequireSigning=true",
            $"-p:SigstoreTrustedRootPath={s_sigstore.TrustedRootPath}", $"-p:SigstoreSigningConfigPath={s_sigstore.SigningConfigPath}",
            "-p:SigstoreOidcProvider=msal", $"-p:SigstoreEntraAuthority={entra.Authority(Tenant)}", "-p:SigstoreEntraClientId=package-signer",
            "-p:SigstoreEntraFlow=client-certificate", "-p:SigstoreEntraScope=sigstore/.default", $"-p:SigstoreEntraCertificatePath={pfx}",
            "-p:SigstoreEntraCertificatePasswordVariable=E2E_ENTRA_PFX_PASSWORD"));

        Assert.IsTrue(result.Succeeded, result.ToString());
        var subject = entra.ApplicationSubject(Tenant, "package-signer");
        Assert.Contains("Sigstore: signed Contoso.Greetings.1.0.0.nupkg as " + subject, result.Output);
        Assert.DoesNotContain(password, result.Output, "the certificate's password is never logged");
        var verifier = new PackageVerifier(new SigstoreAttestationVerifier(new SigstoreVerifier(TrustedRoot.Load(s_sigstore.TrustedRootPath), VerifierOptions.PublicGood),
            CertificateIdentity.Exact(subject, entra.IssuerOf(Tenant))));
        var verified = verifier.VerifyEmbedded(Path.Combine(project, "out", "Contoso.Greetings.1.0.0.nupkg"));
        Assert.AreEqual("pkg:nuget/Contoso.Greetings@1.0.0", verified.MatchedSubject.Name);
    }

    [TestMethod]
    public async Task Pack_WithMsalDeviceCode_LogsTheCodeAtHighImportance_AndSignsAsThePersonWhoApproved()
    {
        const string user = "builder@fabrikam.example";
        var entra = s_sigstore.Services.Oidc.Entra;
        var project = E2E.CopySample("Library", TestContext.TestName!);
        var trusted = Path.Combine(project, "local-https.pem");
        File.WriteAllText(trusted, s_sigstore.HttpsCertificate!.ExportCertificatePem() + "\n");
        var started = s_sigstore.Services.Oidc.Logins.DeviceAuthorizations.Count;
        using var http = new HttpClient();
        var approve = Task.Run(async () =>
        {
            for (var attempt = 0; attempt < 2400 && s_sigstore.Services.Oidc.Logins.DeviceAuthorizations.Count <= started; attempt++)
            {
                await Task.Delay(100, TestContext.CancellationToken);
            }

            var device = s_sigstore.Services.Oidc.Logins.DeviceAuthorizations[^1];
            await http.GetStringAsync($"{s_sigstore.BaseUrl}/oauth/device?user_code={device.UserCode}&login={Uri.EscapeDataString(user)}", TestContext.CancellationToken);
            return device.UserCode;
        });

        var result = DotNet.Run(project, new Dictionary<string, string> { ["SSL_CERT_FILE"] = trusted }, DotNet.BuildArguments("pack",
            "-o", "out", "-p:SigstoreRequireSigning=true",
            $"-p:SigstoreTrustedRootPath={s_sigstore.TrustedRootPath}", $"-p:SigstoreSigningConfigPath={s_sigstore.SigningConfigPath}",
            "-p:SigstoreOidcProvider=msal", $"-p:SigstoreEntraAuthority={entra.Authority(Tenant)}", "-p:SigstoreEntraClientId=sigstore",
            "-p:SigstoreEntraFlow=device-code"));
        var userCode = await approve;

        Assert.IsTrue(result.Succeeded, result.ToString());
        Assert.Contains($"Sigstore: To sign, visit {s_sigstore.BaseUrl}/oauth/device and enter the code {userCode}.", result.Output, "the prompt shows at the default verbosity");
        Assert.Contains("Sigstore: signed Contoso.Greetings.1.0.0.nupkg as " + user, result.Output);
        var verifier = new PackageVerifier(new SigstoreAttestationVerifier(new SigstoreVerifier(TrustedRoot.Load(s_sigstore.TrustedRootPath), VerifierOptions.PublicGood),
            CertificateIdentity.Exact(user, entra.IssuerOf(Tenant))));
        Assert.AreEqual("pkg:nuget/Contoso.Greetings@1.0.0", verifier.VerifyEmbedded(Path.Combine(project, "out", "Contoso.Greetings.1.0.0.nupkg")).MatchedSubject.Name);
    }

    [TestMethod]
    public void NativeCli_SignsWithAnEntraClientCertificate_AndTheBundleVerifies()
    {
        var command = E2E.InstallCli();
        var entra = s_sigstore.Services.Oidc.Entra;
        var work = Path.Combine(E2E.Root, TestContext.TestName!);
        Directory.CreateDirectory(work);
        var (pfx, password, environment) = RegisterSigner(work, "native-signer");
        var artifact = Path.Combine(work, "artifact.txt");
        File.WriteAllText(artifact, "signed by the Native AOT sigstore command");

        var sign = DotNet.RunProgram(command, work, environment, "sign", artifact, "--oidc-provider", "entra", "--entra-flow", "client-certificate",
            "--entra-authority", entra.Authority(Tenant), "--entra-client-id", "native-signer", "--entra-scope", "sigstore/.default",
            "--entra-certificate", pfx, "--entra-certificate-password-variable", "E2E_ENTRA_PFX_PASSWORD",
            "--trusted-root", s_sigstore.TrustedRootPath, "--signing-config", s_sigstore.SigningConfigPath);

        Assert.IsTrue(sign.Succeeded, sign.ToString());
        Assert.DoesNotContain(password, sign.Output, "the certificate's password is never printed");
        var verify = DotNet.RunProgram(command, work, new Dictionary<string, string>(), "verify-bundle", "--bundle", artifact + ".sigstore.json",
            "--certificate-identity", entra.ApplicationSubject(Tenant, "native-signer"), "--certificate-oidc-issuer", entra.IssuerOf(Tenant),
            "--trusted-root", s_sigstore.TrustedRootPath, artifact);
        Assert.IsTrue(verify.Succeeded, verify.ToString());
    }

    /// <summary>
    /// A certificate registered on <paramref name="clientId"/>, as a PFX whose password is in E2E_ENTRA_PFX_PASSWORD, and
    /// an environment trusting the local HTTPS certificate (SSL_CERT_FILE) for the process under test only.
    /// </summary>
    private static (string Pfx, string Password, Dictionary<string, string> Environment) RegisterSigner(string directory, string clientId)
    {
        using var key = RSA.Create(2048);
        using var certificate = new CertificateRequest("CN=" + clientId, key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)
            .CreateSelfSigned(DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddDays(1));
        s_sigstore.Services.Oidc.Entra.RegisterCertificate(Tenant, clientId, certificate);
        var password = Convert.ToHexString(RandomNumberGenerator.GetBytes(12));
        var pfx = Path.Combine(directory, clientId + ".pfx");
        File.WriteAllBytes(pfx, certificate.Export(X509ContentType.Pkcs12, password));
        var trusted = Path.Combine(directory, "local-https.pem");
        File.WriteAllText(trusted, s_sigstore.HttpsCertificate!.ExportCertificatePem() + "\n");
        return (pfx, password, new Dictionary<string, string> { ["SSL_CERT_FILE"] = trusted, ["E2E_ENTRA_PFX_PASSWORD"] = password });
    }
}
