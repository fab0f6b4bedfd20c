using System.Formats.Asn1;
using System.Security.Cryptography.X509Certificates;
using SigstoreBuild.Bundles;
using SigstoreBuild.Diagnostics;
using SigstoreBuild.Signing;
using Statement = SigstoreBuild.NuGet.Attestations.InTotoStatement;

namespace SigstoreBuild.NuGet.Signing;

/// <summary>
/// <see cref="IAttestationSigner"/> on the keyless <see cref="SigningSession"/>: one token, key and certificate for every
/// statement; each bundle is verified by the session, then written atomically (temp file, then rename).
/// </summary>
public sealed class SessionAttestationSigner : IAttestationSigner
{
    private readonly SigningSession _session;

    public SessionAttestationSigner(SigningSession session)
    {
        ArgumentNullException.ThrowIfNull(session);
        _session = session;
    }

    public int CertificateRequests => _session.CertificateRequests;

    public async Task<SignedAttestation> SignAsync(Statement statement, string bundlePath, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(statement);
        ArgumentException.ThrowIfNullOrEmpty(bundlePath);

        // The session's final verification binds the bundle to the first subject's SHA-256.
        if (!statement.Subjects[0].Digest.TryGetValue("sha256", out var sha256Hex))
        {
            throw new SigstoreException(PackageCodes.InvalidStatement, "The statement's first subject has no sha256 digest to bind the signature to.");
        }

        var bundle = await _session.SignDsseAsync(Statement.PayloadType, statement.ToJson(), Convert.FromHexString(sha256Hex), cancellationToken).ConfigureAwait(false);
        WriteAtomically(bundlePath, BundleSerializer.Serialize(bundle));
        var (identity, issuer) = DescribeSigner(bundle);
        var logIndex = bundle.VerificationMaterial?.TlogEntries is [var entry, ..] ? entry.LogIndex : (long?)null;
        return new SignedAttestation(bundlePath, identity, issuer, logIndex);
    }

    public void Dispose() => _session.Dispose();

    private static void WriteAtomically(string path, byte[] content)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(directory);
        var temp = Path.Combine(directory, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");
        try
        {
            File.WriteAllBytes(temp, content);
            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            File.Delete(temp);
        }
    }

    private static (string? Identity, string? Issuer) DescribeSigner(Bundle bundle)
    {
        var material = bundle.VerificationMaterial;
        var der = material?.Certificate?.RawBytes ?? material?.X509CertificateChain?.Certificates?.FirstOrDefault()?.RawBytes;
        if (der is null)
        {
            return (null, null);
        }

        using var certificate = X509CertificateLoader.LoadCertificate(der);
        var identity = certificate.GetNameInfo(X509NameType.EmailName, forIssuer: false) is { Length: > 0 } email
            ? email
            : certificate.GetNameInfo(X509NameType.UrlName, forIssuer: false);
        var issuerExtension = certificate.Extensions.FirstOrDefault(e => e.Oid?.Value is "1.3.6.1.4.1.57264.1.8" or "1.3.6.1.4.1.57264.1.1");
        string? issuer = null;
        if (issuerExtension is not null)
        {
            try
            {
                // 1.8 is a DER UTF8String; the deprecated 1.1 is the raw string.
                issuer = issuerExtension.Oid!.Value == "1.3.6.1.4.1.57264.1.8"
                    ? AsnDecoder.ReadCharacterString(issuerExtension.RawData, AsnEncodingRules.DER, UniversalTagNumber.UTF8String, out _)
                    : System.Text.Encoding.UTF8.GetString(issuerExtension.RawData);
            }
            catch (AsnContentException)
            {
                issuer = null;
            }
        }

        return (string.IsNullOrEmpty(identity) ? null : identity, issuer);
    }
}
