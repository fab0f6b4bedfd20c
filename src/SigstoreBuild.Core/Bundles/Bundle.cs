using System.Text.Json.Serialization;
using SigstoreBuild.Serialization;

namespace SigstoreBuild.Bundles;

// The Sigstore bundle as defined by protobuf-specs (sigstore_bundle.proto, sigstore_common.proto, sigstore_rekor.proto),
// in its proto3 JSON form. Parsing is strict: see BundleSerializer.

/// <summary>A Sigstore bundle: verification material plus either a message signature or a DSSE envelope.</summary>
public sealed class Bundle
{
    public const string MediaTypeV01 = "application/vnd.dev.sigstore.bundle+json;version=0.1";
    public const string MediaTypeV02 = "application/vnd.dev.sigstore.bundle+json;version=0.2";
    public const string MediaTypeV03 = "application/vnd.dev.sigstore.bundle.v0.3+json";
    public const string MediaTypeV03Legacy = "application/vnd.dev.sigstore.bundle+json;version=0.3";

    public string? MediaType { get; set; }
    public VerificationMaterial? VerificationMaterial { get; set; }
    public MessageSignature? MessageSignature { get; set; }
    public DsseEnvelope? DsseEnvelope { get; set; }

    /// <summary>The bundle format version (1, 2 or 3 for v0.1..v0.3), known after a successful parse.</summary>
    [JsonIgnore]
    public int MinorVersion => MediaType switch
    {
        MediaTypeV01 => 1,
        MediaTypeV02 => 2,
        MediaTypeV03 or MediaTypeV03Legacy => 3,
        _ => 0,
    };
}

public sealed class VerificationMaterial
{
    public PublicKeyIdentifier? PublicKey { get; set; }
    public X509CertificateChain? X509CertificateChain { get; set; }
    public X509CertificateBytes? Certificate { get; set; }

    [JsonConverter(typeof(BoundedListConverter<TransparencyLogEntry>))]
    public List<TransparencyLogEntry>? TlogEntries { get; set; }

    public TimestampVerificationData? TimestampVerificationData { get; set; }
}

public sealed class PublicKeyIdentifier
{
    public string? Hint { get; set; }
}

public sealed class X509CertificateChain
{
    [JsonConverter(typeof(BoundedListConverter<X509CertificateBytes>))]
    public List<X509CertificateBytes>? Certificates { get; set; }
}

public sealed class X509CertificateBytes
{
    /// <summary>DER-encoded certificate.</summary>
    public byte[]? RawBytes { get; set; }
}

public sealed class TimestampVerificationData
{
    [JsonConverter(typeof(BoundedListConverter<Rfc3161SignedTimestamp>))]
    public List<Rfc3161SignedTimestamp>? Rfc3161Timestamps { get; set; }
}

public sealed class Rfc3161SignedTimestamp
{
    /// <summary>DER-encoded TimeStampResponse or TimeStampToken (protobuf-specs: the signed timestamp token).</summary>
    public byte[]? SignedTimestamp { get; set; }
}

public sealed class MessageSignature
{
    public HashOutput? MessageDigest { get; set; }
    public byte[]? Signature { get; set; }
}

public sealed class HashOutput
{
    /// <summary>protobuf-specs HashAlgorithm enum name, e.g. <c>SHA2_256</c>.</summary>
    public string? Algorithm { get; set; }
    public byte[]? Digest { get; set; }
}

public sealed class DsseEnvelope
{
    public byte[]? Payload { get; set; }
    public string? PayloadType { get; set; }

    [JsonConverter(typeof(BoundedListConverter<DsseSignature>))]
    [JsonInclude]
    internal List<DsseSignature>? Signatures { get; set; }
}

internal sealed class DsseSignature
{
    public byte[]? Sig { get; set; }
    public string? Keyid { get; set; }
}

public sealed class TransparencyLogEntry
{
    [JsonConverter(typeof(ProtoInt64Converter))]
    public long LogIndex { get; set; }

    public LogId? LogId { get; set; }
    public KindVersion? KindVersion { get; set; }

    [JsonConverter(typeof(ProtoInt64Converter))]
    public long IntegratedTime { get; set; }

    public InclusionPromise? InclusionPromise { get; set; }
    public InclusionProof? InclusionProof { get; set; }
    public byte[]? CanonicalizedBody { get; set; }
}

public sealed class LogId
{
    public byte[]? KeyId { get; set; }
}

public sealed class KindVersion
{
    public string? Kind { get; set; }
    public string? Version { get; set; }
}

public sealed class InclusionPromise
{
    public byte[]? SignedEntryTimestamp { get; set; }
}

public sealed class InclusionProof
{
    [JsonConverter(typeof(ProtoInt64Converter))]
    public long LogIndex { get; set; }

    public byte[]? RootHash { get; set; }

    [JsonConverter(typeof(ProtoInt64Converter))]
    public long TreeSize { get; set; }

    [JsonConverter(typeof(BoundedListConverter<byte[]>))]
    public List<byte[]>? Hashes { get; set; }

    [JsonInclude]
    internal Checkpoint? Checkpoint { get; set; }
}

internal sealed class Checkpoint
{
    /// <summary>The C2SP signed note, verbatim.</summary>
    public string? Envelope { get; set; }
}
