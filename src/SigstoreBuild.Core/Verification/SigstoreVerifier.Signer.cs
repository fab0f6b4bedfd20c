using System.Security.Cryptography;
using SigstoreBuild.Bundles;
using SigstoreBuild.Crypto;
using SigstoreBuild.Diagnostics;
using SigstoreBuild.Verification.Certificates;

namespace SigstoreBuild.Verification;

public sealed partial class SigstoreVerifier
{
    /// <summary>
    /// The signer: a certificate that chains to a trusted Fulcio CA, or the caller's key. Never one for the other.
    /// </summary>
    private Signer VerifySigner(VerificationMaterial material, VerificationPolicy policy)
    {
        if (policy.Key is not null)
        {
            if (material.PublicKey is null)
            {
                throw new VerificationException(PolicyCodes.KeyPolicyCertificateBundle, "The policy names a public key but the bundle is signed with a certificate. Verify it with a certificate identity instead.");
            }

            return new Signer(null, policy.Key);
        }

        if (material.PublicKey is not null)
        {
            throw new VerificationException(PolicyCodes.KeylessPolicyKeyBundle, "The bundle is signed with a key, not a certificate, and the policy supplies no key. Verify it with the signer's public key.");
        }

        var leaf = VerifyCertificateChain(material);
        return new Signer(leaf, leaf.Key);
    }

    /// <summary>The bundle's chain must lead to a trusted Fulcio CA; the leaf's SCTs are verified here, counted later.</summary>
    private LeafEvidence VerifyCertificateChain(VerificationMaterial material)
    {
        var chain = material.Certificate is { } single ? [single.RawBytes!] : material.X509CertificateChain!.Certificates!.Select(c => c.RawBytes!).ToArray();
        _authorities.CheckBundleChain(chain);
        return GetLeafEvidence(chain[0]);
    }

    private LeafEvidence GetLeafEvidence(byte[] der)
    {
        var cacheKey = Convert.ToHexString(SHA256.HashData(der));
        if (_leafCache.TryGetValue(cacheKey, out var cached))
        {
            return cached;
        }

        // Pure functions of the certificate bytes and the trusted root: safe to cache (time checks are not cached).
        var leaf = FulcioLeaf.Parse(der);
        var issuers = _authorities.FindIssuers(leaf.Certificate);
        var scts = EmbeddedSctVerifier.Verify(leaf.Certificate, issuers[0].IssuingKey, _trust);
        VerificationKey key;
        try
        {
            key = VerificationKey.FromSubjectPublicKeyInfo(leaf.Certificate.SubjectPublicKeyInfo);
        }
        catch (Exception ex) when (ex is CryptographicException or PlatformNotSupportedException)
        {
            // An EC key on a curve the platform does not know surfaces as PlatformNotSupportedException.
            throw new VerificationException(KeyCodes.UnsupportedKey, $"The signing certificate's public key cannot be read: {ex.Message}", ex);
        }

        var evidence = new LeafEvidence(leaf, issuers, scts, key);
        if (_leafCache.Count >= LeafCacheCapacity)
        {
            _leafCache.Clear();
        }

        _leafCache[cacheKey] = evidence;
        return evidence;
    }

    /// <summary>The certificate must be valid at every verified time, not merely at one of them.</summary>
    private static void VerifyCertificateValidity(LeafEvidence leaf, IReadOnlyList<VerifiedTime> times)
    {
        foreach (var time in times)
        {
            FulcioAuthorities.CheckValidAt(leaf.Certificate, leaf.Issuers, time.Time, time.Source);
        }
    }

