using System.Formats.Asn1;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using SigstoreBuild.LocalStack.Faults;
using SigstoreBuild.LocalStack.Oidc;
using SigstoreBuild.LocalStack.Pki;

namespace SigstoreBuild.LocalStack.Tests;

[TestClass]
public sealed class FulcioTests
{
    [TestMethod]
    public async Task IssuesFulcioStyleCertificateWithVerifiableChainAndSct()
    {
        await using var instance = await Instance.StartAsync();
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var (response, chain) = await instance.RequestCertificateAsync(key, instance.Sigstore.MintToken("alice@example.com"), "alice@example.com");

        Assert.AreEqual(HttpStatusCode.Created, response.StatusCode);
        Assert.HasCount(3, chain);
        var leaf = chain[0];
        var ca = instance.Sigstore.Services.Ca;
        Assert.AreEqual(ca.Intermediate.Thumbprint, chain[1].Thumbprint);
        Assert.AreEqual(ca.Root.Thumbprint, chain[2].Thumbprint);
        Assert.IsTrue(Checks.ChainsTo(leaf, chain[1], chain[2]));
        CollectionAssert.AreEqual(key.ExportSubjectPublicKeyInfo(), leaf.PublicKey.ExportSubjectPublicKeyInfo());
        Assert.AreEqual(string.Empty, leaf.Subject);
        Assert.IsLessThanOrEqualTo(TimeSpan.FromMinutes(10), leaf.NotAfter - leaf.NotBefore);

        var keyUsage = leaf.Extensions.OfType<X509KeyUsageExtension>().Single();
        Assert.IsTrue(keyUsage.Critical);
        Assert.AreEqual(X509KeyUsageFlags.DigitalSignature, keyUsage.KeyUsages);
        var eku = leaf.Extensions.OfType<X509EnhancedKeyUsageExtension>().Single();
        Assert.AreEqual(CertificateAuthority.CodeSigningEku, eku.EnhancedKeyUsages.Cast<Oid>().Single().Value);
        var san = leaf.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single();
        Assert.IsTrue(san.Critical);
        CollectionAssert.AreEqual(new[] { "alice@example.com" }, san.EnumerateEmailAddresses().ToArray());

        // 1.8 is a DER UTF8String; the deprecated 1.1 holds the raw issuer string.
        var issuerV2 = leaf.Extensions["1.3.6.1.4.1.57264.1.8"]!;
        Assert.AreEqual(instance.Sigstore.BaseUrl, new AsnReader(issuerV2.RawData, AsnEncodingRules.DER).ReadCharacterString(UniversalTagNumber.UTF8String));
        Assert.AreEqual(instance.Sigstore.BaseUrl, Encoding.UTF8.GetString(leaf.Extensions["1.3.6.1.4.1.57264.1.1"]!.RawData));

        Assert.IsTrue(Checks.SctVerifies(leaf, chain[1], instance.Sigstore.Services.CtLog.Key));
    }

    [TestMethod]
    public async Task SctCheckFailsForAnotherCtKey()
    {
        await using var instance = await Instance.StartAsync();
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var leaf = await instance.IssueCertificateAsync(key);
        using var other = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        Assert.IsFalse(Checks.SctVerifies(leaf, instance.Sigstore.Services.Ca.Intermediate, other));
    }

    [TestMethod]
    public async Task GitHubActionsTokenYieldsWorkflowUriAndExtensions()
    {
        await using var instance = await Instance.StartAsync();
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var token = instance.Sigstore.MintGitHubActionsToken("octo-org/octo-repo");
        var (response, chain) = await instance.RequestCertificateAsync(key, token, "repo:octo-org/octo-repo:ref:refs/heads/main");

        Assert.AreEqual(HttpStatusCode.Created, response.StatusCode, await response.Content.ReadAsStringAsync());
        var leaf = chain[0];
        var san = leaf.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single();
        Assert.AreEqual("https://github.com/octo-org/octo-repo/.github/workflows/release.yml@refs/heads/main", san.EnumerateUris().Single());
        string Ext(int arc) => new AsnReader(leaf.Extensions[$"1.3.6.1.4.1.57264.1.{arc}"]!.RawData, AsnEncodingRules.DER)
            .ReadCharacterString(UniversalTagNumber.UTF8String);
        Assert.AreEqual("https://github.com/octo-org/octo-repo", Ext(12));
        Assert.AreEqual("refs/heads/main", Ext(14));
        Assert.AreEqual("github-hosted", Ext(11));
        Assert.AreEqual("push", Ext(20));
        Assert.AreEqual("https://github.com/octo-org/octo-repo/actions/runs/1000/attempts/1", Ext(21));
        Assert.AreEqual("octo-org/octo-repo", Encoding.UTF8.GetString(leaf.Extensions["1.3.6.1.4.1.57264.1.5"]!.RawData));
    }

