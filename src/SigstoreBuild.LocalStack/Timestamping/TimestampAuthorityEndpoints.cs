using System.Security.Cryptography;
using System.Text.Json.Nodes;
using System.Text.Json;
using SigstoreBuild.Diagnostics;
using SigstoreBuild.LocalStack.Faults;
using SigstoreBuild.LocalStack.Http;
using SigstoreBuild.LocalStack.Pki;

namespace SigstoreBuild.LocalStack.Timestamping;

/// <summary>The RFC 3161 TSA: timestamp requests (DER or JSON) and its certificate chain.</summary>
internal static class TimestampAuthorityEndpoints
{
    public static void Map(WebApplication app, Func<LocalSigstoreServices> services)
    {
        Handlers.MapPost(app, "/api/v1/timestamp", services, Timestamp);
        app.MapGet("/api/v1/timestamp/certchain", () =>
            Results.Text(string.Concat(services().Tsa.Chain.Select(Pem.Certificate)), "application/pem-certificate-chain"));
    }

    private static async Task<IResult> Timestamp(HttpContext context, LocalSigstoreServices services)
    {
        var tsa = services.Tsa;
        var fault = FaultInjection.Taken(context);
        using var rogueRootKey = fault == FaultKind.UntrustedTimestampChain ? ECDsa.Create(ECCurve.NamedCurves.nistP384) : null;
        using var rogueKey = fault == FaultKind.UntrustedTimestampChain ? ECDsa.Create(ECCurve.NamedCurves.nistP256) : null;
        TimestampOptions? options = null;
        if (fault == FaultKind.UntrustedTimestampChain)
        {
            var now = services.Time.GetUtcNow();
            using var rogueRoot = CertificateAuthority.CreateRoot("CN=Rogue TSA Root", rogueRootKey!, now.AddDays(-1), now.AddYears(1));
            options = new TimestampOptions
            {
                SigningCertificate = TimestampAuthority.CreateSigningCertificate("CN=Rogue Timestamping", rogueKey!, rogueRoot, rogueRootKey!, now.AddDays(-1), now.AddYears(1)),
                SigningKey = rogueKey,
                ExtraCertificates = [],
            };
        }
        else if (fault == FaultKind.MismatchedImprint)
        {
            options = new TimestampOptions { ReplaceImprint = SHA256.HashData(RandomNumberGenerator.GetBytes(32)) };
        }
        else if (fault == FaultKind.GenTimeOutsideValidity)
        {
            options = new TimestampOptions { GenTime = services.Time.GetUtcNow().AddDays(1) };
        }

        var body = await Handlers.ReadBody(context);
        byte[] response;
        if (context.Request.ContentType?.StartsWith("application/json", StringComparison.OrdinalIgnoreCase) == true)
        {
            JsonObject request;
            try
            {
                request = JsonNode.Parse(body)?.AsObject() ?? throw new JsonException("empty");
            }
            catch (JsonException ex)
            {
                return Handlers.Error(400, $"{LocalStackCodes.TimestampRequestInvalid}: the JSON request cannot be parsed ({ex.Message}).");
            }

            var digest = Convert.FromBase64String(request["artifactHash"]?.GetValue<string>() ?? string.Empty);
            var algorithm = request["hashAlgorithm"]?.GetValue<string>() ?? "sha256";
            var certificates = request["certificates"]?.GetValue<bool>() ?? false;
            var nonce = request["nonce"] is JsonValue n ? new Org.BouncyCastle.Math.BigInteger(n.ToJsonString()) : null;
            response = tsa.RespondForDigest(digest, algorithm, certificates, nonce, options);
        }
        else
        {
            response = tsa.Respond(body, options);
        }

        return Results.Bytes(response, "application/timestamp-reply");
    }
}
