using System.Security.Cryptography;
using SigstoreBuild.Bundles;

namespace SigstoreBuild.Verification;

/// <summary>
/// What a bundle's transparency log entries and timestamps must be bound to: the signature, the signer
/// (certificate or key) and the artifact digest computed by the verifier (never the bundle's own hint).
/// </summary>
internal sealed class SignedContent
{
    /// <summary>The signature bytes: the message signature, or the DSSE envelope's single signature.</summary>
    public required byte[] Signature { get; init; }

    /// <summary>DER of the signing certificate (keyless bundles), else null.</summary>
    public byte[]? SignerCertificate { get; init; }

    /// <summary>DER SubjectPublicKeyInfo of the signing key (key-based bundles), else null.</summary>
    public byte[]? SignerPublicKey { get; init; }

    /// <summary>Message signatures: the artifact digest the verifier computed or was given.</summary>
    public byte[]? ArtifactDigest { get; init; }

    public HashAlgorithmName ArtifactDigestAlgorithm { get; init; }

    /// <summary>DSSE bundles: the envelope as it appears in the bundle.</summary>
    public DsseEnvelope? Envelope { get; init; }

    public bool IsDsse => Envelope is not null;
}
