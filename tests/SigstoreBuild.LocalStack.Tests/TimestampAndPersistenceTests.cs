using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Security.Cryptography.Pkcs;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using SigstoreBuild.LocalStack.Faults;
using SigstoreBuild.LocalStack.Transparency;

namespace SigstoreBuild.LocalStack.Tests;

[TestClass]
public sealed class TimestampAndPersistenceTests
{
    [TestMethod]
    public async Task TimestampQueryYieldsTokenThatTheBclVerifies()
    {
        await using var instance = await Instance.StartAsync();
        var tsa = instance.Sigstore.Services.Tsa;
        var data = "signature bytes"u8.ToArray();
        var request = Rfc3161TimestampRequest.CreateFromData(data, HashAlgorithmName.SHA256, nonce: new byte[] { 1, 2, 3, 4 }, requestSignerCertificates: true);
        using var content = new ByteArrayContent(request.Encode());
        content.Headers.ContentType = new MediaTypeHeaderValue("application/timestamp-query");
        var response = await instance.Http.PostAsync("api/v1/timestamp", content);
        Assert.AreEqual(HttpStatusCode.OK, response.StatusCode);
        Assert.AreEqual("application/timestamp-reply", response.Content.Headers.ContentType!.MediaType);

        var token = request.ProcessResponse(await response.Content.ReadAsByteArrayAsync(), out _);
        Assert.IsTrue(token.VerifySignatureForData(data, out var signer));
        Assert.AreEqual(tsa.SigningCertificate.Thumbprint, signer!.Thumbprint);
        Assert.IsFalse(token.VerifySignatureForData("other"u8, out _));
        Assert.IsTrue(Checks.ChainsTo(signer, tsa.Root, tsa.Root, token.TokenInfo.Timestamp.UtcDateTime));
        var eku = signer.Extensions.OfType<X509EnhancedKeyUsageExtension>().Single();
        Assert.IsTrue(eku.Critical);
    }

    [TestMethod]
    public async Task JsonTimestampRequestAsSigstoreClientsSendIt()
    {
        await using var instance = await Instance.StartAsync();
        var digest = SHA256.HashData("sig"u8);
        var response = await instance.Http.PostAsJsonAsync("api/v1/timestamp", new JsonObject
        {
            ["artifactHash"] = Convert.ToBase64String(digest),
            ["hashAlgorithm"] = "sha256",
        });
        Assert.AreEqual(HttpStatusCode.OK, response.StatusCode, await response.Content.ReadAsStringAsync());
        var reply = await response.Content.ReadAsByteArrayAsync();
        var token = ReadToken(reply);
        Assert.IsTrue(token.VerifySignatureForHash(digest, HashAlgorithmName.SHA256, out _, [instance.Sigstore.Services.Tsa.SigningCertificate]));
    }

    [TestMethod]
    public async Task TimestampFaultsAreDetectable()
    {
        await using var instance = await Instance.StartAsync();
        var tsa = instance.Sigstore.Services.Tsa;
        instance.Sigstore.Faults
            .Enqueue(SigstoreService.Tsa, FaultKind.MismatchedImprint)
            .Enqueue(SigstoreService.Tsa, FaultKind.UntrustedTimestampChain)
            .Enqueue(SigstoreService.Tsa, FaultKind.GenTimeOutsideValidity);
        var digest = SHA256.HashData("sig"u8);
        async Task<Rfc3161TimestampToken> Ask()
        {
            var response = await instance.Http.PostAsJsonAsync("api/v1/timestamp", new JsonObject { ["artifactHash"] = Convert.ToBase64String(digest), ["hashAlgorithm"] = "sha256", ["certificates"] = true });
            return ReadToken(await response.Content.ReadAsByteArrayAsync());
        }

        var mismatched = await Ask();
        Assert.IsFalse(mismatched.VerifySignatureForHash(digest, HashAlgorithmName.SHA256, out _, [tsa.SigningCertificate]));
        var untrusted = await Ask();
        Assert.IsTrue(untrusted.VerifySignatureForHash(digest, HashAlgorithmName.SHA256, out var rogue));
        Assert.IsFalse(Checks.ChainsTo(rogue!, tsa.Root, tsa.Root, untrusted.TokenInfo.Timestamp.UtcDateTime));
        var late = await Ask();
        Assert.IsGreaterThan(DateTimeOffset.UtcNow.AddHours(12), late.TokenInfo.Timestamp);
    }

