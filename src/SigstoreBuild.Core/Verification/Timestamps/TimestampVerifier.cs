using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.Cms;
using Org.BouncyCastle.Asn1.Ess;
using Org.BouncyCastle.Asn1.Pkcs;
using Org.BouncyCastle.Asn1.Tsp;
using Org.BouncyCastle.Asn1.X509;
using Org.BouncyCastle.Cms;
using Org.BouncyCastle.Tsp;
using SigstoreBuild.Diagnostics;
using SigstoreBuild.Trust;

namespace SigstoreBuild.Verification.Timestamps;

/// <summary>A timestamp that passed every check.</summary>
/// <param name="Time">The token's genTime.</param>
/// <param name="Authority">The trusted-root TSA whose chain the signer certificate belongs to.</param>
/// <param name="SignerCertificateThumbprint">SHA-256 of the signer certificate's DER, to count timestamps per TSA.</param>
internal sealed record VerifiedTimestamp(DateTimeOffset Time, CertificateAuthority Authority, byte[] SignerCertificateThumbprint);

/// <summary>
/// Verifies an RFC 3161 timestamp over a bundle's signature against the trusted root's TSAs (threat model S-01..S-03):
/// message imprint, CMS signature, ESSCertID(v2) binding of the signer certificate, a chain made only of the trusted TSA
/// chain and validated at genTime, the timeStamping EKU and the TSA's validFor window.
/// </summary>
internal static class TimestampVerifier
{
    private const string TimeStampingEku = "1.3.6.1.5.5.7.3.8";
    private static readonly ConditionalWeakTable<CertificateAuthority, AuthorityState> States = new();

    public static VerifiedTimestamp Verify(byte[] signedTimestamp, byte[] signature, TrustedRoot trust)
    {
        ArgumentNullException.ThrowIfNull(signedTimestamp);
        ArgumentNullException.ThrowIfNull(signature);
        ArgumentNullException.ThrowIfNull(trust);

        var token = Decode(signedTimestamp);
        try
        {
            return VerifyToken(token, signature, trust);
        }
        catch (Exception ex) when (IsUnreadableToken(ex))
        {
            throw Malformed(ex.Message, ex);
        }
    }

    /// <summary>
    /// BouncyCastle decodes a token's parts (embedded certificates, signer identifiers, attributes) only when they are first
    /// used, so a malformed part surfaces during verification, as the same exceptions <see cref="Decode"/> maps, or as
    /// .NET's CryptographicException once handed to X509CertificateLoader. Null and range errors are not among them: those
    /// would be bugs, not malformed input.
    /// </summary>
    private static bool IsUnreadableToken(Exception ex) =>
        ex is TspException or CmsException or IOException or InvalidOperationException or CryptographicException
            or Org.BouncyCastle.Security.GeneralSecurityException
        || (ex is ArgumentException && ex is not (ArgumentNullException or ArgumentOutOfRangeException));

    private static VerifiedTimestamp VerifyToken(TimeStampToken token, byte[] signature, TrustedRoot trust)
    {
        var info = token.TimeStampInfo;

        // S-01: the token must cover this signature, hashed with the token's own algorithm.
        var imprintAlgorithm = HashFromOid(info.MessageImprintAlgOid)
            ?? throw new VerificationException(TimestampCodes.UnsupportedHashAlgorithm,
                $"The timestamp's message imprint uses hash algorithm {info.MessageImprintAlgOid}. Use a TSA that hashes with SHA-256, SHA-384 or SHA-512.");
        if (!CryptographicOperations.FixedTimeEquals(Hash(imprintAlgorithm, signature), info.GetMessageImprintDigest()))
        {
            throw new VerificationException(TimestampCodes.ImprintMismatch,
                "The timestamp does not cover this bundle's signature (message imprint mismatch). It was issued for other data.");
        }

        var genTime = new DateTimeOffset(DateTime.SpecifyKind(info.GenTime, DateTimeKind.Utc));
        var signerInfo = SingleSigner(token);
        var certId = SigningCertificateId.Read(signerInfo);

        // S-02: the signer is the trusted TSA's leaf, or a certificate (embedded in the token) issued by the trusted chain's
        // first certificate. Embedded intermediates are never used.
        var outsideValidity = false;
        foreach (var authority in trust.TimestampAuthorities)
        {
            var state = States.GetValue(authority, a => new AuthorityState(a));
            var leaf = FindSigner(state, token, certId, signerInfo);
            if (leaf is null)
            {
                continue;
            }

            if (!authority.ValidFor.Contains(genTime))
            {
                outsideValidity = true;
                continue;
            }

            CheckSignerInfo(token, signerInfo, leaf);
            CheckChainAt(state, leaf, genTime);
            return new VerifiedTimestamp(genTime, authority, leaf.GetCertHash(HashAlgorithmName.SHA256));
        }

        if (outsideValidity)
        {
            throw new VerificationException(TimestampCodes.OutsideAuthorityValidity,
                $"The timestamp's time {genTime:O} is outside the trusted-root validity of the TSA that signed it. That TSA was not trusted then.");
        }

        throw new VerificationException(TimestampCodes.UntrustedAuthority,
            "The timestamp was not signed by a timestamp authority of the trusted root. Use the trusted root of the instance that issued it.");
    }

