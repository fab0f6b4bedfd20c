using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Signers;
using Org.BouncyCastle.Security;
using SigstoreBuild.LocalStack.Faults;
using SigstoreBuild.LocalStack.Pki;
using SigstoreBuild.LocalStack.Transparency;

namespace SigstoreBuild.LocalStack.Tests;

[TestClass]
public sealed class RekorTests
{
    [TestMethod]
    public async Task RekorV1EntryHasValidSetInclusionProofAndCheckpoint()
    {
        await using var instance = await Instance.StartAsync();
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var certificate = await instance.IssueCertificateAsync(key);
        var v1 = instance.Sigstore.Services.RekorV1;

        // A few entries first so the proof has hashes.
        for (var i = 0; i < 4; i++)
        {
            var filler = await instance.Http.PostAsJsonAsync("api/v1/log/entries", Instance.HashedRekordV1(certificate, key, Encoding.UTF8.GetBytes($"filler {i}")));
            Assert.AreEqual(HttpStatusCode.Created, filler.StatusCode, await filler.Content.ReadAsStringAsync());
        }

        var response = await instance.Http.PostAsJsonAsync("api/v1/log/entries", Instance.HashedRekordV1(certificate, key, "artifact"u8.ToArray()));
        Assert.AreEqual(HttpStatusCode.Created, response.StatusCode, await response.Content.ReadAsStringAsync());
        var (uuid, entry) = Single(JsonNode.Parse(await response.Content.ReadAsStringAsync())!);
        Assert.HasCount(80, uuid.ToCharArray());

        var body = Convert.FromBase64String(entry["body"]!.GetValue<string>());
        var bodyJson = JsonNode.Parse(body)!;
        Assert.AreEqual("hashedrekord", bodyJson["kind"]!.GetValue<string>());
        Assert.AreEqual(Encoding.UTF8.GetString(body), RekorCanonicalJson.SerializeToString(bodyJson), "body is canonical JSON");
        Assert.AreEqual(4L, entry["logIndex"]!.GetValue<long>());
        Assert.AreEqual(Convert.ToHexStringLower(SHA256.HashData(v1.Key.ExportSubjectPublicKeyInfo())), entry["logID"]!.GetValue<string>());

        // SET over the canonical {body, integratedTime, logID, logIndex}.
        var setPayload = Encoding.UTF8.GetBytes(
            $"{{\"body\":\"{entry["body"]}\",\"integratedTime\":{entry["integratedTime"]},\"logID\":\"{entry["logID"]}\",\"logIndex\":{entry["logIndex"]}}}");
        var set = Convert.FromBase64String(entry["verification"]!["signedEntryTimestamp"]!.GetValue<string>());
        Assert.IsTrue(v1.Key.VerifyData(setPayload, set, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence));

        var proof = entry["verification"]!["inclusionProof"]!;
        var (origin, size, root) = Checks.VerifyCheckpoint(proof["checkpoint"]!.GetValue<string>(),
            (data, sig) => v1.Key.VerifyData(data, sig, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence), v1.LogId);
        Assert.AreEqual($"{new Uri(instance.Sigstore.BaseUrl).Authority} - {v1.TreeId}", origin);
        Assert.AreEqual(proof["treeSize"]!.GetValue<long>(), size);
        CollectionAssert.AreEqual(Convert.FromHexString(proof["rootHash"]!.GetValue<string>()), root);
        var hashes = proof["hashes"]!.AsArray().Select(h => Convert.FromHexString(h!.GetValue<string>())).ToList();
        Assert.IsNotEmpty(hashes);
        Assert.IsTrue(SigstoreBuild.Verification.Tlog.MerkleProof.VerifyInclusion(4, size, MerkleTree.HashLeaf(body), hashes, root));
        hashes[0][0] ^= 1;
        Assert.IsFalse(SigstoreBuild.Verification.Tlog.MerkleProof.VerifyInclusion(4, size, MerkleTree.HashLeaf(body), hashes, root));
    }

