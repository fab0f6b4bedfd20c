using SigstoreBuild.Diagnostics;
using SigstoreBuild.Identity;

namespace SigstoreBuild.Tests.Identity;

/// <summary>
/// The Entra ID settings each flow needs, and the Azure workload identity variables that fill them in (the flows
/// themselves run through real MSAL against the local tenant: SigstoreBuild.Cli.Tests EntraIdTests).
/// </summary>
[TestClass]
public sealed class EntraIdOptionsTests
{
    public TestContext TestContext { get; set; } = null!;

    private static EntraIdOptions Resolve(EntraIdOptions options, Dictionary<string, string>? env = null) =>
        options.Resolve(new DictionaryEnvironment(env ?? []));

    [TestMethod]
    public void WorkloadIdentityVariables_FillInTheAuthorityClientIdAndAssertionFile()
    {
        var resolved = Resolve(new EntraIdOptions { Flow = EntraIdFlow.Federated }, new()
        {
            ["AZURE_TENANT_ID"] = "72f988bf-86f1-41af-91ab-2d7cd011db47",
            ["AZURE_CLIENT_ID"] = "11111111-2222-3333-4444-555555555555",
            ["AZURE_AUTHORITY_HOST"] = "https://login.microsoftonline.us/",
            ["AZURE_FEDERATED_TOKEN_FILE"] = "/var/run/secrets/azure/tokens/azure-identity-token",
        });

        Assert.AreEqual("https://login.microsoftonline.us/72f988bf-86f1-41af-91ab-2d7cd011db47", resolved.Authority);
        Assert.AreEqual("11111111-2222-3333-4444-555555555555", resolved.ClientId);
        Assert.AreEqual("/var/run/secrets/azure/tokens/azure-identity-token", resolved.AssertionFile);
    }

    [TestMethod]
    public void ExplicitSettings_WinOverTheEnvironment_AndABareTenantMeansThePublicCloud()
    {
        var resolved = Resolve(new EntraIdOptions { Flow = EntraIdFlow.DeviceCode, Authority = "contoso.onmicrosoft.com", ClientId = "app" },
            new() { ["AZURE_TENANT_ID"] = "other", ["AZURE_CLIENT_ID"] = "other-app" });

        Assert.AreEqual("https://login.microsoftonline.com/contoso.onmicrosoft.com", resolved.Authority);
        Assert.AreEqual("app", resolved.ClientId);
        Assert.IsNull(resolved.AssertionFile, "only the federated flow reads AZURE_FEDERATED_TOKEN_FILE");
    }

    [TestMethod]
    [DataRow(EntraIdFlow.DeviceCode, null, "app", "authority", DisplayName = "no authority")]
    [DataRow(EntraIdFlow.ClientCertificate, "contoso", null, "client ID", DisplayName = "no client ID")]
    [DataRow(EntraIdFlow.ClientCertificate, "contoso", "app", "PFX or PEM", DisplayName = "client certificate without a certificate")]
    [DataRow(EntraIdFlow.Federated, "contoso", "app", "AZURE_FEDERATED_TOKEN_FILE", DisplayName = "federated without an assertion file")]
    [DataRow(EntraIdFlow.ManagedIdentity, null, null, "scope", DisplayName = "managed identity without a scope")]
    public void WhatAFlowNeeds_IsMissing_SSB1014SaysWhat(EntraIdFlow flow, string? authority, string? clientId, string named)
    {
        var ex = Assert.ThrowsExactly<SigstoreException>(() => Resolve(new EntraIdOptions { Flow = flow, Authority = authority, ClientId = clientId }));

        Assert.AreEqual(IdentityCodes.EntraConfigInvalid, ex.Code);
        StringAssert.Contains(ex.Message, named);
    }

    [TestMethod]
    [DataRow("http://login.example/contoso", DisplayName = "plain HTTP")]
    [DataRow("https://login.microsoftonline.com/", DisplayName = "no tenant")]
    public void AnAuthorityThatIsNotHttpsWithATenant_IsRefused(string authority)
    {
        var ex = Assert.ThrowsExactly<SigstoreException>(() => Resolve(new EntraIdOptions { Flow = EntraIdFlow.DeviceCode, Authority = authority, ClientId = "app" }));

        Assert.AreEqual(IdentityCodes.InsecureIssuer, ex.Code);
    }

    [TestMethod]
    public async Task AnUnreadableCertificate_OrAMissingPasswordVariable_IsSSB1015_BeforeAnyRequest()
    {
        var dir = Directory.CreateTempSubdirectory("ssb-entra-").FullName;
        try
        {
            var notACertificate = Path.Combine(dir, "signer.pfx");
            await File.WriteAllTextAsync(notACertificate, "not a certificate", TestContext.CancellationToken);
            var options = new IdentityOptions
            {
                Provider = IdentityProviderKind.EntraId,
                EntraFlow = EntraIdFlow.ClientCertificate,
                EntraAuthority = "https://login.invalid/contoso",
                EntraClientId = "app",
                EntraCertificatePath = notACertificate,
            };

            var unreadable = await Assert.ThrowsExactlyAsync<SigstoreException>(() =>
                IdentityTokenProviders.Create(options, new IdentityContext { Environment = new DictionaryEnvironment(new Dictionary<string, string>()) }).GetTokenAsync(TestContext.CancellationToken));
            Assert.AreEqual(IdentityCodes.EntraCredentialUnreadable, unreadable.Code);

            var noPassword = await Assert.ThrowsExactlyAsync<SigstoreException>(() =>
                IdentityTokenProviders.Create(options with { EntraCertificatePasswordVariable = "SIGNER_PFX_PASSWORD" }, new IdentityContext { Environment = new DictionaryEnvironment(new Dictionary<string, string>()) })
                    .GetTokenAsync(TestContext.CancellationToken));
            Assert.AreEqual(IdentityCodes.EntraCredentialUnreadable, noPassword.Code);
            StringAssert.Contains(noPassword.Message, "SIGNER_PFX_PASSWORD");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
