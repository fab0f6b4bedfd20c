using System.Collections.Concurrent;
using System.Security.Cryptography;
using SigstoreBuild.Bundles;
using SigstoreBuild.Diagnostics;
using SigstoreBuild.Trust;
using SigstoreBuild.Verification.Certificates;
using SigstoreBuild.Verification.Timestamps;
using SigstoreBuild.Verification.Tlog;

namespace SigstoreBuild.Verification;

/// <summary>
/// Verifies Sigstore bundles offline against one trusted root. Thread-safe; create it once and reuse it (per-CA and
/// per-certificate work is cached). Every failure throws <see cref="VerificationException"/> with an SSB3xxx code.
/// </summary>
public sealed partial class SigstoreVerifier
{
    private const int LeafCacheCapacity = 256;

    private readonly TrustedRoot _trust;
    private readonly VerifierOptions _options;
    private readonly TimeProvider _time;
    private readonly FulcioAuthorities _authorities;
    private readonly Func<TransparencyLogEntry, SignedContent, TrustedRoot, int, VerifiedLogEntry> _verifyLogEntry;
    private readonly Func<byte[], byte[], TrustedRoot, VerifiedTimestamp> _verifyTimestamp;
    private readonly ConcurrentDictionary<string, LeafEvidence> _leafCache = new(StringComparer.Ordinal);

    public SigstoreVerifier(TrustedRoot trust, VerifierOptions options, TimeProvider? timeProvider = null)
        : this(trust, options, timeProvider, TransparencyLogVerifier.Verify, TimestampVerifier.Verify)
    {
    }

    /// <summary>Tests substitute the log and timestamp verifiers to exercise the rest of the pipeline in isolation.</summary>
    internal SigstoreVerifier(
        TrustedRoot trust,
        VerifierOptions options,
        TimeProvider? timeProvider,
        Func<TransparencyLogEntry, SignedContent, TrustedRoot, int, VerifiedLogEntry> verifyLogEntry,
        Func<byte[], byte[], TrustedRoot, VerifiedTimestamp> verifyTimestamp)
    {
        ArgumentNullException.ThrowIfNull(trust);
        ArgumentNullException.ThrowIfNull(options);
        _trust = trust;
        _options = options;
        _time = timeProvider ?? TimeProvider.System;
        _authorities = FulcioAuthorities.For(trust);
        _verifyLogEntry = verifyLogEntry;
        _verifyTimestamp = verifyTimestamp;
    }

    public TrustedRoot TrustedRoot => _trust;

    public VerifierOptions Options => _options;

    /// <summary>
    /// Verifies <paramref name="bundle"/> under <paramref name="policy"/>; throws <see cref="VerificationException"/> on any failure.
    /// The steps follow the Sigstore client specification's verification order; each is one method below or in the
    /// partial files beside this one (SigstoreVerifier.Signer.cs, .Signature.cs, .Tlog.cs, .Time.cs).
    /// </summary>
    public VerificationResult Verify(Bundle bundle, VerificationPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(bundle);
        ArgumentNullException.ThrowIfNull(policy);
        var warnings = new List<VerificationWarning>();

        var material = VerifyBundleShape(bundle, policy, warnings);
        var signer = VerifySigner(material, policy);
        var signed = bundle.MessageSignature is { } messageSignature
            ? VerifyArtifactSignature(messageSignature, signer, policy, warnings)
            : VerifyDsse(bundle.DsseEnvelope!, signer, policy, warnings);
        var log = VerifyTransparencyLogInclusion(material, signed.Content, bundle.MinorVersion, warnings);
        var times = VerifyObserverTimestamps(material, signed.Content.Signature, log.Entries, warnings);

        IReadOnlyList<string> ctLogs = [];
        var provenanceDemand = ProvenanceDemand.None;
        if (signer.Leaf is { } leaf)
        {
            VerifyCertificateValidity(leaf, times.Times);
            ctLogs = VerifySignedCertificateTimestamps(leaf, warnings);
            provenanceDemand = VerifyIdentity(leaf.Leaf, policy);
        }

        VerifyProvenanceConsistency(signed.Statement, signer.Leaf, policy, provenanceDemand, warnings);

        var result = new VerificationResult
        {
            MediaType = bundle.MediaType!,
            ContentType = bundle.MessageSignature is not null ? "messageSignature" : "dsseEnvelope",
            Identity = signer.Leaf?.Leaf.Identity,
            KeySha256 = signer.Leaf is null ? Convert.ToHexStringLower(SHA256.HashData(signer.Key.SubjectPublicKeyInfo)) : null,
            ArtifactDigest = signed.ArtifactDigest,
            VerifiedTimes = times.Times,
            LogEntries = log.Entries.Select(e => new VerifiedLogEntryInfo(LogName(e.Log), Convert.ToHexStringLower(e.Log.LogId), e.LogIndex, e.Kind, e.Version, e.IntegratedTime, e.InclusionProofVerified)).ToArray(),
            CertificateTransparencyLogs = ctLogs,
            Statement = signed.Statement is { } statement ? new VerifiedStatement(statement.Type, statement.PredicateType, statement.Subjects.Select(s => s.Name).ToArray()) : null,
            InTotoStatement = signed.Statement,
            Warnings = warnings,
            DuplicatesCountedOnce = log.Duplicates + times.Duplicates,
        };
        CheckNotRevoked(result, signed.Statement, policy);
        return result;
    }

