using System.Security.Cryptography;
using SigstoreBuild.Attestations;
using SigstoreBuild.Bundles;
using SigstoreBuild.Crypto;
using SigstoreBuild.Diagnostics;
using SigstoreBuild.Rekor;
using SigstoreBuild.Signing.Transport;
using SigstoreBuild.Verification;

namespace SigstoreBuild.Signing;

/// <summary>
/// Key-based signing (cosign's <c>sign-blob --key</c>), the sibling of the keyless <see cref="SigningSession"/> for
/// identity providers Fulcio does not accept: a long-lived key signs, the bundle names it by a hint
/// (<c>verificationMaterial.publicKey</c>), and the same transparency logs and timestamp authorities vouch for the
/// signature. Every bundle is verified with the key, as a consumer would, before it is written.
/// </summary>
public sealed class KeySigningSession : IDisposable
{
    private readonly ISigningTrustProvider _trustProvider;
    private readonly SigningKey _key;
    private readonly SigningOptions _options;
    private readonly HttpClient _httpClient;
    private readonly bool _ownsHttpClient;
    private readonly ServiceHttpClient _http;
    private readonly SemaphoreSlim _trustLock = new(1, 1);
    private readonly SemaphoreSlim _throttle;
    private readonly ClockSkewWarning _skew;
    private readonly VerificationKey _verificationKey;
    private (SigningTrust Trust, SelectedServices Services)? _services;

    public KeySigningSession(ISigningTrustProvider trust, SigningKey key, SigningOptions? options = null)
    {
        _trustProvider = trust ?? throw new ArgumentNullException(nameof(trust));
        _key = key ?? throw new ArgumentNullException(nameof(key));
        _options = options ?? new SigningOptions();
        _ownsHttpClient = _options.HttpClient is null;
        _httpClient = _options.HttpClient ?? ServiceHttpClient.CreateHttpClient();
        _http = new ServiceHttpClient(_httpClient, _options.RetryPolicy, _options.Time, _options.Log);
        _throttle = new SemaphoreSlim(Math.Max(1, _options.MaxParallelism));
        _skew = new ClockSkewWarning(_options);
        _verificationKey = VerificationKey.FromSubjectPublicKeyInfo(key.SubjectPublicKeyInfo);
    }

    /// <summary>Signs files and writes their bundles: all or nothing, as <see cref="SigningSession.SignFilesAsync"/>.</summary>
    public Task<IReadOnlyList<SignedArtifact>> SignFilesAsync(IReadOnlyList<SigningRequest> requests, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(requests);
        if (_key.IsEd25519 && requests.Any(r => r.PredicateType is null))
        {
            // Ed25519 signs the whole message, and a hashedrekord entry records only its digest: Rekor v1 cannot check
            // such a signature, and consumers given only the digest could not either. DSSE attestations are fine.
            throw new SigstoreException(SigningCodes.Ed25519MessageSignature,
                "An Ed25519 key cannot sign files directly: the transparency log records a file's digest, and an Ed25519 signature covers the whole file. Use an ECDSA key (generate-key-pair --algorithm ecdsa-p256), or sign an attestation about the file instead: 'sigstore attest FILE --predicate-type https://slsa.dev/provenance/v1 --key KEY.pem'.");
        }

        return SigningBatch.SignAllAsync(requests, (request, sha256, ct) => SignAsync(request, sha256, ct), cancellationToken);
    }

