using System.Security.Cryptography;
using System.Text;
using SigstoreBuild.Crypto;
using SigstoreBuild.Diagnostics;
using SigstoreBuild.Verification;

namespace SigstoreBuild.NuGet.Restore;

/// <summary>What a failed check does: nothing, a warning, or an error.</summary>
public enum VerificationMode
{
    Off,
    Audit,
    Enforce,
}

/// <summary>
/// A signer trusted for the packages whose ID matches <see cref="Packages"/>: an exact issuer (P-02), an exact SAN or
/// a fully anchored SAN regex (P-01), optional exact pins on Fulcio extensions (P-03, P-04, P-05), and optionally that the
/// package's SLSA provenance agrees with the certificate (D-06). Or a public key (<c>SigstoreTrustedKey</c>): then the
/// signer is <c>key:sha256:&lt;hex&gt;</c> (see <see cref="SignerIdentity"/>), and the bundle must verify with that key.
/// </summary>
public sealed class TrustedIdentity
{
    private readonly CertificateIdentity? _subjectPattern;

    /// <summary>A trusted key: the issuer and subject a key signer has, so matching, the lock and the policy hash treat both kinds alike.</summary>
    private TrustedIdentity(PackageIdPattern packages, VerificationKey publicKey)
    {
        Packages = packages;
        PublicKey = publicKey;
        var signer = SignerIdentity.ForKey(Convert.ToHexStringLower(SHA256.HashData(publicKey.SubjectPublicKeyInfo)));
        Issuer = signer.Issuer;
        Subject = signer.Subject;
        ExtensionPins = new Dictionary<string, string>();
    }

    public TrustedIdentity(PackageIdPattern packages, string issuer, string? subject, string? subjectRegex, IReadOnlyDictionary<string, string>? extensionPins = null, bool requireProvenanceConsistency = false,
        bool unsafeAllowUncorroboratedProvenance = false)
    {
        ArgumentNullException.ThrowIfNull(packages);
        Packages = packages;
        if (string.IsNullOrWhiteSpace(issuer))
        {
            throw new SigstoreException(RestoreCodes.PolicyInvalid, $"The trusted identity for '{packages}' has no Issuer. Every trusted identity needs the exact OIDC issuer URL (e.g. Issuer=\"https://token.actions.githubusercontent.com\").");
        }

        if (string.IsNullOrEmpty(subject) == string.IsNullOrEmpty(subjectRegex))
        {
            throw new SigstoreException(RestoreCodes.PolicyInvalid, $"The trusted identity for '{packages}' needs exactly one of Subject (the exact certificate SAN) or SubjectRegex (a regex the whole SAN must match).");
        }

        Issuer = issuer;
        Subject = string.IsNullOrEmpty(subject) ? null : subject;
        SubjectRegex = string.IsNullOrEmpty(subjectRegex) ? null : subjectRegex;
        if (SubjectRegex is not null)
        {
            try
            {
                // Full-match semantics always, whatever anchors the author wrote (P-01): the verifier's own pattern rules.
                _subjectPattern = CertificateIdentity.Regex(SubjectRegex, issuer);
            }
            catch (VerificationException ex)
            {
                throw new SigstoreException(RestoreCodes.PolicyInvalid, $"The SubjectRegex for '{packages}' is invalid: {ex.Message}", ex);
            }
        }

        ExtensionPins = extensionPins ?? new Dictionary<string, string>();
        RequireProvenanceConsistency = requireProvenanceConsistency;
        if (unsafeAllowUncorroboratedProvenance && !requireProvenanceConsistency)
        {
            throw new SigstoreException(RestoreCodes.PolicyInvalid, $"The trusted identity for '{packages}' sets UnsafeAllowUncorroboratedProvenance without RequireProvenanceConsistency, which it only relaxes. Set both, or neither.");
        }

        UnsafeAllowUncorroboratedProvenance = unsafeAllowUncorroboratedProvenance;
    }

    public PackageIdPattern Packages { get; }

    /// <summary>The trusted public key, or null for a certificate identity.</summary>
    internal VerificationKey? PublicKey { get; }

    public string Issuer { get; }

    public string? Subject { get; }

    public string? SubjectRegex { get; }

    /// <summary>Exact values by Fulcio extension OID.</summary>
    public IReadOnlyDictionary<string, string> ExtensionPins { get; }

    /// <summary>
    /// A package accepted through this identity must carry SLSA v1 provenance whose builder, source and invocation agree
    /// with the certificate's Fulcio extensions (D-06); a contradiction fails with SSB342x.
    /// </summary>
    public bool RequireProvenanceConsistency { get; }

