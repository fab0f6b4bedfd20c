using System.Text.Json;
using System.Text.Json.Nodes;
using SigstoreBuild.Diagnostics;

namespace SigstoreBuild.LocalStack.Http;

/// <summary>What every service's handlers share: coded errors as JSON, bounded request bodies.</summary>
internal static class Handlers
{
    private const long MaxBodyBytes = 4 * 1024 * 1024;

    /// <summary>A POST route whose coded failures and malformed bodies become JSON errors.</summary>
    public static void MapPost(
        WebApplication app, string pattern, Func<LocalSigstoreServices> services, Func<HttpContext, LocalSigstoreServices, Task<IResult>> handler) =>
        app.MapPost(pattern, Async(context => GuardAsync(() => handler(context, services()))));

    /// <summary>Types an async handler lambda for MapPost.</summary>
    private static Delegate Async(Func<HttpContext, Task<IResult>> handler) => handler;

    public static IResult Guard(Func<IResult> handler)
    {
        try
        {
            return handler();
        }
        catch (SigstoreException ex)
        {
            return ErrorFor(ex);
        }
    }

    public static async Task<IResult> GuardAsync(Func<Task<IResult>> handler)
    {
        try
        {
            return await handler();
        }
        catch (SigstoreException ex)
        {
            return ErrorFor(ex);
        }
        catch (JsonException ex)
        {
            return Error(400, $"The request body is not valid JSON ({ex.Message}).");
        }
        catch (InvalidOperationException ex)
        {
            // JsonNode.GetValue on a node of the wrong type.
            return Error(400, $"The request has a field of the wrong type ({ex.Message}).");
        }
        catch (FormatException ex)
        {
            return Error(400, $"The request has a malformed field ({ex.Message}).");
        }
    }

    private static IResult ErrorFor(SigstoreException ex) => ex.Code switch
    {
        LocalStackCodes.IdentityTokenRejected => Error(401, ex.ToString()),
        LocalStackCodes.LogEntryNotFound => Error(404, ex.ToString()),
        _ => Error(400, ex.ToString()),
    };

    public static IResult Error(int status, string message) =>
        Results.Json(new JsonObject { ["code"] = status, ["message"] = message }, statusCode: status);

    public static async Task<JsonNode?> ReadJson(HttpContext context) => JsonNode.Parse(await ReadBody(context));

    public static async Task<byte[]> ReadBody(HttpContext context)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await context.Request.Body.ReadAsync(chunk, context.RequestAborted)) > 0)
        {
            buffer.Write(chunk, 0, read);
            if (buffer.Length > MaxBodyBytes)
            {
                throw new SigstoreException(LocalStackCodes.LogEntryInvalid, "The request body is larger than 4 MiB. Send a smaller request.");
            }
        }

        return buffer.ToArray();
    }
}
