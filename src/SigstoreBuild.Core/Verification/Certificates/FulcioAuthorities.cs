using System.Formats.Asn1;
using SigstoreBuild.Diagnostics;
using SigstoreBuild.Trust;

namespace SigstoreBuild.Verification.Certificates;

/// <summary>
/// The trusted root's Fulcio CAs, each checked once as an RFC 5280 path (names chain, signatures verify, every CA
/// certificate is a CA with keyCertSign and respects pathLen, no unknown critical extension) and cached with its
/// issuing key. Leaves are then checked directly: issuer name, signature, and validity windows at each verified time.
/// Only the trusted root's own chain is used (out-of-band intermediates); the bundle's chain never extends trust.
/// </summary>
internal sealed class FulcioAuthorities
{
    private const string CodeSigningOid = "1.3.6.1.5.5.7.3.3";
    private const string AnyExtendedKeyUsageOid = "2.5.29.37.0";

    private readonly TrustedAuthority[] _authorities;
    private readonly HashSet<string> _trustedCertificates;

    // Parsed CA chains and imported keys belong to the trusted root, not to one verifier: importing an EC key costs
    // more than verifying with it, so every verifier built on the same TrustedRoot shares this work.
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<TrustedRoot, FulcioAuthorities> Shared = new();

    public static FulcioAuthorities For(TrustedRoot trust) => Shared.GetValue(trust, static t => new FulcioAuthorities(t));

    public FulcioAuthorities(TrustedRoot trust)
    {
        ArgumentNullException.ThrowIfNull(trust);
        _authorities = trust.CertificateAuthorities.Select(ca => new TrustedAuthority(ca)).ToArray();
        _trustedCertificates = new HashSet<string>(
            trust.CertificateAuthorities.SelectMany(ca => ca.Chain).Select(c => Convert.ToHexString(c.RawData)),
            StringComparer.Ordinal);
    }

    /// <summary>
    /// Certificates a bundle's x509CertificateChain carries after the leaf are ignored for path building, but they must
    /// not try to introduce trust: only CA certificates the trusted root lists may follow the leaf, never a root.
    /// </summary>
    public void CheckBundleChain(IReadOnlyList<byte[]> chain)
    {
        for (var i = 1; i < chain.Count; i++)
        {
            var der = chain[i];
            var certificate = ParsedCertificate.Parse(der);
            if (certificate.IsSelfIssued)
            {
                throw new VerificationException(CertificateCodes.UntrustedChainCertificate, "The bundle's certificate chain contains a self-signed root. Roots come only from the trusted root; regenerate the bundle without it.");
            }

            if (_trustedCertificates.Contains(Convert.ToHexString(der)))
            {
                continue;
            }

            // Name what is there: a repeated leaf or another end-entity certificate is no CA certificate.
            throw new VerificationException(CertificateCodes.UntrustedChainCertificate,
                der.AsSpan().SequenceEqual(chain[0])
                    ? $"The bundle's certificate chain repeats the signing certificate (at position {i}). After the signing certificate the chain may hold only CA certificates of the trusted root; regenerate the bundle with the signing certificate once."
                    : IsCertificateAuthority(certificate)
                        ? "The bundle's certificate chain contains a CA certificate that is not in the trusted root. Use the trusted root of the instance that issued the certificate."
                        : $"The bundle's certificate chain contains, at position {i}, a certificate that is not a CA certificate. After the signing certificate the chain may hold only CA certificates of the trusted root; regenerate the bundle.");
        }
    }

    private static bool IsCertificateAuthority(ParsedCertificate certificate)
    {
        try
        {
            return certificate.FindExtension(CertificateProfile.BasicConstraintsOid) is { } bc && CertificateProfile.ReadBasicConstraints(bc.Value).IsCa;
        }
        catch (AsnContentException)
        {
            return false; // only chooses the message; the certificate is refused either way
        }
    }

