namespace SigstoreBuild.NuGet.Restore;

/// <summary>
/// SSB51xx errors and SSB56xx/SSB59xx warnings of dependency verification at restore (docs/diagnostics/restore.md).
/// In <c>audit</c> mode each error SSB51nn is reported as the warning SSB56nn (the code plus 500), so the two can be
/// suppressed separately and keep the "x5xx-x9xx are warnings" rule.
/// </summary>
public static class RestoreCodes
{
    /// <summary>The trust policy (MSBuild items or policy file) is malformed.</summary>
    public const string PolicyInvalid = "SSB5100";

    /// <summary>project.assets.json is missing or unreadable.</summary>
    public const string AssetsFileInvalid = "SSB5101";

    /// <summary>A package matches no trusted identity and no unsigned-allowed entry.</summary>
    public const string NoPolicy = "SSB5102";

    /// <summary>No bundle was found for a package that must be signed.</summary>
    public const string Unsigned = "SSB5103";

    /// <summary>The bundle does not verify (signature, certificate, log, timestamp or subject).</summary>
    public const string SignatureInvalid = "SSB5104";

    /// <summary>The bundle verifies, but its signer is not trusted for this package ID.</summary>
    public const string IdentityNotTrusted = "SSB5105";

    /// <summary>The .nupkg is not in any package folder named by the assets file.</summary>
    public const string PackageMissing = "SSB5106";

    /// <summary>The .nupkg's content hash differs from the one NuGet recorded.</summary>
    public const string ContentHashMismatch = "SSB5107";

    /// <summary>A file extracted in the global packages folder differs from the .nupkg, or was added.</summary>
    public const string ExtractedFileTampered = "SSB5108";

    /// <summary>The signer differs from the one recorded in sigstore.lock.json for this package ID.</summary>
    public const string LockIdentityChanged = "SSB5109";

    /// <summary>The package is unsigned, but sigstore.lock.json records that this ID used to be signed.</summary>
    public const string LockUnsignedAfterSigned = "SSB5110";

    /// <summary>Locked mode: a signed package ID is not in sigstore.lock.json yet.</summary>
    public const string LockMissingEntry = "SSB5111";

    /// <summary>A previous verification of this project failed; restore outputs were invalidated .</summary>
    public const string PreviousVerificationFailed = "SSB5112";

    /// <summary>sigstore.lock.json is malformed.</summary>
    public const string LockFileInvalid = "SSB5113";

    /// <summary>No trust root or verifier could be set up.</summary>
    public const string TrustRootUnavailable = "SSB5114";

    /// <summary>A bundle source is misconfigured (bad URL template, missing directory).</summary>
    public const string SourceInvalid = "SSB5115";

    /// <summary>The trust settings are invalid (missing trusted root file, unknown instance, custom instance without TUF settings).</summary>
    public const string TrustConfigurationInvalid = "SSB5116";

    /// <summary>A trusted identity requires an SBOM attestation (RequireSbom) and the package carries none.</summary>
    public const string SbomMissing = "SSB5117";

    /// <summary>The package's SBOM attestation does not verify, or is not signed by an identity trusted for the package.</summary>
    public const string SbomNotVerified = "SSB5118";

    /// <summary>The bundle is signed with a key that no SigstoreTrustedKey for the package ID names.</summary>
    public const string KeyNotTrusted = "SSB5119";

    /// <summary>A SigstoreTrustedKey's public key file is missing or is not a PEM public key.</summary>
    public const string TrustedKeyUnreadable = "SSB5120";

    /// <summary>The package's signature verifies, but a revocation in the policy names it (identity and window, digest, log entry or key).</summary>
    public const string Revoked = "SSB5121";

    /// <summary>A published revocation source (URL, or file with a Bundle) cannot be fetched, and no copy fresh enough is cached.</summary>
    public const string RevocationSourceUnavailable = "SSB5122";

    /// <summary>A published revocation document does not verify against its bundle, or is not a revocation document.</summary>
    public const string RevocationSourceNotVerified = "SSB5123";

    /// <summary>A published revocation document verifies, but the policy trusts its signer for no package, so it is not applied.</summary>
    public const string RevocationSourceSignerNotTrusted = "SSB5124";

    /// <summary>A published revocation document is older ("issued") than one already seen from the same source (a replay).</summary>
    public const string RevocationSourceReplayed = "SSB5125";

    /// <summary>Offset from an error code to its audit-mode warning.</summary>
    public const int AuditOffset = 500;

    /// <summary>A SubjectRegex that does not pin a ref (no '@'), so any branch or tag of the workflow matches (P-01).</summary>
    public const string RegexWithoutRef = "SSB5900";

    /// <summary>A bundle source could not be reached; the next source is tried.</summary>
    public const string SourceUnavailable = "SSB5901";

    /// <summary>sigstore.lock.json was changed deliberately (lock update) for a package ID.</summary>
    public const string LockUpdated = "SSB5902";

    /// <summary>Verification is off although a trust policy is configured.</summary>
    public const string UnsafeVerificationOff = "SSB5903";

    /// <summary>A trusted identity accepts provenance its certificate does not corroborate (UnsafeAllowUncorroboratedProvenance).</summary>
    public const string UnsafeUncorroboratedProvenance = "SSB5904";

    /// <summary>The audit-mode warning code of an error code.</summary>
    public static string ToAuditWarning(string errorCode)
    {
        ArgumentNullException.ThrowIfNull(errorCode);
        var number = int.Parse(errorCode.AsSpan(3), System.Globalization.CultureInfo.InvariantCulture);
        return "SSB" + (number + AuditOffset).ToString(System.Globalization.CultureInfo.InvariantCulture);
    }
}
