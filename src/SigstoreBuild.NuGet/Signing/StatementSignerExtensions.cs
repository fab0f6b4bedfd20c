using SigstoreBuild.Diagnostics;
using SigstoreBuild.Signing;
using Statement = SigstoreBuild.NuGet.Attestations.InTotoStatement;

namespace SigstoreBuild.NuGet.Signing;

/// <summary>Signs a package statement with Core's <see cref="StatementSigner"/> (a session here, or the build's shared one).</summary>
public static class StatementSignerExtensions
{
    public static Task<SignedAttestation> SignAsync(this StatementSigner signer, Statement statement, string bundlePath, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(signer);
        ArgumentNullException.ThrowIfNull(statement);
        ArgumentException.ThrowIfNullOrEmpty(bundlePath);

        // The producer's final verification binds the bundle to the first subject's SHA-256.
        if (!statement.Subjects[0].Digest.TryGetValue("sha256", out var sha256Hex))
        {
            throw new SigstoreException(PackageCodes.InvalidStatement, "The statement's first subject has no sha256 digest to bind the signature to.");
        }

        return signer.SignAsync(statement.ToJson(), Convert.FromHexString(sha256Hex), bundlePath, cancellationToken);
    }
}
