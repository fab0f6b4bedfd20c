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
/// trusts the tenant's HTTPS certificate through SSL_CERT_FILE, set for this build only.
/// </summary>
[TestClass]
public sealed class EntraSigningTests
{
    private const string Tenant = "fabrikam";
    private const string ClientId = "package-signer";
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
        using var key = RSA.Create(2048);
        using var certificate = new CertificateRequest("CN=" + ClientId, key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)
            .CreateSelfSigned(DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddDays(1));
        entra.RegisterCertificate(Tenant, ClientId, certificate);
        var password = Convert.ToHexString(RandomNumberGenerator.GetBytes(12));
        var pfx = Path.Combine(project, "signer.pfx");
        File.WriteAllBytes(pfx, certificate.Export(X509ContentType.Pkcs12, password));
        var trusted = Path.Combine(project, "local-https.pem");
        File.WriteAllText(trusted, s_sigstore.HttpsCertificate!.ExportCertificatePem() + "\n");

        var result = DotNet.Run(project, new Dictionary<string, string> { ["SSL_CERT_FILE"] = trusted, ["E2E_ENTRA_PFX_PASSWORD"] = password }, DotNet.BuildArguments("pack",
            "-o", "out", "-p:SigstoreRequireSigning=true",
            $"-p:SigstoreTrustedRootPath={s_sigstore.TrustedRootPath}", $"-p:SigstoreSigningConfigPath={s_sigstore.SigningConfigPath}",
            "-p:SigstoreOidcProvider=msal", $"-p:SigstoreEntraAuthority={entra.Authority(Tenant)}", $"-p:SigstoreEntraClientId={ClientId}",
            "-p:SigstoreEntraFlow=client-certificate", "-p:SigstoreEntraScope=sigstore/.default", $"-p:SigstoreEntraCertificatePath={pfx}",
            "-p:SigstoreEntraCertificatePasswordVariable=E2E_ENTRA_PFX_PASSWORD"));

        Assert.IsTrue(result.Succeeded, result.ToString());
        var subject = entra.ApplicationSubject(Tenant, ClientId);
        Assert.Contains("Sigstore: signed Contoso.Greetings.1.0.0.nupkg as " + subject, result.Output);
        Assert.DoesNotContain(password, result.Output, "the certificate's password is never logged");
        var verifier = new PackageVerifier(new SigstoreAttestationVerifier(new SigstoreVerifier(TrustedRoot.Load(s_sigstore.TrustedRootPath), VerifierOptions.PublicGood),
            CertificateIdentity.Exact(subject, entra.IssuerOf(Tenant))));
        var verified = verifier.VerifyEmbedded(Path.Combine(project, "out", "Contoso.Greetings.1.0.0.nupkg"));
        Assert.AreEqual("pkg:nuget/Contoso.Greetings@1.0.0", verified.MatchedSubject.Name);
    }
}
