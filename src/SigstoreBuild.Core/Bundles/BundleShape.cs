using SigstoreBuild.Diagnostics;

namespace SigstoreBuild.Bundles;

/// <summary>
/// Structural rules of protobuf-specs bundles v0.1-v0.3 that JSON typing cannot express: oneofs set exactly once,
/// required fields present, non-negative indices, version-specific requirements.
/// </summary>
/// <remarks>
/// proto3 JSON writers omit every scalar and list that holds its default value (sigstore-js does), so an absent scalar
/// or list is read as 0, empty or "", never as "missing": the first entry of a log has no logIndex, a one-leaf proof no
/// hashes. Only messages (objects) have presence.
/// </remarks>
internal static class BundleShape
{
    public static void Validate(Bundle bundle)
    {
        if (bundle.MinorVersion == 0)
        {
            throw Fail(BundleCodes.UnsupportedMediaType, $"Unsupported bundle media type '{bundle.MediaType}'. Supported: bundle v0.1, v0.2 and v0.3.");
        }

        if ((bundle.MessageSignature is null) == (bundle.DsseEnvelope is null))
        {
            throw Fail(BundleCodes.InvalidContent, "A bundle must contain exactly one of messageSignature and dsseEnvelope.");
        }

        ValidateMaterial(bundle);

        if (bundle.MessageSignature is { } ms)
        {
            if (ms.Signature is not { Length: > 0 })
            {
                throw Fail(BundleCodes.InvalidContent, "The bundle's message signature is empty.");
            }

            if (ms.MessageDigest is { } md && (string.IsNullOrEmpty(md.Algorithm) || md.Digest is not { Length: > 0 }))
            {
                throw Fail(BundleCodes.InvalidContent, "The bundle's message digest is incomplete.");
            }
        }
        else
        {
            var env = bundle.DsseEnvelope!;
            // An absent payload is an empty one (proto3); the statement parser refuses it later with its own code.
            if (string.IsNullOrEmpty(env.PayloadType) || env.Signatures is not { Count: > 0 })
            {
                throw Fail(BundleCodes.InvalidContent, "The bundle's DSSE envelope needs a payloadType and a signature.");
            }

            foreach (var sig in env.Signatures)
            {
                if (sig.Sig is not { Length: > 0 })
                {
                    throw Fail(BundleCodes.InvalidContent, "The bundle's DSSE envelope has an empty signature.");
                }
            }
        }
    }

    private static void ValidateMaterial(Bundle bundle)
    {
        var vm = bundle.VerificationMaterial
            ?? throw Fail(BundleCodes.InvalidVerificationMaterial, "The bundle has no verificationMaterial.");

        var kinds = (vm.PublicKey is null ? 0 : 1) + (vm.X509CertificateChain is null ? 0 : 1) + (vm.Certificate is null ? 0 : 1);
        if (kinds != 1)
        {
            throw Fail(BundleCodes.InvalidVerificationMaterial, "The bundle's verificationMaterial must contain exactly one of publicKey, x509CertificateChain and certificate.");
        }

        if (vm.X509CertificateChain is { } chain)
        {
            if (bundle.MinorVersion >= 3)
            {
                throw Fail(BundleCodes.InvalidVerificationMaterial, "A v0.3 bundle must carry a single certificate, not x509CertificateChain.");
            }

            if (chain.Certificates is not { Count: > 0 } || chain.Certificates.Any(c => c.RawBytes is not { Length: > 0 }))
            {
                throw Fail(BundleCodes.InvalidVerificationMaterial, "The bundle's certificate chain is empty.");
            }
        }

        if (vm.Certificate is { } cert && cert.RawBytes is not { Length: > 0 })
        {
            throw Fail(BundleCodes.InvalidVerificationMaterial, "The bundle's certificate is empty.");
        }

        foreach (var entry in vm.TlogEntries ?? [])
        {
            ValidateEntry(bundle, entry);
        }

        foreach (var ts in vm.TimestampVerificationData?.Rfc3161Timestamps ?? [])
        {
            if (ts.SignedTimestamp is not { Length: > 0 })
            {
                throw Fail(BundleCodes.InvalidTimestamp, "The bundle contains an empty RFC 3161 timestamp.");
            }
        }
    }

    private static void ValidateEntry(Bundle bundle, TransparencyLogEntry entry)
    {
        if (entry.LogIndex < 0 || entry.IntegratedTime < 0)
        {
            throw Fail(BundleCodes.InvalidTlogEntry, "A transparency log entry has a negative logIndex or integratedTime.");
        }

        if (entry.LogId?.KeyId is not { Length: > 0 } || string.IsNullOrEmpty(entry.KindVersion?.Kind) || string.IsNullOrEmpty(entry.KindVersion?.Version))
        {
            throw Fail(BundleCodes.InvalidTlogEntry, "A transparency log entry lacks its logId or kindVersion.");
        }

        if (entry.CanonicalizedBody is not { Length: > 0 })
        {
            throw Fail(BundleCodes.InvalidTlogEntry, "A transparency log entry lacks its canonicalizedBody.");
        }

        if (bundle.MinorVersion == 1 && entry.InclusionPromise?.SignedEntryTimestamp is not { Length: > 0 })
        {
            throw Fail(BundleCodes.InvalidTlogEntry, "A v0.1 bundle's transparency log entry must carry an inclusion promise (SET).");
        }

        if (entry.InclusionProof is { } proof)
        {
            if (proof.LogIndex < 0 || proof.TreeSize <= 0 || proof.LogIndex >= proof.TreeSize || proof.RootHash is not { Length: > 0 })
            {
                throw Fail(BundleCodes.InvalidTlogEntry, "A transparency log entry has a malformed inclusion proof.");
            }

            // Every version, v0.1 too: the proof's root hash is trusted only through the log's signed checkpoint, so a
            // proof without one proves nothing (protobuf-specs marks it REQUIRED), whatever SET comes with it.
            if (string.IsNullOrEmpty(proof.Checkpoint?.Envelope))
            {
                throw Fail(BundleCodes.InvalidTlogEntry, "A transparency log entry's inclusion proof has no checkpoint, so its root hash is not signed by the log and the proof proves nothing.");
            }
        }
        else if (bundle.MinorVersion >= 2)
        {
            throw Fail(BundleCodes.InvalidTlogEntry, "A v0.2+ bundle's transparency log entry must carry an inclusion proof.");
        }
    }

    private static VerificationException Fail(string code, string message) =>
        new(code, message + " The bundle is malformed; regenerate it with a Sigstore client.");
}
