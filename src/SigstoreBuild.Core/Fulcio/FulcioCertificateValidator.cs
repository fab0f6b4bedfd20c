using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using SigstoreBuild.Diagnostics;
using SigstoreBuild.Identity;
using SigstoreBuild.Trust;
using SigstoreBuild.Verification;
using SigstoreBuild.Verification.Certificates;

namespace SigstoreBuild.Fulcio;

/// <summary>
/// Checks a certificate from Fulcio before anything is signed with it (client-spec §2.1.3, threat model F-02): our key,
/// a path to a trusted Fulcio CA, code-signing usage, an embedded SCT, and an identity consistent with the token.
/// </summary>
internal static class FulcioCertificateValidator
{
    private const string CodeSigningOid = "1.3.6.1.5.5.7.3.3";

    /// <returns>The certificate's SAN (identity) and issuer, for the final verification policy.</returns>
    public static (string SubjectAlternativeName, string Issuer) Validate(FulcioCertificate certificate, ECDsa key, IdentityToken token, TrustedRoot trustedRoot)
    {
        var leaf = certificate.Leaf;
        if (!leaf.PublicKey.ExportSubjectPublicKeyInfo().AsSpan().SequenceEqual(key.ExportSubjectPublicKeyInfo()))
        {
            throw FulcioClient.Invalid("the certificate is for a different public key than the one sent");
        }

        CheckChain(leaf, trustedRoot);

        var eku = leaf.Extensions.OfType<X509EnhancedKeyUsageExtension>().FirstOrDefault();
        if (eku is null || !eku.EnhancedKeyUsages.Cast<Oid>().Any(o => o.Value == CodeSigningOid))
        {
            throw FulcioClient.Invalid("the certificate lacks the code-signing extended key usage");
        }

        var ku = leaf.Extensions.OfType<X509KeyUsageExtension>().FirstOrDefault();
        if (ku is null || (ku.KeyUsages & X509KeyUsageFlags.DigitalSignature) == 0)
        {
            throw FulcioClient.Invalid("the certificate lacks the digitalSignature key usage");
        }

        if (leaf.Extensions[FulcioExtensions.EmbeddedSctList] is not { RawData.Length: > 2 })
        {
            throw FulcioClient.Invalid("the certificate has no embedded SCT, so it was not logged to certificate transparency");
        }

        var (san, issuer) = ReadIdentity(leaf);
        if (!string.Equals(issuer, token.CertificateIssuer, StringComparison.Ordinal))
        {
            throw FulcioClient.Invalid($"the certificate's issuer '{issuer}' is not the token's issuer '{token.CertificateIssuer}'");
        }

        CheckSan(san, token);
        return (san, issuer);
    }

    /// <summary>With the verifier's reader: a certificate it would refuse is not signed with.</summary>
    private static (string SubjectAlternativeName, string Issuer) ReadIdentity(X509Certificate2 leaf)
    {
        try
        {
            var fulcioLeaf = FulcioLeaf.Parse(leaf.RawData);
            return (fulcioLeaf.SubjectAlternativeName.Value, fulcioLeaf.Issuer);
        }
        catch (VerificationException ex)
        {
            throw FulcioClient.Invalid($"{ex.Code}: {ex.Message}");
        }
    }

    private static void CheckChain(X509Certificate2 leaf, TrustedRoot trustedRoot)
    {
        // The leaf is checked at its own issuance time: a skewed local clock must not reject a fresh certificate (F-08).
        var at = leaf.NotBefore.ToUniversalTime().AddSeconds(1);
        if (at > leaf.NotAfter.ToUniversalTime())
        {
            at = leaf.NotAfter.ToUniversalTime();
        }

        foreach (var ca in trustedRoot.CertificateAuthorities)
        {
            if (!ca.ValidFor.Contains(new DateTimeOffset(at)))
            {
                continue;
            }

            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.Add(ca.Root);
            // Only out-of-band intermediates from the trusted root, never ones Fulcio sent.
            chain.ChainPolicy.ExtraStore.AddRange(ca.Intermediates.ToArray());
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            chain.ChainPolicy.VerificationTime = at;
            chain.ChainPolicy.VerificationTimeIgnored = false;
            chain.ChainPolicy.DisableCertificateDownloads = true;
            if (chain.Build(leaf))
            {
                return;
            }
        }

        throw FulcioClient.Invalid("the certificate does not chain to a Fulcio CA in the trusted root");
    }

    private static void CheckSan(string san, IdentityToken token)
    {
        if (token.IsEmailIdentity || (token.Email is not null && san.Contains('@', StringComparison.Ordinal) && !san.Contains("://", StringComparison.Ordinal)))
        {
            if (!string.Equals(san, token.Email, StringComparison.OrdinalIgnoreCase))
            {
                throw FulcioClient.Invalid($"the certificate's identity '{san}' is not the token's email '{token.Email}'");
            }

            return;
        }

        var expectedSuffix = token.JobWorkflowRef ?? token.CiConfigRefUri;
        if (expectedSuffix is not null && !san.EndsWith(expectedSuffix, StringComparison.Ordinal))
        {
            throw FulcioClient.Invalid($"the certificate's identity '{san}' does not name the token's workflow '{expectedSuffix}'");
        }

        if (expectedSuffix is null && token.Email is null && !string.Equals(san, token.Subject, StringComparison.Ordinal) && !san.Contains("://", StringComparison.Ordinal))
        {
            throw FulcioClient.Invalid($"the certificate's identity '{san}' does not match the token's subject");
        }
    }
}
