using System.Globalization;
using System.Security.Cryptography;
using SigstoreBuild.Crypto;
using SigstoreBuild.Diagnostics;
using SigstoreBuild.IO;

namespace SigstoreBuild.Verification;

/// <summary>
/// What a bundle must prove: which artifact (bytes, stream, file or digest), signed by whom (certificate identities, any of
/// which may match, or a caller-supplied key), and for DSSE which predicate type. Immutable; methods return a new
/// policy. There is no default that skips the artifact or the signer: only the explicit <c>UnsafeWithout…</c> methods
/// do, each setting the matching <c>UnsafeSkip…</c> flag (as <see cref="VerifierOptions"/> names its own).
/// </summary>
public sealed class VerificationPolicy
{
    /// <summary>The largest artifact file read whole to check an Ed25519 signature.</summary>
    public const long MaxEd25519ArtifactBytes = 256 * 1024 * 1024;

    internal static readonly InputKind ArtifactFile = InputKind.AnySize("artifact");

    internal static readonly InputKind Ed25519ArtifactFile = new("artifact", MaxEd25519ArtifactBytes,
        "An Ed25519 signature covers the whole artifact, so it is read into memory; ask the signer to sign large artifacts keylessly or with an ECDSA key.");

    private VerificationPolicy()
    {
    }

    internal byte[]? ArtifactBytes { get; private init; }

    internal Stream? ArtifactStream { get; private init; }

    internal string? ArtifactPath { get; private init; }

    internal bool HasArtifact => ArtifactBytes is not null || ArtifactStream is not null || ArtifactPath is not null;

    internal HashAlgorithmName? DigestAlgorithm { get; private init; }

    internal byte[]? Digest { get; private init; }

    internal bool UnsafeSkipArtifact { get; private init; }

    internal bool UnsafeSkipIdentity { get; private init; }

    public IReadOnlyList<CertificateIdentity> Identities { get; private init; } = [];

    public VerificationKey? Key { get; private init; }

    /// <summary>For DSSE bundles: the exact in-toto predicateType required.</summary>
    public string? PredicateType { get; private init; }

    /// <summary>DSSE bundles: the SLSA provenance must agree with the certificate's Fulcio extensions (D-06).</summary>
    public bool ProvenanceConsistency { get; private init; }

    internal bool UnsafeUncorroboratedProvenance { get; private init; }

    /// <summary>Revocations that fail an otherwise valid signature (SSB3490), or null.</summary>
    public RevocationList? Revocations { get; private init; }

    /// <summary>Verify against these artifact bytes (digest computed by the verifier).</summary>
    public static VerificationPolicy ForArtifact(byte[] artifact)
    {
        ArgumentNullException.ThrowIfNull(artifact);
        return new VerificationPolicy { ArtifactBytes = artifact };
    }

    /// <summary>Verify against a stream read once, to its end, during <see cref="SigstoreVerifier.Verify"/>.</summary>
    public static VerificationPolicy ForArtifact(Stream artifact)
    {
        ArgumentNullException.ThrowIfNull(artifact);
        return new VerificationPolicy { ArtifactStream = artifact };
    }

    /// <summary>
    /// Verify against the file at <paramref name="path"/>, hashed as a stream during <see cref="SigstoreVerifier.Verify"/>
    /// (any size, in constant memory). Only an Ed25519 key, which signs the whole message, makes the verifier read it
    /// whole (up to <see cref="MaxEd25519ArtifactBytes"/>).
    /// </summary>
    public static VerificationPolicy ForArtifactFile(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return new VerificationPolicy { ArtifactPath = Path.GetFullPath(path) };
    }

    /// <summary>Verify against a digest. For DSSE bundles it must be the digest of an in-toto subject.</summary>
    public static VerificationPolicy ForDigest(HashAlgorithmName algorithm, byte[] digest)
    {
        ArgumentNullException.ThrowIfNull(digest);
        if (HashLength(algorithm) is not { } length)
        {
            throw new VerificationException(PolicyCodes.UnsupportedDigestAlgorithm, $"Digest algorithm {algorithm.Name} is not supported. Use SHA-256, SHA-384 or SHA-512.");
        }

        if (digest.Length != length)
        {
            throw new VerificationException(digest.Length == 0 ? PolicyCodes.EmptyArtifact : PolicyCodes.UnsupportedDigestAlgorithm, $"A {algorithm.Name} digest has {length} bytes, not {digest.Length}.");
        }

        return new VerificationPolicy { DigestAlgorithm = algorithm, Digest = (byte[])digest.Clone() };
    }

    /// <summary>Verify against <c>sha256:&lt;hex&gt;</c> (also <c>sha384:</c>, <c>sha512:</c>), lowercase or uppercase hex.</summary>
    public static VerificationPolicy ForDigest(string algorithmAndHex)
    {
        ArgumentNullException.ThrowIfNull(algorithmAndHex);
        var colon = algorithmAndHex.IndexOf(':', StringComparison.Ordinal);
        var algorithm = colon < 0 ? null : algorithmAndHex[..colon].ToLowerInvariant() switch
        {
            "sha256" => HashAlgorithmName.SHA256,
            "sha384" => HashAlgorithmName.SHA384,
            "sha512" => HashAlgorithmName.SHA512,
            _ => (HashAlgorithmName?)null,
        };
        if (algorithm is null)
        {
            throw new VerificationException(PolicyCodes.UnsupportedDigestAlgorithm, $"'{algorithmAndHex}' is not '<sha256|sha384|sha512>:<hex>'.");
        }

        byte[] digest;
        try
        {
            digest = Convert.FromHexString(algorithmAndHex.AsSpan(colon + 1));
        }
        catch (FormatException ex)
        {
            throw new VerificationException(PolicyCodes.UnsupportedDigestAlgorithm, $"'{algorithmAndHex}' does not end in a hex digest.", ex);
        }

        return ForDigest(algorithm.Value, digest);
    }

