using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using SigstoreBuild.Diagnostics;
using SigstoreBuild.LocalStack.Faults;
using SigstoreBuild.LocalStack.Http;

namespace SigstoreBuild.LocalStack.Pki;

/// <summary>Fulcio v2: <c>signingCert</c> (proof of possession or CSR) and <c>trustBundle</c>.</summary>
internal static class FulcioEndpoints
{
    public static void Map(WebApplication app, Func<LocalSigstoreServices> services)
    {
        Handlers.MapPost(app, "/api/v2/signingCert", services, SigningCertificate);
        app.MapGet("/api/v2/trustBundle", () =>
        {
            var ca = services().Ca;
            return Results.Json(new JsonObject
            {
                ["chains"] = new JsonArray(new JsonObject { ["certificates"] = new JsonArray(Pem.Certificate(ca.Intermediate), Pem.Certificate(ca.Root)) }),
            });
        });
    }

    private static async Task<IResult> SigningCertificate(HttpContext context, LocalSigstoreServices services)
    {
        var request = await Handlers.ReadJson(context) as JsonObject ?? throw BadCertificateRequest("the body is not a JSON object");
        var token = request["credentials"]?["oidcIdentityToken"]?.GetValue<string>();
        JsonObject claims;
        try
        {
            claims = services.Oidc.Validate(token);
        }
        catch (SigstoreException ex)
        {
            return Handlers.Error(401, ex.ToString());
        }

        var identity = FulcioIdentity.FromClaims(claims, services.GitHubServerUrl);
        byte[] spki;
        if (request["publicKeyRequest"] is JsonObject publicKeyRequest)
        {
            var content = publicKeyRequest["publicKey"]?["content"]?.GetValue<string>() ?? throw BadCertificateRequest("'publicKeyRequest.publicKey.content' is missing");
            try
            {
                spki = SignatureCheck.SpkiFromPemOrDer(Encoding.ASCII.GetBytes(content));
                _ = PublicKey.CreateFromSubjectPublicKeyInfo(spki, out _);
            }
            catch (Exception ex) when (ex is ArgumentException or FormatException or CryptographicException)
            {
                throw BadCertificateRequest($"the public key cannot be parsed ({ex.Message})");
            }

            var proof = publicKeyRequest["proofOfPossession"]?.GetValue<string>() ?? throw BadCertificateRequest("'proofOfPossession' is missing");
            byte[] proofBytes;
            try
            {
                proofBytes = Convert.FromBase64String(proof);
            }
            catch (FormatException)
            {
                throw BadCertificateRequest("'proofOfPossession' is not base64");
            }

            var subject = claims["sub"]?.GetValue<string>() ?? string.Empty;
            if (!SignatureCheck.VerifyMessage(spki, Encoding.UTF8.GetBytes(identity.Principal), proofBytes)
                && !SignatureCheck.VerifyMessage(spki, Encoding.UTF8.GetBytes(subject), proofBytes))
            {
                return Handlers.Error(400, $"{LocalStackCodes.ProofOfPossessionFailed}: the proof of possession does not verify over the token's email or subject with the given key. Sign the exact principal with the private key.");
            }
        }
        else if (request["certificateSigningRequest"]?.GetValue<string>() is { } csrBase64)
        {
            try
            {
                var csrBytes = Convert.FromBase64String(csrBase64);
                var csrText = Encoding.ASCII.GetString(csrBytes);
                var csr = csrText.Contains("-----BEGIN", StringComparison.Ordinal)
                    ? CertificateRequest.LoadSigningRequestPem(csrText, HashAlgorithmName.SHA256, CertificateRequestLoadOptions.Default)
                    : CertificateRequest.LoadSigningRequest(csrBytes, HashAlgorithmName.SHA256, CertificateRequestLoadOptions.Default);
                spki = csr.PublicKey.ExportSubjectPublicKeyInfo();
            }
            catch (Exception ex) when (ex is FormatException or CryptographicException or ArgumentException)
            {
                return Handlers.Error(400, $"{LocalStackCodes.ProofOfPossessionFailed}: the certificate signing request is invalid or its signature does not verify ({ex.Message}).");
            }
        }
        else
        {
            throw BadCertificateRequest("neither 'publicKeyRequest' nor 'certificateSigningRequest' is present");
        }

        var fault = FaultInjection.Taken(context);
        using var rogueCa = fault == FaultKind.UntrustedCertificateChain ? ECDsa.Create(ECCurve.NamedCurves.nistP384) : null;
        using var otherKey = fault == FaultKind.MismatchedPublicKey ? ECDsa.Create(ECCurve.NamedCurves.nistP256) : null;
        if (fault == FaultKind.MismatchedIdentity)
        {
            identity = FulcioIdentity.ForEmail(identity.Issuer, "mallory@attacker.example");
        }

        var issued = services.Ca.IssueLeaf(otherKey?.ExportSubjectPublicKeyInfo() ?? spki, identity, template =>
        {
            if (rogueCa is not null)
            {
                template.SigningKey = rogueCa;
            }

            template.CorruptSctSignature = fault == FaultKind.CorruptSct;
        });
        return Results.Json(new JsonObject
        {
            ["signedCertificateEmbeddedSct"] = new JsonObject
            {
                ["chain"] = new JsonObject { ["certificates"] = new JsonArray(issued.Chain.Select(c => (JsonNode)Pem.Certificate(c)).ToArray()) },
            },
        }, statusCode: 201);
    }

    private static SigstoreException BadCertificateRequest(string why) =>
        new(LocalStackCodes.CertificateRequestInvalid, $"The certificate request is invalid: {why}. Send a Fulcio v2 signingCert request.");
}
