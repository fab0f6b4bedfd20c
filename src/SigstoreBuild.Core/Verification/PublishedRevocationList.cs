using System.Net.Http.Headers;
using System.Security.Cryptography;
using SigstoreBuild.Bundles;
using SigstoreBuild.Diagnostics;
using SigstoreBuild.IO;
using SigstoreBuild.Signing;
using SigstoreBuild.Signing.Transport;

namespace SigstoreBuild.Verification;

/// <summary>
/// A revocation document a publisher signed as a plain file (<c>sigstore sign revocations.json</c> writes
/// <c>revocations.json.sigstore.json</c>) and published, verified against the trusted root with no identity pinned. Who
/// signed it is recorded, and the caller applies its entries only where that signer is already trusted: a published
/// document can only remove trust, and only from its own signer's signatures' consumers.
/// </summary>
public sealed class PublishedRevocationList
{
    /// <summary>The bundle of a published document sits beside it under this suffix, as <c>sigstore sign</c> writes it.</summary>
    public const string BundleSuffix = ".sigstore.json";

    private static readonly InputKind DocumentFile = new("published revocation document", InputFile.MaxDocumentBytes, "Pass the revocation document the publisher published (docs/revocation.md).") { Code = PolicyCodes.RevocationSourceUnavailable };
    private static readonly InputKind BundleFile = new("revocation document bundle", BundleSerializer.MaxBundleBytes, "Pass the bundle 'sigstore sign' wrote beside the document (<document>.sigstore.json).") { Code = PolicyCodes.RevocationSourceUnavailable };

    // Few, short retries: a build waits on this, and an unreachable source fails closed anyway.
    private static readonly RetryPolicy Retries = new()
    {
        MaxAttempts = 3,
        InitialDelay = TimeSpan.FromMilliseconds(500),
        MaxDelay = TimeSpan.FromSeconds(2),
        AttemptTimeout = TimeSpan.FromSeconds(30),
        TotalDeadline = TimeSpan.FromSeconds(60),
        MaxResponseBytes = (int)InputFile.MaxDocumentBytes,
    };

    private PublishedRevocationList(RevocationList list, VerifiedIdentity signer, string source, string documentSha256)
    {
        List = list;
        Signer = signer;
        Source = source;
        DocumentSha256 = documentSha256;
    }

    public RevocationList List { get; }

    /// <summary>The verified signer of the document (its certificate's issuer and SAN).</summary>
    public VerifiedIdentity Signer { get; }

    /// <summary>The URL or path the document came from.</summary>
    public string Source { get; }

    /// <summary>SHA-256 (hex) of the document's bytes.</summary>
    public string DocumentSha256 { get; }

    /// <summary>The URL or path of a source's bundle: <paramref name="bundle"/>, else the document's plus <see cref="BundleSuffix"/>.</summary>
    public static string BundleLocation(string document, string? bundle) =>
        string.IsNullOrWhiteSpace(bundle) ? document + BundleSuffix : bundle;

    /// <summary>A location as messages show it: a URL without its user information, query and fragment (they may hold tokens).</summary>
    public static string Display(string location) =>
        IsUrl(location) && Uri.TryCreate(location, UriKind.Absolute, out var uri)
            ? $"{uri.Scheme}://{uri.Authority}{uri.AbsolutePath}"
            : location;

    /// <summary>True for an http or https URL (a source to fetch), false for a file path.</summary>
    public static bool IsUrl(string location) =>
        Uri.TryCreate(location, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp);

    /// <summary>
    /// Reads a document and its bundle, each a URL or a file (bounded: a document as any policy document, a bundle as any
    /// bundle). Throws SSB3492 when either cannot be obtained.
    /// </summary>
    public static async Task<(byte[] Document, byte[] Bundle)> DownloadAsync(string document, string? bundle, HttpClient? http, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(document);
        var bundleLocation = BundleLocation(document, bundle);
        if (!IsUrl(document) && !IsUrl(bundleLocation))
        {
            return (InputFile.ReadAllBytes(document, DocumentFile), InputFile.ReadAllBytes(bundleLocation, BundleFile));
        }

        var client = http ?? ServiceHttpClient.CreateHttpClient();
        try
        {
            var service = new ServiceHttpClient(client, Retries, TimeProvider.System, NullSigningLog.Instance);
            var documentBytes = IsUrl(document) ? await GetAsync(service, document, cancellationToken).ConfigureAwait(false) : InputFile.ReadAllBytes(document, DocumentFile);
            var bundleBytes = IsUrl(bundleLocation) ? await GetAsync(service, bundleLocation, cancellationToken).ConfigureAwait(false) : InputFile.ReadAllBytes(bundleLocation, BundleFile);
            return (documentBytes, bundleBytes);
        }
        finally
        {
            if (http is null)
            {
                client.Dispose();
            }
        }
    }