    /// <summary>
    /// UNSAFE, with <see cref="RequireProvenanceConsistency"/>: a certificate that corroborates nothing of the provenance
    /// (e.g. an email identity) is accepted instead of failing (SSB3424); every verification run warns SSB5904.
    /// </summary>
    public bool UnsafeAllowUncorroboratedProvenance { get; }

    /// <summary>
    /// A package accepted through this identity must also carry an SBOM attestation (CycloneDX or SPDX, the embedded
    /// <c>.sigstore/sbom.sigstore.json</c>) over the same package digest, signed by an identity trusted for the package.
    /// </summary>
    public bool RequireSbom { get; init; }

    /// <summary>A regex that does not name a ref lets any branch or tag of a workflow sign (P-01, P-05).</summary>
    public bool IsRegexWithoutRef => SubjectRegex is not null && !SubjectRegex.Contains('@', StringComparison.Ordinal);

    /// <summary>A key trusted for the packages matching <paramref name="packages"/>.</summary>
    internal static TrustedIdentity ForKey(PackageIdPattern packages, VerificationKey publicKey, bool requireSbom = false)
    {
        ArgumentNullException.ThrowIfNull(packages);
        ArgumentNullException.ThrowIfNull(publicKey);
        return new TrustedIdentity(packages, publicKey) { RequireSbom = requireSbom };
    }

    /// <summary>Null when the signer matches; otherwise why not.</summary>
    public string? Mismatch(SignerIdentity signer)
    {
        ArgumentNullException.ThrowIfNull(signer);
        if (PublicKey is not null || signer.IsKey)
        {
            return string.Equals(signer.Subject, Subject, StringComparison.Ordinal) && signer.IsKey == (PublicKey is not null)
                ? null
                : $"the signer is {(signer.IsKey ? signer.Subject : "a certificate")}, not {(PublicKey is null ? "a certificate" : Subject)}";
        }

        if (!string.Equals(signer.Issuer, Issuer, StringComparison.Ordinal))
        {
            return $"issuer '{signer.Issuer}' is not '{Issuer}'";
        }

        if (Subject is not null && !string.Equals(signer.Subject, Subject, StringComparison.Ordinal))
        {
            return $"subject '{signer.Subject}' is not '{Subject}'";
        }

        if (_subjectPattern is not null && !_subjectPattern.MatchesSubjectAlternativeName(signer.Subject))
        {
            return $"subject '{signer.Subject}' does not match the regex '{SubjectRegex}'";
        }

        foreach (var (oid, expected) in ExtensionPins)
        {
            var actual = signer.Extension(oid);
            if (!string.Equals(actual, expected, StringComparison.Ordinal))
            {
                var name = SignerExtensions.All.FirstOrDefault(e => e.Oid == oid)?.Name ?? oid;
                return $"{name} is '{actual ?? "(absent)"}', not '{expected}'";
            }
        }

        return null;
    }

    /// <summary>The identity as the Sigstore verifier checks it.</summary>
    internal CertificateIdentity ToCertificateIdentity()
    {
        if (PublicKey is not null)
        {
            throw new InvalidOperationException("A trusted key is not a certificate identity.");
        }

        var identity = _subjectPattern ?? CertificateIdentity.Exact(Subject!, Issuer);
        foreach (var (oid, value) in ExtensionPins)
        {
            identity = identity.WithExtension(oid, value);
        }

        return UnsafeAllowUncorroboratedProvenance ? identity.UnsafeAllowUncorroboratedProvenance()
            : RequireProvenanceConsistency ? identity.RequireProvenanceConsistency()
            : identity;
    }

    /// <summary>The same signer without the provenance requirements, for checking an attestation that is not provenance (the SBOM).</summary>
    internal TrustedIdentity SignerOnly() => PublicKey is not null ? new(Packages, PublicKey) : new(Packages, Issuer, Subject, SubjectRegex, ExtensionPins);

    public override string ToString() => PublicKey is not null ? $"{Packages}: {Subject}" + (RequireSbom ? ", SBOM required" : "") : $"{Packages}: {Subject ?? "regex " + SubjectRegex} (issuer {Issuer})" + string.Concat(ExtensionPins.Select(p => $", {SignerExtensions.All.FirstOrDefault(e => e.Oid == p.Key)?.Name ?? p.Key}={p.Value}"))
        + (RequireProvenanceConsistency ? ", provenance consistent" : "") + (RequireSbom ? ", SBOM required" : "") + (UnsafeAllowUncorroboratedProvenance ? " (uncorroborated allowed: unsafe)" : "");

