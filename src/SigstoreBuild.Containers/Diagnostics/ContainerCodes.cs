namespace SigstoreBuild.Diagnostics;

/// <summary>
/// SSB7xxx: container images and OCI registries (signing at container publish, attaching bundles as referrers,
/// verify-image). SSB70xx–SSB74xx are errors, SSB75xx–SSB79xx warnings; see docs/diagnostics/containers.md.
/// </summary>
internal static class ContainerCodes
{
    /// <summary>An image reference that cannot be parsed (registry/repository[:tag][@sha256:digest]).</summary>
    public const string InvalidReference = "SSB7001";

    /// <summary>The registry could not be reached (connection refused, DNS, TLS, timeout).</summary>
    public const string RegistryUnreachable = "SSB7002";

    /// <summary>Plain HTTP to a registry that is not on loopback, without --allow-insecure-registry.</summary>
    public const string InsecureRegistryRefused = "SSB7003";

    /// <summary>The registry refused the credentials, or asked for credentials and none were found.</summary>
    public const string RegistryAuthenticationFailed = "SSB7004";

    /// <summary>The manifest (image, index or referrer) does not exist in the repository.</summary>
    public const string ManifestNotFound = "SSB7005";

    /// <summary>The registry answered with something that is not a valid response: bad JSON, wrong media type, too large.</summary>
    public const string RegistryResponseInvalid = "SSB7006";

    /// <summary>A credential helper (docker-credential-*) failed or returned something unreadable.</summary>
    public const string CredentialHelperFailed = "SSB7007";

    /// <summary>The registry refused a request (an HTTP status other than those above).</summary>
    public const string RegistryRequestFailed = "SSB7008";

    /// <summary>Content fetched by digest does not hash to that digest.</summary>
    public const string DigestMismatch = "SSB7009";

    /// <summary>A blob (layer, config, bundle) a manifest refers to does not exist in the repository.</summary>
    public const string BlobNotFound = "SSB7010";

    /// <summary>The image has no Sigstore bundle attached (no referrer through the referrers API or its tag fallback).</summary>
    public const string NoBundleAttached = "SSB7101";

    /// <summary>Bundles are attached, but none verifies against the image digest and the policy.</summary>
    public const string NoBundleVerified = "SSB7102";

    /// <summary>A referrer that claims to hold a Sigstore bundle is malformed (subject, artifact type, layers).</summary>
    public const string ReferrerMalformed = "SSB7103";

    /// <summary>An attached bundle failed verification while another one passed (verify-image still succeeds).</summary>
    public const string AttachedBundleRejected = "SSB7501";
}
