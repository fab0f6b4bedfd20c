using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Security.Cryptography.Pkcs;
using System.Security.Cryptography.X509Certificates;
using SigstoreBuild.Diagnostics;
using SigstoreBuild.Signing.Transport;
using SigstoreBuild.Trust;

namespace SigstoreBuild.Timestamps;

/// <summary>A checked RFC 3161 timestamp: the DER TimeStampResp for the bundle and the time it attests.</summary>
internal sealed record SignedTimestamp(byte[] Response, DateTimeOffset GenerationTime);

/// <summary>
/// RFC 3161 client (<c>POST {tsa}</c>, application/timestamp-query) with a nonce and certReq. The token must cover the
/// signature, carry our nonce, and chain to a timestamp authority of the trusted root at its genTime (threat model F-06).
/// </summary>
internal sealed class TimestampAuthorityClient(ServiceHttpClient http, Uri url)
{
    private const string TimeStampingEku = "1.3.6.1.5.5.7.3.8";

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

        var genTime = token.TokenInfo.Timestamp;
        if (!token.VerifySignatureForHash(digest, HashAlgorithmName.SHA256, out var signer, extraCandidates: null) || signer is null)
        {
            throw Invalid("the token's signature does not verify");
        }

        CheckChain(signer, genTime, trustedRoot);
        return new SignedTimestamp(response.Body, genTime);
    }

    private static void CheckChain(X509Certificate2 signer, DateTimeOffset genTime, TrustedRoot trustedRoot)
    {
        if (genTime < signer.NotBefore.ToUniversalTime() || genTime > signer.NotAfter.ToUniversalTime())
        {
            throw Invalid("its genTime is outside the TSA certificate's validity");
        }

        var eku = signer.Extensions.OfType<X509EnhancedKeyUsageExtension>().FirstOrDefault();
        if (eku is null || !eku.EnhancedKeyUsages.Cast<Oid>().Any(o => o.Value == TimeStampingEku))
        {
            throw Invalid("the signing certificate is not a timestamping certificate");
        }

        foreach (var tsa in trustedRoot.TimestampAuthorities)
        {
            if (!tsa.ValidFor.Contains(genTime))
            {
                continue;
            }

            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.Add(tsa.Root);
            chain.ChainPolicy.ExtraStore.AddRange(tsa.Intermediates.ToArray());
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            chain.ChainPolicy.VerificationTime = genTime.UtcDateTime;
            chain.ChainPolicy.DisableCertificateDownloads = true;
            if (chain.Build(signer))
            {
                return;
            }
        }

        throw Invalid("the token does not chain to a timestamp authority in the trusted root at its genTime");
    }

    private static SigstoreException Invalid(string why) =>
        new(SigningCodes.TsaResponseInvalid, $"The timestamp failed verification: {why}. No bundle was written; check the TSA URL and the trusted root.");
}
