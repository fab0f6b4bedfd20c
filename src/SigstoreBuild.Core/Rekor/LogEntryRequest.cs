using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using SigstoreBuild.Bundles;

namespace SigstoreBuild.Rekor;

/// <summary>
/// What a log entry records: a signature, the signer (a certificate, or a public key for key-based signing), and either
/// an artifact digest or a DSSE envelope.
/// </summary>
internal sealed class LogEntryRequest
{
    public required byte[] Signature { get; init; }

    /// <summary>The signing certificate (keyless); null when <see cref="PublicKey"/> is the signer.</summary>
    public X509Certificate2? Certificate { get; init; }

    /// <summary>DER SubjectPublicKeyInfo of the signing key (key-based signing), else null.</summary>
    public byte[]? PublicKey { get; init; }

    /// <summary>The protobuf-specs PublicKeyDetails of the signing key (Rekor v2 verifiers).</summary>
    public string KeyDetails { get; init; } = "PKIX_ECDSA_P256_SHA_256";

    /// <summary>Digest of the artifact (message signatures), with <see cref="ArtifactDigestAlgorithm"/>.</summary>
    public byte[]? ArtifactDigest { get; init; }

    public HashAlgorithmName ArtifactDigestAlgorithm { get; init; } = HashAlgorithmName.SHA256;

    public DsseEnvelope? Envelope { get; init; }

    public bool IsDsse => Envelope is not null;

    /// <summary>The signer as Rekor v1 records it: a PEM certificate, or a PEM public key.</summary>
    public string SignerPem => Certificate is not null
        ? PemEncoding.WriteString("CERTIFICATE", Certificate.RawData)
        : PemEncoding.WriteString("PUBLIC KEY", PublicKey ?? throw new InvalidOperationException("A log entry needs a certificate or a public key."));

    public byte[] PayloadHash => SHA256.HashData(Envelope!.Payload!);
}

/// <summary>A transparency log client: submits an entry and returns it in bundle form.</summary>
internal interface ITransparencyLogClient
{
    Uri BaseUrl { get; }

    int MajorApiVersion { get; }

    Task<TransparencyLogEntry> SubmitAsync(LogEntryRequest request, CancellationToken cancellationToken);
}
