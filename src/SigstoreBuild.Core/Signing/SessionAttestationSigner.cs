using SigstoreBuild.Attestations;
using SigstoreBuild.Bundles;

namespace SigstoreBuild.Signing;

/// <summary>
/// <see cref="StatementSigner"/> on the keyless <see cref="SigningSession"/>: one token, key and certificate for every
/// statement; each bundle is verified by the session before it is returned or written.
/// </summary>
public sealed class SessionAttestationSigner : StatementSigner
{
    private readonly SigningSession _session;

    public SessionAttestationSigner(SigningSession session)
    {
        ArgumentNullException.ThrowIfNull(session);
        _session = session;
    }

    public int CertificateRequests => _session.CertificateRequests;

    public override async Task<byte[]> ProduceBundleAsync(byte[] statementJson, byte[] subjectSha256, CancellationToken cancellationToken)
    {
        var bundle = await _session.SignDsseAsync(InTotoStatement.PayloadType, statementJson, subjectSha256, cancellationToken).ConfigureAwait(false);
        return BundleSerializer.Serialize(bundle);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _session.Dispose();
        }
    }
}