    /// <summary>
    /// Signs an in-toto statement (a DSSE envelope) bound to its subject's SHA-256, as
    /// <see cref="SigningSession.SignDsseAsync"/>; the bundle is verified with the key before it is returned.
    /// </summary>
    public async Task<Bundle> SignDsseAsync(byte[] statementJson, byte[] subjectSha256, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(statementJson);
        ArgumentNullException.ThrowIfNull(subjectSha256);
        await _throttle.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var (trust, services) = await GetServicesAsync(cancellationToken).ConfigureAwait(false);
            return (await SignStatementAsync(statementJson, subjectSha256, trust, services, cancellationToken).ConfigureAwait(false)).Bundle;
        }
        finally
        {
            _throttle.Release();
        }
    }

    public void Dispose()
    {
        if (_ownsHttpClient)
        {
            _httpClient.Dispose();
        }

        _trustLock.Dispose();
        _throttle.Dispose();
    }

    private async Task<(Bundle Bundle, byte[] Json)> SignAsync(SigningRequest request, byte[] sha256, CancellationToken cancellationToken)
    {
        await _throttle.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var (trust, services) = await GetServicesAsync(cancellationToken).ConfigureAwait(false);
            if (request.PredicateType is not null)
            {
                return await SignStatementAsync(request.StatementJson(sha256), sha256, trust, services, cancellationToken).ConfigureAwait(false);
            }

            // The digest is the one the key signs: SHA-384 for a P-384 key (hashedrekord records either).
            var digestAlgorithm = _key.HashAlgorithm;
            var digest = digestAlgorithm == HashAlgorithmName.SHA256
                ? sha256
                : await SigningBatch.HashFileAsync(request.ArtifactPath, digestAlgorithm, cancellationToken).ConfigureAwait(false);
            var signature = _key.SignDigest(digest);
            return await WitnessAsync(signature, digestAlgorithm, digest, null, trust, services, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _throttle.Release();
        }
    }

    private Task<(Bundle Bundle, byte[] Json)> SignStatementAsync(byte[] statement, byte[] subjectSha256, SigningTrust trust, SelectedServices services, CancellationToken cancellationToken)
    {
        var signature = _key.SignMessage(DssePae.Encode(InTotoStatement.PayloadType, statement));
        var envelope = new DsseEnvelope { Payload = statement, PayloadType = InTotoStatement.PayloadType, Signatures = [new DsseSignature { Sig = signature }] };
        return WitnessAsync(signature, HashAlgorithmName.SHA256, subjectSha256, envelope, trust, services, cancellationToken);
    }

    private async Task<(Bundle Bundle, byte[] Json)> WitnessAsync(byte[] signature, HashAlgorithmName digestAlgorithm, byte[] digest, DsseEnvelope? envelope, SigningTrust trust, SelectedServices services, CancellationToken cancellationToken)
    {
        var logRequest = new LogEntryRequest
        {
            Signature = signature,
            PublicKey = _key.SubjectPublicKeyInfo,
            KeyDetails = _key.KeyDetails,
            ArtifactDigest = envelope is null ? digest : null,
            ArtifactDigestAlgorithm = digestAlgorithm,
            Envelope = envelope,
        };
        var witnessed = await SignatureWitnesses.CollectAsync(_http, logRequest, services, trust.TrustedRoot, _skew.Check, cancellationToken).ConfigureAwait(false);
        var bundle = witnessed.ToBundle(m => m.PublicKey = new PublicKeyIdentifier { Hint = _key.Hint }, signature, digestAlgorithm, digest, envelope);
        return FinalVerify(bundle, trust, digestAlgorithm, digest);
    }

    private (Bundle Bundle, byte[] Json) FinalVerify(Bundle bundle, SigningTrust trust, HashAlgorithmName digestAlgorithm, byte[] digest)
    {
        // Verify exactly the bytes that will be written, as a consumer holding the public key would read them.
        var json = BundleSerializer.Serialize(bundle);
        try
        {
            var reparsed = BundleSerializer.Parse(json);
            new SigstoreVerifier(trust.TrustedRoot, VerifierOptions.PublicGood, _options.Time)
                .Verify(reparsed, VerificationPolicy.ForDigest(digestAlgorithm, digest).WithKey(_verificationKey));
            return (reparsed, json);
        }
        catch (VerificationException ex)
        {
            throw new SigstoreException(SigningCodes.FinalVerificationFailed,
                $"The bundle just produced does not verify with the signing key ({ex.Code}: {ex.Message}), so it was not written. Check that the trusted root matches the services in the signing config.", ex);
        }
    }

    private async Task<(SigningTrust Trust, SelectedServices Services)> GetServicesAsync(CancellationToken cancellationToken)
    {
        await _trustLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_services is { } known)
            {
                return known;
            }

            var trust = await SigningGuards.GetTrustAsync(_trustProvider, cancellationToken).ConfigureAwait(false);
            var services = ServiceSelector.Select(trust.SigningConfig, _options.Time.GetUtcNow(), _options.RekorApiVersion, needsCertificateAuthority: false);
            _services = (trust, services);
            return (trust, services);
        }
        finally
        {
            _trustLock.Release();
        }
    }
}
