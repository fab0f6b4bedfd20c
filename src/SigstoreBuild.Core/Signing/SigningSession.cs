using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using SigstoreBuild.Attestations;
using SigstoreBuild.Bundles;
using SigstoreBuild.Diagnostics;
using SigstoreBuild.Fulcio;
using SigstoreBuild.Identity;
using SigstoreBuild.Rekor;
using SigstoreBuild.Signing.Transport;

namespace SigstoreBuild.Signing;

/// <summary>One artifact to sign: a message signature, or, with a predicate type, an in-toto attestation (DSSE).</summary>
public sealed record SigningRequest(string ArtifactPath, string BundlePath)
{
    /// <summary>Attest instead of sign: the in-toto predicate type (e.g. SLSA provenance).</summary>
    public string? PredicateType { get; init; }

    public JsonNode? Predicate { get; init; }

    /// <summary>The statement's subject name; defaults to the artifact's file name.</summary>
    public string? SubjectName { get; init; }

    /// <summary>The statement attesting the artifact with this SHA-256 (an empty predicate when none is given).</summary>
    internal byte[] StatementJson(byte[] sha256)
    {
        var predicate = Predicate switch
        {
            null => new JsonObject(),
            JsonObject value => value,
            _ => throw new SigstoreException(AttestationCodes.MalformedStatement, "The predicate is not a JSON object, as an in-toto predicate must be. Fix the predicate file."),
        };
        var subject = new InTotoSubject(SubjectName ?? Path.GetFileName(ArtifactPath), new Dictionary<string, string>(StringComparer.Ordinal) { ["sha256"] = Convert.ToHexStringLower(sha256) });
        return new InTotoStatement([subject], PredicateType!, predicate).ToJson();
    }
}

/// <summary>A signed artifact whose bundle was verified and written.</summary>
public sealed record SignedArtifact(string ArtifactPath, string BundlePath, byte[] Sha256, Bundle Bundle);

/// <summary>
/// Keyless signing with one identity token, one ephemeral P-256 key and one Fulcio certificate for any number of
/// artifacts. The login happens lazily, once, on first use; the session is thread-safe. Every bundle is checked, fully
/// verified through <see cref="IBundleVerifier"/>, and only then written atomically.
/// </summary>
public sealed class SigningSession : IDisposable
{
    private static readonly TimeSpan TokenExpiryMargin = TimeSpan.FromSeconds(30);

    private readonly ISigningTrustProvider _trustProvider;
    private readonly IIdentityTokenProvider _identity;
    private readonly IBundleVerifier _verifier;
    private readonly SigningOptions _options;
    private readonly HttpClient _httpClient;
    private readonly bool _ownsHttpClient;
    private readonly ServiceHttpClient _http;
    private readonly SemaphoreSlim _credentialLock = new(1, 1);
    private readonly SemaphoreSlim _throttle;
    private readonly ClockSkewWarning _skew;
    private SigningTrust? _trust;
    private SigningCredential? _credential;
    private int _certificateRequests;

    public SigningSession(ISigningTrustProvider trust, IIdentityTokenProvider identity, IBundleVerifier verifier, SigningOptions? options = null)
    {
        _trustProvider = trust ?? throw new ArgumentNullException(nameof(trust));
        _identity = identity ?? throw new ArgumentNullException(nameof(identity));
        _verifier = verifier ?? throw new ArgumentNullException(nameof(verifier));
        _options = options ?? new SigningOptions();
        _ownsHttpClient = _options.HttpClient is null;
        _httpClient = _options.HttpClient ?? ServiceHttpClient.CreateHttpClient();
        _http = new ServiceHttpClient(_httpClient, _options.RetryPolicy, _options.Time, _options.Log);
        _throttle = new SemaphoreSlim(Math.Max(1, _options.MaxParallelism));
        _skew = new ClockSkewWarning(_options);
    }

    /// <summary>Fulcio requests made so far (one per session unless a certificate had to be renewed).</summary>
    public int CertificateRequests => Volatile.Read(ref _certificateRequests);

    /// <summary>Signs files and writes their bundles: all or nothing (no bundle is written unless every artifact verified).</summary>
    public Task<IReadOnlyList<SignedArtifact>> SignFilesAsync(IReadOnlyList<SigningRequest> requests, CancellationToken cancellationToken = default) =>
        SigningBatch.SignAllAsync(requests, async (request, digest, ct) =>
        {
            var signed = request.PredicateType is null
                ? await SignDigestCoreAsync(digest, ct).ConfigureAwait(false)
                : await SignDsseCoreAsync(InTotoStatement.PayloadType, request.StatementJson(digest), digest, ct).ConfigureAwait(false);
            return (signed.Bundle, signed.Json);
        }, cancellationToken);