    [TestMethod]
    public async Task RekorV1DuplicateIsConflictWithLocationAndRetrievable()
    {
        await using var instance = await Instance.StartAsync();
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var certificate = await instance.IssueCertificateAsync(key);
        var proposed = Instance.HashedRekordV1(certificate, key, "artifact"u8.ToArray());

        var first = await instance.Http.PostAsJsonAsync("api/v1/log/entries", proposed);
        var (uuid, _) = Single(JsonNode.Parse(await first.Content.ReadAsStringAsync())!);
        var second = await instance.Http.PostAsJsonAsync("api/v1/log/entries", proposed);
        Assert.AreEqual(HttpStatusCode.Conflict, second.StatusCode);
        Assert.AreEqual($"/api/v1/log/entries/{uuid}", second.Headers.Location!.ToString());

        var fetched = JsonNode.Parse(await instance.Http.GetStringAsync($"api/v1/log/entries/{uuid}"))!;
        Assert.AreEqual(uuid, Single(fetched).Uuid);
        var byLeafHash = await instance.Http.GetAsync($"api/v1/log/entries/{uuid[16..]}");
        Assert.AreEqual(HttpStatusCode.OK, byLeafHash.StatusCode);
        Assert.AreEqual(HttpStatusCode.NotFound, (await instance.Http.GetAsync($"api/v1/log/entries/{new string('0', 64)}")).StatusCode);

        var retrieved = await instance.Http.PostAsJsonAsync("api/v1/log/entries/retrieve", new JsonObject { ["entries"] = new JsonArray(proposed.DeepClone()) });
        Assert.AreEqual(uuid, Single(JsonNode.Parse(await retrieved.Content.ReadAsStringAsync())!.AsArray()[0]!).Uuid);
        var digest = Convert.ToHexStringLower(SHA256.HashData("artifact"u8.ToArray()));
        var index = await instance.Http.PostAsJsonAsync("api/v1/index/retrieve", new JsonObject { ["hash"] = $"sha256:{digest}" });
        Assert.AreEqual(uuid, JsonNode.Parse(await index.Content.ReadAsStringAsync())!.AsArray().Single()!.GetValue<string>());

        var log = JsonNode.Parse(await instance.Http.GetStringAsync("api/v1/log"))!;
        Assert.AreEqual(1L, log["treeSize"]!.GetValue<long>());
    }

    [TestMethod]
    public async Task RekorV1RejectsSignatureThatDoesNotVerify()
    {
        await using var instance = await Instance.StartAsync();
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var certificate = await instance.IssueCertificateAsync(key);
        var proposed = Instance.HashedRekordV1(certificate, key, "artifact"u8.ToArray());
        proposed["spec"]!["data"]!["hash"]!["value"] = Convert.ToHexStringLower(SHA256.HashData("other"u8.ToArray()));
        var response = await instance.Http.PostAsJsonAsync("api/v1/log/entries", proposed);
        Assert.AreEqual(HttpStatusCode.BadRequest, response.StatusCode);
        StringAssert.Contains(await response.Content.ReadAsStringAsync(), "SSB6201");
        Assert.AreEqual(0L, instance.Sigstore.Services.RekorV1.Log.Size);
    }

    [TestMethod]
    public async Task RekorV1AcceptsDsseAndRejectsSignatureOverRawPayload()
    {
        await using var instance = await Instance.StartAsync();
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var certificate = await instance.IssueCertificateAsync(key);
        var payload = "{\"_type\":\"https://in-toto.io/Statement/v1\"}"u8.ToArray();
        const string type = "application/vnd.in-toto+json";

        JsonObject Proposed(byte[] signed) => new()
        {
            ["apiVersion"] = "0.0.1",
            ["kind"] = "dsse",
            ["spec"] = new JsonObject
            {
                ["proposedContent"] = new JsonObject
                {
                    ["envelope"] = new JsonObject
                    {
                        ["payload"] = Convert.ToBase64String(payload),
                        ["payloadType"] = type,
                        ["signatures"] = new JsonArray(new JsonObject { ["sig"] = Convert.ToBase64String(key.SignData(signed, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence)) }),
                    }.ToJsonString(),
                    ["verifiers"] = new JsonArray(Convert.ToBase64String(Encoding.ASCII.GetBytes(certificate.ExportCertificatePem()))),
                },
            },
        };

        var bad = await instance.Http.PostAsJsonAsync("api/v1/log/entries", Proposed(payload));
        Assert.AreEqual(HttpStatusCode.BadRequest, bad.StatusCode);
        var good = await instance.Http.PostAsJsonAsync("api/v1/log/entries", Proposed(SigstoreBuild.Attestations.DssePae.Encode(type, payload)));
        Assert.AreEqual(HttpStatusCode.Created, good.StatusCode, await good.Content.ReadAsStringAsync());
        var body = JsonNode.Parse(Convert.FromBase64String(Single(JsonNode.Parse(await good.Content.ReadAsStringAsync())!).Entry["body"]!.GetValue<string>()))!;
        Assert.AreEqual("dsse", body["kind"]!.GetValue<string>());
        Assert.AreEqual(Convert.ToHexStringLower(SHA256.HashData(payload)), body["spec"]!["payloadHash"]!["value"]!.GetValue<string>());
    }

