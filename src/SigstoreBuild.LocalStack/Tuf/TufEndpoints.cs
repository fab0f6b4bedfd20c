
namespace SigstoreBuild.LocalStack.Tuf;

/// <summary>The TUF repository of the trust documents, renewing metadata that is about to expire.</summary>
internal static class TufEndpoints
{
    public static void Map(WebApplication app, Func<LocalSigstoreServices> services)
    {
        app.MapGet("/tuf/{**path}", (string? path) =>
        {
            var tuf = services().Tuf;
            tuf.RenewExpiring();
            var body = tuf.ReadPublished(path ?? string.Empty);
            return body is null ? Results.NotFound() : Results.Bytes(body, "application/json");
        });
    }
}