    /// <returns>The CT logs with a verified SCT for the certificate; their number must meet the threshold.</returns>
    private IReadOnlyList<string> VerifySignedCertificateTimestamps(LeafEvidence leaf, List<VerificationWarning> warnings)
    {
        var sctLogs = EmbeddedSctVerifier.DistinctLogs(leaf.Scts);
        if (sctLogs < _options.CertificateTransparencyLogThreshold)
        {
            if (!_options.UnsafeSkipCertificateTransparency)
            {
                throw new VerificationException(CertificateCodes.SctThresholdNotMet, $"The certificate has verified SCTs from {sctLogs} distinct trusted CT log(s); {_options.CertificateTransparencyLogThreshold} required. The certificate was not logged by a CT log of this trusted root.");
            }

            warnings.Add(new VerificationWarning(PolicyCodes.UnsafeOptionUsed, "SCT threshold not met; accepted because UnsafeSkipCertificateTransparency is set."));
        }

        return leaf.Scts.Select(s => LogName(s.Log)).Distinct(StringComparer.Ordinal).ToList();
    }

    /// <summary>The certificate must name a signer the policy trusts: SAN, then issuer, then extension pins.</summary>
    /// <returns>What the strictest identity that names the signer asks of its provenance.</returns>
    private static ProvenanceDemand VerifyIdentity(FulcioLeaf leaf, VerificationPolicy policy)
    {
        if (policy.Identities.Count == 0)
        {
            return ProvenanceDemand.None; // UnsafeWithoutIdentity, already warned
        }

        ProvenanceDemand? named = null;
        (IdentityMatch Match, CertificateIdentity Identity)? nearest = null;
        foreach (var identity in policy.Identities)
        {
            var demand = Demand(identity);
            if (named is { } already && demand <= already)
            {
                continue; // only a stricter identity naming the signer changes the outcome
            }

            var match = identity.Match(leaf.SubjectAlternativeName.Value, leaf.Issuer, leaf.Extensions);
            if (match.Outcome == IdentityMatchOutcome.Matches)
            {
                named = demand;
            }
            else if (named is null && (nearest is null || match.Outcome > nearest.Value.Match.Outcome))
            {
                nearest = (match, identity);
            }
        }

        if (named is { } result)
        {
            return result;
        }

        // The nearest miss explains the failure best: an issuer mismatch says more than a different SAN.
        var san = leaf.SubjectAlternativeName.Value;
        var (miss, expected) = nearest!.Value;
        throw miss.Outcome switch
        {
            IdentityMatchOutcome.SubjectAlternativeNameDiffers => new VerificationException(PolicyCodes.SubjectAlternativeNameMismatch, $"The certificate's identity '{san}' matches none of the expected identities ({string.Join("; ", policy.Identities)}).") { Signer = leaf.Identity },
            IdentityMatchOutcome.IssuerDiffers => new VerificationException(PolicyCodes.IssuerMismatch, $"The certificate's OIDC issuer '{leaf.Issuer}' is not the expected '{expected.Issuer}' for identity '{san}'.") { Signer = leaf.Identity },
            _ => new VerificationException(PolicyCodes.ExtensionMismatch, $"The certificate for '{san}' does not meet the policy: {miss.Detail}.") { Signer = leaf.Identity },
        };
    }

    private static ProvenanceDemand Demand(CertificateIdentity identity) =>
        !identity.RequiresProvenanceConsistency ? ProvenanceDemand.None
        : identity.UnsafeAllowsUncorroboratedProvenance ? ProvenanceDemand.ConsistentIfCorroborated
        : ProvenanceDemand.Consistent;

    /// <summary>Ordered from the laxest to the strictest.</summary>
    private enum ProvenanceDemand
    {
        None,
        ConsistentIfCorroborated,
        Consistent,
    }

    /// <summary>Who signed: the Fulcio leaf and what was learnt from it (keyless), else null; and the verifying key.</summary>
    private sealed record Signer(LeafEvidence? Leaf, VerificationKey Key);

    private sealed record LeafEvidence(FulcioLeaf Leaf, IReadOnlyList<FulcioAuthorities.TrustedAuthority> Issuers, IReadOnlyList<VerifiedSct> Scts, VerificationKey Key)
    {
        public ParsedCertificate Certificate => Leaf.Certificate;
    }
}
