using SigstoreBuild.Bundles;
using SigstoreBuild.Crypto;
using SigstoreBuild.Diagnostics;
using SigstoreBuild.Trust;
using SigstoreBuild.Verification;

namespace SigstoreBuild.Cli.Commands;

/// <summary>Turns command-line choices into a verifier, a policy and a result.</summary>
internal static class VerifyRunner
{
    public static async Task<VerificationResult> RunAsync(VerifyRequest request, CliConsole console, CancellationToken cancellationToken)
    {
        var bundle = BundleSerializer.Load(request.BundlePath);
        var trust = TrustedRoot.Parse((await TrustResolver.GetAsync(request.Trust, console, cancellationToken).ConfigureAwait(false)).TrustedRootJson);
        request = await WithPublishedRevocationsAsync(request, trust, cancellationToken).ConfigureAwait(false);
        var result = Verify(bundle, request, trust);
        ReportWarnings(result, console);
        return result;
    }

    /// <summary>Verifies <paramref name="bundle"/> against the request's subject and policy, with trust already resolved.</summary>
    public static VerificationResult Verify(Bundle bundle, VerifyRequest request, TrustedRoot trust)
    {
        var options = VerifierOptions.PublicGood with
        {
            TransparencyLogThreshold = request.TlogThreshold,
            VerifiedTimeThreshold = request.TimestampThreshold,
            CertificateTransparencyLogThreshold = request.SctThreshold,
        };

        return new SigstoreVerifier(trust, options).Verify(bundle, CreatePolicy(request));
    }

    /// <summary>The request with its published revocation documents verified and added (they need the trust root).</summary>
    public static async Task<VerifyRequest> WithPublishedRevocationsAsync(VerifyRequest request, TrustedRoot trust, CancellationToken cancellationToken) =>
        request.PublishedRevocations.Count == 0 ? request : request with
        {
            Revocations = await RevocationOptions.AddPublishedAsync(request.Revocations, request.PublishedRevocations, trust, request.KeyPath is null ? ExpectedIdentity(request) : null, cancellationToken).ConfigureAwait(false),
            PublishedRevocations = [],
        };

    public static void ReportWarnings(VerificationResult result, CliConsole console)
    {
        foreach (var warning in result.Warnings)
        {
            console.Warning(warning.Code, warning.Message);
        }
    }

    private static VerificationPolicy CreatePolicy(VerifyRequest request)
    {
        VerificationPolicy policy;
        if (request.SubjectIsDigest || (LooksLikeDigest(request.Subject) && !File.Exists(request.Subject)))
        {
            policy = VerificationPolicy.ForDigest(request.Subject);
        }
        else
        {
            if (!Path.Exists(request.Subject))
            {
                throw new SigstoreException(SetupCodes.SubjectNotFound, $"The artifact '{request.Subject}' does not exist. Pass a file, or a digest as sha256:<hex>.");
            }

            // Streamed while verifying: memory stays flat whatever the artifact's size.
            policy = VerificationPolicy.ForArtifactFile(request.Subject);
        }

        if (request.KeyPath is not null)
        {
            policy = policy.WithKey(VerificationKey.FromPemFile(request.KeyPath));
        }
        else
        {
            policy = policy.RequireIdentity(ExpectedIdentity(request));
        }

        policy = request.ProvenanceConsistency ? policy.RequireProvenanceConsistency() : policy;
        policy = request.UnsafeAllowUncorroboratedProvenance ? policy.UnsafeAllowUncorroboratedProvenance() : policy;
        policy = request.Revocations is { } revocations ? policy.RejectRevoked(revocations) : policy;
        return request.PredicateType is null ? policy : policy.RequirePredicateType(request.PredicateType);
    }

    private static CertificateIdentity ExpectedIdentity(VerifyRequest request)
    {
        var identity = request.IdentityRegex is not null
            ? CertificateIdentity.Regex(request.IdentityRegex, request.Issuer!)
            : CertificateIdentity.Exact(request.Identity!, request.Issuer!);
        foreach (var (oid, value) in request.Extensions)
        {
            identity = identity.WithExtension(oid, value);
        }

        return identity;
    }

    private static bool LooksLikeDigest(string subject)
    {
        var colon = subject.IndexOf(':', StringComparison.Ordinal);
        return colon > 0 && subject.AsSpan(0, colon) is "sha256" or "sha384" or "sha512";
    }
}

internal static class VerificationResultText
{
    /// <summary>One line: who signed, and how many distinct log entries and verified times back it.</summary>
    public static string Summary(this VerificationResult result)
    {
        var signer = result.Identity is { } id ? $"{id.SubjectAlternativeName} (issuer {id.Issuer})" : $"key sha256:{result.KeySha256}";
        var statement = result.Statement is { } s ? $", {s.PredicateType} for {string.Join(", ", s.SubjectNames)}" : string.Empty;
        var entries = result.LogEntries.Count;
        var times = result.VerifiedTimes.Count;
        var repeated = result.DuplicatesCountedOnce > 0 ? $" ({result.DuplicatesCountedOnce} repeated in the bundle, counted once)" : string.Empty;
        return $"signed by {signer}{statement}; {entries} distinct log entr{(entries == 1 ? "y" : "ies")}, {times} distinct verified time{(times == 1 ? "" : "s")}{repeated}";
    }
}