    private static TimeStampToken Decode(byte[] bytes)
    {
        try
        {
            // BouncyCastle reads no bytes as no object (null) rather than failing.
            var sequence = Asn1Sequence.GetInstance(Asn1Object.FromByteArray(bytes)) ?? throw Malformed("it is empty");
            Org.BouncyCastle.Asn1.Cms.ContentInfo contentInfo;
            if (sequence.Count > 0 && sequence[0] is DerObjectIdentifier)
            {
                contentInfo = Org.BouncyCastle.Asn1.Cms.ContentInfo.GetInstance(sequence);
            }
            else
            {
                // A TimeStampResp: only a granted status carries a usable token.
                var response = TimeStampResp.GetInstance(sequence);
                var status = response.Status.Status.IntValueExact;
                if (status is not (0 or 1) || response.TimeStampToken is null)
                {
                    throw Malformed($"the TSA response has status {status} (not granted) or no token");
                }

                contentInfo = response.TimeStampToken;
            }

            // Checked before BouncyCastle's own parse so that an unbound signer gets its own code.
            var signedData = new CmsSignedData(contentInfo);
            foreach (var signer in signedData.GetSignerInfos().GetSigners())
            {
                var v2 = signer.SignedAttributes?[PkcsObjectIdentifiers.IdAASigningCertificateV2];
                var v1 = signer.SignedAttributes?[PkcsObjectIdentifiers.IdAASigningCertificate];
                if (v2 is null && v1 is null)
                {
                    throw new VerificationException(TimestampCodes.SignerNotBound,
                        "The timestamp has no signing-certificate attribute (ESSCertID/ESSCertIDv2), so its signer is not bound. Use an RFC 3161 compliant TSA.");
                }

                // BouncyCastle reads the attribute's first value and that value's first ESSCertID unchecked (an
                // IndexOutOfRangeException when either is missing); the attribute has exactly one value, which names the
                // signer first (RFC 2634, RFC 5035).
                if (v2 is { AttrValues.Count: not 1 } || v1 is { AttrValues.Count: not 1 }
                    || (v2 is not null && SigningCertificateV2.GetInstance(v2.AttrValues[0]).GetCerts().Length == 0)
                    || (v1 is not null && SigningCertificate.GetInstance(v1.AttrValues[0]).GetCerts().Length == 0))
                {
                    throw Malformed("its signing-certificate attribute does not have exactly one value naming at least one certificate");
                }
            }

            return new TimeStampToken(signedData);
        }
        catch (TspException ex)
        {
            throw Malformed(ex.Message, ex);
        }
        catch (CmsException ex)
        {
            throw Malformed(ex.Message, ex);
        }
        catch (IOException ex)
        {
            throw Malformed(ex.Message, ex);
        }
        catch (ArgumentException ex)
        {
            throw Malformed(ex.Message, ex);
        }
        catch (InvalidOperationException ex)
        {
            throw Malformed(ex.Message, ex);
        }
    }

    private static SignerInformation SingleSigner(TimeStampToken token)
    {
        var signers = token.ToCmsSignedData().GetSignerInfos().GetSigners();
        if (signers.Count != 1)
        {
            throw Malformed("it must have exactly one signer");
        }

        return signers.First();
    }

    private static X509Certificate2? FindSigner(AuthorityState state, TimeStampToken token, SigningCertificateId certId, SignerInformation signerInfo)
    {
        if (certId.Matches(state.Leaf) && SignerIdMatches(signerInfo, state.Leaf))
        {
            return state.Leaf;
        }

        foreach (var embedded in token.GetCertificates().EnumerateMatches(null))
        {
            var candidate = X509CertificateLoader.LoadCertificate(embedded.GetEncoded());
            if (certId.Matches(candidate) && SignerIdMatches(signerInfo, candidate) && CertificateSignature.IsSignedBy(candidate, state.Leaf))
            {
                return candidate;
            }
        }

        return null;
    }

