using SigstoreBuild.LocalStack.Faults;
using SigstoreBuild.LocalStack.Http;

namespace SigstoreBuild.LocalStack.Transparency;

/// <summary>Rekor v2: entries and the signed checkpoint.</summary>
internal static class RekorV2Endpoints
{
    public static void Map(WebApplication app, Func<LocalSigstoreServices> services)
    {
        Handlers.MapPost(app, "/api/v2/log/entries", services, CreateEntry);
        app.MapGet("/api/v2/checkpoint", () => Results.Text(services().RekorV2.Log.Head().Checkpoint, "text/plain"));
    }

    private static async Task<IResult> CreateEntry(HttpContext context, LocalSigstoreServices services)
    {
        var v2 = services.RekorV2;
        var (record, _) = v2.Append(await Handlers.ReadJson(context));
        var entry = v2.ToTransparencyLogEntry(record);
        if (FaultInjection.Taken(context) is { } fault)
        {
            Corruptions.ApplyToTransparencyLogEntry(fault, entry, v2.Log);
        }

        return Results.Json(entry, statusCode: 201);
    }
}
