using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace SigstoreBuild.LocalStack.Pki;

/// <summary>
/// A Fulcio-like certificate authority: a self-signed ECDSA P-384 root, an ECDSA P-384 intermediate, and short-lived
/// code-signing leaf certificates with the Fulcio extensions and an SCT embedded through a real precertificate flow.
/// </summary>
public sealed class CertificateAuthority
{
    public const string CodeSigningEku = "1.3.6.1.5.5.7.3.3";

    private readonly TimeProvider _time;

    public CertificateAuthority(X509Certificate2 root, ECDsa rootKey, X509Certificate2 intermediate, ECDsa intermediateKey,
        CtLog ctLog, TimeProvider time)
    {
        Root = root;
        RootKey = rootKey;
        Intermediate = intermediate;
        IntermediateKey = intermediateKey;
        CtLog = ctLog;
        _time = time;
    }

    public X509Certificate2 Root { get; }

    public ECDsa RootKey { get; }

    public X509Certificate2 Intermediate { get; }

    public ECDsa IntermediateKey { get; }

    public CtLog CtLog { get; }

    /// <summary>Leaf lifetime; Fulcio issues 10-minute certificates.</summary>
    public TimeSpan LeafLifetime { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Creates (or loads from <paramref name="material"/>) a root and an intermediate.</summary>
    public static CertificateAuthority LoadOrCreate(PersistedMaterial material, CtLog ctLog, TimeProvider time, string prefix = "fulcio")
    {
        var rootKey = material.LoadOrCreateEcdsa(prefix + "-root", ECCurve.NamedCurves.nistP384);
        var intermediateKey = material.LoadOrCreateEcdsa(prefix + "-intermediate", ECCurve.NamedCurves.nistP384);
        var now = time.GetUtcNow();
        var root = material.LoadOrCreateCertificate(prefix + "-root",
            () => CreateRoot("CN=SigstoreBuild LocalStack Root CA, O=SigstoreBuild LocalStack", rootKey, now.AddDays(-1), now.AddYears(10)));
        var intermediate = material.LoadOrCreateCertificate(prefix + "-intermediate",
            () => CreateIntermediate("CN=SigstoreBuild LocalStack Intermediate CA, O=SigstoreBuild LocalStack", intermediateKey, root, rootKey,
                root.NotBefore, root.NotAfter, [CodeSigningEku]));
        return new CertificateAuthority(root, rootKey, intermediate, intermediateKey, ctLog, time);
    }

    public static X509Certificate2 CreateRoot(string subject, ECDsa key, DateTimeOffset notBefore, DateTimeOffset notAfter)
    {
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA384);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 1, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        using var withKey = request.CreateSelfSigned(notBefore, notAfter);
        return X509CertificateLoader.LoadCertificate(withKey.RawData);
    }