    private static bool SignerIdMatches(SignerInformation signerInfo, X509Certificate2 certificate)
    {
        var sid = signerInfo.SignerID;
        if (sid.SubjectKeyIdentifier is { } ski)
        {
            return certificate.Extensions["2.5.29.14"] is X509SubjectKeyIdentifierExtension extension
                && extension.SubjectKeyIdentifierBytes.Span.SequenceEqual(Asn1OctetString.GetInstance(ski).GetOctets());
        }

        return sid.SerialNumber is not null && sid.Issuer is not null
            && sid.SerialNumber.Equals(new Org.BouncyCastle.Math.BigInteger(certificate.SerialNumberBytes.ToArray()))
            && sid.Issuer.Equivalent(X509Name.GetInstance(certificate.IssuerName.RawData));
    }

    /// <summary>The CMS signature: content type, message digest over the TSTInfo, then the signature over the signed attributes.</summary>
    private static void CheckSignerInfo(TimeStampToken token, SignerInformation signerInfo, X509Certificate2 signer)
    {
        var digestAlgorithm = HashFromOid(signerInfo.DigestAlgorithmID.Algorithm.Id)
            ?? throw new VerificationException(TimestampCodes.UnsupportedHashAlgorithm, $"The timestamp's signature uses digest algorithm {signerInfo.DigestAlgorithmID.Algorithm.Id}.");
        var attributes = signerInfo.SignedAttributes;
        var encodedAttributes = signerInfo.GetEncodedSignedAttributes();
        var contentType = attributes?[CmsAttributes.ContentType];
        var messageDigest = attributes?[CmsAttributes.MessageDigest];
        if (encodedAttributes is null || contentType is null || messageDigest is null
            || contentType.AttrValues.Count != 1 || messageDigest.AttrValues.Count != 1
            || !PkcsObjectIdentifiers.IdCTTstInfo.Equals(contentType.AttrValues[0]))
        {
            throw Malformed("its signer lacks the content-type or message-digest attribute");
        }

        var signedData = Org.BouncyCastle.Asn1.Cms.SignedData.GetInstance(token.ToCmsSignedData().ContentInfo.Content);
        var content = (signedData.EncapContentInfo.Content as Asn1OctetString)?.GetOctets() ?? throw Malformed("it has no TSTInfo content");
        var expectedDigest = Asn1OctetString.GetInstance(messageDigest.AttrValues[0]).GetOctets();
        if (!CryptographicOperations.FixedTimeEquals(Hash(digestAlgorithm, content), expectedDigest)
            || !CertificateSignature.VerifySignature(signer, signerInfo.SignatureAlgorithm.Algorithm.Id, digestAlgorithm, encodedAttributes, signerInfo.GetSignature()))
        {
            throw new VerificationException(TimestampCodes.InvalidSignature,
                "The timestamp's signature does not verify with its TSA certificate. The token was altered or forged.");
        }
    }

    /// <summary>
    /// S-03: every certificate of the path (signer, then the trusted chain) valid at genTime, never at wall-clock time; the
    /// signer has the timeStamping EKU.
    /// </summary>
    private static void CheckChainAt(AuthorityState state, X509Certificate2 leaf, DateTimeOffset genTime)
    {
        if (!state.ChainSignaturesValid)
        {
            throw new VerificationException(TimestampCodes.UntrustedAuthority,
                "The trusted root's TSA certificate chain does not chain by signature. Fix the trusted root.");
        }

        if (!IsValidAt(leaf, genTime))
        {
            throw NotValidAt(leaf, genTime);
        }

        foreach (var certificate in state.Authority.Chain)
        {
            if (!IsValidAt(certificate, genTime))
            {
                throw NotValidAt(certificate, genTime);
            }
        }

        if (!(ReferenceEquals(leaf, state.Leaf) ? state.LeafHasTimeStampingEku : HasTimeStampingEku(leaf)))
        {
            throw new VerificationException(TimestampCodes.MissingTimeStampingUsage,
                $"The timestamp's signer certificate '{leaf.Subject}' lacks the timeStamping extended key usage. It is not a TSA certificate.");
        }
    }

    private static bool IsValidAt(X509Certificate2 certificate, DateTimeOffset time) =>
        time >= new DateTimeOffset(certificate.NotBefore) && time <= new DateTimeOffset(certificate.NotAfter);

    private static VerificationException NotValidAt(X509Certificate2 certificate, DateTimeOffset time) =>
        new(TimestampCodes.CertificateNotValidAtTime,
            $"The TSA certificate '{certificate.Subject}' was not valid at the timestamp's time {time:O}. The timestamp cannot be trusted.");

    private static bool HasTimeStampingEku(X509Certificate2 certificate)
    {
        if (certificate.Extensions["2.5.29.37"] is not X509EnhancedKeyUsageExtension eku)
        {
            return false;
        }

        foreach (var oid in eku.EnhancedKeyUsages)
        {
            if (oid.Value == TimeStampingEku)
            {
                return true;
            }
        }

        return false;
    }

