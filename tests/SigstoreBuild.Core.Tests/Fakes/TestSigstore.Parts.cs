using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using SigstoreBuild.Bundles;
using SigstoreBuild.LocalStack.Pki;
using SigstoreBuild.LocalStack.Timestamping;
using SigstoreBuild.Trust;
using CertificateAuthority = SigstoreBuild.LocalStack.Pki.CertificateAuthority;

namespace SigstoreBuild.Tests;

/// <summary>
/// The parts every test Sigstore is assembled from: LocalStack's CA and TSA under keys generated at run time, and the
/// one trusted-root builder, so that a change to a certificate profile or to the trusted-root shape is made here once.
/// </summary>
internal sealed partial class TestSigstore
{
    /// <summary>LocalStack's Fulcio CA (P-384 root and intermediate, P-256 CT log) under fresh keys; the certificates carry their keys.</summary>
    public static CertificateAuthority NewCa(string rootSubject, string intermediateSubject, DateTimeOffset rootFrom, DateTimeOffset rootTo,
        DateTimeOffset intermediateFrom, DateTimeOffset intermediateTo, TimeProvider time)
    {
        var rootKey = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        var root = CertificateAuthority.CreateRoot(rootSubject, rootKey, rootFrom, rootTo).CopyWithPrivateKey(rootKey);
        var intermediateKey = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        var intermediate = CertificateAuthority.CreateIntermediate(intermediateSubject, intermediateKey, root, rootKey, intermediateFrom, intermediateTo,
            [CertificateAuthority.CodeSigningEku]).CopyWithPrivateKey(intermediateKey);
        var ctLog = new CtLog(ECDsa.Create(ECCurve.NamedCurves.nistP256), time);
        return new CertificateAuthority(root, rootKey, intermediate, intermediateKey, ctLog, time);
    }

    /// <summary>LocalStack's TSA profile (P-384 root, P-256 signing leaf valid <paramref name="from"/>..<paramref name="to"/>) under fresh keys.</summary>
    public static TimestampAuthority NewTsa(string name, DateTimeOffset from, DateTimeOffset to, TimeProvider time, bool timeStampingEku = true)
    {
        var rootKey = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        var root = CertificateAuthority.CreateRoot($"CN={name} Root", rootKey, from.AddDays(-1), to.AddDays(1));
        var signingKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var signing = TimestampAuthority.CreateSigningCertificate($"CN={name} Leaf", signingKey, root, rootKey, from, to,
            extendedKeyUsage: timeStampingEku ? TimestampAuthority.TimeStampingEku : CertificateAuthority.CodeSigningEku);
        return new TimestampAuthority(root, rootKey, signing, signingKey, time);
    }

    /// <summary>The one trusted-root builder: a v0.1 trusted root from its parts (a null list stays absent).</summary>
    public static TrustedRootDocument TrustedRootFrom(
        IEnumerable<TransparencyLogInstance>? tlogs = null,
        IEnumerable<TransparencyLogInstance>? ctlogs = null,
        IEnumerable<CertificateAuthorityDocument>? certificateAuthorities = null,
        IEnumerable<CertificateAuthorityDocument>? timestampAuthorities = null) => new()
        {
            MediaType = TrustedRootDocument.MediaTypeV01,
            Tlogs = tlogs?.ToList(),
            Ctlogs = ctlogs?.ToList(),
            CertificateAuthorities = certificateAuthorities?.ToList(),
            TimestampAuthorities = timestampAuthorities?.ToList(),
        };

    /// <summary>A transparency or CT log entry of a trusted root: a P-256 key whose log ID is its SPKI hash.</summary>
    public static TransparencyLogInstance LogPart(string baseUrl, byte[] publicKeySpki, DateTimeOffset start, DateTimeOffset? end = null) => new()
    {
        BaseUrl = baseUrl,
        HashAlgorithm = "SHA2_256",
        PublicKey = new PublicKeyDocument { RawBytes = publicKeySpki, KeyDetails = "PKIX_ECDSA_P256_SHA_256", ValidFor = new TimeRangeDocument { Start = start, End = end } },
        LogId = new LogId { KeyId = SHA256.HashData(publicKeySpki) },
    };

    /// <summary>A certificate or timestamp authority of a trusted root: its chain, leaf-most first.</summary>
    public static CertificateAuthorityDocument AuthorityPart(string uri, IEnumerable<X509Certificate2> chain, DateTimeOffset start, DateTimeOffset? end = null,
        DistinguishedNameDocument? subject = null) => new()
        {
            Subject = subject,
            Uri = uri,
            CertChain = new X509CertificateChain { Certificates = [.. chain.Select(c => new X509CertificateBytes { RawBytes = c.RawData })] },
            ValidFor = new TimeRangeDocument { Start = start, End = end },
        };

    public static string ToJson(TrustedRootDocument document) => System.Text.Encoding.UTF8.GetString(TrustDocumentSerializer.Serialize(document));
}

/// <summary>A clock stopped at <paramref name="now"/>.</summary>
internal sealed class FixedTime(DateTimeOffset now) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => now;
}
