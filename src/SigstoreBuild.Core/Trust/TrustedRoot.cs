using System.Security.Cryptography.X509Certificates;
using SigstoreBuild.Crypto;
using SigstoreBuild.Diagnostics;
using SigstoreBuild.IO;

namespace SigstoreBuild.Trust;

/// <summary>
/// The trust material of one Sigstore instance, parsed and checked once: Fulcio CAs, transparency logs, CT logs and
/// timestamp authorities, each usable only inside its validity window.
/// </summary>
public sealed class TrustedRoot
{
    private TrustedRoot(
        IReadOnlyList<CertificateAuthority> certificateAuthorities,
        IReadOnlyList<TransparencyLog> transparencyLogs,
        IReadOnlyList<TransparencyLog> certificateTransparencyLogs,
        IReadOnlyList<CertificateAuthority> timestampAuthorities)
    {
        CertificateAuthorities = certificateAuthorities;
        TransparencyLogs = transparencyLogs;
        CertificateTransparencyLogs = certificateTransparencyLogs;
        TimestampAuthorities = timestampAuthorities;
    }

    /// <summary>Fulcio certificate authorities.</summary>
    internal IReadOnlyList<CertificateAuthority> CertificateAuthorities { get; }

    /// <summary>Rekor logs (v1 and v2).</summary>
    internal IReadOnlyList<TransparencyLog> TransparencyLogs { get; }

    /// <summary>Certificate transparency logs, for SCTs.</summary>
    internal IReadOnlyList<TransparencyLog> CertificateTransparencyLogs { get; }

    /// <summary>RFC 3161 timestamp authorities.</summary>
    internal IReadOnlyList<CertificateAuthority> TimestampAuthorities { get; }

    public static TrustedRoot Load(string path) => Parse(InputFile.ReadAllBytes(path, TrustDocumentSerializer.TrustedRootFile));

    public static TrustedRoot Parse(ReadOnlySpan<byte> utf8Json) => FromDocument(TrustDocumentSerializer.ParseTrustedRoot(utf8Json));

    internal static TrustedRoot FromDocument(TrustedRootDocument document)
    {
        ArgumentNullException.ThrowIfNull(document);
        return new TrustedRoot(
            (document.CertificateAuthorities ?? []).Select(d => CertificateAuthority.FromDocument(d, "certificate authority")).ToArray(),
            (document.Tlogs ?? []).Select(d => TransparencyLog.FromDocument(d, "transparency log")).ToArray(),
            (document.Ctlogs ?? []).Select(d => TransparencyLog.FromDocument(d, "CT log")).ToArray(),
            (document.TimestampAuthorities ?? []).Select(d => CertificateAuthority.FromDocument(d, "timestamp authority")).ToArray());
    }

    /// <summary>The transparency log with this log ID, if trusted.</summary>
    internal TransparencyLog? FindTransparencyLog(ReadOnlySpan<byte> logId)
    {
        foreach (var log in TransparencyLogs)
        {
            if (log.LogId.AsSpan().SequenceEqual(logId))
            {
                return log;
            }
        }

        return null;
    }

    /// <summary>The CT log with this log ID, if trusted.</summary>
    internal TransparencyLog? FindCertificateTransparencyLog(ReadOnlySpan<byte> logId)
    {
        foreach (var log in CertificateTransparencyLogs)
        {
            if (log.LogId.AsSpan().SequenceEqual(logId))
            {
                return log;
            }
        }

        return null;
    }
}

/// <summary>A closed validity interval; the end is inclusive and may be open-ended.</summary>
internal readonly record struct TimeRange(DateTimeOffset Start, DateTimeOffset? End)
{
    public bool Contains(DateTimeOffset time) => time >= Start && (End is null || time <= End.Value);

    internal static TimeRange FromDocument(TimeRangeDocument? document, string what)
    {
        // A log key's window without a start is malformed, not "valid since forever" (conformance:
        // trust-root-tlog-missing-validity-start).
        if (document?.Start is not { } start)
        {
            throw new VerificationException(BundleCodes.MalformedTrustedRoot, $"A {what} in the trusted root has no validFor.start. Use a well-formed trusted_root.json.");
        }

        if (document.End is { } end && end < start)
        {
            throw new VerificationException(BundleCodes.MalformedTrustedRoot, $"A {what} in the trusted root has validFor.end before validFor.start.");
        }

        return new TimeRange(start, document.End);
    }

    /// <summary>
    /// A CA's or TSA's window, which protobuf-specs leaves optional: without one, or without a start, the authority is
    /// valid from the beginning (as sigstore-go, sigstore-python and sigstore-js read it); an end still applies.
    /// </summary>
    internal static TimeRange FromOptionalDocument(TimeRangeDocument? document, string what) =>
        document?.Start is null
            ? FromDocument(new TimeRangeDocument { Start = DateTimeOffset.MinValue, End = document?.End }, what)
            : FromDocument(document, what);
}

