using System.Security.Cryptography;
using SigstoreBuild.Bundles;
using SigstoreBuild.Diagnostics;
using SigstoreBuild.Trust;
using SigstoreBuild.Verification;
using SigstoreBuild.Verification.Tlog;

namespace SigstoreBuild.Rekor;

/// <summary>
/// The signer's own check of a fresh log entry (client-spec §2.1.7, threat model F-05), made with the verifier's log
/// checks so that signer and consumer cannot disagree: the entry records this signature, certificate and artifact,
/// comes from a trusted log, carries a valid SET (v1), and its inclusion proof leads to a checkpoint signed by that log.
/// </summary>
internal static class LogEntryChecker
{
    public static void Check(TransparencyLogEntry entry, LogEntryRequest request, TrustedRoot trustedRoot, int majorApiVersion)
    {
        var content = new SignedContent
        {
            Signature = request.Signature,
            SignerCertificate = request.Certificate?.RawData,
            SignerPublicKey = request.PublicKey,
            ArtifactDigest = request.ArtifactDigest,
            ArtifactDigestAlgorithm = request.ArtifactDigestAlgorithm,
            Envelope = request.Envelope,
        };

        VerifiedLogEntry verified;
        try
        {
            verified = TransparencyLogVerifier.Verify(entry, content, trustedRoot, bundleMinorVersion: 3);
        }
        catch (VerificationException ex)
        {
            throw new SigstoreException(SigningCodes.RekorEntryInvalid, $"The transparency log entry failed verification ({ex.Code}: {ex.Message}). No bundle was written.", ex);
        }

        if (verified.Version != (majorApiVersion == 1 ? "0.0.1" : "0.0.2"))
        {
            throw RekorV1Client.Invalid($"the log answered with a {verified.Kind} {verified.Version} entry to a Rekor v{majorApiVersion} request");
        }

        if (majorApiVersion == 1 && verified.IntegratedTime is null)
        {
            throw RekorV1Client.Invalid("it carries no signed entry timestamp");
        }

        if (!verified.InclusionProofVerified)
        {
            throw RekorV1Client.Invalid("it carries no inclusion proof");
        }
    }
}
