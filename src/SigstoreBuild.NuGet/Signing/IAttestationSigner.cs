using SigstoreBuild.Attestations;

namespace SigstoreBuild.NuGet.Signing;

/// <summary>
/// The seam between the MSBuild tasks and the signer: one identity, one key and one certificate for every statement
/// signed through an instance (a build shares one through RegisterTaskObject). Implementations write the bundle
/// atomically and only after verifying it.
/// </summary>
public interface IAttestationSigner : IDisposable
{
    Task<SignedAttestation> SignAsync(InTotoStatement statement, string bundlePath, CancellationToken cancellationToken);
}

/// <summary>What was signed, for the build summary: the signer identity and the log entry.</summary>
public sealed record SignedAttestation(string BundlePath, string? SignerIdentity, string? Issuer, long? LogIndex);
