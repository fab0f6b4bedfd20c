
namespace SigstoreBuild.LocalStack.Trust;

/// <summary>The trusted root and signing config that describe this instance, as files.</summary>
internal static class TrustDocumentEndpoints
{
    public static void Map(WebApplication app, Func<LocalSigstoreServices> services)
    {
        app.MapGet("/trusted_root.json", () => Results.File(services().TrustedRootPath, "application/json"));
        app.MapGet("/signing_config.json", () => Results.File(services().SigningConfigPath, "application/json"));
    }
}
