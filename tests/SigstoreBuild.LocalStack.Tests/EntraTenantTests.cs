using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using SigstoreBuild.LocalStack.Oidc;

namespace SigstoreBuild.LocalStack.Tests;

/// <summary>
/// The local Entra ID tenant's client credentials grant, over its HTTPS listener, checked as RFC 7523 says (the MSAL side
/// is exercised by SigstoreBuild.Cli.Tests EntraIdTests): a client assertion is accepted only when signed by the
/// registered certificate's key, with iss = sub = the client ID, aud = the token endpoint, unexpired, and used once.
/// </summary>
[TestClass]
public sealed class EntraTenantTests
{
    private const string Tenant = "contoso";
    private const string ClientId = "signer";

    [TestMethod]
    public async Task AValidAssertion_GetsATokenTheLocalFulcioAccepts_AndIsSpentOnce()
    {
        await using var tenant = await TenantAsync();
        var assertion = tenant.Assertion();

        var (status, body) = await tenant.RedeemAsync(assertion);
        Assert.AreEqual(HttpStatusCode.OK, status, body.ToJsonString());
        var claims = tenant.Instance.Sigstore.Services.Oidc.Validate(body["access_token"]!.GetValue<string>());
        Assert.AreEqual(tenant.Entra.IssuerOf(Tenant), claims["iss"]!.GetValue<string>());
        Assert.AreEqual(tenant.Entra.ApplicationSubject(Tenant, ClientId), claims["sub"]!.GetValue<string>());

        var (replayed, error) = await tenant.RedeemAsync(assertion);
        Assert.AreEqual(HttpStatusCode.Unauthorized, replayed);
        StringAssert.Contains(error["error_description"]!.GetValue<string>(), "used before");
    }

    [TestMethod]
    [DataRow("aud", "https://127.0.0.1/contoso/oauth2/v2.0/token", "audience", DisplayName = "another audience")]
    [DataRow("iss", "someone-else", "iss and sub", DisplayName = "another issuer")]
    [DataRow("sub", "someone-else", "iss and sub", DisplayName = "another subject")]
    [DataRow("exp", "1000000000", "expired", DisplayName = "expired")]
    public async Task AnAssertionWithAWrongClaim_IsRefused(string claim, string value, string why)
    {
        await using var tenant = await TenantAsync();

        var (status, error) = await tenant.RedeemAsync(tenant.Assertion(claims => claims[claim] = value));

        Assert.AreEqual(HttpStatusCode.Unauthorized, status);
        Assert.AreEqual("invalid_client", error["error"]!.GetValue<string>());
        StringAssert.Contains(error["error_description"]!.GetValue<string>(), why);
    }

    [TestMethod]
    public async Task AnAssertionSignedByAnotherKey_IsRefused()
    {
        await using var tenant = await TenantAsync();
        using var other = RSA.Create(2048);

        var (status, error) = await tenant.RedeemAsync(tenant.Assertion(signer: other));

        Assert.AreEqual(HttpStatusCode.Unauthorized, status);
        StringAssert.Contains(error["error_description"]!.GetValue<string>(), "not signed by the registered certificate");
    }

    [TestMethod]
    public async Task TheTenant_IsServedOnHttpsOnly()
    {
        await using var tenant = await TenantAsync();

        using var plain = await tenant.Instance.Http.PostAsync($"{Tenant}/oauth2/v2.0/token", new FormUrlEncodedContent([new("grant_type", "client_credentials")]));

        Assert.AreEqual(HttpStatusCode.BadRequest, plain.StatusCode);
        StringAssert.Contains(await plain.Content.ReadAsStringAsync(), "invalid_tenant");
    }

    private static async Task<TestTenant> TenantAsync()
    {
        var instance = await Instance.StartAsync(options: new LocalSigstoreOptions { DataDirectory = Instance.NewDirectory(), Https = true });
        var key = RSA.Create(2048);
        using var certificate = new CertificateRequest("CN=" + ClientId, key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)
            .CreateSelfSigned(DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddDays(1));
        instance.Sigstore.Services.Oidc.Entra.RegisterCertificate(Tenant, ClientId, certificate);
        return new TestTenant(instance, key);
    }

    private sealed class TestTenant(Instance instance, RSA key) : IAsyncDisposable
    {
        private readonly HttpClient _https = Pinned(instance.Sigstore.HttpsCertificate!);

        public Instance Instance { get; } = instance;

        public EntraDirectory Entra => Instance.Sigstore.Services.Oidc.Entra;

        /// <summary>A PS256 client assertion as MSAL writes one (nbf and exp as strings), after <paramref name="change"/>.</summary>
        public string Assertion(Action<JsonObject>? change = null, RSA? signer = null)
        {
            var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
            var claims = new JsonObject
            {
                ["aud"] = Entra.TokenEndpointOf(Tenant),
                ["iss"] = ClientId,
                ["sub"] = ClientId,
                ["nbf"] = now.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["exp"] = (now + 600).ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["jti"] = Guid.NewGuid().ToString(),
            };
            change?.Invoke(claims);
            var input = OidcIssuer.Base64Url(Encoding.UTF8.GetBytes("""{"alg":"PS256","typ":"JWT"}""")) + "." + OidcIssuer.Base64Url(Encoding.UTF8.GetBytes(claims.ToJsonString()));
            var signature = (signer ?? key).SignData(Encoding.ASCII.GetBytes(input), HashAlgorithmName.SHA256, RSASignaturePadding.Pss);
            return input + "." + OidcIssuer.Base64Url(signature);
        }

        public async Task<(HttpStatusCode Status, JsonObject Body)> RedeemAsync(string assertion)
        {
            using var response = await _https.PostAsync(Entra.TokenEndpointOf(Tenant), new FormUrlEncodedContent(
            [
                new("grant_type", "client_credentials"),
                new("client_id", ClientId),
                new("scope", "sigstore/.default"),
                new("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"),
                new("client_assertion", assertion),
            ]));
            return (response.StatusCode, JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject());
        }

        public async ValueTask DisposeAsync()
        {
            _https.Dispose();
            key.Dispose();
            var data = Instance.Sigstore.DataDirectory;
            await Instance.DisposeAsync();
            Directory.Delete(data, recursive: true);
        }

        private static HttpClient Pinned(X509Certificate2 certificate) => new(new SocketsHttpHandler
        {
            SslOptions = { RemoteCertificateValidationCallback = (_, presented, _, _) => presented is not null && presented.GetRawCertData().AsSpan().SequenceEqual(certificate.RawData) },
        });
    }
}
