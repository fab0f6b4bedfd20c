using SigstoreBuild.Trust;

namespace SigstoreBuild.Verification.Timestamps;

// Stub of the contract implemented on another branch; dropped at merge.
internal static class TimestampVerifier
{
    public static VerifiedTimestamp Verify(byte[] signedTimestamp, byte[] signature, TrustedRoot trust) =>
        throw new NotImplementedException();
}

internal sealed record VerifiedTimestamp(DateTimeOffset Time, CertificateAuthority Authority, byte[] SignerCertificateThumbprint);
