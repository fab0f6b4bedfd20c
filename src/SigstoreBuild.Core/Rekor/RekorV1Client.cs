using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using SigstoreBuild.Bundles;
using SigstoreBuild.Diagnostics;
using SigstoreBuild.Signing.Transport;

namespace SigstoreBuild.Rekor;

/// <summary>
/// Rekor v1: <c>POST /api/v1/log/entries</c> with a hashedrekord or dsse 0.0.1 proposed entry. A retry sends the
/// identical entry; 409 Conflict means it is already logged, and the existing entry is fetched (F-04).
/// </summary>
internal sealed class RekorV1Client(ServiceHttpClient http, Uri baseUrl) : ITransparencyLogClient
{
    public Uri BaseUrl => baseUrl;

    public int MajorApiVersion => 1;

    public async Task<TransparencyLogEntry> SubmitAsync(LogEntryRequest request, CancellationToken cancellationToken)
    {
        var body = BuildProposedEntry(request);
        var url = ServiceUrl.Combine(baseUrl, "api/v1/log/entries");
        var response = await http.SendAsync("Rekor", SigningCodes.RekorUnavailable, () =>
        {
            var message = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(body) };
            message.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            message.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
            return message;
        }, cancellationToken).ConfigureAwait(false);

        if (response.StatusCode == HttpStatusCode.Conflict)
        {
            var location = response.Location ?? throw new SigstoreException(SigningCodes.RekorRejected,
                $"Rekor at {baseUrl} says the entry already exists but did not say where (no Location header). Retry later.");
            if (location.Host != url.Host || location.Port != url.Port || location.Scheme != url.Scheme)
            {
                throw new SigstoreException(SigningCodes.RekorEntryInvalid, $"Rekor at {baseUrl} pointed to an existing entry on another host. Check the Rekor URL.");
            }

            response = await http.SendAsync("Rekor", SigningCodes.RekorUnavailable, () => new HttpRequestMessage(HttpMethod.Get, location), cancellationToken).ConfigureAwait(false);
        }

        if (!response.IsSuccess)
        {
            throw new SigstoreException(SigningCodes.RekorRejected,
                $"Rekor at {baseUrl} refused the log entry (HTTP {(int)response.StatusCode}: {response.BodyExcerpt()}). Check the signing configuration.");
        }

        return ParseLogEntry(response.Body);
    }

    internal static byte[] BuildProposedEntry(LogEntryRequest request)
    {
        var certB64 = Convert.ToBase64String(Encoding.ASCII.GetBytes(request.SignerPem));
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("apiVersion", "0.0.1");
            if (request.IsDsse)
            {
                w.WriteString("kind", "dsse");
                w.WriteStartObject("spec");
                w.WriteStartObject("proposedContent");
                w.WriteString("envelope", Encoding.UTF8.GetString(SerializeEnvelope(request.Envelope!)));
                w.WriteStartArray("verifiers");
                w.WriteStringValue(certB64);
                w.WriteEndArray();
                w.WriteEndObject();
                w.WriteEndObject();
            }
            else
            {
                w.WriteString("kind", "hashedrekord");
                w.WriteStartObject("spec");
                w.WriteStartObject("signature");
                w.WriteString("content", Convert.ToBase64String(request.Signature));
                w.WriteStartObject("publicKey");
                w.WriteString("content", certB64);
                w.WriteEndObject();
                w.WriteEndObject();
                w.WriteStartObject("data");
                w.WriteStartObject("hash");
                w.WriteString("algorithm", request.ArtifactDigestAlgorithm == System.Security.Cryptography.HashAlgorithmName.SHA384 ? "sha384" : "sha256");
                w.WriteString("value", Convert.ToHexStringLower(request.ArtifactDigest!));
                w.WriteEndObject();
                w.WriteEndObject();
                w.WriteEndObject();
            }

            w.WriteEndObject();
        }

        return buffer.ToArray();
    }

    /// <summary>The DSSE envelope in its standard JSON form (payload and signatures base64).</summary>
    internal static byte[] SerializeEnvelope(DsseEnvelope envelope)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("payload", Convert.ToBase64String(envelope.Payload!));
            w.WriteString("payloadType", envelope.PayloadType);
            w.WriteStartArray("signatures");
            foreach (var sig in envelope.Signatures!)
            {
                w.WriteStartObject();
                w.WriteString("keyid", sig.Keyid ?? string.Empty);
                w.WriteString("sig", Convert.ToBase64String(sig.Sig!));
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        return buffer.ToArray();
    }

    /// <summary>Converts a Rekor v1 LogEntry (<c>{uuid: {body, integratedTime, logID, logIndex, verification}}</c>) to bundle form.</summary>
    internal static TransparencyLogEntry ParseLogEntry(byte[] json)
    {
        try
        {
            using var doc = JsonDocument.Parse(json);
            var entries = doc.RootElement.EnumerateObject().ToList();
            if (entries.Count != 1)
            {
                throw Invalid("the response does not hold exactly one entry");
            }

            var e = entries[0].Value;
            var body = Convert.FromBase64String(e.GetProperty("body").GetString()!);
            using var bodyDoc = JsonDocument.Parse(body);
            var verification = e.GetProperty("verification");
            var proof = verification.GetProperty("inclusionProof");
            return new TransparencyLogEntry
            {
                LogIndex = e.GetProperty("logIndex").GetInt64(),
                LogId = new LogId { KeyId = Convert.FromHexString(e.GetProperty("logID").GetString()!) },
                KindVersion = new KindVersion
                {
                    Kind = bodyDoc.RootElement.GetProperty("kind").GetString(),
                    Version = bodyDoc.RootElement.GetProperty("apiVersion").GetString(),
                },
                IntegratedTime = e.GetProperty("integratedTime").GetInt64(),
                InclusionPromise = new InclusionPromise { SignedEntryTimestamp = Convert.FromBase64String(verification.GetProperty("signedEntryTimestamp").GetString()!) },
                InclusionProof = new InclusionProof
                {
                    LogIndex = proof.GetProperty("logIndex").GetInt64(),
                    RootHash = Convert.FromHexString(proof.GetProperty("rootHash").GetString()!),
                    TreeSize = proof.GetProperty("treeSize").GetInt64(),
                    Hashes = proof.GetProperty("hashes").EnumerateArray().Select(h => Convert.FromHexString(h.GetString()!)).ToList(),
                    Checkpoint = new Checkpoint { Envelope = proof.GetProperty("checkpoint").GetString() },
                },
                CanonicalizedBody = body,
            };
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or FormatException or ArgumentNullException)
        {
            throw Invalid("the response is not a Rekor log entry with an inclusion proof and a signed entry timestamp");
        }
    }

    internal static SigstoreException Invalid(string why) =>
        new(SigningCodes.RekorEntryInvalid, $"The transparency log entry failed verification: {why}. No bundle was written.");
}
