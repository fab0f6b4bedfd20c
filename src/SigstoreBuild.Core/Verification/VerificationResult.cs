using System.Text.Json;
using System.Text.Json.Serialization;

namespace SigstoreBuild.Verification;

/// <summary>The evidence a successful verification rests on. Serialise with <see cref="ToJson"/>.</summary>
public sealed class VerificationResult
{
    public required string MediaType { get; init; }

    /// <summary><c>messageSignature</c> or <c>dsseEnvelope</c>.</summary>
    public required string ContentType { get; init; }

    /// <summary>The certificate identity (keyless bundles), else null.</summary>
    public VerifiedIdentity? Identity { get; init; }

    /// <summary>Key-based bundles: SHA-256 (hex) of the verifying key's SubjectPublicKeyInfo, else null.</summary>
    public string? KeySha256 { get; init; }

    /// <summary>The artifact digest the signature or an in-toto subject was matched against (<c>alg:hex</c>), if any.</summary>
    public string? ArtifactDigest { get; init; }

    public required IReadOnlyList<VerifiedTime> VerifiedTimes { get; init; }

    public required IReadOnlyList<VerifiedLogEntryInfo> LogEntries { get; init; }

    /// <summary>CT logs (base URL or log ID) with a verified SCT.</summary>
    public required IReadOnlyList<string> CertificateTransparencyLogs { get; init; }

    /// <summary>DSSE bundles: the in-toto statement, else null.</summary>
    public VerifiedStatement? Statement { get; init; }

    /// <summary>DSSE bundles: the verified statement itself, with its subjects' digests and its predicate; else null.</summary>
    [JsonIgnore]
    public Attestations.InTotoStatement? InTotoStatement { get; init; }

    /// <summary>Warnings (<c>SSB35xx</c>), e.g. an Unsafe option was used.</summary>
    public required IReadOnlyList<Diagnostics.VerificationWarning> Warnings { get; init; }

    /// <summary>
    /// Log entries and RFC 3161 tokens the bundle repeated: each was counted once, so <see cref="LogEntries"/> and
    /// <see cref="VerifiedTimes"/> list distinct evidence only.
    /// </summary>
    public int DuplicatesCountedOnce { get; init; }

    public string ToJson(bool indented = true) =>
        JsonSerializer.Serialize(this, indented ? VerificationResultJsonContext.Indented.VerificationResult : VerificationResultJsonContext.Default.VerificationResult);
}

/// <summary>The signer a Fulcio certificate names: its SAN, OIDC issuer and Fulcio extensions (by name, in certificate order).</summary>
public sealed record VerifiedIdentity(
    SubjectAlternativeNameKind SubjectAlternativeNameKind,
    string SubjectAlternativeName,
    string Issuer,
    IReadOnlyDictionary<string, string> Extensions,
    string CertificateSha256)
{
    /// <summary>
    /// What a certificate claims, read as <see cref="SigstoreVerifier"/> reads it (a certificate without the Fulcio profile
    /// is refused with <see cref="Diagnostics.VerificationException"/>), but not verified: nothing here says that a
    /// trusted CA issued it. For showing and summarising, never for trust decisions.
    /// </summary>
    public static VerifiedIdentity ReadUnverified(byte[] certificateDer)
    {
        ArgumentNullException.ThrowIfNull(certificateDer);
        return Certificates.FulcioLeaf.Parse(certificateDer).Identity;
    }
}

/// <summary>A verified time: <c>Source</c> is <c>tlog</c> (SET-verified integrated time) or <c>timestamp-authority</c>.</summary>
public sealed record VerifiedTime(string Source, string Authority, DateTimeOffset Time);

public sealed record VerifiedLogEntryInfo(string Log, string LogId, long LogIndex, string Kind, string Version, DateTimeOffset? IntegratedTime, bool InclusionProofVerified);

public sealed record VerifiedStatement(string Type, string PredicateType, IReadOnlyList<string> SubjectNames);

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    UseStringEnumConverter = true)]
[JsonSerializable(typeof(VerificationResult))]
internal sealed partial class VerificationResultJsonContext : JsonSerializerContext
{
    private static VerificationResultJsonContext? s_indented;

    // Lazy: the generated Default is not yet initialised while this type's static fields are.
    public static VerificationResultJsonContext Indented => s_indented ??= new(new JsonSerializerOptions(Default.Options) { WriteIndented = true });
}
