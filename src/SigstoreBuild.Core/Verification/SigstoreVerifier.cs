using System.Collections.Concurrent;
using System.Security.Cryptography;
using SigstoreBuild.Attestations;
using SigstoreBuild.Bundles;
using SigstoreBuild.Crypto;
using SigstoreBuild.Diagnostics;
using SigstoreBuild.IO;
using SigstoreBuild.Trust;
using SigstoreBuild.Verification.Certificates;
using SigstoreBuild.Verification.Timestamps;
using SigstoreBuild.Verification.Tlog;

namespace SigstoreBuild.Verification;

/// <summary>
/// Verifies Sigstore bundles offline against one trusted root. Thread-safe; create it once and reuse it (per-CA and
/// per-certificate work is cached). Every failure throws <see cref="VerificationException"/> with an SSB3xxx code.
/// </summary>
public sealed class SigstoreVerifier
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

    /// <summary>Verifies <paramref name="bundle"/> under <paramref name="policy"/>; throws <see cref="VerificationException"/> on any failure.</summary>
    public VerificationResult Verify(Bundle bundle, VerificationPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(bundle);
        ArgumentNullException.ThrowIfNull(policy);
        var warnings = new List<VerificationWarning>();

        // The bundle may have been built in code rather than parsed: check its shape again (cheap).
        BundleShape.Validate(bundle);
        CheckPolicyComplete(policy, warnings);
        var material = bundle.VerificationMaterial!;

        // 1. The signer: a certificate that chains to a trusted Fulcio CA, or the caller's key. Never one for the other.
        LeafEvidence? leaf = null;
        VerificationKey key;
        if (policy.Key is not null)
        {
            if (material.PublicKey is null)
            {
                throw new VerificationException(PolicyCodes.KeyPolicyCertificateBundle, "The policy names a public key but the bundle is signed with a certificate. Verify it with a certificate identity instead.");
            }

            key = policy.Key;
        }
        else
        {
            if (material.PublicKey is not null)
            {
                throw new VerificationException(PolicyCodes.KeylessPolicyKeyBundle, "The bundle is signed with a key, not a certificate, and the policy supplies no key. Verify it with the signer's public key.");
            }

            var chain = material.Certificate is { } single ? [single.RawBytes!] : material.X509CertificateChain!.Certificates!.Select(c => c.RawBytes!).ToArray();
            _authorities.CheckBundleChain(chain);

            leaf = GetLeafEvidence(chain[0]);
            key = leaf.Key;
        }

        // 2. The signature over the artifact, or over the DSSE PAE (with the in-toto statement bound to the artifact).
        byte[] signature;
        SignedContent content;
        string? artifactDigest;
        VerifiedStatement? statement = null;
        InTotoStatement? parsedStatement = null;
        if (bundle.MessageSignature is { } messageSignature)
        {
            if (policy.PredicateType is not null)
            {
                throw new VerificationException(PolicyCodes.PredicateTypeForMessageSignature, "The policy requires an attestation predicate type, but the bundle holds a plain message signature, not an attestation.");
            }

            signature = messageSignature.Signature!;
            var (algorithm, digest, bytes) = ResolveArtifactDigest(messageSignature, policy, key, warnings);
            VerifyMessageSignature(key, signature, algorithm, digest, bytes);
            artifactDigest = $"{VerificationPolicy.HashName(algorithm)}:{Convert.ToHexStringLower(digest)}";
            content = new SignedContent
            {
                Signature = signature,
                SignerCertificate = leaf?.Certificate.RawData,
                SignerPublicKey = leaf is null ? key.SubjectPublicKeyInfo : null,
                ArtifactDigest = digest,
                ArtifactDigestAlgorithm = algorithm,
            };
        }
        else
        {
            var envelope = bundle.DsseEnvelope!;
            (signature, statement, artifactDigest, parsedStatement) = VerifyEnvelope(envelope, key, policy, warnings);
            content = new SignedContent
            {
                Signature = signature,
                SignerCertificate = leaf?.Certificate.RawData,
                SignerPublicKey = leaf is null ? key.SubjectPublicKeyInfo : null,
                Envelope = envelope,
            };
        }

        // 3. Transparency log entries bound to this content; thresholds count distinct logs.
        var logEntries = new List<VerifiedLogEntry>();
        var entryBodies = new List<byte[]>();
        var duplicates = 0;
        foreach (var entry in material.TlogEntries ?? [])
        {
            var verified = _verifyLogEntry(entry, content, _trust, bundle.MinorVersion);

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

        // 4. Signed times: SET-verified integrated times and RFC 3161 timestamps over this signature, deduplicated.
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

        var verifiedTimestamps = VerifyTimestamps(material, signature, ref duplicates);
        foreach (var timestamp in verifiedTimestamps)
        {
            times.Add(new VerifiedTime("timestamp-authority", timestamp.Authority.Uri ?? "timestamp authority", timestamp.Time));
            timeSources.Add(timestamp.Authority);
        }

        // Entries without a signed integrated time (Rekor v2, or proof-only v1) say nothing about when their log key signed;
        // a key retired before every verified timestamp cannot have logged this signature (C-03).
        foreach (var entry in logEntries)
        {
            if (entry.IntegratedTime is null && entry.Log.ValidFor.End is { } end && verifiedTimestamps.Count > 0 && verifiedTimestamps.All(t => t.Time > end))
            {
                throw new VerificationException(TlogCodes.IntegratedTimeOutsideLogValidity,
                    $"The log entry is checkpointed by a log key whose trusted-root validity ended at {end:O}, before the signature's timestamps. The log key was retired or compromised; obtain a bundle from a current log.");
            }
        }

        if (verifiedTimestamps.Count == 0 && logEntries.Any(e => e.IntegratedTime is null))
        {
            // Rekor v2 entries carry no SET, so only a TSA can say when the signature existed.
            if (logEntries.All(e => e.IntegratedTime is null))
            {
                throw new VerificationException(PolicyCodes.MissingSignedTimestamp, "The bundle's log entries carry no signed integrated time (Rekor v2) and the bundle has no RFC 3161 timestamp. Sign with a timestamp authority.");
            }
        }

        var now = _time.GetUtcNow();
        foreach (var time in times)
        {
            if (time.Time > now + _options.MaxClockSkew)
            {
                throw new VerificationException(PolicyCodes.TimeInFuture, $"A verified time ({time.Time:O}, {time.Source}) is in the future. Check the clock, or the bundle was forged.");
            }
        }

        if (timeSources.Count < _options.VerifiedTimeThreshold)
        {
            if (!_options.UnsafeAllowCurrentTime)
            {
                throw new VerificationException(PolicyCodes.VerifiedTimeThresholdNotMet, $"The bundle has {timeSources.Count} distinct verified time source(s); {_options.VerifiedTimeThreshold} required. Add an RFC 3161 timestamp or a log entry with a SET.");
            }

            warnings.Add(new VerificationWarning(PolicyCodes.UnsafeOptionUsed, "verified-time threshold not met; the certificate is checked at the current time because UnsafeAllowCurrentTime is set."));
            if (times.Count == 0)
            {
                times.Add(new VerifiedTime("current-time", "verifier clock", now));
            }
        }

        // 5. The certificate at every verified time, its SCTs, and the identity policy.
        VerifiedIdentity? identity = null;
        var provenanceDemand = ProvenanceDemand.None;
        var ctLogs = new List<string>();
        if (leaf is not null)
        {
            foreach (var time in times)
            {
                FulcioAuthorities.CheckValidAt(leaf.Certificate, leaf.Issuers, time.Time, time.Source);
            }

            var sctLogs = EmbeddedSctVerifier.DistinctLogs(leaf.Scts);
            if (sctLogs < _options.CertificateTransparencyLogThreshold)
            {
                if (!_options.UnsafeSkipCertificateTransparency)
                {
                    throw new VerificationException(CertificateCodes.SctThresholdNotMet, $"The certificate has verified SCTs from {sctLogs} distinct trusted CT log(s); {_options.CertificateTransparencyLogThreshold} required. The certificate was not logged by a CT log of this trusted root.");
                }

                warnings.Add(new VerificationWarning(PolicyCodes.UnsafeOptionUsed, "SCT threshold not met; accepted because UnsafeSkipCertificateTransparency is set."));
            }

            ctLogs.AddRange(leaf.Scts.Select(s => LogName(s.Log)).Distinct(StringComparer.Ordinal));
            identity = leaf.Leaf.Identity;
            provenanceDemand = CheckIdentity(leaf.Leaf, policy);
        }

        if (policy.ProvenanceConsistency || provenanceDemand != ProvenanceDemand.None)
        {
            CheckProvenance(parsedStatement, leaf, policy.UnsafeUncorroboratedProvenance || provenanceDemand == ProvenanceDemand.ConsistentIfCorroborated, warnings);
        }

        return new VerificationResult
        {
            MediaType = bundle.MediaType!,
            ContentType = bundle.MessageSignature is not null ? "messageSignature" : "dsseEnvelope",
            Identity = identity,
            KeySha256 = leaf is null ? Convert.ToHexStringLower(SHA256.HashData(key.SubjectPublicKeyInfo)) : null,
            ArtifactDigest = artifactDigest,
            VerifiedTimes = times,
            LogEntries = logEntries.Select(e => new VerifiedLogEntryInfo(LogName(e.Log), Convert.ToHexStringLower(e.Log.LogId), e.LogIndex, e.Kind, e.Version, e.IntegratedTime, e.InclusionProofVerified)).ToArray(),
            CertificateTransparencyLogs = ctLogs,
            Statement = statement,
            InTotoStatement = parsedStatement,
            Warnings = warnings,
            DuplicatesCountedOnce = duplicates,
        };
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

    private LeafEvidence GetLeafEvidence(byte[] der)
    {
        var cacheKey = Convert.ToHexString(SHA256.HashData(der));
        if (_leafCache.TryGetValue(cacheKey, out var cached))
        {
            return cached;
        }

        // Pure functions of the certificate bytes and the trusted root: safe to cache (time checks are not cached).
        var leaf = FulcioLeaf.Parse(der);
        var issuers = _authorities.FindIssuers(leaf.Certificate);
        var scts = EmbeddedSctVerifier.Verify(leaf.Certificate, issuers[0].IssuingKey, _trust);
        VerificationKey key;
        try
        {
            key = VerificationKey.FromSubjectPublicKeyInfo(leaf.Certificate.SubjectPublicKeyInfo);
        }
        catch (Exception ex) when (ex is CryptographicException or PlatformNotSupportedException)
        {
            // An EC key on a curve the platform does not know surfaces as PlatformNotSupportedException.
            throw new VerificationException(KeyCodes.UnsupportedKey, $"The signing certificate's public key cannot be read: {ex.Message}", ex);
        }

        var evidence = new LeafEvidence(leaf, issuers, scts, key);
        if (_leafCache.Count >= LeafCacheCapacity)
        {
            _leafCache.Clear();
        }

        _leafCache[cacheKey] = evidence;
        return evidence;
    }

    private static (HashAlgorithmName Algorithm, byte[] Digest, byte[]? Bytes) ResolveArtifactDigest(MessageSignature signature, VerificationPolicy policy, VerificationKey key, List<VerificationWarning> warnings)
    {
        HashAlgorithmName? hintAlgorithm = signature.MessageDigest?.Algorithm switch
        {
            null => null,
            "SHA2_256" => HashAlgorithmName.SHA256,
            "SHA2_384" => HashAlgorithmName.SHA384,
            "SHA2_512" => HashAlgorithmName.SHA512,
            var other => throw new VerificationException(PolicyCodes.UnsupportedDigestAlgorithm, $"The bundle's message digest algorithm '{other}' is not supported (SHA2_256, SHA2_384, SHA2_512)."),
        };
        var hint = signature.MessageDigest?.Digest;
        if (hint is not null && hint.Length != VerificationPolicy.HashLength(hintAlgorithm!.Value))
        {
            throw new VerificationException(PolicyCodes.ArtifactDigestMismatch, $"The bundle's {hintAlgorithm.Value.Name} message digest has the wrong length ({hint.Length} bytes).");
        }

        HashAlgorithmName algorithm;
        byte[] digest;
        byte[]? bytes = null;
        if (policy.Digest is not null)
        {
            algorithm = policy.DigestAlgorithm!.Value;
            digest = policy.Digest;
        }
        else if (policy.HasArtifact)
        {
            // Without a digest in the bundle, hash as the key signs (P-384 with SHA-384, P-521 with SHA-512).
            algorithm = hintAlgorithm ?? (key.IsEd25519 ? HashAlgorithmName.SHA256 : key.HashAlgorithm);
            if (policy.ArtifactBytes is not null || (key.IsEd25519 && policy.ArtifactPath is not null))
            {
                // Ed25519 signs the message itself, so a file is read whole, bounded.
                bytes = policy.ArtifactBytes ?? InputFile.ReadAllBytes(policy.ArtifactPath!, VerificationPolicy.Ed25519ArtifactFile);
                digest = bytes.Length > 0 ? HashData(algorithm, bytes) : throw EmptyArtifact();
            }
            else
            {
                digest = HashArtifact(policy, algorithm);
            }
        }
        else
        {
            // UnsafeWithoutArtifact: the bundle's own digest is all there is.
            if (hint is null)
            {
                throw new VerificationException(PolicyCodes.MissingArtifact, "The bundle carries no message digest and the policy names no artifact. Pass the artifact.");
            }

            warnings.Add(new VerificationWarning(PolicyCodes.UnsafeOptionUsed, "the signature was checked over the bundle's own message digest."));
            return (hintAlgorithm!.Value, hint, null);
        }

        // The bundle's digest is only a hint, but a hint that disagrees means the bundle is for something else.
        if (hint is not null && (hintAlgorithm != algorithm || !CryptographicOperations.FixedTimeEquals(hint, digest)))
        {
            throw new VerificationException(PolicyCodes.ArtifactDigestMismatch, $"The bundle signs an artifact with {hintAlgorithm!.Value.Name} digest {Convert.ToHexStringLower(hint)}, not {algorithm.Name} {Convert.ToHexStringLower(digest)}. The bundle is not for this artifact.");
        }

        return (algorithm, digest, bytes);
    }

    private static void VerifyMessageSignature(VerificationKey key, byte[] signature, HashAlgorithmName algorithm, byte[] digest, byte[]? bytes)
    {
        bool valid;
        if (key.IsEd25519)
        {
            if (bytes is null)
            {
                throw new VerificationException(KeyCodes.KeyNeedsArtifactBytes, "An Ed25519 signature covers the artifact itself, not its digest. Verify with the artifact's bytes.");
            }

            valid = key.VerifyData(bytes, signature);
        }
        else
        {
            valid = key.VerifyDigest(digest, signature, algorithm);
        }

        if (!valid)
        {
            throw new VerificationException(KeyCodes.InvalidSignature, "The bundle's signature does not verify over the artifact with the signer's key. The artifact or the bundle was altered, or they do not belong together.");
        }
    }

    /// <summary>D-06: the predicate's claims must not contradict the certificate (only a certificate can corroborate them).</summary>
    private static void CheckProvenance(InTotoStatement? statement, LeafEvidence? leaf, bool allowUncorroborated, List<VerificationWarning> warnings)
    {
        if (statement is null || leaf is null)
        {
            throw new VerificationException(AttestationCodes.ProvenanceNotCheckable, "Provenance consistency was required, but the bundle is not an attestation signed with a Fulcio certificate, so its provenance cannot be compared with one.");
        }

        // A check that compared nothing is no check: the caller asked for corroboration and got none.
        if (ProvenanceConsistency.Check(statement.PredicateType, statement.Predicate, leaf.Leaf.Extensions).Count == 0)
        {
            if (!allowUncorroborated)
            {
                throw new VerificationException(AttestationCodes.ProvenanceNotCorroborated, $"Provenance consistency was required, but the certificate of '{leaf.Leaf.SubjectAlternativeName.Value}' has no build or source extensions (1.9, 1.12, 1.13, 1.21), as with an email identity, so nothing the provenance claims can be corroborated. Trust a CI identity whose certificate has them, or accept this signer's provenance uncorroborated with the UnsafeAllowUncorroboratedProvenance option (CLI: --unsafe-allow-uncorroborated-provenance).");
            }

            warnings.Add(new VerificationWarning(AttestationCodes.ProvenanceUncorroborated, "the certificate has no build or source extensions (1.9, 1.12, 1.13, 1.21), so nothing the provenance claims was corroborated; accepted because UnsafeAllowUncorroboratedProvenance is set."));
        }
    }

    private static (byte[] Signature, VerifiedStatement Statement, string? ArtifactDigest, InTotoStatement Parsed) VerifyEnvelope(DsseEnvelope envelope, VerificationKey key, VerificationPolicy policy, List<VerificationWarning> warnings)
    {
        // Unsupported types are refused before the payload is used (D-02); one signature only, since only one is logged (D-03).
        if (!string.Equals(envelope.PayloadType, DssePae.InTotoPayloadType, StringComparison.Ordinal))
        {
            throw new VerificationException(AttestationCodes.UnsupportedPayloadType, $"The DSSE payload type '{envelope.PayloadType}' is not supported; only '{DssePae.InTotoPayloadType}' is.");
        }

        if (envelope.Signatures!.Count != 1)
        {
            throw new VerificationException(AttestationCodes.SignatureCount, $"The DSSE envelope has {envelope.Signatures.Count} signatures; exactly one is allowed.");
        }

        var signature = envelope.Signatures[0].Sig!;
        if (!key.VerifyData(DssePae.Encode(envelope.PayloadType!, envelope.Payload!), signature))
        {
            throw new VerificationException(KeyCodes.InvalidSignature, "The DSSE signature does not verify over PAE(payloadType, payload) with the signer's key. The envelope was altered.");
        }

        var statement = InTotoStatement.Parse(envelope.Payload);
        var artifactDigest = MatchSubject(statement, policy, warnings);
        if (policy.PredicateType is not null && !string.Equals(policy.PredicateType, statement.PredicateType, StringComparison.Ordinal))
        {
            throw new VerificationException(AttestationCodes.PredicateTypeMismatch, $"The attestation's predicate type is '{statement.PredicateType}', not the required '{policy.PredicateType}'.");
        }

        return (signature, new VerifiedStatement(statement.Type, statement.PredicateType, statement.Subjects.Select(s => s.Name).ToArray()), artifactDigest, statement);
    }

    /// <summary>The artifact must be an in-toto subject, matched by (algorithm, digest) only; names are never enough.</summary>
    private static string? MatchSubject(InTotoStatement statement, VerificationPolicy policy, List<VerificationWarning> warnings)
    {
        if (policy.Digest is not null)
        {
            var name = VerificationPolicy.HashName(policy.DigestAlgorithm!.Value);
            var hex = Convert.ToHexStringLower(policy.Digest);
            return HasSubject(statement, name, hex) ? $"{name}:{hex}" : throw SubjectMismatch($"{name}:{hex}");
        }

        if (!policy.HasArtifact)
        {
            warnings.Add(new VerificationWarning(PolicyCodes.UnsafeOptionUsed, "the attestation subject was not matched to any artifact (UnsafeWithoutArtifact)."));
            return null;
        }

        // Hash with each algorithm the subjects use that we accept, strongest evidence first.
        var algorithms = new[] { HashAlgorithmName.SHA256, HashAlgorithmName.SHA512, HashAlgorithmName.SHA384 }
            .Where(a => statement.Subjects.Any(s => s.Digest.ContainsKey(VerificationPolicy.HashName(a))))
            .ToArray();
        if (policy.ArtifactStream is not null && algorithms.Length > 1)
        {
            algorithms = algorithms[..1];
        }

        foreach (var algorithm in algorithms)
        {
            var digest = policy.ArtifactBytes is not null ? HashData(algorithm, policy.ArtifactBytes) : HashArtifact(policy, algorithm);
            var name = VerificationPolicy.HashName(algorithm);
            var hex = Convert.ToHexStringLower(digest);
            if (HasSubject(statement, name, hex))
            {
                return $"{name}:{hex}";
            }
        }

        throw SubjectMismatch(policy.ArtifactBytes is not null ? "sha256:" + Convert.ToHexStringLower(SHA256.HashData(policy.ArtifactBytes)) : "the artifact");
    }

    private static bool HasSubject(InTotoStatement statement, string algorithm, string hex)
    {
        foreach (var subject in statement.Subjects)
        {
            if (subject.Digest.TryGetValue(algorithm, out var value) && string.Equals(value, hex, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    private static VerificationException SubjectMismatch(string digest) =>
        new(AttestationCodes.SubjectMismatch, $"No subject of the in-toto statement has digest {digest}. The attestation is not about this artifact.");

    private List<VerifiedTimestamp> VerifyTimestamps(VerificationMaterial material, byte[] signature, ref int duplicates)
    {
        var result = new List<VerifiedTimestamp>();
        var seenTokens = new HashSet<string>(StringComparer.Ordinal);
        var seenAuthorities = new HashSet<CertificateAuthority>(ReferenceEqualityComparer.Instance);
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

            // One TSA counts once, whatever number of tokens it issued; every token's time is still checked (S-05).
            seenAuthorities.Add(verified.Authority);
            result.Add(verified);
        }

        return result;
    }

    /// <returns>What the strictest identity that names the signer asks of its provenance.</returns>
    private static ProvenanceDemand CheckIdentity(FulcioLeaf leaf, VerificationPolicy policy)
    {
        if (policy.Identities.Count == 0)
        {
            return ProvenanceDemand.None; // UnsafeWithoutIdentity, already warned
        }

        ProvenanceDemand? named = null;
        var best = (Stage: -1, Detail: (string?)null, Identity: (CertificateIdentity?)null);
        foreach (var identity in policy.Identities)
        {
            var demand = Demand(identity);
            if (named is { } already && demand <= already)
            {
                continue; // only a stricter identity naming the signer changes the outcome
            }

            var (stage, detail) = identity.Match(leaf.SubjectAlternativeName.Value, leaf.Issuer, leaf.Extensions);
            if (stage == 3)
            {
                named = demand;
            }
            else if (named is null && stage > best.Stage)
            {
                best = (stage, detail, identity);
            }
        }

        if (named is { } result)
        {
            return result;
        }

        var san = leaf.SubjectAlternativeName.Value;
        throw best.Stage switch
        {
            0 => new VerificationException(PolicyCodes.SubjectAlternativeNameMismatch, $"The certificate's identity '{san}' matches none of the expected identities ({string.Join("; ", policy.Identities)}).") { Signer = leaf.Identity },
            1 => new VerificationException(PolicyCodes.IssuerMismatch, $"The certificate's OIDC issuer '{leaf.Issuer}' is not the expected '{best.Identity!.Issuer}' for identity '{san}'.") { Signer = leaf.Identity },
            _ => new VerificationException(PolicyCodes.ExtensionMismatch, $"The certificate for '{san}' does not meet the policy: {best.Detail}.") { Signer = leaf.Identity },
        };
    }

    private static ProvenanceDemand Demand(CertificateIdentity identity) =>
        !identity.RequiresProvenanceConsistency ? ProvenanceDemand.None
        : identity.UnsafeAllowsUncorroboratedProvenance ? ProvenanceDemand.ConsistentIfCorroborated
        : ProvenanceDemand.Consistent;

    /// <summary>Ordered from the laxest to the strictest.</summary>
    private enum ProvenanceDemand
    {
        None,
        ConsistentIfCorroborated,
        Consistent,
    }

    private static string LogName(TransparencyLog log) => log.BaseUrl ?? Convert.ToHexStringLower(log.LogId);

    private static byte[] HashData(HashAlgorithmName algorithm, byte[] data) =>
        algorithm == HashAlgorithmName.SHA256 ? SHA256.HashData(data)
        : algorithm == HashAlgorithmName.SHA384 ? SHA384.HashData(data)
        : SHA512.HashData(data);

    /// <summary>Hashes the policy's stream, or its file (opened afresh for each algorithm); an empty artifact is refused.</summary>
    private static byte[] HashArtifact(VerificationPolicy policy, HashAlgorithmName algorithm)
    {
        byte[] digest;
        long length;
        if (policy.ArtifactPath is { } path)
        {
            using var file = InputFile.OpenRead(path, VerificationPolicy.ArtifactFile);
            (digest, length) = HashStream(algorithm, file);
        }
        else
        {
            (digest, length) = HashStream(algorithm, policy.ArtifactStream!);
        }

        return length > 0 ? digest : throw EmptyArtifact();
    }

    private static VerificationException EmptyArtifact() =>
        new(PolicyCodes.EmptyArtifact, "The artifact is empty. Check the path of the file being verified.");

    private static (byte[] Digest, long Length) HashStream(HashAlgorithmName algorithm, Stream stream)
    {
        using var hash = IncrementalHash.CreateHash(algorithm);
        var buffer = new byte[81920];
        long total = 0;
        int read;
        while ((read = stream.Read(buffer, 0, buffer.Length)) > 0)
        {
            hash.AppendData(buffer, 0, read);
            total += read;
        }

        return (hash.GetHashAndReset(), total);
    }

    private sealed record LeafEvidence(FulcioLeaf Leaf, IReadOnlyList<FulcioAuthorities.TrustedAuthority> Issuers, IReadOnlyList<VerifiedSct> Scts, VerificationKey Key)
    {
        public ParsedCertificate Certificate => Leaf.Certificate;
    }
}
