using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Org.BouncyCastle.Asn1.Nist;
using Org.BouncyCastle.Math;
using Org.BouncyCastle.Security;
using Org.BouncyCastle.Tsp;
using Org.BouncyCastle.Utilities.Collections;
using SigstoreBuild.Diagnostics;
using SigstoreBuild.LocalStack.Pki;
using BcX509Certificate = Org.BouncyCastle.X509.X509Certificate;

namespace SigstoreBuild.LocalStack.Timestamping;

/// <summary>
/// An RFC 3161 timestamp authority: a self-signed ECDSA P-384 root and an ECDSA P-256 signing certificate with the
/// critical id-kp-timeStamping EKU. Tokens are generated with BouncyCastle's TimeStampTokenGenerator (ESSCertIDv2 included).
/// </summary>
public sealed class TimestampAuthority
{
    public const string TimeStampingEku = "1.3.6.1.5.5.7.3.8";
    public const string DefaultPolicyOid = "1.3.6.1.4.1.57264.2";

    private readonly TimeProvider _time;
    private long _serial;

    public TimestampAuthority(X509Certificate2 root, ECDsa rootKey, X509Certificate2 signingCertificate, ECDsa signingKey, TimeProvider time)
    {
        Root = root;
        RootKey = rootKey;
        SigningCertificate = signingCertificate;
        SigningKey = signingKey;
        _time = time;
        _serial = time.GetUtcNow().ToUnixTimeMilliseconds();
    }

    public X509Certificate2 Root { get; }

    public ECDsa RootKey { get; }

    public X509Certificate2 SigningCertificate { get; }

    public ECDsa SigningKey { get; }

    /// <summary>The chain as the trusted root lists it: signing certificate first, then the root.</summary>
    public IReadOnlyList<X509Certificate2> Chain => [SigningCertificate, Root];

    public static TimestampAuthority LoadOrCreate(PersistedMaterial material, TimeProvider time, string prefix = "tsa")
    {
        var rootKey = material.LoadOrCreateEcdsa(prefix + "-root", ECCurve.NamedCurves.nistP384);
        var signingKey = material.LoadOrCreateEcdsa(prefix + "-signing", ECCurve.NamedCurves.nistP256);
        var now = time.GetUtcNow();
        var root = material.LoadOrCreateCertificate(prefix + "-root",
            () => CertificateAuthority.CreateRoot("CN=SigstoreBuild LocalStack TSA Root, O=SigstoreBuild LocalStack", rootKey, now.AddDays(-1), now.AddYears(10)));
        var signing = material.LoadOrCreateCertificate(prefix + "-signing",
            () => CreateSigningCertificate("CN=SigstoreBuild LocalStack Timestamping, O=SigstoreBuild LocalStack", signingKey, root, rootKey, root.NotBefore, root.NotAfter));
        return new TimestampAuthority(root, rootKey, signing, signingKey, time);
    }

    public static X509Certificate2 CreateSigningCertificate(string subject, ECDsa key, X509Certificate2 issuer, ECDsa issuerKey,
        DateTimeOffset notBefore, DateTimeOffset notAfter, bool criticalEku = true, string extendedKeyUsage = TimeStampingEku)
    {
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA384);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(extendedKeyUsage)], criticalEku));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(issuer, true, false));
        using var certificate = request.Create(issuer.SubjectName, X509SignatureGenerator.CreateForECDsa(issuerKey), notBefore, notAfter,
            CertificateAuthority.NewSerial());
        return X509CertificateLoader.LoadCertificate(certificate.RawData);
    }

    /// <summary>Answers a DER TimeStampReq with a DER TimeStampResp.</summary>
    public byte[] Respond(byte[] requestDer, TimestampOptions? options = null)
    {
        TimeStampRequest request;
        try
        {
            request = new TimeStampRequest(requestDer);
        }
        catch (Exception ex) when (ex is IOException or ArgumentException or InvalidCastException or TspException)
        {
            throw Invalid($"the request is not a DER TimeStampReq ({ex.Message})");
        }

        return Respond(request, options);
    }

    /// <summary>Timestamps a digest (the JSON API sigstore clients use: artifactHash + hashAlgorithm).</summary>
    public byte[] RespondForDigest(byte[] digest, string hashAlgorithm, bool includeCertificates, BigInteger? nonce = null, TimestampOptions? options = null)
    {
        var oid = hashAlgorithm.ToLowerInvariant() switch
        {
            "sha256" => NistObjectIdentifiers.IdSha256.Id,
            "sha384" => NistObjectIdentifiers.IdSha384.Id,
            "sha512" => NistObjectIdentifiers.IdSha512.Id,
            _ => throw Invalid($"hash algorithm '{hashAlgorithm}' is not supported (sha256, sha384, sha512 are)"),
        };
        var generator = new TimeStampRequestGenerator();
        generator.SetCertReq(includeCertificates);
        var request = nonce is null ? generator.Generate(oid, digest) : generator.Generate(oid, digest, nonce);
        return Respond(request, options);
    }

    private byte[] Respond(TimeStampRequest request, TimestampOptions? options)
    {
        options ??= new TimestampOptions();
        var signingCertificate = options.SigningCertificate ?? SigningCertificate;
        var signingKey = options.SigningKey ?? SigningKey;
        var bcKey = PrivateKeyFactory.CreateKey(signingKey.ExportPkcs8PrivateKey());
        var bcCert = new BcX509Certificate(signingCertificate.RawData);
        var tokenGenerator = new TimeStampTokenGenerator(bcKey, bcCert, NistObjectIdentifiers.IdSha256.Id, DefaultPolicyOid);
        var chain = new List<BcX509Certificate> { bcCert };
        chain.AddRange((options.ExtraCertificates ?? [Root]).Select(c => new BcX509Certificate(c.RawData)));
        tokenGenerator.SetCertificates(CollectionUtilities.CreateStore(chain));

        if (options.ReplaceImprint is { } imprint)
        {
            var generator = new TimeStampRequestGenerator();
            generator.SetCertReq(request.CertReq);
            request = request.Nonce is null
                ? generator.Generate(request.MessageImprintAlgOid, imprint)
                : generator.Generate(request.MessageImprintAlgOid, imprint, request.Nonce);
        }

        var responseGenerator = new TimeStampResponseGenerator(tokenGenerator, TspAlgorithms.Allowed);
        var genTime = (options.GenTime ?? _time.GetUtcNow()).UtcDateTime;
        var serial = BigInteger.ValueOf(Interlocked.Increment(ref _serial));
        try
        {
            var response = responseGenerator.Generate(request, serial, genTime);
            return response.GetEncoded();
        }
        catch (TspException ex)
        {
            throw Invalid(ex.Message);
        }
    }

    private static SigstoreException Invalid(string why) =>
        new(LocalStackCodes.TimestampRequestInvalid, $"The timestamp request was rejected: {why}. Send an RFC 3161 request over a SHA-2 digest.");
}

/// <summary>Test hooks for one timestamp: another signer, another genTime, or an imprint over other data.</summary>
public sealed class TimestampOptions
{
    public X509Certificate2? SigningCertificate { get; init; }

    public ECDsa? SigningKey { get; init; }

    public IReadOnlyList<X509Certificate2>? ExtraCertificates { get; init; }

    public DateTimeOffset? GenTime { get; init; }

    public byte[]? ReplaceImprint { get; init; }
}
