using System.Security.Cryptography;
using SigstoreBuild.Attestations;
using SigstoreBuild.Bundles;
using SigstoreBuild.Crypto;
using SigstoreBuild.Diagnostics;
using SigstoreBuild.IO;

namespace SigstoreBuild.Verification;

public sealed partial class SigstoreVerifier
{
    /// <summary>A message signature: the signature over the artifact (or its digest) with the signer's key.</summary>
    private static SignedEvidence VerifyArtifactSignature(MessageSignature messageSignature, Signer signer, VerificationPolicy policy, List<VerificationWarning> warnings)
    {
        if (policy.PredicateType is not null)
        {
            throw new VerificationException(PolicyCodes.PredicateTypeForMessageSignature, "The policy requires an attestation predicate type, but the bundle holds a plain message signature, not an attestation.");
        }

        var signature = messageSignature.Signature!;
        var (algorithm, digest, bytes) = ResolveArtifactDigest(messageSignature, policy, signer.Key, warnings);
        VerifyMessageSignature(signer.Key, signature, algorithm, digest, bytes);
        var content = new SignedContent
        {
            Signature = signature,
            SignerCertificate = signer.Leaf?.Certificate.RawData,
            SignerPublicKey = signer.Leaf is null ? signer.Key.SubjectPublicKeyInfo : null,
            ArtifactDigest = digest,
            ArtifactDigestAlgorithm = algorithm,
        };
        return new SignedEvidence(content, $"{VerificationPolicy.HashName(algorithm)}:{Convert.ToHexStringLower(digest)}", null);
    }

    /// <summary>A DSSE envelope: the signature over its PAE, and the in-toto statement bound to the artifact.</summary>
    private static SignedEvidence VerifyDsse(DsseEnvelope envelope, Signer signer, VerificationPolicy policy, List<VerificationWarning> warnings)
    {
        var (signature, artifactDigest, statement) = VerifyEnvelope(envelope, signer.Key, policy, warnings);
        var content = new SignedContent
        {
            Signature = signature,
            SignerCertificate = signer.Leaf?.Certificate.RawData,
            SignerPublicKey = signer.Leaf is null ? signer.Key.SubjectPublicKeyInfo : null,
            Envelope = envelope,
        };
        return new SignedEvidence(content, artifactDigest, statement);
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

    private static (byte[] Signature, string? ArtifactDigest, InTotoStatement Statement) VerifyEnvelope(DsseEnvelope envelope, VerificationKey key, VerificationPolicy policy, List<VerificationWarning> warnings)
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

        return (signature, artifactDigest, statement);
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

    /// <summary>
    /// D-06, when the policy or the identity naming the signer asks for it: the predicate's claims must not contradict
    /// the certificate (only a certificate can corroborate them).
    /// </summary>
    private static void VerifyProvenanceConsistency(InTotoStatement? statement, LeafEvidence? leaf, VerificationPolicy policy, ProvenanceDemand demand, List<VerificationWarning> warnings)
    {
        if (policy.ProvenanceConsistency || demand != ProvenanceDemand.None)
        {
            CheckProvenance(statement, leaf, policy.UnsafeUncorroboratedProvenance || demand == ProvenanceDemand.ConsistentIfCorroborated, warnings);
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

    /// <summary>What the signature covers (the content logs and timestamps must be bound to), and what it was matched to.</summary>
    private sealed record SignedEvidence(SignedContent Content, string? ArtifactDigest, InTotoStatement? Statement);
}
