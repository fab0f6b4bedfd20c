using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using SigstoreBuild.Bundles;

namespace SigstoreBuild.Rekor;

/// <summary>What a log entry records: a signature, the signing certificate, and either an artifact digest or a DSSE envelope.</summary>
internal sealed class LogEntryRequest
{
    public required byte[] Signature { get; init; }

    public required X509Certificate2 Certificate { get; init; }

    /// <summary>SHA-256 of the artifact (message signatures).</summary>
    public byte[]? ArtifactDigest { get; init; }

    public DsseEnvelope? Envelope { get; init; }

    public bool IsDsse => Envelope is not null;

    public string CertificatePem => PemEncoding.WriteString("CERTIFICATE", Certificate.RawData);

    public byte[] PayloadHash => SHA256.HashData(Envelope!.Payload!);
}

/// <summary>A transparency log client: submits an entry and returns it in bundle form.</summary>
internal interface ITransparencyLogClient
{
    Uri BaseUrl { get; }

    int MajorApiVersion { get; }

    Task<TransparencyLogEntry> SubmitAsync(LogEntryRequest request, CancellationToken cancellationToken);
}
