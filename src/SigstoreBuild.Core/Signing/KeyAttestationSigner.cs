using SigstoreBuild.Bundles;

namespace SigstoreBuild.Signing;

/// <summary>
/// <see cref="StatementSigner"/> on a <see cref="KeySigningSession"/>: the key signs every statement; each bundle is
/// verified with the key before it is returned or written.
/// </summary>
public sealed class KeyAttestationSigner : StatementSigner
{
    private readonly KeySigningSession _session;

    public KeyAttestationSigner(KeySigningSession session)
    {
        ArgumentNullException.ThrowIfNull(session);
        _session = session;
    }

    public override async Task<byte[]> ProduceBundleAsync(byte[] statementJson, byte[] subjectSha256, CancellationToken cancellationToken)
    {
        var bundle = await _session.SignDsseAsync(statementJson, subjectSha256, cancellationToken).ConfigureAwait(false);
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