    /// <summary>Last: a revocation removes trust from a signature that is otherwise valid, judged by its verified times.</summary>
    private static void CheckNotRevoked(VerificationResult result, Attestations.InTotoStatement? statement, VerificationPolicy policy)
    {
        if (policy.Revocations is not { } revocations)
        {
            return;
        }

        var digests = (statement?.Subjects ?? []).SelectMany(s => s.Digest.Select(d => $"{d.Key}:{d.Value}"))
            .Concat(result.ArtifactDigest is { } artifact ? [artifact] : []);
        if (revocations.FindMatch(result, digests) is { } revoked)
        {
            var times = string.Join(", ", result.VerifiedTimes.Select(t => $"{Revocation.Time(t.Time)} ({t.Source})"));
            throw new VerificationException(PolicyCodes.Revoked, $"The signature verifies, but it is revoked: {revoked}. Its verified times: {times}. Do not use what it signs; the publisher revoked it after a compromise or a mistake.");
        }
    }

    /// <summary>
    /// The bundle may have been built in code rather than parsed, so its shape is checked again (cheap); the policy must
    /// name an artifact and a signer unless an Unsafe option says otherwise.
    /// </summary>
    private static VerificationMaterial VerifyBundleShape(Bundle bundle, VerificationPolicy policy, List<VerificationWarning> warnings)
    {
        BundleShape.Validate(bundle);
        CheckPolicyComplete(policy, warnings);
        return bundle.VerificationMaterial!;
    }

    private static void CheckPolicyComplete(VerificationPolicy policy, List<VerificationWarning> warnings)
    {
        if (!policy.HasArtifact && policy.Digest is null)
        {
            if (!policy.UnsafeSkipArtifact)
            {
                throw new VerificationException(PolicyCodes.MissingArtifact, "The policy names no artifact. Pass the artifact or its digest; UnsafeWithoutArtifact exists only for inspection.");
            }

            warnings.Add(new VerificationWarning(PolicyCodes.UnsafeOptionUsed, "the artifact was not checked (UnsafeWithoutArtifact)."));
        }

        if (policy.ArtifactBytes is { Length: 0 })
        {
            throw EmptyArtifact();
        }

        if (policy.Key is not null && policy.Identities.Count > 0)
        {
            throw new ArgumentException("A policy names either a key or certificate identities, not both.", nameof(policy));
        }

        if (policy.Key is null && policy.Identities.Count == 0)
        {
            if (!policy.UnsafeSkipIdentity)
            {
                throw new VerificationException(PolicyCodes.MissingIdentity, "The policy names no signer. Require a certificate identity (SAN and issuer) or a public key.");
            }

            warnings.Add(new VerificationWarning(PolicyCodes.UnsafeOptionUsed, "the signer identity was not checked (UnsafeWithoutIdentity)."));
        }
    }

    private static string LogName(TransparencyLog log) => log.BaseUrl ?? Convert.ToHexStringLower(log.LogId);

}