    public async Task<SignedArtifact> SignFileAsync(string artifactPath, string bundlePath, CancellationToken cancellationToken = default) =>
        (await SignFilesAsync([new SigningRequest(artifactPath, bundlePath)], cancellationToken).ConfigureAwait(false))[0];

    /// <summary>Signs a SHA-256 digest (hashedrekord) and returns the verified bundle without writing it.</summary>
    public async Task<Bundle> SignDigestAsync(byte[] sha256, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(sha256);
        if (sha256.Length != 32)
        {
            throw new ArgumentException("A SHA-256 digest is 32 bytes.", nameof(sha256));
        }

        return (await SignDigestCoreAsync(sha256, cancellationToken).ConfigureAwait(false)).Bundle;
    }

    /// <summary>Signs a DSSE envelope over <paramref name="payload"/>; <paramref name="subjectSha256"/> is what the final verify binds it to.</summary>
    public async Task<Bundle> SignDsseAsync(string payloadType, byte[] payload, byte[] subjectSha256, CancellationToken cancellationToken = default) =>
        (await SignDsseCoreAsync(payloadType, payload, subjectSha256, cancellationToken).ConfigureAwait(false)).Bundle;

    public void Dispose()
    {
        _credential?.Key.Dispose();
        if (_ownsHttpClient)
        {
            _httpClient.Dispose();
        }

        _credentialLock.Dispose();
        _throttle.Dispose();
    }


    private Task<SignedBundle> SignDigestCoreAsync(byte[] digest, CancellationToken cancellationToken) =>
        SignCoreAsync(new Content(digest, null, null), cancellationToken);

    private Task<SignedBundle> SignDsseCoreAsync(string payloadType, byte[] payload, byte[] subjectDigest, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(payloadType);
        ArgumentNullException.ThrowIfNull(payload);
        return SignCoreAsync(new Content(subjectDigest, payloadType, payload), cancellationToken);
    }

    private async Task<SignedBundle> SignCoreAsync(Content content, CancellationToken cancellationToken)
    {
        await _throttle.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            for (var attempt = 0; ; attempt++)
            {
                var credential = await GetCredentialAsync(cancellationToken).ConfigureAwait(false);
                var (bundle, evidence) = await ProduceAsync(credential, content, cancellationToken).ConfigureAwait(false);
                var outside = evidence.FirstOrDefault(t => t < credential.Leaf.NotBefore.ToUniversalTime() || t > credential.Leaf.NotAfter.ToUniversalTime());
                if (outside != default)
                {
                    // F-09: the signature is time-stamped after the certificate expired. Nothing was written, so start
                    // over once with a new key and certificate; the orphaned log entry is harmless.
                    if (attempt == 0)
                    {
                        _options.Log.Write(SigningLogLevel.Warning, SigningCodes.CertificateOutlived, $"The signing certificate expired (at {credential.Leaf.NotAfter.ToUniversalTime():O}) before signing finished; retrying once with a new key and certificate.");
                        Interlocked.CompareExchange(ref _credential, null, credential);
                        continue;
                    }

                    throw new SigstoreException(SigningCodes.CertificateOutlived,
                        $"Signing took longer than the certificate's lifetime (time-stamped at {outside:O}, certificate valid until {credential.Leaf.NotAfter.ToUniversalTime():O}), even after one retry with a new certificate. The timestamp authority or log is too slow; retry later.");
                }

                return await FinalVerifyAsync(bundle, credential, content, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            _throttle.Release();
        }
    }

    private async Task<(Bundle Bundle, List<DateTimeOffset> Evidence)> ProduceAsync(SigningCredential credential, Content content, CancellationToken cancellationToken)
    {
        var trust = _trust!;
        byte[] signature;
        DsseEnvelope? envelope = null;
        if (content.PayloadType is null)
        {
            signature = credential.Key.SignHash(content.Digest, DSASignatureFormat.Rfc3279DerSequence);
        }
        else
        {
            signature = credential.Key.SignData(Attestations.DssePae.Encode(content.PayloadType, content.Payload!), HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
            envelope = new DsseEnvelope { Payload = content.Payload, PayloadType = content.PayloadType, Signatures = [new DsseSignature { Sig = signature }] };
        }

        var request = new LogEntryRequest { Signature = signature, Certificate = credential.Leaf, ArtifactDigest = content.Digest, Envelope = envelope };
        var witnessed = await SignatureWitnesses.CollectAsync(_http, request, credential.Services, trust.TrustedRoot, _skew.Check, cancellationToken).ConfigureAwait(false);
        var bundle = witnessed.ToBundle(m => m.Certificate = new X509CertificateBytes { RawBytes = credential.Leaf.RawData }, signature, HashAlgorithmName.SHA256, content.Digest, envelope);
        var evidence = witnessed.Times.ToList();
        return (bundle, evidence);
    }

    private async Task<SignedBundle> FinalVerifyAsync(Bundle bundle, SigningCredential credential, Content content, CancellationToken cancellationToken)
    {
        // Verify exactly the bytes that will be written, as a consumer would read them.
        var json = BundleSerializer.Serialize(bundle);
        try
        {
            var reparsed = BundleSerializer.Parse(json);
            await _verifier.VerifyAsync(reparsed, new BundleVerificationRequest
            {
                TrustedRoot = _trust!.TrustedRoot,
                ArtifactDigest = content.Digest,
                ExpectedIssuer = credential.Issuer,
                ExpectedSubjectAlternativeName = credential.SubjectAlternativeName,
                IsDsse = content.PayloadType is not null,
            }, cancellationToken).ConfigureAwait(false);
            return new SignedBundle(reparsed, json);
        }
        catch (VerificationException ex)
        {
            throw new SigstoreException(SigningCodes.FinalVerificationFailed,
                $"The bundle just produced does not verify ({ex.Code}: {ex.Message}), so it was not written. Check that the trusted root matches the services in the signing config.", ex);
        }
    }

    private async Task<SigningCredential> GetCredentialAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _credential) is { } existing)
        {
            return existing;
        }

