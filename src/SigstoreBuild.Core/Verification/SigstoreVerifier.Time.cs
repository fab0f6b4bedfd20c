using System.Security.Cryptography;
using SigstoreBuild.Bundles;
using SigstoreBuild.Diagnostics;
using SigstoreBuild.Trust;
using SigstoreBuild.Verification.Timestamps;
using SigstoreBuild.Verification.Tlog;

namespace SigstoreBuild.Verification;

public sealed partial class SigstoreVerifier
{
    /// <summary>
    /// The times the signature is known to have existed: SET-verified integrated times and RFC 3161 timestamps over
    /// this signature, deduplicated. None may be in the future, and their distinct sources must meet the threshold.
    /// </summary>
    private (List<VerifiedTime> Times, int Duplicates) VerifyObserverTimestamps(VerificationMaterial material, byte[] signature, List<VerifiedLogEntry> logEntries, List<VerificationWarning> warnings)
    {
        var times = new List<VerifiedTime>();
        var timeSources = new HashSet<object>(ReferenceEqualityComparer.Instance);
        foreach (var entry in logEntries)
        {
            if (entry.IntegratedTime is { } integrated)
            {
                times.Add(new VerifiedTime("tlog", LogName(entry.Log), integrated));
                timeSources.Add(entry.Log);
            }
        }

        var (verifiedTimestamps, duplicates) = VerifyTimestamps(material, signature);
        foreach (var timestamp in verifiedTimestamps)
        {
            times.Add(new VerifiedTime("timestamp-authority", timestamp.Authority.Uri ?? "timestamp authority", timestamp.Time));
            timeSources.Add(timestamp.Authority);
        }

        CheckLogKeysAtTimestamps(logEntries, verifiedTimestamps);
        var now = _time.GetUtcNow();
        CheckNotInFuture(times, now);
        CheckVerifiedTimeThreshold(times, timeSources.Count, now, warnings);
        return (times, duplicates);
    }

    /// <summary>
    /// Entries without a signed integrated time (Rekor v2, or proof-only v1) say nothing about when their log key signed;
    /// a key retired before every verified timestamp cannot have logged this signature (C-03). Without any timestamp,
    /// such entries leave the signature undated.
    /// </summary>
    private static void CheckLogKeysAtTimestamps(List<VerifiedLogEntry> logEntries, List<VerifiedTimestamp> verifiedTimestamps)
    {
        foreach (var entry in logEntries)
        {
            if (entry.IntegratedTime is null && entry.Log.ValidFor.End is { } end && verifiedTimestamps.Count > 0 && verifiedTimestamps.All(t => t.Time > end))
            {
                throw new VerificationException(TlogCodes.IntegratedTimeOutsideLogValidity,
                    $"The log entry is checkpointed by a log key whose trusted-root validity ended at {end:O}, before the signature's timestamps. The log key was retired or compromised; obtain a bundle from a current log.");
            }
        }

        // Rekor v2 entries carry no SET, so only a TSA can say when the signature existed.
        if (verifiedTimestamps.Count == 0 && logEntries.Count > 0 && logEntries.All(e => e.IntegratedTime is null))
        {
            throw new VerificationException(PolicyCodes.MissingSignedTimestamp, "The bundle's log entries carry no signed integrated time (Rekor v2) and the bundle has no RFC 3161 timestamp. Sign with a timestamp authority.");
        }
    }

    private void CheckNotInFuture(List<VerifiedTime> times, DateTimeOffset now)
    {
        foreach (var time in times)
        {
            if (time.Time > now + _options.MaxClockSkew)
            {
                throw new VerificationException(PolicyCodes.TimeInFuture, $"A verified time ({time.Time:O}, {time.Source}) is in the future. Check the clock, or the bundle was forged.");
            }
        }
    }

    private void CheckVerifiedTimeThreshold(List<VerifiedTime> times, int timeSources, DateTimeOffset now, List<VerificationWarning> warnings)
    {
        if (timeSources >= _options.VerifiedTimeThreshold)
        {
            return;
        }

        if (!_options.UnsafeAllowCurrentTime)
        {
            throw new VerificationException(PolicyCodes.VerifiedTimeThresholdNotMet, $"The bundle has {timeSources} distinct verified time source(s); {_options.VerifiedTimeThreshold} required. Add an RFC 3161 timestamp or a log entry with a SET.");
        }

        warnings.Add(new VerificationWarning(PolicyCodes.UnsafeOptionUsed, "verified-time threshold not met; the certificate is checked at the current time because UnsafeAllowCurrentTime is set."));
        if (times.Count == 0)
        {
            times.Add(new VerifiedTime("current-time", "verifier clock", now));
        }
    }

    private (List<VerifiedTimestamp> Timestamps, int Duplicates) VerifyTimestamps(VerificationMaterial material, byte[] signature)
    {
        var result = new List<VerifiedTimestamp>();
        var seenTokens = new HashSet<string>(StringComparer.Ordinal);
        var duplicates = 0;
        foreach (var token in material.TimestampVerificationData?.Rfc3161Timestamps ?? [])
        {
            if (!seenTokens.Add(Convert.ToHexString(SHA256.HashData(token.SignedTimestamp!))))
            {
                duplicates++;
                continue; // the same token twice is one witness
            }

            if (seenTokens.Count > _options.MaxTimestamps)
            {
                throw new VerificationException(BundleCodes.TooLarge, $"The bundle has more than {_options.MaxTimestamps} distinct timestamps. Regenerate it.");
            }

            var verified = _verifyTimestamp(token.SignedTimestamp!, signature, _trust);

            // Every token's time is checked (S-05); the caller counts one TSA once, whatever number of tokens it issued.
            result.Add(verified);
        }

        return (result, duplicates);
    }

}