/// <summary>A certificate authority (Fulcio or TSA): its chain, leaf-most first and root last, and validity window.</summary>
internal sealed class CertificateAuthority
{
    private CertificateAuthority(string? uri, IReadOnlyList<X509Certificate2> chain, TimeRange validFor)
    {
        Uri = uri;
        Chain = chain;
        ValidFor = validFor;
    }

    public string? Uri { get; }

    /// <summary>The CA chain as distributed: the issuing certificate first, the root last.</summary>
    public IReadOnlyList<X509Certificate2> Chain { get; }

    public X509Certificate2 Root => Chain[^1];

    public IEnumerable<X509Certificate2> Intermediates => Chain.Take(Chain.Count - 1);

    public TimeRange ValidFor { get; }

    internal static CertificateAuthority FromDocument(CertificateAuthorityDocument document, string what)
    {
        var certs = document.CertChain?.Certificates;
        if (certs is not { Count: > 0 } || certs.Any(c => c.RawBytes is not { Length: > 0 }))
        {
            throw new VerificationException(BundleCodes.MalformedTrustedRoot, $"A {what} in the trusted root has no certificate chain.");
        }

        X509Certificate2[] chain;
        try
        {
            chain = certs.Select(c => X509CertificateLoader.LoadCertificate(c.RawBytes!)).ToArray();
        }
        catch (System.Security.Cryptography.CryptographicException ex)
        {
            throw new VerificationException(BundleCodes.MalformedTrustedRoot, $"A {what} in the trusted root has an unreadable certificate: {ex.Message}", ex);
        }

        return new CertificateAuthority(document.Uri, chain, TimeRange.FromOptionalDocument(document.ValidFor, what));
    }
}

/// <summary>A transparency log or CT log: its key, key ID and validity window.</summary>
internal sealed class TransparencyLog
{
    private TransparencyLog(string? baseUrl, byte[] logId, byte[]? checkpointKeyId, VerificationKey key, string? keyDetails, TimeRange validFor)
    {
        BaseUrl = baseUrl;
        LogId = logId;
        CheckpointKeyId = checkpointKeyId;
        Key = key;
        KeyDetails = keyDetails;
        ValidFor = validFor;
    }

    public string? BaseUrl { get; }

    /// <summary>The log ID (for Rekor v1 and CT: SHA-256 of the DER public key).</summary>
    public byte[] LogId { get; }

    /// <summary>Rekor v2: the key ID used in checkpoint signatures, when the trusted root gives one.</summary>
    public byte[]? CheckpointKeyId { get; }

    public VerificationKey Key { get; }

    public string? KeyDetails { get; }

    public TimeRange ValidFor { get; }

    internal static TransparencyLog FromDocument(TransparencyLogInstance document, string what)
    {
        if (document.LogId?.KeyId is not { Length: > 0 } logId)
        {
            throw new VerificationException(BundleCodes.MalformedTrustedRoot, $"A {what} in the trusted root has no log ID.");
        }

        var pk = document.PublicKey;
        if (pk?.RawBytes is not { Length: > 0 } raw)
        {
            throw new VerificationException(BundleCodes.MalformedTrustedRoot, $"A {what} in the trusted root has no public key.");
        }

        var validFor = TimeRange.FromDocument(pk.ValidFor, what);
        VerificationKey key;
        try
        {
            key = VerificationKey.FromSubjectPublicKeyInfo(raw, pk.KeyDetails);
        }
        catch (System.Security.Cryptography.CryptographicException ex)
        {
            throw new VerificationException(BundleCodes.MalformedTrustedRoot, $"A {what} in the trusted root has an unreadable public key: {ex.Message}", ex);
        }

        return new TransparencyLog(document.BaseUrl, logId, document.CheckpointKeyId?.KeyId, key, pk.KeyDetails, validFor);
    }
}