    [TestMethod]
    public async Task RekorV2EntryIsTransparencyLogEntryWithEd25519Checkpoint()
    {
        await using var instance = await Instance.StartAsync();
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var certificate = await instance.IssueCertificateAsync(key);
        var v2 = instance.Sigstore.Services.RekorV2;
        for (var i = 0; i < 2; i++)
        {
            await instance.Http.PostAsJsonAsync("api/v2/log/entries", Instance.HashedRekordV2(certificate, key, Encoding.UTF8.GetBytes($"filler {i}")));
        }

        var request = Instance.HashedRekordV2(certificate, key, "artifact"u8.ToArray());
        var response = await instance.Http.PostAsJsonAsync("api/v2/log/entries", request);
        Assert.AreEqual(HttpStatusCode.Created, response.StatusCode, await response.Content.ReadAsStringAsync());
        var entry = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.AreEqual("2", entry["logIndex"]!.GetValue<string>());
        Assert.AreEqual("0", entry["integratedTime"]!.GetValue<string>());
        Assert.IsNull(entry["inclusionPromise"]);
        Assert.AreEqual("0.0.2", entry["kindVersion"]!["version"]!.GetValue<string>());
        var body = Convert.FromBase64String(entry["canonicalizedBody"]!.GetValue<string>());
        var spec = JsonNode.Parse(body)!["spec"]!["hashedRekordV002"]!;
        Assert.AreEqual("SHA2_256", spec["data"]!["algorithm"]!.GetValue<string>());
        Assert.AreEqual(Convert.ToBase64String(certificate.RawData), spec["signature"]!["verifier"]!["x509Certificate"]!["rawBytes"]!.GetValue<string>());

        // C2SP Ed25519 key ID: SHA-256(name || 0x0A || 0x01 || key).
        var publicKey = (Ed25519PublicKeyParameters)PublicKeyFactory.CreateKey(v2.Log.Signer.PublicKeySpki);
        var name = new Uri(instance.Sigstore.BaseUrl).Authority;
        var expectedKeyId = SHA256.HashData([.. Encoding.UTF8.GetBytes(name), 0x0A, 0x01, .. publicKey.GetEncoded()]);
        CollectionAssert.AreEqual(expectedKeyId, Convert.FromBase64String(entry["logId"]!["keyId"]!.GetValue<string>()));

        var proof = entry["inclusionProof"]!;
        var (origin, size, root) = Checks.VerifyCheckpoint(proof["checkpoint"]!["envelope"]!.GetValue<string>(), (data, sig) =>
        {
            var verifier = new Ed25519Signer();
            verifier.Init(false, publicKey);
            verifier.BlockUpdate(data, 0, data.Length);
            return verifier.VerifySignature(sig);
        }, expectedKeyId);
        Assert.AreEqual(name, origin);
        Assert.AreEqual(3L, size);
        var hashes = proof["hashes"]!.AsArray().Select(h => Convert.FromBase64String(h!.GetValue<string>())).ToList();
        Assert.IsTrue(SigstoreBuild.Verification.Tlog.MerkleProof.VerifyInclusion(2, size, MerkleTree.HashLeaf(body), hashes, root));

        // Resubmitting the identical request returns the same entry rather than a second one.
        var again = await instance.Http.PostAsJsonAsync("api/v2/log/entries", request);
        Assert.AreEqual("2", JsonNode.Parse(await again.Content.ReadAsStringAsync())!["logIndex"]!.GetValue<string>());
        Assert.AreEqual(3L, v2.Log.Size);
    }