    /// <summary>
    /// Verifies <paramref name="bundleJson"/> over exactly <paramref name="document"/> with any Fulcio identity, then
    /// parses the document strictly. SSB3493 when the signature does not verify or is not keyless; SSB3491 when the
    /// signed document is not a revocation document.
    /// </summary>
    public static PublishedRevocationList Verify(byte[] document, ReadOnlySpan<byte> bundleJson, SigstoreVerifier verifier, string source)
    {
        ArgumentNullException.ThrowIfNull(document);
        ArgumentNullException.ThrowIfNull(verifier);
        VerificationResult result;
        try
        {
            var bundle = BundleSerializer.Parse(bundleJson);
            result = verifier.Verify(bundle, VerificationPolicy.ForArtifact(document).UnsafeWithoutIdentity());
        }
        catch (SigstoreException ex)
        {
            throw new SigstoreException(PolicyCodes.RevocationSignatureInvalid,
                $"The published revocation document '{Display(source)}' does not verify against its bundle ({ex.Code}: {ex.Message}). Nothing it says is applied, and nothing is trusted while it cannot be verified: ask the publisher to sign the exact bytes they publish with 'sigstore sign revocations.json' and upload revocations.json.sigstore.json beside it.", ex);
        }

        var signer = result.Identity ?? throw new SigstoreException(PolicyCodes.RevocationSignatureInvalid,
            $"The published revocation document '{Display(source)}' is signed with a key, not a Sigstore certificate, so it names no identity to scope it by. Ask the publisher to sign it keyless with 'sigstore sign revocations.json'.");
        return new PublishedRevocationList(RevocationList.Parse(document, Display(source)), signer, source, Convert.ToHexStringLower(SHA256.HashData(document)));
    }

    /// <summary>Downloads and verifies a published document (see <see cref="DownloadAsync"/> and <see cref="Verify"/>).</summary>
    public static async Task<PublishedRevocationList> LoadAsync(string document, string? bundle, SigstoreVerifier verifier, HttpClient? http, CancellationToken cancellationToken)
    {
        var (documentBytes, bundleBytes) = await DownloadAsync(document, bundle, http, cancellationToken).ConfigureAwait(false);
        return Verify(documentBytes, bundleBytes, verifier, document);
    }

    /// <summary>
    /// The document's entries for a verification that expects <paramref name="expected"/>: only when its signer is that
    /// identity (SAN, issuer and extension pins); otherwise SSB3494, since someone else's document must not decide.
    /// </summary>
    public RevocationList For(CertificateIdentity expected)
    {
        ArgumentNullException.ThrowIfNull(expected);
        if (!expected.Matches(Signer))
        {
            throw new SigstoreException(PolicyCodes.RevocationSignerNotTrusted,
                $"The published revocation document '{Display(Source)}' is signed by {Signer.SubjectAlternativeName} (issuer {Signer.Issuer}), not by the identity this verification trusts ({expected}). Only the trusted signer's own revocations apply. Use the document that signer published, or leave out this --revocations.");
        }

        return List;
    }

    private static async Task<byte[]> GetAsync(ServiceHttpClient service, string url, CancellationToken cancellationToken)
    {
        var uri = new Uri(url);
        if (uri.Scheme != Uri.UriSchemeHttps && !uri.IsLoopback)
        {
            // The document is signed, but plain HTTP lets anyone on the path withhold it or replay an older one.
            throw new SigstoreException(PolicyCodes.RevocationSourceUnavailable,
                $"{Display(url)} is plain HTTP. Publish revocation documents over https and name the https URL (plain HTTP is accepted only on loopback).");
        }

        ServiceResponse response;
        try
        {
            response = await service.SendAsync("The revocation source", PolicyCodes.RevocationSourceUnavailable, () =>
            {
                var request = new HttpRequestMessage(HttpMethod.Get, uri);
                request.Headers.UserAgent.Add(new ProductInfoHeaderValue("SigstoreBuild", "1.0"));
                return request;
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (SigstoreException ex) when (ex.Code != PolicyCodes.RevocationSourceUnavailable)
        {
            throw new SigstoreException(PolicyCodes.RevocationSourceUnavailable, $"{Display(url)} could not be read: {ex.Message}", ex);
        }

        if (!response.IsSuccess)
        {
            throw new SigstoreException(PolicyCodes.RevocationSourceUnavailable,
                $"{Display(url)} answered {(int)response.StatusCode} {response.StatusCode}. Check the URL (redirects are not followed: name the final URL).");
        }

        return response.Body;
    }
}
