using SigstoreBuild.Attestations;
using SigstoreBuild.Bundles;
using SigstoreBuild.Diagnostics;
using SigstoreBuild.Verification;

namespace SigstoreBuild.Signing;

/// <summary>
/// Signs in-toto statements: produces each bundle somewhere (this process's signing session, or the build's shared
/// session in another node) and then writes it here: atomically, once it is sure the bundle signs the statement it
/// asked for.
/// </summary>
public abstract class StatementSigner : IDisposable
{
    /// <summary>Signs <paramref name="statement"/>, bound to its first subject's SHA-256, and writes the bundle to <paramref name="bundlePath"/>.</summary>
    public Task<SignedAttestation> SignAsync(InTotoStatement statement, string bundlePath, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(statement);

        // The producer's final verification binds the bundle to the first subject's SHA-256.
        if (!statement.Subjects[0].Digest.TryGetValue("sha256", out var sha256Hex))
        {
            throw new SigstoreException(AttestationCodes.MalformedStatement, "The statement's first subject has no sha256 digest to bind the signature to.");
        }

        return SignAsync(statement.ToJson(), Convert.FromHexString(sha256Hex), bundlePath, cancellationToken);
    }

    /// <summary>
    /// Signs <paramref name="statementJson"/>, bound to its subject's <paramref name="subjectSha256"/>, and writes the
    /// bundle to <paramref name="bundlePath"/>.
    /// </summary>
    public async Task<SignedAttestation> SignAsync(byte[] statementJson, byte[] subjectSha256, string bundlePath, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(statementJson);
        ArgumentNullException.ThrowIfNull(subjectSha256);
        ArgumentException.ThrowIfNullOrEmpty(bundlePath);

        var json = await ProduceBundleAsync(statementJson, subjectSha256, cancellationToken).ConfigureAwait(false);
        var bundle = CheckSignsStatement(json, statementJson);
        BundleFileWriter.Commit(BundleFileWriter.WriteTemp(bundlePath, json), bundlePath);
        var (identity, issuer) = DescribeSigner(bundle);
        var logIndex = bundle.VerificationMaterial?.TlogEntries is [var entry, ..] ? entry.LogIndex : (long?)null;
        return new SignedAttestation(bundlePath, identity, issuer, logIndex);
    }

    /// <summary>
    /// The serialized bundle of a DSSE envelope over <paramref name="statementJson"/> (an in-toto statement), fully
    /// verified against <paramref name="subjectSha256"/> before it is returned.
    /// </summary>
    public abstract Task<byte[]> ProduceBundleAsync(byte[] statementJson, byte[] subjectSha256, CancellationToken cancellationToken);

    public void Dispose()
    {
        Dispose(disposing: true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing)
    {
    }

    /// <summary>
    /// The producer verified the bundle; this makes sure it is a bundle of what was asked to be signed (a shared session
    /// in another node is a producer too), before anything is written.
    /// </summary>
    private static Bundle CheckSignsStatement(byte[] json, byte[] statementJson)
    {
        Bundle bundle;
        try
        {
            bundle = BundleSerializer.Parse(json);
        }
        catch (VerificationException ex)
        {
            throw new SigstoreException(SigningCodes.SharedSessionFailed, $"The signer returned an unreadable bundle ({ex.Code}: {ex.Message}); it was not written.", ex);
        }

        var envelope = bundle.DsseEnvelope;
        if (envelope is null || envelope.PayloadType != InTotoStatement.PayloadType || envelope.Payload is null || !envelope.Payload.AsSpan().SequenceEqual(statementJson))
        {
            throw new SigstoreException(SigningCodes.SharedSessionFailed, "The signer returned a bundle for another statement; it was not written. Sign again, or set SigstoreShareSigningSession=false.");
        }

        return bundle;
    }

    private static (string? Identity, string? Issuer) DescribeSigner(Bundle bundle)
    {
        var material = bundle.VerificationMaterial;
        if (material?.PublicKey?.Hint is { Length: > 0 } hint)
        {
            return ($"key {hint}", null); // key-signed: the key's hint is all that names the signer
        }

        var der = material?.Certificate?.RawBytes ?? material?.X509CertificateChain?.Certificates?.FirstOrDefault()?.RawBytes;
        if (der is null)
        {
            return (null, null);
        }

        try
        {
            var signer = VerifiedIdentity.ReadUnverified(der);
            return (signer.SubjectAlternativeName, signer.Issuer);
        }
        catch (VerificationException)
        {
            return (null, null); // only the build summary is poorer; the producer verified the bundle
        }
    }
}

/// <summary>What was signed, for the build summary: the signer identity and the log entry.</summary>
public sealed record SignedAttestation(string BundlePath, string? SignerIdentity, string? Issuer, long? LogIndex);
