using SigstoreBuild.Diagnostics;
using SigstoreBuild.Identity;
using SigstoreBuild.Tasks.Signing;

namespace SigstoreBuild.NuGet.Tests.Tasks;

/// <summary>SigstoreOidcProvider=msal: the SigstoreEntra* properties reach the identity options, and CI never waits for a person.</summary>
[TestClass]
public sealed class EntraSettingsTests
{
    [TestMethod]
    public void TheProperties_MapOntoTheIdentityOptions_WithFullPaths()
    {
        var settings = EntraSettings.Create(" contoso ", "app", "Client-Certificate", "api://sigstore/.default", "signer.pfx", "SIGNER_PFX_PASSWORD", null);

        var options = settings.Apply(new IdentityOptions { Provider = IdentityProviderKind.EntraId });

        Assert.AreEqual("contoso", options.EntraAuthority);
        Assert.AreEqual("app", options.EntraClientId);
        Assert.AreEqual(EntraIdFlow.ClientCertificate, options.EntraFlow);
        Assert.AreEqual("api://sigstore/.default", options.EntraScope);
        Assert.AreEqual(Path.GetFullPath("signer.pfx"), options.EntraCertificatePath);
        Assert.AreEqual("SIGNER_PFX_PASSWORD", options.EntraCertificatePasswordVariable);
        Assert.IsNull(options.EntraAssertionFile);
    }

    [TestMethod]
    public void AnUnknownFlow_IsAnInvalidSetting()
    {
        var ex = Assert.ThrowsExactly<SigstoreException>(() => EntraSettings.Create(null, null, "password", null, null, null, null));

        Assert.AreEqual(TaskCodes.InvalidSetting, ex.Code);
        StringAssert.Contains(ex.Message, "SigstoreEntraFlow");
    }

    [TestMethod]
    [DataRow("device-code", false)]
    [DataRow("interactive", false)]
    [DataRow("client-certificate", true)]
    [DataRow("federated", true)]
    [DataRow("managed-identity", true)]
    public void InCi_OnlyAnApplicationsLogin_IsAvailable(string flow, bool available)
    {
        var settings = EntraSettings.Create("contoso", "app", flow, null, null, null, null);

        var identity = IdentityAvailability.Detect(new Env("CI", "true"), "msal", settings.IsPersonal);

        Assert.AreEqual(available, identity.Available, identity.Fix);
    }

    private sealed class Env(string name, string value) : ITaskEnvironment
    {
        public string? Get(string variable) => variable == name ? value : null;
    }
}