    internal void AppendCanonical(StringBuilder builder)
    {
        // A key's subject is its fingerprint, so a changed key changes the hash (and the verification cache key).
        builder.Append(PublicKey is null ? "id|" : "key|").Append(Packages.Text.ToLowerInvariant()).Append('|').Append(Issuer).Append('|').Append(Subject).Append('|').Append(SubjectRegex);
        foreach (var (oid, value) in ExtensionPins.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            builder.Append('|').Append(oid).Append('=').Append(value);
        }

        if (RequireProvenanceConsistency)
        {
            // Part of the cache key: turning the check on re-verifies packages verified without it.
            builder.Append("|provenance-consistency");
        }

        if (UnsafeAllowUncorroboratedProvenance)
        {
            builder.Append("|unsafe-uncorroborated-provenance");
        }

        if (RequireSbom)
        {
            builder.Append("|sbom");
        }

        builder.Append('\n');
    }
}

/// <summary>A suppression, NuGetAudit-style: by code, by package ID pattern, or both.</summary>
internal sealed record Suppression(string? Code, PackageIdPattern? Packages)
{
    public bool Covers(string code, string? packageId) =>
        (Code is null || string.Equals(Code, code, StringComparison.OrdinalIgnoreCase))
        && (Packages is null || (packageId is not null && Packages.IsMatch(packageId)));
}

/// <summary>What the policy says about one package ID.</summary>
/// <param name="Identities">The signers trusted for it, identities and keys alike: either kind is accepted (empty when only unsigned-allowed applies).</param>
/// <param name="UnsignedAllowed">An explicit entry allows it without a signature (P-06: never a fallback).</param>
/// <param name="Pattern">The most specific pattern that decided, or null when nothing matched.</param>
internal sealed record PolicyDecision(IReadOnlyList<TrustedIdentity> Identities, bool UnsignedAllowed, string? Pattern)
{
    public bool HasPolicy => Pattern is not null;
}

/// <summary>
/// The dependency trust policy: trusted identities and unsigned-allowed entries by package ID pattern, suppressions,
/// and the mode. For a package, only the most specific matching pattern(s) count, so
/// <c>UnsignedAllowed="*"</c> next to <c>TrustedIdentity="Contoso.*"</c> still requires Contoso packages to be signed.
/// </summary>
internal sealed class TrustPolicy
{
    public TrustPolicy(IEnumerable<TrustedIdentity> identities, IEnumerable<PackageIdPattern> unsignedAllowed, IEnumerable<Suppression> suppressions, IEnumerable<Revocation>? revocations = null,
        IEnumerable<RevocationSource>? revocationSources = null, IEnumerable<PublishedRevocations>? published = null)
    {
        Identities = identities.ToList();
        UnsignedAllowed = unsignedAllowed.Distinct().ToList();
        Suppressions = suppressions.ToList();
        Revocations = revocations?.ToList() is { Count: > 0 } list ? new RevocationList(list) : null;
        RevocationSources = revocationSources?.Distinct().ToList() ?? [];
        Published = published?.ToList() ?? [];
        Hash = ComputeHash();
    }

    public static TrustPolicy Empty { get; } = new([], [], []);

    public IReadOnlyList<TrustedIdentity> Identities { get; }

    public IReadOnlyList<PackageIdPattern> UnsignedAllowed { get; }

    public IReadOnlyList<Suppression> Suppressions { get; }

    /// <summary>Revocations (SigstoreRevocations documents, "revocations" in the policy file): a match fails the package (SSB5121).</summary>
    public RevocationList? Revocations { get; }

    /// <summary>Published, signed revocation documents to fetch (SigstoreRevocations URLs or files with a Bundle, "revocationSources").</summary>
    public IReadOnlyList<RevocationSource> RevocationSources { get; }

    /// <summary>The verified documents of <see cref="RevocationSources"/>, each applying only where its signer is trusted.</summary>
    public IReadOnlyList<PublishedRevocations> Published { get; }

    /// <summary>
    /// The revocations for a package: the consumer's own, and each published document whose signer is one of the
    /// identities the policy trusts for this package ID, so a publisher's document never reaches another's packages.
    /// </summary>
    public RevocationList? RevocationsFor(PolicyDecision decision)
    {
        ArgumentNullException.ThrowIfNull(decision);
        var scoped = Published.Where(p => decision.Identities.Any(i => i.Mismatch(p.Signer) is null)).SelectMany(p => p.List.Entries).ToList();
        return scoped.Count == 0 ? Revocations : new RevocationList([.. Revocations?.Entries ?? [], .. scoped]);
    }

