using SigstoreBuild.Bundles;
using SigstoreBuild.Trust;

namespace SigstoreBuild.Signing;

/// <summary>What the final verification must enforce: the consumer's view of the bundle just produced.</summary>
public sealed class BundleVerificationRequest
{
    public required TrustedRoot TrustedRoot { get; init; }

    /// <summary>SHA-256 of the artifact (message signatures), or of the attested subject (DSSE).</summary>
    public required byte[] ArtifactDigest { get; init; }

    public required string ExpectedIssuer { get; init; }

    public required string ExpectedSubjectAlternativeName { get; init; }

    /// <summary>True when the bundle carries a DSSE envelope (an in-toto statement).</summary>
    public bool IsDsse { get; init; }
}

/// <summary>
/// The full verification run before a bundle is written (invariant I1). The project's SigstoreVerifier implements it;
/// it throws <see cref="Diagnostics.VerificationException"/> when the bundle would not verify for a consumer.
/// </summary>
public interface IBundleVerifier
{
    Task VerifyAsync(Bundle bundle, BundleVerificationRequest request, CancellationToken cancellationToken);
}
