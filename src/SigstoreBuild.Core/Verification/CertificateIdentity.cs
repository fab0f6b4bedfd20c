using System.Text.RegularExpressions;
using SigstoreBuild.Diagnostics;

namespace SigstoreBuild.Verification;

/// <summary>
/// An expected signer: the certificate's SAN (exact, or a fully anchored regex), its exact OIDC issuer, and optional
/// exact values of other Fulcio extensions (pin 1.15/1.17 against repojacking, 1.14/1.20/1.11 against PR builds).
/// Immutable; the <c>With*</c> methods return a new identity.
/// </summary>
public sealed class CertificateIdentity
{
    private static readonly TimeSpan RegexTimeout = TimeSpan.FromMilliseconds(100);

    private readonly string? _exactSan;
    private readonly Regex? _sanRegex;
    private readonly KeyValuePair<string, string>[] _extensions;

    private CertificateIdentity(string? exactSan, Regex? sanRegex, string issuer, KeyValuePair<string, string>[] extensions)
    {
        _exactSan = exactSan;
        _sanRegex = sanRegex;
        Issuer = issuer;
        _extensions = extensions;
    }

    /// <summary>The exact OIDC issuer (extension 1.8, or legacy 1.1) every identity requires.</summary>
    public string Issuer { get; }

    /// <summary>The SAN as given: the exact value, or the pattern of a regex identity.</summary>
    public string SubjectAlternativeName => _exactSan ?? Pattern!;

    /// <summary>The SAN pattern as the caller wrote it (before anchoring), for a regex identity; else null.</summary>
    public string? Pattern { get; private init; }

    /// <summary>Extension pins: OID to exact value.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> RequiredExtensions => _extensions;

    /// <summary>A signer this identity names must also pass the provenance consistency check (see <see cref="RequireProvenanceConsistency"/>).</summary>
    public bool RequiresProvenanceConsistency { get; private init; }

    /// <summary>UNSAFE: with <see cref="RequiresProvenanceConsistency"/>, a certificate that corroborates nothing passes, warned.</summary>
    public bool UnsafeAllowsUncorroboratedProvenance { get; private init; }

    /// <summary>SAN and issuer must both equal these strings exactly (ordinal).</summary>
    public static CertificateIdentity Exact(string subjectAlternativeName, string issuer)
    {
        ArgumentException.ThrowIfNullOrEmpty(subjectAlternativeName);
        ArgumentException.ThrowIfNullOrEmpty(issuer);
        return new CertificateIdentity(subjectAlternativeName, null, issuer, []);
    }

    /// <summary>
    /// The SAN must match <paramref name="subjectAlternativeNamePattern"/> in full. The pattern must parse on its own
    /// (so it cannot close the wrapper and add alternatives, as <c>a)|(.*</c> would); it is then wrapped as
    /// <c>\A(?:…)\z</c> (not <c>^…$</c>: <c>$</c> also matches before a final newline) and run by the non-backtracking
    /// engine with a timeout. Escape literal dots (<see cref="Regex.Escape"/>). The issuer stays exact.
    /// </summary>
    public static CertificateIdentity Regex(string subjectAlternativeNamePattern, string issuer)
    {
        ArgumentException.ThrowIfNullOrEmpty(subjectAlternativeNamePattern);
        ArgumentException.ThrowIfNullOrEmpty(issuer);
        return new CertificateIdentity(null, CompileFullMatch(subjectAlternativeNamePattern), issuer, []) { Pattern = subjectAlternativeNamePattern };
    }

    /// <summary>Whether <paramref name="subjectAlternativeName"/> is this identity's SAN (exact, or a full match of the pattern).</summary>
    public bool MatchesSubjectAlternativeName(string subjectAlternativeName)
    {
        ArgumentNullException.ThrowIfNull(subjectAlternativeName);
        return _exactSan is not null
            ? string.Equals(_exactSan, subjectAlternativeName, StringComparison.Ordinal)
            : MatchesPattern(subjectAlternativeName);
    }

