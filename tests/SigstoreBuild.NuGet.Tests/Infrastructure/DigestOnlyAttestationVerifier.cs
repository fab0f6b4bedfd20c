using System.Security.Cryptography;
using SigstoreBuild.Attestations;
using SigstoreBuild.Bundles;
using SigstoreBuild.Diagnostics;
using SigstoreBuild.NuGet.Verification;
using SigstoreBuild.Verification;

namespace SigstoreBuild.NuGet.Tests.Infrastructure;

/// <summary>
/// Stands in for the cryptographic verifier in unit tests of the package binding: it keeps the seam's contract
/// (some subject carries the digest) and records what it was asked. The end-to-end tests use the real verifier.
/// </summary>
internal sealed class DigestOnlyAttestationVerifier : IAttestationVerifier
{
    public byte[]? LastDigest { get; private set; }

    public VerificationResult Verify(Bundle bundle, HashAlgorithmName digestAlgorithm, byte[] digest, PackageVerificationPolicy policy)
    {
        LastDigest = digest;
        if (policy.RequireProvenanceConsistency)
        {
            // No certificate here to compare the provenance with, as for any bundle without one.
            throw new VerificationException(AttestationCodes.ProvenanceNotCheckable, "no certificate to check the provenance against");
        }

        var payload = bundle.DsseEnvelope!.Payload!;
        var statement = InTotoStatement.Parse(payload);
        var hex = Convert.ToHexStringLower(digest);
        var name = digestAlgorithm == HashAlgorithmName.SHA512 ? "sha512" : "sha256";
        if (!statement.Subjects.Any(s => s.Digest.TryGetValue(name, out var value) && value == hex))
        {
            throw new VerificationException("SSB3400", "no subject has the artifact digest");
        }

        return new VerificationResult
        {
            MediaType = bundle.MediaType!,
            ContentType = "dsseEnvelope",
            ArtifactDigest = $"{name}:{hex}",
            VerifiedTimes = [],
            LogEntries = [],
            CertificateTransparencyLogs = [],
            Statement = new VerifiedStatement(statement.Type, statement.PredicateType, [.. statement.Subjects.Select(s => s.Name)]),
            InTotoStatement = statement,
            Warnings = [],
        };
    }

    public static Bundle BundleFor(InTotoStatement statement) => BundleFor(statement.ToJson());

    public static Bundle BundleFor(byte[] statementJson) => new()
    {
        MediaType = Bundle.MediaTypeV03,
        DsseEnvelope = new DsseEnvelope
        {
            PayloadType = InTotoStatement.PayloadType,
            Payload = statementJson,
            Signatures = [new DsseSignature { Sig = [1, 2, 3] }],
        },
    };
}
