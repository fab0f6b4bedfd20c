using System.Collections.Concurrent;
using System.Security.Cryptography;
using SigstoreBuild.Bundles;
using SigstoreBuild.Trust;
using SigstoreBuild.Verification;

namespace SigstoreBuild.Signing;

/// <summary>
/// The final check before a bundle is written: the project's own <see cref="SigstoreVerifier"/> with the policy a
/// consumer would use (exact identity of the signing certificate, the artifact's digest, default thresholds).
/// </summary>
public sealed class SigstoreBundleVerifier(VerifierOptions? options = null, TimeProvider? timeProvider = null) : IBundleVerifier
{
    private readonly VerifierOptions _options = options ?? VerifierOptions.PublicGood;
    private readonly ConcurrentDictionary<TrustedRoot, SigstoreVerifier> _verifiers = new();

    public Task VerifyAsync(Bundle bundle, BundleVerificationRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(bundle);
        ArgumentNullException.ThrowIfNull(request);
        cancellationToken.ThrowIfCancellationRequested();

        // One verifier per trusted root, so a batch reuses the per-CA and per-certificate work.
        var verifier = _verifiers.GetOrAdd(request.TrustedRoot, root => new SigstoreVerifier(root, _options, timeProvider));
        var policy = VerificationPolicy.ForDigest(HashAlgorithmName.SHA256, request.ArtifactDigest)
            .RequireIdentity(CertificateIdentity.Exact(request.ExpectedSubjectAlternativeName, request.ExpectedIssuer));
        verifier.Verify(bundle, policy);
        return Task.CompletedTask;
    }
}
