using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using SigstoreBuild.Bundles;
using SigstoreBuild.Diagnostics;
using SigstoreBuild.Serialization;
using SigstoreBuild.Signing.Transport;

namespace SigstoreBuild.Rekor;

/// <summary>
/// Rekor v2: <c>POST /api/v2/log/entries</c> with a hashedRekordRequestV002 or dsseRequestV002; the response is already a
/// bundle TransparencyLogEntry. Rekor v2 deduplicates identical requests, so retries are safe.
/// </summary>
internal sealed class RekorV2Client(ServiceHttpClient http, Uri baseUrl) : ITransparencyLogClient
{
    public Uri BaseUrl => baseUrl;

    public int MajorApiVersion => 2;

    public async Task<TransparencyLogEntry> SubmitAsync(LogEntryRequest request, CancellationToken cancellationToken)
    {
        var body = BuildRequest(request);
        var url = ServiceUrl.Combine(baseUrl, "api/v2/log/entries");
        var response = await http.SendAsync("Rekor v2", SigningCodes.RekorUnavailable, () =>
        {
            var message = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(body) };
            message.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            message.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
            return message;
        }, cancellationToken).ConfigureAwait(false);

        if (!response.IsSuccess)
        {
            throw new SigstoreException(SigningCodes.RekorRejected,
                $"Rekor v2 at {baseUrl} refused the log entry (HTTP {(int)response.StatusCode}: {response.BodyExcerpt()}). Check the signing configuration.");
        }

        try
        {
            return JsonSerializer.Deserialize(response.Body, (JsonTypeInfo<TransparencyLogEntry>)SigstoreJson.Tolerant.GetTypeInfo(typeof(TransparencyLogEntry)))
                ?? throw RekorV1Client.Invalid("Rekor v2 returned an empty entry");
        }
        catch (JsonException)
        {
            throw RekorV1Client.Invalid("Rekor v2 returned something other than a TransparencyLogEntry");
        }
    }

    internal static byte[] BuildRequest(LogEntryRequest request)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            if (request.IsDsse)
            {
                var env = request.Envelope!;
                w.WriteStartObject("dsseRequestV002");
                w.WriteStartObject("envelope");
                w.WriteString("payload", Convert.ToBase64String(env.Payload!));
                w.WriteString("payloadType", env.PayloadType);
                w.WriteStartArray("signatures");
                foreach (var sig in env.Signatures!)
                {
                    w.WriteStartObject();
                    w.WriteString("sig", Convert.ToBase64String(sig.Sig!));
                    w.WriteString("keyid", sig.Keyid ?? string.Empty);
                    w.WriteEndObject();
                }

                w.WriteEndArray();
                w.WriteEndObject();
                w.WriteStartArray("verifiers");
                WriteVerifier(w, request);
                w.WriteEndArray();
                w.WriteEndObject();
            }
            else
            {
                w.WriteStartObject("hashedRekordRequestV002");
                w.WriteString("digest", Convert.ToBase64String(request.ArtifactDigest!));
                w.WriteStartObject("signature");
                w.WriteString("content", Convert.ToBase64String(request.Signature));
                w.WritePropertyName("verifier");
                WriteVerifier(w, request);
                w.WriteEndObject();
                w.WriteEndObject();
            }

            w.WriteEndObject();
        }

        return buffer.ToArray();
    }

    private static void WriteVerifier(Utf8JsonWriter w, LogEntryRequest request)
    {
        w.WriteStartObject();
        if (request.Certificate is not null)
        {
            w.WriteStartObject("x509Certificate");
            w.WriteString("rawBytes", Convert.ToBase64String(request.Certificate.RawData));
        }
        else
        {
            w.WriteStartObject("publicKey");
            w.WriteString("rawBytes", Convert.ToBase64String(request.PublicKey!));
        }

        w.WriteEndObject();
        w.WriteString("keyDetails", request.KeyDetails);
        w.WriteEndObject();
    }
}