    [TestMethod]
    public async Task RekorV2WithEcdsaCheckpointKeyUsesSpkiKeyId()
    {
        var directory = Instance.NewDirectory();
        await using (var instance = await Instance.StartAsync(directory, new LocalSigstoreOptions { DataDirectory = directory, RekorV2KeyType = CheckpointKeyType.EcdsaP256 }))
        {
            var signer = instance.Sigstore.Services.RekorV2.Log.Signer;
            CollectionAssert.AreEqual(SHA256.HashData(signer.PublicKeySpki), signer.KeyId);
            Assert.AreEqual("PKIX_ECDSA_P256_SHA_256", signer.KeyDetails);
        }

        Directory.Delete(directory, recursive: true);
    }

    [TestMethod]
    public async Task RekorV2RejectsDsseSignatureThatDoesNotVerify()
    {
        await using var instance = await Instance.StartAsync();
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var certificate = await instance.IssueCertificateAsync(key);
        var payload = "{}"u8.ToArray();
        JsonObject Request(byte[] signed) => new()
        {
            ["dsseRequestV002"] = new JsonObject
            {
                ["envelope"] = new JsonObject
                {
                    ["payload"] = Convert.ToBase64String(payload),
                    ["payloadType"] = "application/vnd.in-toto+json",
                    ["signatures"] = new JsonArray(new JsonObject { ["sig"] = Convert.ToBase64String(key.SignData(signed, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence)), ["keyid"] = "" }),
                },
                ["verifiers"] = new JsonArray(new JsonObject
                {
                    ["x509Certificate"] = new JsonObject { ["rawBytes"] = Convert.ToBase64String(certificate.RawData) },
                    ["keyDetails"] = "PKIX_ECDSA_P256_SHA_256",
                }),
            },
        };
        Assert.AreEqual(HttpStatusCode.BadRequest, (await instance.Http.PostAsJsonAsync("api/v2/log/entries", Request(payload))).StatusCode);
        var good = await instance.Http.PostAsJsonAsync("api/v2/log/entries", Request(SigstoreBuild.Attestations.DssePae.Encode("application/vnd.in-toto+json", payload)));
        Assert.AreEqual(HttpStatusCode.Created, good.StatusCode, await good.Content.ReadAsStringAsync());
        Assert.AreEqual("dsse", JsonNode.Parse(await good.Content.ReadAsStringAsync())!["kindVersion"]!["kind"]!.GetValue<string>());
    }

    [TestMethod]
    public async Task CommitThenDropLeavesEntryLoggedSoRetryGetsConflict()
    {
        await using var instance = await Instance.StartAsync();
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var certificate = await instance.IssueCertificateAsync(key);
        var proposed = Instance.HashedRekordV1(certificate, key, "artifact"u8.ToArray());
        instance.Sigstore.Faults.Enqueue(SigstoreService.RekorV1, FaultKind.CommitThenDrop);

        await Assert.ThrowsAsync<HttpRequestException>(() => instance.Http.PostAsJsonAsync("api/v1/log/entries", proposed));
        Assert.AreEqual(1L, instance.Sigstore.Services.RekorV1.Log.Size);
        var retry = await instance.Http.PostAsJsonAsync("api/v1/log/entries", proposed);
        Assert.AreEqual(HttpStatusCode.Conflict, retry.StatusCode);
    }

    [TestMethod]
    public async Task UnavailableAndRateLimitedCarryRetryAfterAndDoNotCommit()
    {
        await using var instance = await Instance.StartAsync();
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var certificate = await instance.IssueCertificateAsync(key);
        var proposed = Instance.HashedRekordV1(certificate, key, "artifact"u8.ToArray());
        instance.Sigstore.Faults
            .Enqueue(SigstoreService.RekorV1, FaultKind.ServiceUnavailable, retryAfter: TimeSpan.FromSeconds(2))
            .Enqueue(SigstoreService.RekorV1, FaultKind.TooManyRequests, retryAfter: TimeSpan.FromSeconds(1));

        var first = await instance.Http.PostAsJsonAsync("api/v1/log/entries", proposed);
        Assert.AreEqual(HttpStatusCode.ServiceUnavailable, first.StatusCode);
        Assert.AreEqual(TimeSpan.FromSeconds(2), first.Headers.RetryAfter!.Delta);
        StringAssert.Contains(await first.Content.ReadAsStringAsync(), "SSB6501");
        var second = await instance.Http.PostAsJsonAsync("api/v1/log/entries", proposed);
        Assert.AreEqual(HttpStatusCode.TooManyRequests, second.StatusCode);
        Assert.AreEqual(0L, instance.Sigstore.Services.RekorV1.Log.Size);
        Assert.AreEqual(HttpStatusCode.Created, (await instance.Http.PostAsJsonAsync("api/v1/log/entries", proposed)).StatusCode);
        Assert.AreEqual(3, instance.Sigstore.Faults.RequestCount(SigstoreService.RekorV1));
    }