    /// <summary>
    /// The trusted authorities whose issuing certificate signed <paramref name="leaf"/> (usually one; a CA reissued
    /// with another validity window yields several). Times are checked separately with <see cref="CheckValidAt"/>.
    /// </summary>
    public IReadOnlyList<TrustedAuthority> FindIssuers(ParsedCertificate leaf)
    {
        List<TrustedAuthority>? issuers = null;
        string? brokenAuthority = null;
        foreach (var authority in _authorities)
        {
            // The key identifiers only narrow the candidates (a CA reissued under the same name); the signature decides.
            if (!authority.IssuingCertificate.Subject.Span.SequenceEqual(leaf.Issuer.Span)
                || !KeyIdentifiersMayMatch(leaf, authority.IssuingCertificate)
                || !authority.IssuingKey.Signed(leaf))
            {
                continue;
            }

            if (authority.Problem is not null)
            {
                brokenAuthority = authority.Problem;
                continue;
            }

            (issuers ??= []).Add(authority);
        }

        if (issuers is null)
        {
            throw brokenAuthority is not null
                ? new VerificationException(CertificateCodes.InvalidAuthorityChain, $"The signing certificate chains only to a trusted-root CA whose own chain is invalid: {brokenAuthority} Fix the trusted root.")
                : new VerificationException(CertificateCodes.Untrusted, "The signing certificate was not issued by any Fulcio CA of the trusted root. Check that the bundle comes from the instance of this trusted root.");
        }

        return issuers;
    }

    /// <summary>False only when the leaf's authorityKeyIdentifier and the CA's subjectKeyIdentifier are both present and differ.</summary>
    internal static bool KeyIdentifiersMayMatch(ParsedCertificate leaf, ParsedCertificate issuer)
    {
        if (leaf.FindExtension("2.5.29.35") is not { } aki || issuer.FindExtension("2.5.29.14") is not { } ski)
        {
            return true;
        }

        try
        {
            var akiReader = new AsnReader(aki.Value, AsnEncodingRules.DER).ReadSequence();
            if (!akiReader.HasData || akiReader.PeekTag() != new Asn1Tag(TagClass.ContextSpecific, 0))
            {
                return true;
            }

            var keyId = akiReader.ReadOctetString(new Asn1Tag(TagClass.ContextSpecific, 0));
            var subjectKeyId = new AsnReader(ski.Value, AsnEncodingRules.DER).ReadOctetString();
            return keyId.AsSpan().SequenceEqual(subjectKeyId);
        }
        catch (AsnContentException)
        {
            return true; // malformed identifiers prove nothing; the signature check still decides
        }
    }

    /// <summary>The leaf, every CA certificate of the path and the CA's validFor window must all contain <paramref name="time"/>.</summary>
    public static void CheckValidAt(ParsedCertificate leaf, IReadOnlyList<TrustedAuthority> issuers, DateTimeOffset time, string timeSource)
    {
        if (!leaf.IsValidAt(time))
        {
            throw new VerificationException(CertificateCodes.NotValidAtTime, $"The signing certificate (valid {leaf.NotBefore:O} to {leaf.NotAfter:O}) was not valid at {time:O} ({timeSource}). The signature was not made while the certificate was valid.");
        }

        foreach (var authority in issuers)
        {
            if (authority.IsValidAt(time))
            {
                return;
            }
        }

        throw new VerificationException(CertificateCodes.AuthorityNotValidAtTime, $"The issuing Fulcio CA was not valid (certificate window or trusted-root validFor) at {time:O} ({timeSource}).");
    }

    /// <summary>One trusted Fulcio CA with its parsed chain, checked once.</summary>
    internal sealed class TrustedAuthority
    {
        public TrustedAuthority(CertificateAuthority authority)
        {
            Authority = authority;
            Chain = authority.Chain.Select(c => ParsedCertificate.Parse(c.RawData)).ToArray();
            _issuingKey = new Lazy<IssuerKey>(() => new IssuerKey(Chain[0].SubjectPublicKeyInfo));

            // Checked on first use, so that a cold start pays only for the CA that actually issued the leaf.
            _problem = new Lazy<string?>(() =>
            {
                try
                {
                    return CheckChain(Chain);
                }
                catch (AsnContentException ex)
                {
                    return $"a CA certificate has a malformed extension ({ex.Message}).";
                }
                catch (VerificationException ex)
                {
                    return ex.Message;
                }
            });
        }