    [TestMethod]
    public async Task RestartKeepsKeysCertificatesAndTree()
    {
        var directory = Instance.NewDirectory();
        string rootThumbprint, rekorKey, tsaThumbprint;
        byte[] ctLogId;
        long treeId;
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        await using (var first = await Instance.StartAsync(directory))
        {
            var certificate = await first.IssueCertificateAsync(key);
            var response = await first.Http.PostAsJsonAsync("api/v1/log/entries", Instance.HashedRekordV1(certificate, key, "one"u8.ToArray()));
            Assert.AreEqual(HttpStatusCode.Created, response.StatusCode);
            await first.Http.PostAsJsonAsync("api/v2/log/entries", Instance.HashedRekordV2(certificate, key, "one"u8.ToArray()));
            var services = first.Sigstore.Services;
            rootThumbprint = services.Ca.Root.Thumbprint;
            rekorKey = Convert.ToBase64String(services.RekorV1.Key.ExportSubjectPublicKeyInfo());
            tsaThumbprint = services.Tsa.SigningCertificate.Thumbprint;
            ctLogId = services.CtLog.LogId;
            treeId = services.RekorV1.TreeId;
        }

        // Keep the directory: the second instance must reopen it.
        var second = await LocalSigstore.StartAsync(directory);
        await using (second)
        {
            var services = second.Services;
            Assert.AreEqual(rootThumbprint, services.Ca.Root.Thumbprint);
            Assert.AreEqual(rekorKey, Convert.ToBase64String(services.RekorV1.Key.ExportSubjectPublicKeyInfo()));
            Assert.AreEqual(tsaThumbprint, services.Tsa.SigningCertificate.Thumbprint);
            CollectionAssert.AreEqual(ctLogId, services.CtLog.LogId);
            Assert.AreEqual(treeId, services.RekorV1.TreeId);
            Assert.AreEqual(1L, services.RekorV1.Log.Size);
            Assert.AreEqual(1L, services.RekorV2.Log.Size);

            using var http = new HttpClient { BaseAddress = new Uri(second.BaseUrl + "/") };
            var token = second.MintToken("alice@example.com");
            var proof = key.SignData("alice@example.com"u8.ToArray(), HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
            var certificateResponse = await http.PostAsJsonAsync("api/v2/signingCert", new JsonObject
            {
                ["credentials"] = new JsonObject { ["oidcIdentityToken"] = token },
                ["publicKeyRequest"] = new JsonObject
                {
                    ["publicKey"] = new JsonObject { ["algorithm"] = "ECDSA", ["content"] = key.ExportSubjectPublicKeyInfoPem() },
                    ["proofOfPossession"] = Convert.ToBase64String(proof),
                },
            });
            var pem = JsonNode.Parse(await certificateResponse.Content.ReadAsStringAsync())!["signedCertificateEmbeddedSct"]!["chain"]!["certificates"]![0]!.GetValue<string>();
            var response = await http.PostAsJsonAsync("api/v1/log/entries", Instance.HashedRekordV1(X509Certificate2.CreateFromPem(pem), key, "two"u8.ToArray()));
            var entry = JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject().Single().Value!;
            Assert.AreEqual(1L, entry["logIndex"]!.GetValue<long>());
            var body = Convert.FromBase64String(entry["body"]!.GetValue<string>());
            var inclusion = entry["verification"]!["inclusionProof"]!;
            Assert.IsTrue(SigstoreBuild.Verification.Tlog.MerkleProof.VerifyInclusion(1, 2, MerkleTree.HashLeaf(body),
                inclusion["hashes"]!.AsArray().Select(h => Convert.FromHexString(h!.GetValue<string>())).ToList(),
                Convert.FromHexString(inclusion["rootHash"]!.GetValue<string>())));
        }

        Directory.Delete(directory, recursive: true);
    }

    [TestMethod]
    public async Task TrustDocumentsDescribeTheInstance()
    {
        await using var instance = await Instance.StartAsync();
        var services = instance.Sigstore.Services;
        var root = JsonNode.Parse(await File.ReadAllTextAsync(instance.Sigstore.TrustedRootPath))!;
        Assert.AreEqual("application/vnd.dev.sigstore.trustedroot+json;version=0.1", root["mediaType"]!.GetValue<string>());
        var tlogs = root["tlogs"]!.AsArray();
        Assert.HasCount(2, tlogs);
        Assert.AreEqual(Convert.ToBase64String(services.RekorV1.LogId), tlogs[0]!["logId"]!["keyId"]!.GetValue<string>());
        Assert.AreEqual("PKIX_ED25519", tlogs[1]!["publicKey"]!["keyDetails"]!.GetValue<string>());
        Assert.AreEqual(Convert.ToBase64String(services.RekorV2.LogId), tlogs[1]!["checkpointKeyId"]!["keyId"]!.GetValue<string>());
        Assert.AreEqual(Convert.ToBase64String(services.CtLog.LogId), root["ctlogs"]![0]!["logId"]!["keyId"]!.GetValue<string>());
        var caChain = root["certificateAuthorities"]![0]!["certChain"]!["certificates"]!.AsArray();
        Assert.AreEqual(Convert.ToBase64String(services.Ca.Root.RawData), caChain[^1]!["rawBytes"]!.GetValue<string>());
        var tsaChain = root["timestampAuthorities"]![0]!["certChain"]!["certificates"]!.AsArray();
        Assert.AreEqual(Convert.ToBase64String(services.Tsa.SigningCertificate.RawData), tsaChain[0]!["rawBytes"]!.GetValue<string>());

        var config = JsonNode.Parse(await File.ReadAllTextAsync(instance.Sigstore.SigningConfigPath))!;
        Assert.AreEqual("application/vnd.dev.sigstore.signingconfig.v0.2+json", config["mediaType"]!.GetValue<string>());
        Assert.AreEqual(instance.Sigstore.BaseUrl, config["caUrls"]![0]!["url"]!.GetValue<string>());
        Assert.AreEqual(1, config["rekorTlogUrls"]![0]!["majorApiVersion"]!.GetValue<int>());
        var v2Config = JsonNode.Parse(await File.ReadAllTextAsync(instance.Sigstore.SigningConfigRekorV2Path))!;
        Assert.AreEqual(2, v2Config["rekorTlogUrls"]![0]!["majorApiVersion"]!.GetValue<int>());
        Assert.AreEqual(instance.Sigstore.BaseUrl + "/api/v1/timestamp", config["tsaUrls"]![0]!["url"]!.GetValue<string>());
    }

    [TestMethod]
    public async Task TokenEndpointFaultsMintInvalidTokens()
    {
        await using var instance = await Instance.StartAsync();
        instance.Sigstore.Faults.Enqueue(SigstoreService.Oidc, FaultKind.ExpiredToken);
        var token = await instance.Http.GetStringAsync("token?sub=alice@example.com");
        var error = Assert.ThrowsExactly<SigstoreBuild.Diagnostics.SigstoreException>(() => instance.Sigstore.Services.Oidc.Validate(token));
        Assert.AreEqual("SSB6101", error.Code);
        var json = JsonNode.Parse(await instance.Http.GetStringAsync("token?sub=alice@example.com&format=json"))!;
        Assert.AreEqual("alice@example.com", instance.Sigstore.Services.Oidc.Validate(json["value"]!.GetValue<string>())["email"]!.GetValue<string>());
    }

    private static Rfc3161TimestampToken ReadToken(byte[] reply)
    {
        // TimeStampResp ::= SEQUENCE { status PKIStatusInfo, timeStampToken ContentInfo OPTIONAL }
        var reader = new System.Formats.Asn1.AsnReader(reply, System.Formats.Asn1.AsnEncodingRules.DER).ReadSequence();
        var status = reader.ReadSequence();
        Assert.AreEqual(0, (int)status.ReadInteger());
        Assert.IsTrue(Rfc3161TimestampToken.TryDecode(reader.ReadEncodedValue(), out var token, out _));
        return token!;
    }
}