    public static X509Certificate2 CreateIntermediate(string subject, ECDsa key, X509Certificate2 issuer, ECDsa issuerKey,
        DateTimeOffset notBefore, DateTimeOffset notAfter, IEnumerable<string>? extendedKeyUsages = null)
    {
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA384);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        if (extendedKeyUsages is not null)
        {
            var oids = new OidCollection();
            foreach (var eku in extendedKeyUsages)
            {
                oids.Add(new Oid(eku));
            }

            request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(oids, false));
        }

        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(issuer, true, false));
        var certificate = request.Create(issuer.SubjectName, X509SignatureGenerator.CreateForECDsa(issuerKey), notBefore, notAfter, NewSerial());
        return X509CertificateLoader.LoadCertificate(certificate.RawData);
    }

    /// <summary>
    /// Issues a leaf for <paramref name="subjectPublicKeySpki"/> naming <paramref name="identity"/>. A test can change any
    /// field through <paramref name="customize"/> before the precertificate is built.
    /// </summary>
    public IssuedCertificate IssueLeaf(byte[] subjectPublicKeySpki, FulcioIdentity identity, Action<LeafCertificateTemplate>? customize = null)
    {
        var now = _time.GetUtcNow();
        var template = new LeafCertificateTemplate
        {
            NotBefore = now,
            NotAfter = now + LeafLifetime,
            SubjectPublicKeySpki = subjectPublicKeySpki,
            SigningKey = IntermediateKey,
            Issuer = Intermediate,
            CtLog = CtLog,
            Identity = identity,
        };
        customize?.Invoke(template);

        var serial = template.SerialNumber ?? NewSerial();
        var precertificate = Build(template, serial, new X509Extension(CtLog.PoisonExtensionOid, [0x05, 0x00], true));
        var scts = new List<byte[]>();
        if (template.EmbedSct)
        {
            var sct = (template.CtLog ?? CtLog).SignPrecertificate(precertificate, template.Issuer);
            if (template.CorruptSctSignature)
            {
                sct[^1] ^= 0x01;
            }

            scts.Add(sct);
        }

        var finalExtension = scts.Count > 0
            ? new X509Extension(CtLog.SctListExtensionOid, CtLog.EncodeSctListExtensionValue(scts), false)
            : null;
        var leaf = X509CertificateLoader.LoadCertificate(Build(template, serial, finalExtension));
        return new IssuedCertificate(leaf, [leaf, Intermediate, Root], precertificate, scts.Count > 0 ? scts[0] : null);
    }

    private static byte[] Build(LeafCertificateTemplate template, byte[] serial, X509Extension? ctExtension)
    {
        var publicKey = PublicKey.CreateFromSubjectPublicKeyInfo(template.SubjectPublicKeySpki, out _);
        var request = new CertificateRequest(new X500DistinguishedName(template.Subject), publicKey, template.SignatureHash);
        var extensions = request.CertificateExtensions;
        extensions.Add(new X509KeyUsageExtension(template.KeyUsage, true));
        if (template.ExtendedKeyUsages.Count > 0)
        {
            var oids = new OidCollection();
            foreach (var eku in template.ExtendedKeyUsages)
            {
                oids.Add(new Oid(eku));
            }

            extensions.Add(new X509EnhancedKeyUsageExtension(oids, false));
        }

        if (template.BasicConstraints is { } basic)
        {
            extensions.Add(basic);
        }

        extensions.Add(new X509SubjectKeyIdentifierExtension(publicKey, false));
        extensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(template.Issuer, true, false));

        var san = new SubjectAlternativeNameBuilder();
        var sanCount = 0;
        var identity = template.Identity;
        if (identity.Email is not null)
        {
            san.AddEmailAddress(identity.Email);
            sanCount++;
        }

        if (identity.Uri is not null)
        {
            san.AddUri(new Uri(identity.Uri));
            sanCount++;
        }

        foreach (var extra in template.ExtraEmailSans)
        {
            san.AddEmailAddress(extra);
            sanCount++;
        }

        foreach (var extra in template.ExtraUriSans)
        {
            san.AddUri(new Uri(extra));
            sanCount++;
        }

        if (sanCount > 0)
        {
            // With an empty subject the SAN must be critical (RFC 5280 §4.2.1.6).
            extensions.Add(san.Build(critical: true));
        }

        foreach (var (oid, value) in identity.LegacyExtensions.OrderBy(e => e.Key, StringComparer.Ordinal))
        {
            extensions.Add(new X509Extension(oid, System.Text.Encoding.UTF8.GetBytes(value), false));
        }

        foreach (var (oid, value) in identity.Extensions.OrderBy(e => ArcOrder(e.Key)))
        {
            extensions.Add(new X509Extension(oid, DerUtf8String(value), false));
        }

        foreach (var extra in template.ExtraExtensions)
        {
            extensions.Add(extra);
        }

        if (ctExtension is not null)
        {
            extensions.Add(ctExtension);
        }

        var generator = X509SignatureGenerator.CreateForECDsa(template.SigningKey);
        using var certificate = request.Create(template.IssuerName ?? template.Issuer.SubjectName, generator, template.NotBefore, template.NotAfter, serial);
        return certificate.RawData;
    }

    private static int ArcOrder(string oid) =>
        int.TryParse(oid.AsSpan(oid.LastIndexOf('.') + 1), out var arc) ? arc : int.MaxValue;

    public static byte[] DerUtf8String(string value)
    {
        var writer = new AsnWriter(AsnEncodingRules.DER);
        writer.WriteCharacterString(UniversalTagNumber.UTF8String, value);
        return writer.Encode();
    }

    public static byte[] NewSerial()
    {
        var serial = RandomNumberGenerator.GetBytes(20);
        serial[0] &= 0x7F;
        serial[0] |= 0x01;
        return serial;
    }
}

/// <summary>Every field of a leaf certificate that a test may change before it is issued.</summary>
public sealed class LeafCertificateTemplate
{
    public required DateTimeOffset NotBefore { get; set; }

    public required DateTimeOffset NotAfter { get; set; }

    public required byte[] SubjectPublicKeySpki { get; set; }

    /// <summary>The key that signs the precertificate and the certificate (default: the intermediate's).</summary>
    public required ECDsa SigningKey { get; set; }

    /// <summary>The certificate named as issuer, used for the issuer name, the AKI and the SCT's issuer key hash.</summary>
    public required X509Certificate2 Issuer { get; set; }

    /// <summary>Overrides only the issuer name written into the certificate.</summary>
    public X500DistinguishedName? IssuerName { get; set; }

    /// <summary>The CT log that signs the SCT (set a rogue one to test untrusted SCTs).</summary>
    public CtLog? CtLog { get; set; }

    public required FulcioIdentity Identity { get; set; }

    public string Subject { get; set; } = string.Empty;

    public HashAlgorithmName SignatureHash { get; set; } = HashAlgorithmName.SHA384;

    public byte[]? SerialNumber { get; set; }

    public X509KeyUsageFlags KeyUsage { get; set; } = X509KeyUsageFlags.DigitalSignature;

    public List<string> ExtendedKeyUsages { get; } = [CertificateAuthority.CodeSigningEku];

    public X509BasicConstraintsExtension? BasicConstraints { get; set; }

    public List<string> ExtraEmailSans { get; } = [];

    public List<string> ExtraUriSans { get; } = [];

    public List<X509Extension> ExtraExtensions { get; } = [];

    public bool EmbedSct { get; set; } = true;

    public bool CorruptSctSignature { get; set; }
}

/// <summary>An issued leaf, its chain (leaf, intermediate, root), the precertificate the CT log saw, and the SCT.</summary>
public sealed record IssuedCertificate(X509Certificate2 Leaf, IReadOnlyList<X509Certificate2> Chain, byte[] Precertificate, byte[]? Sct);