    [TestMethod]
    public async Task RejectsProofOfPossessionOverAnotherPrincipal()
    {
        await using var instance = await Instance.StartAsync();
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var (response, _) = await instance.RequestCertificateAsync(key, instance.Sigstore.MintToken("alice@example.com"), "bob@example.com");
        Assert.AreEqual(HttpStatusCode.BadRequest, response.StatusCode);
        StringAssert.Contains(await response.Content.ReadAsStringAsync(), "SSB6102");
    }

    [TestMethod]
    public async Task RejectsProofOfPossessionByAnotherKey()
    {
        await using var instance = await Instance.StartAsync();
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var other = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var proof = other.SignData("alice@example.com"u8.ToArray(), HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        var request = new System.Text.Json.Nodes.JsonObject
        {
            ["credentials"] = new System.Text.Json.Nodes.JsonObject { ["oidcIdentityToken"] = instance.Sigstore.MintToken("alice@example.com") },
            ["publicKeyRequest"] = new System.Text.Json.Nodes.JsonObject
            {
                ["publicKey"] = new System.Text.Json.Nodes.JsonObject { ["algorithm"] = "ECDSA", ["content"] = key.ExportSubjectPublicKeyInfoPem() },
                ["proofOfPossession"] = Convert.ToBase64String(proof),
            },
        };
        var response = await instance.Http.PostAsync("api/v2/signingCert", new StringContent(request.ToJsonString(), Encoding.UTF8, "application/json"));
        Assert.AreEqual(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [TestMethod]
    public async Task AcceptsCertificateSigningRequest()
    {
        await using var instance = await Instance.StartAsync();
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var csr = new CertificateRequest("CN=ignored", key, HashAlgorithmName.SHA256).CreateSigningRequestPem();
        var request = new System.Text.Json.Nodes.JsonObject
        {
            ["credentials"] = new System.Text.Json.Nodes.JsonObject { ["oidcIdentityToken"] = instance.Sigstore.MintToken("carol@example.com") },
            ["certificateSigningRequest"] = Convert.ToBase64String(Encoding.ASCII.GetBytes(csr)),
        };
        var response = await instance.Http.PostAsync("api/v2/signingCert", new StringContent(request.ToJsonString(), Encoding.UTF8, "application/json"));
        Assert.AreEqual(HttpStatusCode.Created, response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    public static IEnumerable<object[]> BadTokens =>
    [
        ["expired"], ["audience"], ["issuer"], ["forged"], ["garbage"],
    ];

    [TestMethod]
    [DynamicData(nameof(BadTokens))]
    public async Task RejectsInvalidIdentityTokens(string kind)
    {
        await using var instance = await Instance.StartAsync();
        var now = DateTimeOffset.UtcNow;
        using var rogue = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var token = kind switch
        {
            "expired" => instance.Sigstore.MintToken(new TokenRequest { Subject = "alice@example.com", IssuedAt = now.AddHours(-2), ExpiresAt = now.AddHours(-1) }),
            "audience" => instance.Sigstore.MintToken(new TokenRequest { Subject = "alice@example.com", Audience = "other" }),
            "issuer" => instance.Sigstore.MintToken(new TokenRequest { Subject = "alice@example.com", Issuer = "https://accounts.example" }),
            "forged" => instance.Sigstore.MintToken(new TokenRequest { Subject = "alice@example.com", SigningKey = rogue }),
            _ => "not.a.token",
        };
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var (response, _) = await instance.RequestCertificateAsync(key, token, "alice@example.com");
        Assert.AreEqual(HttpStatusCode.Unauthorized, response.StatusCode, kind);
        StringAssert.Contains(await response.Content.ReadAsStringAsync(), "SSB6101");
    }

    [TestMethod]
    public async Task RsaTokenFromTokenEndpointIsAccepted()
    {
        await using var instance = await Instance.StartAsync();
        var token = await instance.Http.GetStringAsync("token?sub=dave@example.com&alg=RS256");
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var (response, _) = await instance.RequestCertificateAsync(key, token, "dave@example.com");
        Assert.AreEqual(HttpStatusCode.Created, response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    [TestMethod]
    public async Task TemplateHooksOverrideLeafFields()
    {
        await using var instance = await Instance.StartAsync();
        var ca = instance.Sigstore.Services.Ca;
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var rogue = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        var identity = FulcioIdentity.ForEmail(instance.Sigstore.BaseUrl, "alice@example.com");
        var issued = ca.IssueLeaf(key.ExportSubjectPublicKeyInfo(), identity, t =>
        {
            t.ExtendedKeyUsages.Clear();
            t.ExtendedKeyUsages.Add("1.3.6.1.5.5.7.3.1");
            t.ExtraUriSans.Add("https://evil.example/");
            t.SigningKey = rogue;
            t.EmbedSct = false;
        });
        Assert.AreEqual("1.3.6.1.5.5.7.3.1", issued.Leaf.Extensions.OfType<X509EnhancedKeyUsageExtension>().Single().EnhancedKeyUsages[0].Value);
        Assert.AreEqual("https://evil.example/", issued.Leaf.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single().EnumerateUris().Single());
        Assert.IsNull(issued.Sct);
        Assert.IsFalse(Checks.ChainsTo(issued.Leaf, ca.Intermediate, ca.Root), "signed by a key the chain does not hold");
    }

    [TestMethod]
    public async Task FaultPlanCorruptsCertificates()
    {
        await using var instance = await Instance.StartAsync();
        var faults = instance.Sigstore.Faults;
        faults.Enqueue(SigstoreService.Fulcio, FaultKind.UntrustedCertificateChain)
            .Enqueue(SigstoreService.Fulcio, FaultKind.CorruptSct)
            .Enqueue(SigstoreService.Fulcio, FaultKind.MismatchedIdentity)
            .Enqueue(SigstoreService.Fulcio, FaultKind.MismatchedPublicKey);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var ca = instance.Sigstore.Services.Ca;

        var untrusted = await instance.IssueCertificateAsync(key);
        Assert.IsFalse(Checks.ChainsTo(untrusted, ca.Intermediate, ca.Root));
        var badSct = await instance.IssueCertificateAsync(key);
        Assert.IsTrue(Checks.ChainsTo(badSct, ca.Intermediate, ca.Root));
        Assert.IsFalse(Checks.SctVerifies(badSct, ca.Intermediate, instance.Sigstore.Services.CtLog.Key));
        var otherIdentity = await instance.IssueCertificateAsync(key);
        Assert.AreEqual("mallory@attacker.example", otherIdentity.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single().EnumerateEmailAddresses().Single());
        var otherKey = await instance.IssueCertificateAsync(key);
        CollectionAssert.AreNotEqual(key.ExportSubjectPublicKeyInfo(), otherKey.PublicKey.ExportSubjectPublicKeyInfo());

        var good = await instance.IssueCertificateAsync(key);
        Assert.IsTrue(Checks.SctVerifies(good, ca.Intermediate, instance.Sigstore.Services.CtLog.Key));
        Assert.AreEqual(5, faults.RequestCount(SigstoreService.Fulcio));
        Assert.AreEqual(4, faults.InjectedCount(SigstoreService.Fulcio));
    }

    [TestMethod]
    public async Task TrustBundleListsIntermediateAndRoot()
    {
        await using var instance = await Instance.StartAsync();
        var json = System.Text.Json.Nodes.JsonNode.Parse(await instance.Http.GetStringAsync("api/v2/trustBundle"))!;
        var certificates = json["chains"]![0]!["certificates"]!.AsArray();
        Assert.HasCount(2, certificates);
        Assert.AreEqual(instance.Sigstore.Services.Ca.Root.Thumbprint, X509Certificate2.CreateFromPem(certificates[1]!.GetValue<string>()).Thumbprint);
    }
}
