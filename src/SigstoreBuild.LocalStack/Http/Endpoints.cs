using SigstoreBuild.LocalStack.Faults;
using SigstoreBuild.LocalStack.Oidc;
using SigstoreBuild.LocalStack.Pki;
using SigstoreBuild.LocalStack.Timestamping;
using SigstoreBuild.LocalStack.Transparency;
using SigstoreBuild.LocalStack.Trust;
using SigstoreBuild.LocalStack.Tuf;

namespace SigstoreBuild.LocalStack.Http;

/// <summary>
/// The HTTP surface: OIDC, Fulcio v2, Rekor v1 and v2, RFC 3161 TSA, the trust documents and their TUF repository.
/// Each service maps its own routes, beside its implementation; the test's faults apply to all of them.
/// </summary>
internal static class Endpoints
{
    public static void Map(WebApplication app, Func<LocalSigstoreServices> services, FaultPlan plan)
    {
        FaultInjection.Use(app, plan);
        OidcIssuerEndpoints.Map(app, services);
        EntraEndpoints.Map(app, services);
        FulcioEndpoints.Map(app, services);
        RekorV1Endpoints.Map(app, services);
        RekorV2Endpoints.Map(app, services);
        TimestampAuthorityEndpoints.Map(app, services);
        TrustDocumentEndpoints.Map(app, services);
        TufEndpoints.Map(app, services);
    }
}