    private static Regex CompileFullMatch(string pattern)
    {
        const RegexOptions options = RegexOptions.NonBacktracking | RegexOptions.CultureInvariant;
        try
        {
            // Parsed alone first: a pattern that is not one well-formed expression could escape the group below.
            _ = new Regex(pattern, options, RegexTimeout);
        }
        catch (Exception ex) when (ex is ArgumentException or NotSupportedException)
        {
            throw new VerificationException(PolicyCodes.InvalidIdentityPattern, $"The SAN pattern '{pattern}' is not a supported regular expression on its own ({ex.Message}). Write one complete expression (balanced parentheses, no backreferences or lookarounds); it is always matched against the whole SAN, so it needs no anchors.", ex);
        }

        try
        {
            return new Regex(@"\A(?:" + pattern + @")\z", options, RegexTimeout);
        }
        catch (Exception ex) when (ex is ArgumentException or NotSupportedException)
        {
            // Parses alone but not inside the group: an inline (?x) comment swallowing the closing anchor, for example.
            throw new VerificationException(PolicyCodes.InvalidIdentityPattern, $"The SAN pattern '{pattern}' cannot be matched against the whole SAN ({ex.Message}). Remove inline options and comments from the pattern.", ex);
        }
    }

    /// <summary>Requires the Fulcio extension <paramref name="oid"/> (see <see cref="FulcioExtensions"/>) to equal <paramref name="value"/> exactly.</summary>
    public CertificateIdentity WithExtension(string oid, string value)
    {
        ArgumentException.ThrowIfNullOrEmpty(oid);
        ArgumentNullException.ThrowIfNull(value);
        if (FulcioExtensions.NameOf(oid) is null || oid is FulcioExtensions.Issuer or FulcioExtensions.IssuerV1)
        {
            throw new ArgumentException($"'{oid}' is not a Fulcio extension that can be pinned (1.2-1.6, 1.9-1.23; the issuer is set by the identity itself).", nameof(oid));
        }

        return new CertificateIdentity(_exactSan, _sanRegex, Issuer, [.. _extensions, new(oid, value)]) { Pattern = Pattern, RequiresProvenanceConsistency = RequiresProvenanceConsistency, UnsafeAllowsUncorroboratedProvenance = UnsafeAllowsUncorroboratedProvenance };
    }

    /// <summary>
    /// A signer this identity names must carry SLSA v1 provenance that agrees with its certificate (D-06), even when
    /// another identity of the policy names it too; as <see cref="VerificationPolicy.RequireProvenanceConsistency"/>,
    /// but only for this identity's signers.
    /// </summary>
    public CertificateIdentity RequireProvenanceConsistency() =>
        new(_exactSan, _sanRegex, Issuer, _extensions) { Pattern = Pattern, RequiresProvenanceConsistency = true, UnsafeAllowsUncorroboratedProvenance = UnsafeAllowsUncorroboratedProvenance };

    /// <summary>
    /// UNSAFE: <see cref="RequireProvenanceConsistency"/> for this identity's signers, except that a certificate with no
    /// build or source extensions (an email identity) passes with warning SSB3560 instead of failing with SSB3424.
    /// </summary>
    public CertificateIdentity UnsafeAllowUncorroboratedProvenance() =>
        new(_exactSan, _sanRegex, Issuer, _extensions) { Pattern = Pattern, RequiresProvenanceConsistency = true, UnsafeAllowsUncorroboratedProvenance = true };

    public CertificateIdentity WithBuildSignerUri(string value) => WithExtension(FulcioExtensions.BuildSignerUri, value);

    public CertificateIdentity WithBuildSignerDigest(string value) => WithExtension(FulcioExtensions.BuildSignerDigest, value);

    public CertificateIdentity WithRunnerEnvironment(string value) => WithExtension(FulcioExtensions.RunnerEnvironment, value);

    public CertificateIdentity WithSourceRepositoryUri(string value) => WithExtension(FulcioExtensions.SourceRepositoryUri, value);

    public CertificateIdentity WithSourceRepositoryDigest(string value) => WithExtension(FulcioExtensions.SourceRepositoryDigest, value);

    public CertificateIdentity WithSourceRepositoryRef(string value) => WithExtension(FulcioExtensions.SourceRepositoryRef, value);

