using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using SigstoreBuild.Diagnostics;
using SigstoreBuild.Identity;
using SigstoreBuild.Signing.Transport;

namespace SigstoreBuild.Fulcio;

/// <summary>How the signer proves possession of its key to Fulcio.</summary>
internal enum FulcioRequestStyle
{
    /// <summary><c>publicKeyRequest</c>: the PEM key and a signature over the token's identity (sigstore-go, sigstore-js).</summary>
    PublicKey,

    /// <summary>A PKCS#10 CSR signed by the key (sigstore-python).</summary>
    CertificateSigningRequest,
}

/// <summary>A certificate issued by Fulcio: the leaf and the chain Fulcio sent with it (leaf first).</summary>
internal sealed record FulcioCertificate(X509Certificate2 Leaf, IReadOnlyList<X509Certificate2> Chain);

/// <summary>Fulcio v2 <c>POST /api/v2/signingCert</c>.</summary>
internal sealed class FulcioClient(ServiceHttpClient http, Uri baseUrl, FulcioRequestStyle style)
{
    public Uri BaseUrl => baseUrl;

    /// <summary>Requests a certificate. Returns null on HTTP 401 so the caller can fetch a fresh token once (F-03).</summary>
    public async Task<FulcioCertificate?> RequestCertificateAsync(IdentityToken token, ECDsa key, CancellationToken cancellationToken)
    {
        var body = BuildRequest(token, key, style);
        var url = ServiceUrl.Combine(baseUrl, "api/v2/signingCert");
        var response = await http.SendAsync("Fulcio", SigningCodes.FulcioUnavailable, () =>
        {
            var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(body) };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token.RawValue);
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
            return request;
        }, cancellationToken).ConfigureAwait(false);

        if (response.StatusCode == HttpStatusCode.Unauthorized)
        {
            return null;
        }

        if (!response.IsSuccess)
        {
            throw new SigstoreException(SigningCodes.FulcioRejected,
                $"Fulcio at {baseUrl} refused to issue a certificate (HTTP {(int)response.StatusCode}: {Redact(response.BodyExcerpt(), token)}). Check that the identity token is for audience 'sigstore' and from an issuer this Fulcio trusts.");
        }

        return ParseResponse(response.Body);
    }

    internal static byte[] BuildRequest(IdentityToken token, ECDsa key, FulcioRequestStyle style)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteStartObject("credentials");
            w.WriteString("oidcIdentityToken", token.RawValue);
            w.WriteEndObject();
            if (style == FulcioRequestStyle.CertificateSigningRequest)
            {
                var csr = new CertificateRequest("CN=sigstore", key, HashAlgorithmName.SHA256);
                var pem = PemEncoding.WriteString("CERTIFICATE REQUEST", csr.CreateSigningRequest());
                w.WriteString("certificateSigningRequest", Convert.ToBase64String(Encoding.ASCII.GetBytes(pem)));
            }
            else
            {
                w.WriteStartObject("publicKeyRequest");
                w.WriteStartObject("publicKey");
                w.WriteString("algorithm", "ECDSA");
                w.WriteString("content", PemEncoding.WriteString("PUBLIC KEY", key.ExportSubjectPublicKeyInfo()));
                w.WriteEndObject();
                var proof = key.SignData(Encoding.UTF8.GetBytes(token.ProofOfPossessionChallenge), HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
                w.WriteString("proofOfPossession", Convert.ToBase64String(proof));
                w.WriteEndObject();
            }

            w.WriteEndObject();
        }

        return buffer.ToArray();
    }

    internal static FulcioCertificate ParseResponse(byte[] body)
    {
        List<string> pems;
        try
        {
            using var doc = JsonDocument.Parse(body);
            var root = doc.RootElement;
            if (root.TryGetProperty("signedCertificateDetachedSct", out _))
            {
                throw Invalid("it returned a detached SCT, which bundles cannot carry. Use a Fulcio that embeds SCTs in certificates");
            }

            var certs = root.GetProperty("signedCertificateEmbeddedSct").GetProperty("chain").GetProperty("certificates");
            pems = certs.EnumerateArray().Select(c => c.GetString() ?? string.Empty).ToList();
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw Invalid("its response is not a signingCert response");
        }

        if (pems.Count is 0 or > 10)
        {
            throw Invalid("it returned no certificate chain (or an absurdly long one)");
        }

        var chain = new List<X509Certificate2>();
        foreach (var pem in pems)
        {
            try
            {
                chain.Add(X509Certificate2.CreateFromPem(pem));
            }
            catch (CryptographicException)
            {
                throw Invalid("it returned a certificate that cannot be parsed");
            }
        }

        return new FulcioCertificate(chain[0], chain);
    }

    internal static SigstoreException Invalid(string why) =>
        new(SigningCodes.FulcioResponseInvalid, $"Fulcio response failed verification: {why}. Nothing was signed with this certificate.");

    // Fulcio may echo parts of the request; never let the token through into a message.
    private static string Redact(string text, IdentityToken token) => text.Replace(token.RawValue, "<redacted>", StringComparison.Ordinal);
}
