using System.Security.Cryptography;
using SigstoreBuild.Bundles;
using SigstoreBuild.Rekor;
using SigstoreBuild.Signing.Transport;
using SigstoreBuild.Timestamps;
using SigstoreBuild.Trust;

namespace SigstoreBuild.Signing;

/// <summary>
/// What vouches for one signature, whoever made it (a Fulcio certificate's key or a long-lived key): RFC 3161
/// timestamps from the selected TSAs, then entries in the selected transparency logs, each checked as a consumer would.
/// </summary>
internal static class SignatureWitnesses
{
    /// <param name="onServiceTime">Called with each service's time (clock-skew warnings).</param>
    public static async Task<Witnessed> CollectAsync(ServiceHttpClient http, LogEntryRequest request, SelectedServices services, TrustedRoot trustedRoot,
        Action<string, DateTimeOffset> onServiceTime, CancellationToken cancellationToken)
    {
        // Timestamps first: if the TSA fails, nothing has been logged yet.
        var times = new List<DateTimeOffset>();
        var timestamps = new List<Rfc3161SignedTimestamp>();
        foreach (var tsaUrl in services.TimestampAuthorities)
        {
            var stamp = await new TimestampAuthorityClient(http, tsaUrl).TimestampAsync(request.Signature, trustedRoot, cancellationToken).ConfigureAwait(false);
            timestamps.Add(new Rfc3161SignedTimestamp { SignedTimestamp = stamp.Response });
            times.Add(stamp.GenerationTime);
            onServiceTime("timestamp authority", stamp.GenerationTime);
        }

        var entries = await Task.WhenAll(services.TransparencyLogs.Select(async log =>
        {
            ITransparencyLogClient client = log.MajorApiVersion == 2 ? new RekorV2Client(http, log.Url) : new RekorV1Client(http, log.Url);
            var entry = await client.SubmitAsync(request, cancellationToken).ConfigureAwait(false);
            LogEntryChecker.Check(entry, request, trustedRoot, client.MajorApiVersion);
            return entry;
        })).ConfigureAwait(false);

        foreach (var entry in entries.Where(e => e.IntegratedTime > 0 && e.InclusionPromise is not null))
        {
            var integrated = DateTimeOffset.FromUnixTimeSeconds(entry.IntegratedTime);
            times.Add(integrated);
            onServiceTime("transparency log", integrated);
        }

        return new Witnessed([.. entries], timestamps, times);
    }
}

/// <summary>The log entries and timestamps of one signature, and the times they vouch for.</summary>
internal sealed record Witnessed(List<TransparencyLogEntry> Entries, List<Rfc3161SignedTimestamp> Timestamps, IReadOnlyList<DateTimeOffset> Times)
{
    /// <summary>
    /// The v0.3 bundle: <paramref name="signer"/> names the certificate or the key; a message signature over
    /// <paramref name="digest"/> unless <paramref name="envelope"/> is given.
    /// </summary>
    public Bundle ToBundle(Action<VerificationMaterial> signer, byte[] signature, HashAlgorithmName digestAlgorithm, byte[] digest, DsseEnvelope? envelope)
    {
        var material = new VerificationMaterial
        {
            TlogEntries = Entries,
            TimestampVerificationData = Timestamps.Count > 0 ? new TimestampVerificationData { Rfc3161Timestamps = Timestamps } : null,
        };
        signer(material);
        return new Bundle
        {
            MediaType = Bundle.MediaTypeV03,
            VerificationMaterial = material,
            MessageSignature = envelope is null
                ? new MessageSignature { MessageDigest = new HashOutput { Algorithm = digestAlgorithm == HashAlgorithmName.SHA384 ? "SHA2_384" : "SHA2_256", Digest = digest }, Signature = signature }
                : null,
            DsseEnvelope = envelope,
        };
    }
}