    /// <summary>This policy with the verified documents of its sources.</summary>
    public TrustPolicy WithPublished(IEnumerable<PublishedRevocations> published) =>
        new(Identities, UnsignedAllowed, Suppressions, Revocations?.Entries, RevocationSources, published);

    public bool IsEmpty => Identities.Count == 0 && UnsignedAllowed.Count == 0;

    /// <summary>SHA-256 (hex) of the rules that decide a verification outcome; part of the verification cache key.</summary>
    public string Hash { get; }

    public PolicyDecision Decide(string packageId)
    {
        var best = int.MinValue;
        foreach (var identity in Identities)
        {
            if (identity.Packages.IsMatch(packageId))
            {
                best = Math.Max(best, identity.Packages.Specificity);
            }
        }

        foreach (var allowed in UnsignedAllowed)
        {
            if (allowed.IsMatch(packageId))
            {
                best = Math.Max(best, allowed.Specificity);
            }
        }

        if (best == int.MinValue)
        {
            return new PolicyDecision([], false, null);
        }

        var identities = Identities.Where(i => i.Packages.Specificity == best && i.Packages.IsMatch(packageId)).ToList();
        var unsigned = UnsignedAllowed.FirstOrDefault(p => p.Specificity == best && p.IsMatch(packageId));
        var pattern = identities.FirstOrDefault()?.Packages.Text ?? unsigned!.Text;
        return new PolicyDecision(identities, unsigned is not null, pattern);
    }

    public bool IsSuppressed(string code, string? packageId) => Suppressions.Any(s => s.Covers(code, packageId));

    public TrustPolicy Merge(TrustPolicy other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return new TrustPolicy(Identities.Concat(other.Identities), UnsignedAllowed.Concat(other.UnsignedAllowed), Suppressions.Concat(other.Suppressions),
            (Revocations?.Entries ?? []).Concat(other.Revocations?.Entries ?? []), RevocationSources.Concat(other.RevocationSources), Published.Concat(other.Published));
    }

    private string ComputeHash()
    {
        var builder = new StringBuilder("sigstore-restore-policy-v1\n");
        foreach (var identity in Identities.OrderBy(i => i.ToString(), StringComparer.Ordinal))
        {
            identity.AppendCanonical(builder);
        }

        foreach (var pattern in UnsignedAllowed.Select(p => p.Text.ToLowerInvariant()).Order(StringComparer.Ordinal))
        {
            builder.Append("unsigned|").Append(pattern).Append('\n');
        }

        // Part of the cache key: adding a revocation re-judges every package verified before it.
        foreach (var revocation in (Revocations?.Entries ?? []).Select(Canonical).Order(StringComparer.Ordinal))
        {
            builder.Append("revoked|").Append(revocation).Append('\n');
        }

        // A newly published document (its bytes) or another signer re-judges too; a source that failed leaves its mark.
        foreach (var source in RevocationSources.Select(s => s.Document + "|" + s.BundleLocation).Order(StringComparer.Ordinal))
        {
            builder.Append("revocation-source|").Append(source).Append('\n');
        }

        foreach (var published in Published.Select(p => $"{p.Source.Document}|{p.DocumentSha256}|{p.Signer.Issuer}|{p.Signer.Subject}|{string.Join(',', p.Signer.Extensions.OrderBy(e => e.Key, StringComparer.Ordinal).Select(e => e.Key + "=" + e.Value))}").Order(StringComparer.Ordinal))
        {
            builder.Append("published|").Append(published).Append('\n');
        }

        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(builder.ToString())));
    }

    private static string Canonical(Revocation r) =>
        $"{r.Identity}|{string.Join(',', r.Identity?.RequiredExtensions.Select(p => p.Key + "=" + p.Value) ?? [])}|{r.SignedFrom?.ToUnixTimeMilliseconds()}|{r.SignedUntil?.ToUnixTimeMilliseconds()}|{r.Digest}|{r.LogEntry?.LogId}:{r.LogEntry?.LogIndex}|{r.Key}";

    public static VerificationMode ParseMode(string? text, bool policyConfigured)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            // No policy: nothing to check against, so stay out of the way. A policy without a mode enforces it.
            return policyConfigured ? VerificationMode.Enforce : VerificationMode.Off;
        }

        return text.Trim().ToLowerInvariant() switch
        {
            "off" or "false" => VerificationMode.Off,
            "audit" => VerificationMode.Audit,
            "enforce" or "true" => VerificationMode.Enforce,
            _ => throw new SigstoreException(RestoreCodes.PolicyInvalid, $"SigstoreVerifyPackages='{text}' is not a mode. Use off, audit or enforce."),
        };
    }
}
