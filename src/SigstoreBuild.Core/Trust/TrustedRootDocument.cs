using System.Text.Json.Serialization;
using SigstoreBuild.Bundles;
using SigstoreBuild.Serialization;

namespace SigstoreBuild.Trust;

// protobuf-specs sigstore_trustroot.proto in proto3 JSON. Unknown fields are tolerated here (the document is
// TUF-verified and may grow), unlike bundles.

/// <summary>The raw <c>trusted_root.json</c> document. Use <see cref="TrustedRoot"/> for verification.</summary>
internal sealed class TrustedRootDocument
{
    public const string MediaTypeV01 = "application/vnd.dev.sigstore.trustedroot+json;version=0.1";
    public const string MediaTypeV02 = "application/vnd.dev.sigstore.trustedroot.v0.2+json";

    public string? MediaType { get; set; }
    public List<TransparencyLogInstance>? Tlogs { get; set; }
    public List<CertificateAuthorityDocument>? CertificateAuthorities { get; set; }
    public List<TransparencyLogInstance>? Ctlogs { get; set; }
    public List<CertificateAuthorityDocument>? TimestampAuthorities { get; set; }
}

internal sealed class TransparencyLogInstance
{
    public string? BaseUrl { get; set; }
    public string? HashAlgorithm { get; set; }
    public PublicKeyDocument? PublicKey { get; set; }
    public LogId? LogId { get; set; }
    public LogId? CheckpointKeyId { get; set; }
    public string? Operator { get; set; }
}

internal sealed class PublicKeyDocument
{
    /// <summary>DER SubjectPublicKeyInfo.</summary>
    public byte[]? RawBytes { get; set; }

    /// <summary>protobuf-specs PublicKeyDetails enum name, e.g. <c>PKIX_ECDSA_P256_SHA_256</c>.</summary>
    public string? KeyDetails { get; set; }

    public TimeRangeDocument? ValidFor { get; set; }
}

internal sealed class TimeRangeDocument
{
    public DateTimeOffset? Start { get; set; }
    public DateTimeOffset? End { get; set; }
}

internal sealed class CertificateAuthorityDocument
{
    public DistinguishedNameDocument? Subject { get; set; }
    public string? Uri { get; set; }
    public X509CertificateChain? CertChain { get; set; }
    public TimeRangeDocument? ValidFor { get; set; }
    public string? Operator { get; set; }
}

internal sealed class DistinguishedNameDocument
{
    public string? Organization { get; set; }
    public string? CommonName { get; set; }
}

/// <summary><c>signing_config.json</c> v0.2 (protobuf-specs SigningConfig).</summary>
internal sealed class SigningConfigDocument
{
    public const string MediaTypeV02 = "application/vnd.dev.sigstore.signingconfig.v0.2+json";

    public string? MediaType { get; set; }
    public List<ServiceDocument>? CaUrls { get; set; }
    public List<ServiceDocument>? OidcUrls { get; set; }
    public List<ServiceDocument>? RekorTlogUrls { get; set; }
    public List<ServiceDocument>? TsaUrls { get; set; }
    public ServiceConfigurationDocument? RekorTlogConfig { get; set; }
    public ServiceConfigurationDocument? TsaConfig { get; set; }
}

internal sealed class ServiceDocument
{
    public string? Url { get; set; }

    [JsonConverter(typeof(ProtoUInt32Converter))]
    public int MajorApiVersion { get; set; }

    public TimeRangeDocument? ValidFor { get; set; }
    public string? Operator { get; set; }
}

internal sealed class ServiceConfigurationDocument
{
    /// <summary><c>ALL</c>, <c>ANY</c> or <c>EXACT</c>.</summary>
    public string? Selector { get; set; }

    [JsonConverter(typeof(ProtoUInt32Converter))]
    public int Count { get; set; }
}