    public CertificateIdentity WithSourceRepositoryIdentifier(string value) => WithExtension(FulcioExtensions.SourceRepositoryIdentifier, value);

    public CertificateIdentity WithSourceRepositoryOwnerUri(string value) => WithExtension(FulcioExtensions.SourceRepositoryOwnerUri, value);

    public CertificateIdentity WithSourceRepositoryOwnerIdentifier(string value) => WithExtension(FulcioExtensions.SourceRepositoryOwnerIdentifier, value);

    public CertificateIdentity WithBuildConfigUri(string value) => WithExtension(FulcioExtensions.BuildConfigUri, value);

    public CertificateIdentity WithBuildConfigDigest(string value) => WithExtension(FulcioExtensions.BuildConfigDigest, value);

    public CertificateIdentity WithBuildTrigger(string value) => WithExtension(FulcioExtensions.BuildTrigger, value);

    public CertificateIdentity WithRunInvocationUri(string value) => WithExtension(FulcioExtensions.RunInvocationUri, value);

    public CertificateIdentity WithSourceRepositoryVisibility(string value) => WithExtension(FulcioExtensions.SourceRepositoryVisibilityAtSigning, value);

    public CertificateIdentity WithDeploymentEnvironment(string value) => WithExtension(FulcioExtensions.DeploymentEnvironment, value);

    public override string ToString() => _exactSan is not null ? $"SAN '{_exactSan}', issuer '{Issuer}'" : $"SAN matching '{Pattern}', issuer '{Issuer}'";

    /// <summary>How far the certificate gets through this identity, checked in the order SAN, issuer, extensions.</summary>
    internal IdentityMatch Match(string san, string issuer, IReadOnlyDictionary<string, string> extensions)
    {
        if (!MatchesSubjectAlternativeName(san))
        {
            return IdentityMatch.SubjectAlternativeNameDiffers;
        }

        if (!string.Equals(Issuer, issuer, StringComparison.Ordinal))
        {
            return IdentityMatch.IssuerDiffers;
        }

        foreach (var (oid, value) in _extensions)
        {
            if (!extensions.TryGetValue(oid, out var actual) || !string.Equals(actual, value, StringComparison.Ordinal))
            {
                return IdentityMatch.ExtensionDiffers($"{FulcioExtensions.NameOf(oid)} ({oid}) is '{actual ?? "(absent)"}', expected '{value}'");
            }
        }

        return IdentityMatch.Matches;
    }

    /// <summary>Whether a verified signer is this identity: SAN, issuer and every extension pin.</summary>
    internal bool Matches(VerifiedIdentity signer) =>
        Match(signer.SubjectAlternativeName, signer.Issuer, _extensions.ToDictionary(
            pin => pin.Key,
            pin => signer.Extensions.TryGetValue(FulcioExtensions.NameOf(pin.Key)!, out var value) ? value : null!)).Outcome == IdentityMatchOutcome.Matches;

    private bool MatchesPattern(string san)
    {
        try
        {
            return _sanRegex!.IsMatch(san);
        }
        catch (RegexMatchTimeoutException)
        {
            return false;
        }
    }
}

/// <summary>The first check of a <see cref="CertificateIdentity"/> a certificate fails, or <see cref="IdentityMatchOutcome.Matches"/>.</summary>
internal sealed record IdentityMatch(IdentityMatchOutcome Outcome, string? Detail = null)
{
    public static readonly IdentityMatch SubjectAlternativeNameDiffers = new(IdentityMatchOutcome.SubjectAlternativeNameDiffers);
    public static readonly IdentityMatch IssuerDiffers = new(IdentityMatchOutcome.IssuerDiffers);
    public static readonly IdentityMatch Matches = new(IdentityMatchOutcome.Matches);

    public static IdentityMatch ExtensionDiffers(string detail) => new(IdentityMatchOutcome.ExtensionDiffers, detail);
}

/// <summary>Ordered by how far the certificate got: a later value is a nearer miss, reported in preference.</summary>
internal enum IdentityMatchOutcome
{
    SubjectAlternativeNameDiffers,
    IssuerDiffers,
    ExtensionDiffers,
    Matches,
}