    [TestMethod]
    [DataRow(FaultKind.CorruptInclusionProof)]
    [DataRow(FaultKind.UntrustedCheckpointKey)]
    [DataRow(FaultKind.WrongCheckpointOrigin)]
    [DataRow(FaultKind.CorruptSignedEntryTimestamp)]
    [DataRow(FaultKind.MismatchedBody)]
    public async Task CorruptedRekorV1EntriesFailVerification(FaultKind kind)
    {
        await using var instance = await Instance.StartAsync();
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var certificate = await instance.IssueCertificateAsync(key);
        var v1 = instance.Sigstore.Services.RekorV1;
        instance.Sigstore.Faults.Enqueue(SigstoreService.RekorV1, kind);
        var response = await instance.Http.PostAsJsonAsync("api/v1/log/entries", Instance.HashedRekordV1(certificate, key, "artifact"u8.ToArray()));
        var entry = Single(JsonNode.Parse(await response.Content.ReadAsStringAsync())!).Entry;

        Assert.IsFalse(VerifiesV1(entry, v1, new Uri(instance.Sigstore.BaseUrl).Authority), kind.ToString());
    }

    [TestMethod]
    public async Task GenuineRekorV1EntryPassesTheSameVerification()
    {
        await using var instance = await Instance.StartAsync();
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var certificate = await instance.IssueCertificateAsync(key);
        var response = await instance.Http.PostAsJsonAsync("api/v1/log/entries", Instance.HashedRekordV1(certificate, key, "artifact"u8.ToArray()));
        var entry = Single(JsonNode.Parse(await response.Content.ReadAsStringAsync())!).Entry;
        Assert.IsTrue(VerifiesV1(entry, instance.Sigstore.Services.RekorV1, new Uri(instance.Sigstore.BaseUrl).Authority));
    }

    private static bool VerifiesV1(JsonNode entry, RekorV1Log v1, string expectedName)
    {
        var body = Convert.FromBase64String(entry["body"]!.GetValue<string>());
        var bodySpec = JsonNode.Parse(body)!["spec"]!;
        if (bodySpec["data"]!["hash"]!["value"]!.GetValue<string>() != Convert.ToHexStringLower(SHA256.HashData("artifact"u8.ToArray())))
        {
            return false;
        }

        var set = Convert.FromBase64String(entry["verification"]!["signedEntryTimestamp"]!.GetValue<string>());
        var payload = RekorV1Log.SetPayload(body, entry["integratedTime"]!.GetValue<long>(), v1.LogId, entry["logIndex"]!.GetValue<long>());
        if (!v1.Key.VerifyData(payload, set, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence))
        {
            return false;
        }

        var proof = entry["verification"]!["inclusionProof"]!;
        var checkpoint = proof["checkpoint"]!.GetValue<string>();
        var split = checkpoint.IndexOf("\n\n", StringComparison.Ordinal);
        var note = checkpoint[..(split + 1)];
        var signatureLine = checkpoint[(split + 2)..].TrimEnd('\n').Split(' ');
        var blob = Convert.FromBase64String(signatureLine[2]);
        var lines = note.Split('\n');
        if (signatureLine[1] != expectedName || !lines[0].StartsWith(expectedName + " - ", StringComparison.Ordinal)
            || !blob.AsSpan(0, 4).SequenceEqual(v1.LogId.AsSpan(0, 4))
            || !v1.Key.VerifyData(Encoding.UTF8.GetBytes(note), blob[4..], HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence))
        {
            return false;
        }

        var hashes = proof["hashes"]!.AsArray().Select(h => Convert.FromHexString(h!.GetValue<string>())).ToList();
        return SigstoreBuild.Verification.Tlog.MerkleProof.VerifyInclusion(entry["logIndex"]!.GetValue<long>(), long.Parse(lines[1], System.Globalization.CultureInfo.InvariantCulture),
            MerkleTree.HashLeaf(body), hashes, Convert.FromBase64String(lines[2]));
    }

    private static (string Uuid, JsonNode Entry) Single(JsonNode response)
    {
        var pair = response.AsObject().Single();
        return (pair.Key, pair.Value!);
    }
}
