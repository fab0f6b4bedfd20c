using System.Security.Cryptography;
using System.Text.Json;
using SigstoreBuild.Attestations;
using SigstoreBuild.Bundles;
using SigstoreBuild.Diagnostics;

namespace SigstoreBuild.NuGet.Verification;

/// <summary>
/// Verifies a package against a Sigstore bundle: the package passes the strict archive checks (N-02..N-06), its nuspec
/// names the expected identity (N-07), the bundle verifies for the package digest (N-01: unchanged by the embedded
/// bundle, author or repository signing afterwards; docs/embedded-bundle.md), and one subject binds that digest to
/// <c>pkg:nuget/&lt;id&gt;@&lt;version&gt;</c> of this very package. Bundles made before the package digest existed bind
/// NuGet's content hash (SHA-512) instead, which is as strict. There is no fallback that skips any step.
/// </summary>
public sealed class PackageVerifier
{
    private readonly IAttestationVerifier _attestationVerifier;

    public PackageVerifier(IAttestationVerifier attestationVerifier)
    {
        ArgumentNullException.ThrowIfNull(attestationVerifier);
        _attestationVerifier = attestationVerifier;
    }

    public PackageVerificationResult Verify(string packagePath, Bundle bundle, PackageVerificationPolicy? policy = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(packagePath);
        ArgumentNullException.ThrowIfNull(bundle);
        policy ??= PackageVerificationPolicy.Default;

        return Verify(PackageInspector.Inspect(packagePath, policy.ExpectedIdentity, policy.Limits), bundle, policy);
    }

    /// <summary>Verifies a package against the bundle embedded in it (<see cref="EmbeddedBundle"/>).</summary>
    public PackageVerificationResult VerifyEmbedded(string packagePath, PackageVerificationPolicy? policy = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(packagePath);
        policy ??= PackageVerificationPolicy.Default;
        var package = PackageInspector.Inspect(packagePath, policy.ExpectedIdentity, policy.Limits);
        return Verify(package, EmbeddedBundle.Parse(package), policy);
    }

    /// <summary>
    /// Verifies a package inspected earlier with <see cref="PackageInspector"/> (the strict archive checks and the content
    /// hash), so a caller that already read the archive does not read it again; the identity is checked here.
    /// </summary>
    public PackageVerificationResult Verify(PackageInspection package, Bundle bundle, PackageVerificationPolicy? policy = null)
    {
        ArgumentNullException.ThrowIfNull(package);
        ArgumentNullException.ThrowIfNull(bundle);
        policy ??= PackageVerificationPolicy.Default;
        if (policy.ExpectedIdentity is not null)
        {
            PackageInspector.CheckIdentity(package.Identity, policy.ExpectedIdentity);
        }

        if (bundle.DsseEnvelope is null)
        {
            throw new SigstoreException(PackageCodes.InvalidStatement, "The bundle signs a plain message, not an in-toto attestation, so it cannot name the package. Sign the package with SigstoreBuild (dotnet pack).");
        }

        if (bundle.DsseEnvelope.PayloadType != InTotoStatement.PayloadType)
        {
            throw new SigstoreException(PackageCodes.InvalidStatement, $"The bundle's DSSE payload type is '{bundle.DsseEnvelope.PayloadType}', not {InTotoStatement.PayloadType}.");
        }

        var (algorithm, digest) = SelectDigest(bundle.DsseEnvelope, package);
        var verification = _attestationVerifier.Verify(bundle, algorithm, digest, policy);
        var statement = verification.InTotoStatement
            ?? throw new SigstoreException(PackageCodes.InvalidStatement, "The verified bundle carries no in-toto statement, so it cannot name the package.");
        CheckWrittenBySigner(statement);
        if (policy.PredicateType is not null && !string.Equals(statement.PredicateType, policy.PredicateType, StringComparison.Ordinal))
        {
            throw new SigstoreException(PackageCodes.InvalidStatement, $"The attestation's predicate type is '{statement.PredicateType}', not the required '{policy.PredicateType}'.");
        }

        var subject = FindSubject(statement, package);
        return new PackageVerificationResult { Package = package, Statement = statement, MatchedSubject = subject, Verification = verification };
    }

    /// <summary>Packages are attested as SigstoreBuild signs them: in-toto v1, with an object predicate if any.</summary>
    private static void CheckWrittenBySigner(InTotoStatement statement)
    {
        if (statement.Type != InTotoStatement.TypeV1)
        {
            throw new SigstoreException(PackageCodes.InvalidStatement, $"The attestation is not an in-toto v1 statement: its _type is not {InTotoStatement.TypeV1}. Re-create it with the signer.");
        }

        if (statement.Predicate is { ValueKind: not JsonValueKind.Object })
        {
            throw new SigstoreException(PackageCodes.InvalidStatement, "The attestation is not an in-toto v1 statement: its predicate is not an object. Re-create it with the signer.");
        }
    }

    /// <summary>
    /// Which of the package's digests the bundle must bind: the package digest when a subject names it, else NuGet's
    /// content hash (bundles made before the package digest). Either is a full binding, and the Sigstore verifier then
    /// requires it; reading the unverified statement here only picks which one.
    /// </summary>
    private static (HashAlgorithmName Algorithm, byte[] Digest) SelectDigest(DsseEnvelope envelope, PackageInspection package)
    {
        try
        {
            var packageDigest = Convert.ToHexStringLower(package.PackageDigest);
            if (envelope.Payload is { } payload && InTotoStatement.Parse(payload).Subjects.Any(s => s.Digest.TryGetValue("sha256", out var v) && v == packageDigest))
            {
                return (HashAlgorithmName.SHA256, package.PackageDigest);
            }
        }
        catch (Exception ex) when (ex is SigstoreException or JsonException)
        {
            // Unreadable: the verifier reports it with its own code.
        }

        return (HashAlgorithmName.SHA512, package.ContentHashSha512);
    }

    /// <summary>The subject must carry both this package's name and its digest; either alone is not enough (N-07).</summary>
    internal static InTotoSubject FindSubject(InTotoStatement statement, PackageInspection package)
    {
        var packageDigest = Convert.ToHexStringLower(package.PackageDigest);
        var contentHash = Convert.ToHexStringLower(package.ContentHashSha512);
        var byDigest = statement.Subjects
            .Where(s => (s.Digest.TryGetValue("sha256", out var digest) && string.Equals(digest, packageDigest, StringComparison.Ordinal))
                || (s.Digest.TryGetValue("sha512", out var hash) && string.Equals(hash, contentHash, StringComparison.Ordinal)))
            .ToList();
        if (byDigest.Count == 0)
        {
            throw new SigstoreException(PackageCodes.SubjectMismatch, $"No subject of the attestation has the package digest of {package.Identity.Id} {package.Identity.Version.ToNormalizedString()}: an entry of the package was changed, added or removed after it was signed. Do not use it.");
        }

        var match = byDigest.FirstOrDefault(s => PackageSubject.Matches(s.Name, package.Identity.Id, package.Identity.Version));
        return match ?? throw new SigstoreException(
            PackageCodes.SubjectMismatch,
            $"The attestation's subject with this package digest is named '{byDigest[0].Name}', not {package.SubjectName}. The attestation belongs to another package; do not use it.");
    }
}
