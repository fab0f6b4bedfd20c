using SigstoreBuild.Bundles;
using SigstoreBuild.Diagnostics;
using SigstoreBuild.Trust;
using SigstoreBuild.Verification.Tlog;

namespace SigstoreBuild.Verification;

public sealed partial class SigstoreVerifier
{
    /// <summary>
    /// Every transparency log entry must be bound to this content and included in its log; the threshold counts
    /// distinct logs.
    /// </summary>
    private (List<VerifiedLogEntry> Entries, int Duplicates) VerifyTransparencyLogInclusion(VerificationMaterial material, SignedContent content, int bundleMinorVersion, List<VerificationWarning> warnings)
    {
        var logEntries = new List<VerifiedLogEntry>();
        var entryBodies = new List<byte[]>();
        var duplicates = 0;
        foreach (var entry in material.TlogEntries ?? [])
        {
            var verified = _verifyLogEntry(entry, content, _trust, bundleMinorVersion);

            // The same entry twice (log, index and body) is one witness with one time; each copy was still verified,
            // and what either copy proved (a SET, a checkpointed proof) stays.
            var same = logEntries.FindIndex(e => e.Log == verified.Log && e.LogIndex == verified.LogIndex);
            if (same >= 0 && entryBodies[same].AsSpan().SequenceEqual(entry.CanonicalizedBody))
            {
                logEntries[same] = logEntries[same] with
                {
                    IntegratedTime = logEntries[same].IntegratedTime ?? verified.IntegratedTime,
                    InclusionProofVerified = logEntries[same].InclusionProofVerified || verified.InclusionProofVerified,
                };
                duplicates++;
                continue;
            }

            logEntries.Add(verified);
            entryBodies.Add(entry.CanonicalizedBody!);
        }

        var distinctLogs = logEntries.Select(e => e.Log).Distinct().Count();
        if (distinctLogs < _options.TransparencyLogThreshold)
        {
            if (!_options.UnsafeSkipTransparencyLog)
            {
                throw new VerificationException(PolicyCodes.TlogThresholdNotMet, $"The bundle has verified entries in {distinctLogs} distinct transparency log(s); {_options.TransparencyLogThreshold} required. Sign with a client that logs the signature.");
            }

            warnings.Add(new VerificationWarning(PolicyCodes.UnsafeOptionUsed, "transparency log threshold not met; accepted because UnsafeSkipTransparencyLog is set."));
        }

        return (logEntries, duplicates);
    }
}
