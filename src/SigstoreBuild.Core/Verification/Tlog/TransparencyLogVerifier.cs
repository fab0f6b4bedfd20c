using System.Globalization;
using System.Text;
using SigstoreBuild.Bundles;
using SigstoreBuild.Diagnostics;
using SigstoreBuild.Trust;

namespace SigstoreBuild.Verification.Tlog;

/// <summary>A log entry that passed every check, with the evidence it gives.</summary>
/// <param name="Log">The trusted log (from the trusted root, never from the bundle).</param>
/// <param name="LogIndex">The entry's global log index.</param>
/// <param name="IntegratedTime">Rekor v1 only, and only when the signed entry timestamp verified.</param>
/// <param name="InclusionProofVerified">True when the inclusion proof verified against a checkpoint signed by the log.</param>
internal sealed record VerifiedLogEntry(TransparencyLog Log, long LogIndex, string Kind, string Version,
    DateTimeOffset? IntegratedTime, bool InclusionProofVerified);

/// <summary>
/// Verifies one transparency log entry offline against the trusted root: the log is known, the entry type is allowlisted
/// and fits the content, the body records this signature, signer and digest, the SET (Rekor v1) and the inclusion proof
/// against a signed checkpoint. Never looks anything up online.
/// </summary>
internal static class TransparencyLogVerifier
{
    public static VerifiedLogEntry Verify(TransparencyLogEntry entry, SignedContent content, TrustedRoot trust, int bundleMinorVersion)
    {
        ArgumentNullException.ThrowIfNull(entry);
        ArgumentNullException.ThrowIfNull(content);
        ArgumentNullException.ThrowIfNull(trust);

        if (entry.LogId?.KeyId is not { Length: > 0 } logId || entry.CanonicalizedBody is not { Length: > 0 } body)
        {
            throw new VerificationException(TlogCodes.MalformedEntryBody, "The transparency log entry lacks its logId or canonicalizedBody. Obtain the bundle again from the signer.");
        }

        // Keys come only from the trusted root (T-07).
        var log = trust.FindTransparencyLog(logId)
            ?? throw new VerificationException(TlogCodes.UnknownLog,
                $"The transparency log entry comes from log {Convert.ToHexStringLower(logId)}, which the trusted root does not list. Verify with the trusted root of the instance that signed it.");

        var kind = entry.KindVersion?.Kind;
        var version = entry.KindVersion?.Version;
        var rekorV2 = LogEntryBody.CheckKind(kind, version, content.IsDsse);
        LogEntryBody.Bind(body, kind!, version!, content);

        DateTimeOffset? integratedTime = null;
        if (!rekorV2 && entry.InclusionPromise?.SignedEntryTimestamp is { Length: > 0 } set)
        {
            VerifySignedEntryTimestamp(entry, log, set);
            var time = DateTimeOffset.FromUnixTimeSeconds(entry.IntegratedTime);
            if (!log.ValidFor.Contains(time))
            {
                throw new VerificationException(TlogCodes.IntegratedTimeOutsideLogValidity,
                    $"The entry was integrated at {time:O}, outside the log key's validity in the trusted root. The log key was not trusted then.");
            }

            integratedTime = time;
        }

        var proofVerified = false;
        if (entry.InclusionProof is { } proof)
        {
            VerifyInclusionProof(proof, log, body, rekorV2);
            proofVerified = true;
        }
        else if (bundleMinorVersion >= 2 || rekorV2)
        {
            // No online lookup to fill the gap (T-04).
            throw new VerificationException(TlogCodes.MissingInclusionProof,
                "The transparency log entry has no inclusion proof, which v0.2+ bundles and Rekor v2 entries require. Obtain a bundle that includes the proof.");
        }

        if (integratedTime is null && !proofVerified)
        {
            throw new VerificationException(TlogCodes.MissingInclusionProof,
                "The transparency log entry has neither a signed entry timestamp nor a checkpointed inclusion proof. Obtain a complete bundle.");
        }

        return new VerifiedLogEntry(log, entry.LogIndex, kind!, version!, integratedTime, proofVerified);
    }

    /// <summary>What a Rekor v1 SET signs: canonical JSON {body, integratedTime, logID, logIndex}, keys in this order.</summary>
    internal static byte[] SignedEntryTimestampPayload(TransparencyLogEntry entry) =>
        Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture,
            $"{{\"body\":\"{Convert.ToBase64String(entry.CanonicalizedBody!)}\",\"integratedTime\":{entry.IntegratedTime},\"logID\":\"{Convert.ToHexStringLower(entry.LogId!.KeyId!)}\",\"logIndex\":{entry.LogIndex}}}"));

    private static void VerifySignedEntryTimestamp(TransparencyLogEntry entry, TransparencyLog log, byte[] set)
    {
        if (!log.Key.VerifyData(SignedEntryTimestampPayload(entry), set))
        {
            throw new VerificationException(TlogCodes.InvalidSignedEntryTimestamp,
                "The entry's signed entry timestamp (inclusion promise) does not verify with the log key. The entry, its time or its index was altered.");
        }
    }

    private static void VerifyInclusionProof(InclusionProof proof, TransparencyLog log, byte[] body, bool rekorV2)
    {
        // No hashes (absent in proto3 JSON) is the proof for a one-leaf tree.
        if (proof.RootHash is not { Length: MerkleProof.HashSize } rootHash
            || !MerkleProof.VerifyInclusion(proof.LogIndex, proof.TreeSize, MerkleProof.HashLeaf(body), proof.Hashes ?? [], rootHash))
        {
            throw new VerificationException(TlogCodes.InvalidInclusionProof,
                $"The inclusion proof for index {proof.LogIndex} in a tree of size {proof.TreeSize} does not lead to its root hash. The proof or the entry was altered.");
        }

        // An unsigned root hash proves nothing, in v0.1 bundles too (a SET beside it does not make it signed).
        if (string.IsNullOrEmpty(proof.Checkpoint?.Envelope))
        {
            throw new VerificationException(TlogCodes.MalformedCheckpoint, "The inclusion proof has no checkpoint, so its root hash is not signed by the log and the proof proves nothing. Obtain a bundle whose proof carries the log's signed checkpoint.");
        }

        SignedCheckpoint.Parse(proof.Checkpoint.Envelope).Verify(log, rekorV2, proof.TreeSize, rootHash);
    }
}
