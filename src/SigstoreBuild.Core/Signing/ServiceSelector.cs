using SigstoreBuild.Diagnostics;
using SigstoreBuild.Signing.Transport;
using SigstoreBuild.Trust;

namespace SigstoreBuild.Signing;

/// <summary>A transparency log chosen for signing.</summary>
internal sealed record SelectedLog(Uri Url, int MajorApiVersion);

/// <summary>The services one signing session uses, chosen from the signing config (no certificate authority for key-based signing).</summary>
internal sealed record SelectedServices(Uri? CertificateAuthority, IReadOnlyList<SelectedLog> TransparencyLogs, IReadOnlyList<Uri> TimestampAuthorities);

/// <summary>
/// signing_config v0.2 service selection (protobuf-specs SigningConfig): keep services valid now with an API version we
/// speak, prefer the highest version, then apply the ANY/ALL/EXACT selector. Rekor v2 requires a timestamp.
/// </summary>
internal static class ServiceSelector
{
    private static readonly int[] CaVersions = [1];
    private static readonly int[] RekorVersions = [1, 2];
    private static readonly int[] TsaVersions = [1];

    public static SelectedServices Select(SigningConfigDocument config, DateTimeOffset now, int? forceRekorVersion = null, bool needsCertificateAuthority = true)
    {
        ArgumentNullException.ThrowIfNull(config);
        var ca = Valid(config.CaUrls, CaVersions, now, "certificate authority").FirstOrDefault();
        if (ca is null && needsCertificateAuthority)
        {
            throw new SigstoreException(SigningCodes.NoService, "The signing config lists no certificate authority (Fulcio) valid now. Refresh the trust root or fix signing_config.json.");
        }

        var rekorCandidates = Valid(config.RekorTlogUrls, forceRekorVersion is { } v ? [v] : RekorVersions, now, "transparency log");
        var logs = Apply(rekorCandidates, config.RekorTlogConfig, "transparency log")
            .Select(s => new SelectedLog(ServiceUrl.Require(s.Url, "Rekor", SigningCodes.InsecureServiceUrl), s.MajorApiVersion)).ToList();
        if (logs.Count == 0)
        {
            throw new SigstoreException(SigningCodes.NoService, "The signing config lists no transparency log (Rekor) valid now. Refresh the trust root or fix signing_config.json.");
        }

        var tsas = Apply(Valid(config.TsaUrls, TsaVersions, now, "timestamp authority"), config.TsaConfig, "timestamp authority")
            .Select(s => ServiceUrl.Require(s.Url, "timestamp authority", SigningCodes.InsecureServiceUrl)).ToList();
        if (tsas.Count == 0 && logs.Any(l => l.MajorApiVersion >= 2))
        {
            throw new SigstoreException(SigningCodes.RekorV2RequiresTimestamp, "Rekor v2 gives no signed entry timestamp, so a timestamp authority is required, but the signing config lists none valid now. Add a TSA to signing_config.json.");
        }

        return new SelectedServices(needsCertificateAuthority ? ServiceUrl.Require(ca!.Url, "Fulcio", SigningCodes.InsecureServiceUrl) : null, logs, tsas);
    }

    /// <summary>The OIDC issuer the signing config names for interactive logins (<c>oidcUrls</c>), or null.</summary>
    public static string? SelectOidcIssuer(SigningConfigDocument config, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(config);
        return Valid(config.OidcUrls, CaVersions, now, "OIDC provider").FirstOrDefault()?.Url;
    }

    private static List<ServiceDocument> Valid(List<ServiceDocument>? services, int[] versions, DateTimeOffset now, string what)
    {
        var valid = (services ?? []).Where(s => versions.Contains(s.MajorApiVersion) && IsValidAt(s.ValidFor, now)).ToList();
        if (valid.Count == 0)
        {
            return valid;
        }

        // Prefer the newest API version; among equals keep the document's order.
        var best = valid.Max(s => s.MajorApiVersion);
        return valid.Where(s => s.MajorApiVersion == best).ToList();
    }

    private static IEnumerable<ServiceDocument> Apply(List<ServiceDocument> services, ServiceConfigurationDocument? config, string what)
    {
        if (services.Count == 0)
        {
            return services;
        }

        // Absent (proto3: SERVICE_SELECTOR_UNDEFINED, the default) means ANY, as before.
        switch (config?.Selector is null or "SERVICE_SELECTOR_UNDEFINED" ? "ANY" : config!.Selector)
        {
            case "ALL":
                return services;
            case "ANY":
                return services.Take(1);
            case "EXACT":
                if (config!.Count <= 0 || services.Count < config.Count)
                {
                    throw new SigstoreException(SigningCodes.NoService, $"The signing config asks for exactly {config.Count} {what}(s) but only {services.Count} are valid now. Fix signing_config.json.");
                }

                return services.Take(config.Count);
            default:
                throw new SigstoreException(SigningCodes.NoService, $"The signing config uses an unknown {what} selector '{config!.Selector}'. Use ANY, ALL or EXACT.");
        }
    }

    // protobuf-specs leaves a service's validFor optional: without one, or without a start, it is valid from the
    // beginning (as sigstore-go reads it); an end still applies.
    private static bool IsValidAt(TimeRangeDocument? range, DateTimeOffset now) =>
        (range?.Start is not { } start || start <= now) && (range?.End is not { } end || now <= end);
}
