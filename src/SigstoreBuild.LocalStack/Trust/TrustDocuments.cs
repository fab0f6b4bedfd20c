using System.Globalization;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using SigstoreBuild.LocalStack.Transparency;

namespace SigstoreBuild.LocalStack.Trust;

/// <summary>Builds the protobuf-specs TrustedRoot (v0.1) and SigningConfig (v0.2) JSON that describe an instance.</summary>
public static class TrustDocuments
{
    public const string TrustedRootMediaType = "application/vnd.dev.sigstore.trustedroot+json;version=0.1";
    public const string SigningConfigMediaType = "application/vnd.dev.sigstore.signingconfig.v0.2+json";
    public const string Operator = "sigstorebuild-localstack";

    public static JsonObject TrustedRoot(LocalSigstoreServices services, string baseUrl)
    {
        var start = Timestamp(services.Ca.Root.NotBefore);
        var rekorV1 = services.RekorV1;
        var rekorV2 = services.RekorV2;
        return new JsonObject
        {
            ["mediaType"] = TrustedRootMediaType,
            ["tlogs"] = new JsonArray(
                new JsonObject
                {
                    ["baseUrl"] = baseUrl,
                    ["hashAlgorithm"] = "SHA2_256",
                    ["publicKey"] = PublicKey(rekorV1.Key.ExportSubjectPublicKeyInfo(), "PKIX_ECDSA_P256_SHA_256", start),
                    ["logId"] = new JsonObject { ["keyId"] = Convert.ToBase64String(rekorV1.LogId) },
                },
                new JsonObject
                {
                    ["baseUrl"] = RekorV2Url(baseUrl),
                    ["hashAlgorithm"] = "SHA2_256",
                    ["publicKey"] = PublicKey(rekorV2.Log.Signer.PublicKeySpki, rekorV2.Log.Signer.KeyDetails, start),
                    ["logId"] = new JsonObject { ["keyId"] = Convert.ToBase64String(rekorV2.LogId) },
                    ["checkpointKeyId"] = new JsonObject { ["keyId"] = Convert.ToBase64String(rekorV2.LogId) },
                }),
            ["certificateAuthorities"] = new JsonArray(new JsonObject
            {
                ["subject"] = new JsonObject { ["organization"] = "SigstoreBuild LocalStack", ["commonName"] = "SigstoreBuild LocalStack Root CA" },
                ["uri"] = baseUrl,
                ["certChain"] = Chain([services.Ca.Intermediate, services.Ca.Root]),
                ["validFor"] = new JsonObject { ["start"] = start },
            }),
            ["ctlogs"] = new JsonArray(new JsonObject
            {
                ["baseUrl"] = baseUrl,
                ["hashAlgorithm"] = "SHA2_256",
                ["publicKey"] = PublicKey(services.CtLog.PublicKeySpki, "PKIX_ECDSA_P256_SHA_256", start),
                ["logId"] = new JsonObject { ["keyId"] = Convert.ToBase64String(services.CtLog.LogId) },
            }),
            ["timestampAuthorities"] = new JsonArray(new JsonObject
            {
                ["subject"] = new JsonObject { ["organization"] = "SigstoreBuild LocalStack", ["commonName"] = "SigstoreBuild LocalStack TSA Root" },
                ["uri"] = baseUrl + "/api/v1/timestamp",
                ["certChain"] = Chain(services.Tsa.Chain),
                ["validFor"] = new JsonObject { ["start"] = start },
            }),
        };
    }

    /// <summary>A v0.2 signing config naming this instance; <paramref name="rekorMajorVersion"/> picks the Rekor API.</summary>
    public static JsonObject SigningConfig(string baseUrl, DateTimeOffset validFrom, int rekorMajorVersion)
    {
        JsonObject Service(string url, int version) => new()
        {
            ["url"] = url,
            ["majorApiVersion"] = version,
            ["validFor"] = new JsonObject { ["start"] = Timestamp(validFrom) },
            ["operator"] = Operator,
        };

        return new JsonObject
        {
            ["mediaType"] = SigningConfigMediaType,
            ["caUrls"] = new JsonArray(Service(baseUrl, 1)),
            ["oidcUrls"] = new JsonArray(Service(baseUrl, 1)),
            ["rekorTlogUrls"] = new JsonArray(Service(rekorMajorVersion == 2 ? RekorV2Url(baseUrl) : baseUrl, rekorMajorVersion)),
            ["tsaUrls"] = new JsonArray(Service(baseUrl + "/api/v1/timestamp", 1)),
            ["rekorTlogConfig"] = new JsonObject { ["selector"] = "ANY" },
            ["tsaConfig"] = new JsonObject { ["selector"] = "ANY" },
        };
    }

    private static JsonObject PublicKey(byte[] spki, string keyDetails, string start) => new()
    {
        ["rawBytes"] = Convert.ToBase64String(spki),
        ["keyDetails"] = keyDetails,
        ["validFor"] = new JsonObject { ["start"] = start },
    };

    private static JsonObject Chain(IEnumerable<X509Certificate2> certificates) => new()
    {
        ["certificates"] = new JsonArray(certificates.Select(c => (JsonNode)new JsonObject { ["rawBytes"] = Convert.ToBase64String(c.RawData) }).ToArray()),
    };

    /// <summary>Rekor v2 has its own base URL, as the public-good v2 logs have their own hosts.</summary>
    public static string RekorV2Url(string baseUrl) => baseUrl.TrimEnd('/') + RekorV2Endpoints.Prefix;

    public static string Timestamp(DateTimeOffset time) =>
        time.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    public static string Timestamp(DateTime time) => Timestamp(new DateTimeOffset(time.ToUniversalTime(), TimeSpan.Zero));
}
