using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using SigstoreBuild.Monitoring;

namespace SigstoreBuild.Core.Tests.Monitoring;

/// <summary>
/// The monitor reads every entry kind that can name a certificate, by kind and version: Rekor v1 hashedrekord 0.0.1,
/// dsse 0.0.1 and intoto 0.0.2 (which shares its version number with the v2 kinds), and Rekor v2 hashedrekord and dsse
/// 0.0.2; and every signature of an envelope, not only the first.
/// </summary>
[TestClass]
public sealed class EntryCertificateTests
{
    private static readonly byte[] First = Certificate("first");
    private static readonly byte[] Second = Certificate("second");
    private static readonly string Hex = new('a', 64);

    [TestMethod]
    public void V1IntotoEntries_AreRead_ThoughTheirVersionIsTheV2Kinds()
    {
        var body = Body("intoto", "0.0.2", new JsonObject
        {
            ["content"] = new JsonObject
            {
                ["envelope"] = new JsonObject { ["signatures"] = new JsonArray(Sig("publicKey", Pem(First)), Sig("publicKey", Pem(Second))) },
                ["payloadHash"] = new JsonObject { ["algorithm"] = "sha256", ["value"] = Hex },
            },
        });

        AssertCertificates(body, "intoto", $"sha256:{Hex}", First, Second);
    }

    [TestMethod]
    public void V1HashedRekordAndDsse_AreRead()
    {
        AssertCertificates(Body("hashedrekord", "0.0.1", new JsonObject
        {
            ["signature"] = new JsonObject { ["publicKey"] = new JsonObject { ["content"] = Pem(First) } },
            ["data"] = new JsonObject { ["hash"] = new JsonObject { ["algorithm"] = "sha256", ["value"] = Hex } },
        }), "hashedrekord", $"sha256:{Hex}", First);

        AssertCertificates(Body("dsse", "0.0.1", new JsonObject
        {
            ["signatures"] = new JsonArray(Sig("verifier", Pem(First)), Sig("verifier", Pem(Second))),
            ["payloadHash"] = new JsonObject { ["algorithm"] = "sha256", ["value"] = Hex },
        }), "dsse", $"sha256:{Hex}", First, Second);
    }

    [TestMethod]
    public void V2HashedRekordAndDsse_AreRead()
    {
        var digest = Convert.ToBase64String(Convert.FromHexString(Hex));
        AssertCertificates(Body("hashedrekord", "0.0.2", new JsonObject
        {
            ["hashedRekordV002"] = new JsonObject
            {
                ["data"] = new JsonObject { ["algorithm"] = "SHA2_256", ["digest"] = digest },
                ["signature"] = new JsonObject { ["content"] = "AA==", ["verifier"] = Verifier(First) },
            },
        }), "hashedrekord", $"sha256:{Hex}", First);

        AssertCertificates(Body("dsse", "0.0.2", new JsonObject
        {
            ["dsseV002"] = new JsonObject
            {
                ["payloadHash"] = new JsonObject { ["algorithm"] = "SHA2_256", ["digest"] = digest },
                ["signatures"] = new JsonArray(
                    new JsonObject { ["content"] = "AA==", ["verifier"] = new JsonObject { ["publicKey"] = new JsonObject { ["rawBytes"] = "AA==" }, ["keyDetails"] = "PKIX_ED25519" } },
                    new JsonObject { ["content"] = "AA==", ["verifier"] = Verifier(Second) }),
            },
        }), "dsse", $"sha256:{Hex}", Second);
    }

    [TestMethod]
    public void KeysAndUnknownKinds_NameNoCertificate()
    {
        var key = "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=\n-----END PUBLIC KEY-----\n";
        Assert.IsEmpty(EntryCertificate.Read(Body("hashedrekord", "0.0.1", new JsonObject
        {
            ["signature"] = new JsonObject { ["publicKey"] = new JsonObject { ["content"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(key)) } },
            ["data"] = new JsonObject { ["hash"] = new JsonObject { ["algorithm"] = "sha256", ["value"] = Hex } },
        })));
        Assert.IsEmpty(EntryCertificate.Read(Body("rekord", "0.0.1", new JsonObject())));
        Assert.IsEmpty(EntryCertificate.Read("not json"u8.ToArray()));
    }

    private static void AssertCertificates(byte[] body, string kind, string digest, params byte[][] certificates)
    {
        var read = EntryCertificate.Read(body);
        Assert.HasCount(certificates.Length, read);
        for (var i = 0; i < certificates.Length; i++)
        {
            Assert.AreEqual(kind, read[i].Kind);
            Assert.AreEqual(digest, read[i].Digest);
            CollectionAssert.AreEqual(certificates[i], read[i].CertificateDer);
        }
    }

    private static byte[] Body(string kind, string version, JsonObject spec) =>
        Encoding.UTF8.GetBytes(new JsonObject { ["apiVersion"] = version, ["kind"] = kind, ["spec"] = spec }.ToJsonString());

    private static JsonObject Sig(string field, string pem) => new() { ["sig"] = "AA==", [field] = pem };

    private static JsonObject Verifier(byte[] der) => new() { ["x509Certificate"] = new JsonObject { ["rawBytes"] = Convert.ToBase64String(der) }, ["keyDetails"] = "PKIX_ECDSA_P256_SHA_256" };

    private static string Pem(byte[] der) => Convert.ToBase64String(Encoding.UTF8.GetBytes(PemEncoding.WriteString("CERTIFICATE", der)));

    private static byte[] Certificate(string name)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddMinutes(10));
        return certificate.RawData;
    }
}