        await _credentialLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return _credential ??= await CreateCredentialAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _credentialLock.Release();
        }
    }

    private async Task<SigningCredential> CreateCredentialAsync(CancellationToken cancellationToken)
    {
        var trust = _trust ??= await SigningGuards.GetTrustAsync(_trustProvider, cancellationToken).ConfigureAwait(false);
        var services = ServiceSelector.Select(trust.SigningConfig, _options.Time.GetUtcNow(), _options.RekorApiVersion);

        // The token is fetched just in time, right before the certificate request (F-03).
        var token = await GetFreshTokenAsync(cancellationToken).ConfigureAwait(false);
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        try
        {
            var fulcio = new FulcioClient(_http, services.CertificateAuthority!, _options.FulcioRequestStyle);
            Interlocked.Increment(ref _certificateRequests);
            var certificate = await fulcio.RequestCertificateAsync(token, key, cancellationToken).ConfigureAwait(false);
            if (certificate is null && _identity.CanRefresh)
            {
                _options.Log.Write(SigningLogLevel.Info, null, $"Fulcio rejected the identity token (HTTP 401); requesting a fresh one from {_identity.Name}.");
                token = await _identity.GetTokenAsync(cancellationToken).ConfigureAwait(false);
                Interlocked.Increment(ref _certificateRequests);
                certificate = await fulcio.RequestCertificateAsync(token, key, cancellationToken).ConfigureAwait(false);
            }

            if (certificate is null)
            {
                throw new SigstoreException(IdentityCodes.TokenRejected,
                    $"Fulcio rejected the identity token from {_identity.Name} (HTTP 401): it is expired, for another audience, or from an issuer Fulcio does not trust. Obtain a fresh token for audience 'sigstore'.");
            }

            var (san, issuer) = FulcioCertificateValidator.Validate(certificate, key, token, trust.TrustedRoot);
            _skew.Check("Fulcio", certificate.Leaf.NotBefore.ToUniversalTime());
            _options.Log.Write(SigningLogLevel.Info, null, $"Signing as {san} (issuer {issuer}); certificate valid until {certificate.Leaf.NotAfter.ToUniversalTime():O}.");
            return new SigningCredential(key, certificate.Leaf, san, issuer, services);
        }
        catch
        {
            key.Dispose();
            throw;
        }
    }

    private async Task<IdentityToken> GetFreshTokenAsync(CancellationToken cancellationToken)
    {
        var token = await _identity.GetTokenAsync(cancellationToken).ConfigureAwait(false);
        var now = _options.Time.GetUtcNow();
        if (token.IsExpired(now, TokenExpiryMargin) && _identity.CanRefresh)
        {
            token = await _identity.GetTokenAsync(cancellationToken).ConfigureAwait(false);
        }

        if (token.IsExpired(now, TokenExpiryMargin))
        {
            throw new SigstoreException(IdentityCodes.TokenExpired,
                $"The identity token from {_identity.Name} expired at {token.ExpiresAt:O}. Obtain a fresh token (tokens are short-lived; fetch it right before signing).");
        }

        return token;
    }

    private sealed record Content(byte[] Digest, string? PayloadType, byte[]? Payload);

    private sealed record SignedBundle(Bundle Bundle, byte[] Json);

    private sealed record SigningCredential(ECDsa Key, X509Certificate2 Leaf, string SubjectAlternativeName, string Issuer, SelectedServices Services);
}