    internal static HashAlgorithmName? HashFromOid(string? oid) => oid switch
    {
        "2.16.840.1.101.3.4.2.1" => HashAlgorithmName.SHA256,
        "2.16.840.1.101.3.4.2.2" => HashAlgorithmName.SHA384,
        "2.16.840.1.101.3.4.2.3" => HashAlgorithmName.SHA512,
        _ => null,
    };

    private static byte[] Hash(HashAlgorithmName algorithm, ReadOnlySpan<byte> data) =>
        algorithm == HashAlgorithmName.SHA256 ? SHA256.HashData(data)
        : algorithm == HashAlgorithmName.SHA384 ? SHA384.HashData(data)
        : SHA512.HashData(data);

    private static VerificationException Malformed(string why, Exception? inner = null) =>
        new(TimestampCodes.MalformedTimestamp, $"The RFC 3161 timestamp is malformed: {why}. Obtain the bundle again from the signer.", inner);

    /// <summary>What is fixed per trusted TSA, computed once: its leaf, whether the pinned chain holds together, the leaf's EKU.</summary>
    private sealed class AuthorityState
    {
        public AuthorityState(CertificateAuthority authority)
        {
            Authority = authority;
            Leaf = authority.Chain[0];
            LeafHasTimeStampingEku = HasTimeStampingEku(Leaf);
            var valid = true;
            for (var i = 0; i + 1 < authority.Chain.Count; i++)
            {
                valid &= CertificateSignature.IsSignedBy(authority.Chain[i], authority.Chain[i + 1]);
            }

            ChainSignaturesValid = valid;
        }

        public CertificateAuthority Authority { get; }

        public X509Certificate2 Leaf { get; }

        public bool LeafHasTimeStampingEku { get; }

        public bool ChainSignaturesValid { get; }
    }

    /// <summary>The first ESSCertID or ESSCertIDv2 of the signing-certificate attribute: it identifies the signer (RFC 5035).</summary>
    private sealed class SigningCertificateId
    {
        private readonly HashAlgorithmName _hash;
        private readonly byte[] _certHash;
        private readonly IssuerSerial? _issuerSerial;

        private SigningCertificateId(HashAlgorithmName hash, byte[] certHash, IssuerSerial? issuerSerial)
        {
            _hash = hash;
            _certHash = certHash;
            _issuerSerial = issuerSerial;
        }

        public static SigningCertificateId Read(SignerInformation signerInfo)
        {
            var attributes = signerInfo.SignedAttributes;
            if (attributes?[PkcsObjectIdentifiers.IdAASigningCertificateV2] is { } v2 && v2.AttrValues.Count == 1)
            {
                var ids = SigningCertificateV2.GetInstance(v2.AttrValues[0]).GetCerts();
                if (ids.Length > 0)
                {
                    var id = ids[0];
                    var hash = HashFromOid(id.HashAlgorithm.Algorithm.Id)
                        ?? throw new VerificationException(TimestampCodes.UnsupportedHashAlgorithm, $"The timestamp's ESSCertIDv2 uses hash algorithm {id.HashAlgorithm.Algorithm.Id}.");
                    return new SigningCertificateId(hash, id.GetCertHash(), id.IssuerSerial);
                }
            }

            if (attributes?[PkcsObjectIdentifiers.IdAASigningCertificate] is { } v1 && v1.AttrValues.Count == 1)
            {
                var ids = SigningCertificate.GetInstance(v1.AttrValues[0]).GetCerts();
                if (ids.Length > 0)
                {
                    return new SigningCertificateId(HashAlgorithmName.SHA1, ids[0].GetCertHash(), ids[0].IssuerSerial);
                }
            }

            throw new VerificationException(TimestampCodes.SignerNotBound,
                "The timestamp has no signing-certificate attribute (ESSCertID/ESSCertIDv2), so its signer is not bound. Use an RFC 3161 compliant TSA.");
        }

        public bool Matches(X509Certificate2 certificate)
        {
            if (!CryptographicOperations.FixedTimeEquals(certificate.GetCertHash(_hash), _certHash))
            {
                return false;
            }

            if (_issuerSerial is null)
            {
                return true;
            }

            if (!_issuerSerial.Serial.Value.Equals(new Org.BouncyCastle.Math.BigInteger(certificate.SerialNumberBytes.ToArray())))
            {
                return false;
            }

            var issuer = X509Name.GetInstance(certificate.IssuerName.RawData);
            foreach (var name in _issuerSerial.Issuer.GetNames())
            {
                if (name.TagNo == GeneralName.DirectoryName && X509Name.GetInstance(name.Name).Equivalent(issuer))
                {
                    return true;
                }
            }

            return false;
        }
    }
}
