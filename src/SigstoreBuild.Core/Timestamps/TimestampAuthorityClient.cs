using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Security.Cryptography.Pkcs;
using SigstoreBuild.Diagnostics;
using SigstoreBuild.Signing.Transport;
using SigstoreBuild.Trust;
using SigstoreBuild.Verification.Timestamps;

namespace SigstoreBuild.Timestamps;

/// <summary>A checked RFC 3161 timestamp: the DER TimeStampResp for the bundle and the time it attests.</summary>
internal sealed record SignedTimestamp(byte[] Response, DateTimeOffset GenerationTime);

/// <summary>
/// RFC 3161 client (<c>POST {tsa}</c>, application/timestamp-query) with a nonce and certReq. The token must cover the
/// signature, carry our nonce, and chain to a timestamp authority of the trusted root at its genTime (threat model F-06).
/// </summary>
internal sealed class TimestampAuthorityClient(ServiceHttpClient http, Uri url)
{
    public Uri Url => url;

    public async Task<SignedTimestamp> TimestampAsync(byte[] signature, TrustedRoot trustedRoot, CancellationToken cancellationToken)
    {
        var digest = SHA256.HashData(signature);
        var nonce = RandomNumberGenerator.GetBytes(16);
        nonce[0] &= 0x7F; // a positive INTEGER
        var request = Rfc3161TimestampRequest.CreateFromHash(digest, HashAlgorithmName.SHA256, requestedPolicyId: null, nonce: nonce, requestSignerCertificates: true);
        var body = request.Encode();

        var response = await http.SendAsync("Timestamp authority", SigningCodes.TsaUnavailable, () =>
        {
            var message = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(body) };
            message.Content.Headers.ContentType = new MediaTypeHeaderValue("application/timestamp-query");
            message.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/timestamp-reply"));
            return message;
        }, cancellationToken).ConfigureAwait(false);

        if (!response.IsSuccess)
        {
            throw new SigstoreException(SigningCodes.TsaRejected, $"The timestamp authority at {url} refused the request (HTTP {(int)response.StatusCode}). Check the TSA URL in the signing configuration.");
        }

        Rfc3161TimestampToken token;
        try
        {
            // Checks the PKIStatus, our nonce and that the imprint is the hash of our signature.
            token = request.ProcessResponse(response.Body, out var consumed);
            if (consumed != response.Body.Length)
            {
                throw Invalid("the response has trailing data");
            }
        }
        catch (CryptographicException ex)
        {
            throw Invalid($"the response was not granted or does not cover this signature ({ex.Message})");
        }

        // Then exactly the consumer's check: signature, signer binding, chain to a trusted TSA at genTime, windows.
        try
        {
            var verified = TimestampVerifier.Verify(response.Body, signature, trustedRoot);
            return new SignedTimestamp(response.Body, verified.Time);
        }
        catch (VerificationException ex)
        {
            throw new SigstoreException(SigningCodes.TsaResponseInvalid, $"The timestamp failed verification ({ex.Code}: {ex.Message}). No bundle was written; check the TSA URL and the trusted root.", ex);
        }
    }

    private static SigstoreException Invalid(string why) =>
        new(SigningCodes.TsaResponseInvalid, $"The timestamp failed verification: {why}. No bundle was written; check the TSA URL and the trusted root.");
}
