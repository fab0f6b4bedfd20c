using System.Security.Cryptography;
using SigstoreBuild.Bundles;
using SigstoreBuild.Signing;
using SigstoreBuild.Verification;

namespace SigstoreBuild.NuGet.Signing;

/// <summary>
/// The signer's final check before a bundle is written (invariant I1), done by the project's own verifier: the bundle must
/// verify for the signer's exact identity and the artifact (or attested subject) digest, as a consumer would verify it.
/// </summary>
public sealed class SigstoreBundleVerifier : IBundleVerifier
{
    private readonly TimeProvider _time;

    public SigstoreBundleVerifier(TimeProvider? time = null) => _time = time ?? TimeProvider.System;

    public Task VerifyAsync(Bundle bundle, BundleVerificationRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(bundle);
        ArgumentNullException.ThrowIfNull(request);
        cancellationToken.ThrowIfCancellationRequested();
        var verifier = new SigstoreVerifier(request.TrustedRoot, VerifierOptions.PublicGood, _time);
        var policy = VerificationPolicy.ForDigest(HashAlgorithmName.SHA256, request.ArtifactDigest)
            .RequireIdentity(CertificateIdentity.Exact(request.ExpectedSubjectAlternativeName, request.ExpectedIssuer));
        verifier.Verify(bundle, policy);
        return Task.CompletedTask;
    }
}
