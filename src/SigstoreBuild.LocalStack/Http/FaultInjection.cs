using System.Globalization;
using System.Text.Json.Nodes;
using SigstoreBuild.Diagnostics;
using SigstoreBuild.LocalStack.Faults;

namespace SigstoreBuild.LocalStack.Http;

/// <summary>The test's <see cref="FaultPlan"/> on the wire: which service a path belongs to, and what its next fault does.</summary>
internal static class FaultInjection
{
    private const string FaultItem = "SigstoreBuild.LocalStack.Fault";

    /// <summary>Takes the next planned fault of the request's service, if any, and applies it around the handler.</summary>
    public static void Use(WebApplication app, FaultPlan plan)
    {
        app.Use(async (context, next) =>
        {
            var service = Classify(context.Request.Path);
            if (service is null || !plan.TryTake(service.Value, out var fault))
            {
                await next(context);
                return;
            }

            await ApplyFault(context, next, fault);
        });
    }

    public static SigstoreService? Classify(PathString path)
    {
        var p = path.Value ?? string.Empty;
        if (p.StartsWith("/token", StringComparison.Ordinal) || p.StartsWith("/.well-known", StringComparison.Ordinal))
        {
            return SigstoreService.Oidc;
        }

        if (p.StartsWith("/api/v2/signingCert", StringComparison.Ordinal) || p.StartsWith("/api/v2/trustBundle", StringComparison.Ordinal))
        {
            return SigstoreService.Fulcio;
        }

        if (p.StartsWith("/api/v1/timestamp", StringComparison.Ordinal))
        {
            return SigstoreService.Tsa;
        }

        if (p.StartsWith("/api/v1/log", StringComparison.Ordinal) || p.StartsWith("/api/v1/index", StringComparison.Ordinal))
        {
            return SigstoreService.RekorV1;
        }

        if (p.StartsWith("/api/v2/log", StringComparison.Ordinal) || p.StartsWith("/api/v2/checkpoint", StringComparison.Ordinal)
            || p.StartsWith(Transparency.RekorV2Endpoints.Prefix + "/", StringComparison.Ordinal))
        {
            return SigstoreService.RekorV2;
        }

        return null;
    }

    private static async Task ApplyFault(HttpContext context, RequestDelegate next, Fault fault)
    {
        context.Response.Headers["X-SigstoreBuild-Fault"] = fault.Kind.ToString();
        switch (fault.Kind)
        {
            case FaultKind.ServiceUnavailable:
            case FaultKind.TooManyRequests:
            case FaultKind.InternalServerError:
                var status = fault.Kind switch
                {
                    FaultKind.ServiceUnavailable => 503,
                    FaultKind.TooManyRequests => 429,
                    _ => 500,
                };
                await WriteFaultStatus(context, status, fault);
                return;
            case FaultKind.DropConnection:
                context.Abort();
                return;
            case FaultKind.Delay:
                await Task.Delay(fault.Delay ?? TimeSpan.FromSeconds(1), context.RequestAborted);
                await next(context);
                return;
            case FaultKind.CommitThenDrop:
            case FaultKind.CommitThenServiceUnavailable:
                var original = context.Response.Body;
                using (var buffer = new MemoryStream())
                {
                    context.Response.Body = buffer;
                    await next(context);
                    context.Response.Body = original;
                }

                if (fault.Kind == FaultKind.CommitThenDrop)
                {
                    context.Abort();
                    return;
                }

                context.Response.Clear();
                context.Response.Headers["X-SigstoreBuild-Fault"] = fault.Kind.ToString();
                await WriteFaultStatus(context, 503, fault);
                return;
            default:
                context.Items[FaultItem] = fault;
                await next(context);
                return;
        }
    }

    private static async Task WriteFaultStatus(HttpContext context, int status, Fault fault)
    {
        context.Response.StatusCode = status;
        if (fault.RetryAfter is { } retryAfter)
        {
            context.Response.Headers.RetryAfter = ((long)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        }

        await context.Response.WriteAsJsonAsync(new JsonObject
        {
            ["code"] = status,
            ["message"] = $"{LocalStackCodes.FaultInjected}: fault '{fault.Kind}' injected by the test's FaultPlan.",
        });
    }

    /// <summary>The fault a handler itself applies (a forged token, a corrupted entry…), if one was taken for this request.</summary>
    public static FaultKind? Taken(HttpContext context) => context.Items.TryGetValue(FaultItem, out var value) ? ((Fault)value!).Kind : null;
}