        private readonly Lazy<IssuerKey> _issuingKey;
        private readonly Lazy<string?> _problem;

        public CertificateAuthority Authority { get; }

        public ParsedCertificate[] Chain { get; }

        public ParsedCertificate IssuingCertificate => Chain[0];

        public IssuerKey IssuingKey => _issuingKey.Value;

        /// <summary>Why this CA cannot be used, or null.</summary>
        public string? Problem => _problem.Value;

        public bool IsValidAt(DateTimeOffset time)
        {
            if (!Authority.ValidFor.Contains(time))
            {
                return false;
            }

            foreach (var certificate in Chain)
            {
                if (!certificate.IsValidAt(time))
                {
                    return false;
                }
            }

            return true;
        }

        private static string? CheckChain(ParsedCertificate[] chain)
        {
            // Each key imported once: the root checks both itself and the certificate below it.
            var keys = new IssuerKey?[chain.Length];
            for (var i = 0; i < chain.Length; i++)
            {
                var certificate = chain[i];
                var seen = new HashSet<string>(StringComparer.Ordinal);
                foreach (var extension in certificate.Extensions)
                {
                    if (!seen.Add(extension.Oid))
                    {
                        return $"CA certificate {i} repeats extension {extension.Oid}.";
                    }

                    if (extension.Critical && extension.Oid is not ("2.5.29.15" or "2.5.29.19" or "2.5.29.37" or "2.5.29.17"))
                    {
                        return $"CA certificate {i} has an unsupported critical extension {extension.Oid}.";
                    }
                }

                if (certificate.FindExtension(CertificateProfile.BasicConstraintsOid) is not { } bc || CertificateProfile.ReadBasicConstraints(bc.Value) is not { IsCa: true } constraints)
                {
                    return $"certificate {i} of the CA chain is not a CA (basicConstraints cA is not true).";
                }

                // RFC 5280 4.2.1.9: a CA must mark basicConstraints critical (C-02).
                if (!bc.Critical)
                {
                    return $"certificate {i} of the CA chain has a non-critical basicConstraints extension.";
                }

                // pathLen counts the CA certificates below this one (the leaf is not counted).
                if (constraints.PathLength is { } pathLength && pathLength < i)
                {
                    return $"certificate {i} of the CA chain has pathLenConstraint {pathLength}, too small for its position.";
                }

                if (certificate.FindExtension("2.5.29.15") is { } ku && (CertificateProfile.ReadKeyUsage(ku.Value) & CertificateProfile.KeyCertSign) == 0)
                {
                    return $"certificate {i} of the CA chain lacks keyCertSign.";
                }

                if (certificate.FindExtension("2.5.29.37") is { } eku)
                {
                    var usages = CertificateProfile.ReadExtendedKeyUsage(eku.Value);
                    if (!usages.Contains(CodeSigningOid) && !usages.Contains(AnyExtendedKeyUsageOid))
                    {
                        return $"certificate {i} of the CA chain restricts extended key usage without codeSigning.";
                    }
                }

                var issuer = i + 1 < chain.Length ? chain[i + 1] : certificate;
                if (!certificate.Issuer.Span.SequenceEqual(issuer.Subject.Span))
                {
                    return i + 1 < chain.Length
                        ? $"certificate {i} of the CA chain was not issued by certificate {i + 1}."
                        : "the last certificate of the CA chain is not a self-signed root.";
                }

                var issuerIndex = i + 1 < chain.Length ? i + 1 : i;
                if (!(keys[issuerIndex] ??= new IssuerKey(issuer.SubjectPublicKeyInfo)).Signed(certificate))
                {
                    return $"the signature on certificate {i} of the CA chain does not verify.";
                }
            }

            return null;
        }
    }
}
