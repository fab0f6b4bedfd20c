using SigstoreBuild.Bundles;
using SigstoreBuild.Trust;

namespace SigstoreBuild.Verification.Tlog;

// Stub of the contract implemented on another branch; dropped at merge.
internal static class TransparencyLogVerifier
{
    public static VerifiedLogEntry Verify(TransparencyLogEntry entry, SignedContent content, TrustedRoot trust, int bundleMinorVersion) =>
        throw new NotImplementedException();
}

internal sealed record VerifiedLogEntry(TransparencyLog Log, long LogIndex, string Kind, string Version, DateTimeOffset? IntegratedTime, bool InclusionProofVerified);