    /// <summary>
    /// UNSAFE: accept a bundle without checking which artifact it signs (a message signature is checked over the
    /// bundle's own digest; a DSSE subject is not matched). Only for inspection tools; never for trust decisions.
    /// </summary>
    public static VerificationPolicy UnsafeWithoutArtifact() => new() { UnsafeSkipArtifact = true };

    /// <summary>Requires the certificate to match at least one of <paramref name="anyOf"/>. Replaces earlier identities.</summary>
    public VerificationPolicy RequireIdentity(params CertificateIdentity[] anyOf)
    {
        ArgumentNullException.ThrowIfNull(anyOf);
        if (anyOf.Length == 0 || anyOf.Any(i => i is null))
        {
            throw new ArgumentException("Give at least one identity.", nameof(anyOf));
        }

        return With(p => p.Identities = [.. anyOf]);
    }

    /// <summary>Key-based bundles: the bundle must be signed by this key (and carry no certificate).</summary>
    public VerificationPolicy WithKey(VerificationKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return With(p => p.Key = key);
    }

    /// <summary>DSSE bundles: the in-toto statement's predicateType must equal this exactly.</summary>
    public VerificationPolicy RequirePredicateType(string predicateType)
    {
        ArgumentException.ThrowIfNullOrEmpty(predicateType);
        return With(p => p.PredicateType = predicateType);
    }

    /// <summary>
    /// DSSE bundles: require an SLSA v1 provenance whose builder id, source and invocation agree with the certificate's
    /// Build Signer URI, Source Repository URI/Digest/Ref and Run Invocation URI wherever the certificate has them (D-06).
    /// </summary>
    /// <remarks>A certificate with none of those extensions (an email identity) corroborates nothing and fails (SSB3424).</remarks>
    public VerificationPolicy RequireProvenanceConsistency() => With(p => p.ProvenanceConsistency = true);

    /// <summary>
    /// UNSAFE: with <see cref="RequireProvenanceConsistency"/>, accept a certificate that corroborates nothing of the
    /// provenance (no builder, source or invocation extension, e.g. an email identity) instead of failing with SSB3424.
    /// The result then carries an SSB3560 warning.
    /// </summary>
    public VerificationPolicy UnsafeAllowUncorroboratedProvenance() => With(p => p.UnsafeUncorroboratedProvenance = true);

    /// <summary>
    /// UNSAFE: accept any certificate the trusted CA issued, whoever it names. Only for inspection tools; the result
    /// still reports the identity, which the caller must then check.
    /// </summary>
    public VerificationPolicy UnsafeWithoutIdentity() => With(p => p.UnsafeSkipIdentity = true);

    /// <summary>
    /// Fails a signature that one of <paramref name="revocations"/> names (by identity within a window of verified time,
    /// digest, log entry or key) with SSB3490, after every other check passed. Several lists combine.
    /// </summary>
    public VerificationPolicy RejectRevoked(RevocationList revocations)
    {
        ArgumentNullException.ThrowIfNull(revocations);
        return With(p => p.Revocations = p.Revocations is null ? revocations : new RevocationList([.. p.Revocations.Entries, .. revocations.Entries]));
    }

    internal static int? HashLength(HashAlgorithmName algorithm) =>
        algorithm == HashAlgorithmName.SHA256 ? 32 : algorithm == HashAlgorithmName.SHA384 ? 48 : algorithm == HashAlgorithmName.SHA512 ? 64 : null;

    internal static string HashName(HashAlgorithmName algorithm) => algorithm.Name!.ToLower(CultureInfo.InvariantCulture);

    private VerificationPolicy With(Action<Builder> change)
    {
        var builder = new Builder(this);
        change(builder);
        return new VerificationPolicy
        {
            ArtifactBytes = ArtifactBytes,
            ArtifactStream = ArtifactStream,
            ArtifactPath = ArtifactPath,
            DigestAlgorithm = DigestAlgorithm,
            Digest = Digest,
            UnsafeSkipArtifact = UnsafeSkipArtifact,
            UnsafeSkipIdentity = builder.UnsafeSkipIdentity,
            Identities = builder.Identities,
            Key = builder.Key,
            PredicateType = builder.PredicateType,
            ProvenanceConsistency = builder.ProvenanceConsistency,
            UnsafeUncorroboratedProvenance = builder.UnsafeUncorroboratedProvenance,
            Revocations = builder.Revocations,
        };
    }

    private sealed class Builder(VerificationPolicy from)
    {
        public IReadOnlyList<CertificateIdentity> Identities { get; set; } = from.Identities;
        public VerificationKey? Key { get; set; } = from.Key;
        public string? PredicateType { get; set; } = from.PredicateType;
        public bool UnsafeSkipIdentity { get; set; } = from.UnsafeSkipIdentity;
        public bool ProvenanceConsistency { get; set; } = from.ProvenanceConsistency;
        public bool UnsafeUncorroboratedProvenance { get; set; } = from.UnsafeUncorroboratedProvenance;
        public RevocationList? Revocations { get; set; } = from.Revocations;
    }
}
