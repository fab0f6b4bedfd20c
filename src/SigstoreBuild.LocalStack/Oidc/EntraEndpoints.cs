using System.Text.Json.Nodes;
using SigstoreBuild.LocalStack.Http;

namespace SigstoreBuild.LocalStack.Oidc;

/// <summary>The Entra ID v2.0 endpoints MSAL calls for a tenant's authority (<see cref="EntraDirectory"/>).</summary>
internal static class EntraEndpoints
{
    private const string DeviceCodeGrant = "urn:ietf:params:oauth:grant-type:device_code";

    public static void Map(WebApplication app, Func<LocalSigstoreServices> services)
    {
        Handlers.MapPost(app, "/{tenant}/oauth2/v2.0/devicecode", services, StartDeviceAsync);
        Handlers.MapPost(app, "/{tenant}/oauth2/v2.0/token", services, TokenAsync);
        app.MapGet("/{tenant}/managed-identity/token", (HttpContext context) => ManagedIdentityToken(context, services()));
    }

    /// <summary>App Service's managed identity endpoint (api-version 2019-08-01), on the plain HTTP listener as on App Service.</summary>
    private static IResult ManagedIdentityToken(HttpContext context, LocalSigstoreServices services)
    {
        var query = context.Request.Query;
        var tenant = context.Request.RouteValues["tenant"] as string ?? "";
        var clientId = services.Oidc.Entra.AuthenticateManagedIdentity(tenant, context.Request.Headers["X-IDENTITY-HEADER"].FirstOrDefault(), query["client_id"].FirstOrDefault());
        if (clientId is null)
        {
            return Error(401, "invalid_request", "no managed identity with this secret (and client ID) here");
        }

        if (query["api-version"].FirstOrDefault() != "2019-08-01" || query["resource"].FirstOrDefault() is not { Length: > 0 } resource)
        {
            return Error(400, "invalid_request", "api-version=2019-08-01 and a resource are required");
        }

        return Results.Json(new JsonObject
        {
            ["access_token"] = services.Oidc.Entra.MintApplicationToken(tenant, clientId, resource),
            ["expires_on"] = (services.Time.GetUtcNow() + TimeSpan.FromMinutes(10)).ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["resource"] = resource,
            ["token_type"] = "Bearer",
            ["client_id"] = clientId,
        });
    }

    private static async Task<IResult> StartDeviceAsync(HttpContext context, LocalSigstoreServices services)
    {
        var form = await context.Request.ReadFormAsync(context.RequestAborted);
        if (Tenant(context, services) is null)
        {
            return Error(400, "invalid_tenant", "the tenant is not known to this instance");
        }

        if (form["client_id"].FirstOrDefault() is not { Length: > 0 } clientId)
        {
            return Error(400, "invalid_request", "client_id is required");
        }

        var device = services.Oidc.Logins.StartDevice(clientId);
        var verification = services.Oidc.Issuer + "/oauth/device";
        return Results.Json(new JsonObject
        {
            ["device_code"] = device.DeviceCode,
            ["user_code"] = device.UserCode,
            ["verification_uri"] = verification,
            ["expires_in"] = 300,
            ["interval"] = 1,
            ["message"] = $"To sign in, use a web browser to open the page {verification} and enter the code {device.UserCode} to authenticate.",
        });
    }

    private static async Task<IResult> TokenAsync(HttpContext context, LocalSigstoreServices services)
    {
        var form = await context.Request.ReadFormAsync(context.RequestAborted);
        string? Get(string name) => form[name].FirstOrDefault();
        var entra = services.Oidc.Entra;
        if (Tenant(context, services) is not { } tenant)
        {
            return Error(400, "invalid_tenant", "the tenant is not known to this instance");
        }

        switch (Get("grant_type"))
        {
            // MSAL sends "device_code" to Entra authorities; RFC 8628 names the URN.
            case "device_code" or DeviceCodeGrant:
                var clientId = Get("client_id") ?? "";
                var (known, approved) = services.Oidc.Logins.PollDevice(Get("device_code") ?? "", clientId);
                if (!known)
                {
                    return Error(400, "expired_token", "the device code is unknown, spent or expired");
                }

                if (approved is null)
                {
                    return Error(400, "authorization_pending", "the user has not logged in yet");
                }

                var idToken = entra.MintUserToken(tenant, clientId, approved.Login!);
                return Results.Json(new JsonObject
                {
                    ["token_type"] = "Bearer",
                    ["scope"] = Get("scope") ?? "openid profile email",
                    ["expires_in"] = 600,
                    ["ext_expires_in"] = 600,
                    ["access_token"] = idToken,
                    ["id_token"] = idToken,
                    ["client_info"] = EntraDirectory.ClientInfo(tenant, approved.Login!),
                });
            case "client_credentials":
                var (client, refusal) = entra.AuthenticateClient(tenant, Get("client_id"), Get("client_assertion_type"), Get("client_assertion"));
                if (client is null)
                {
                    return Error(401, "invalid_client", refusal!);
                }

                if (Get("scope")?.Split(' ', StringSplitOptions.RemoveEmptyEntries) is not [var scope])
                {
                    return Error(400, "invalid_scope", "the client credentials grant takes exactly one scope, e.g. api://sigstore/.default");
                }

                return Results.Json(new JsonObject
                {
                    ["token_type"] = "Bearer",
                    ["expires_in"] = 600,
                    ["ext_expires_in"] = 600,
                    ["access_token"] = entra.MintApplicationToken(tenant, client, scope),
                });
            default:
                return Error(400, "unsupported_grant_type", "use the device code or client credentials grant");
        }
    }

    private static string? Tenant(HttpContext context, LocalSigstoreServices services) =>
        context.Request.RouteValues["tenant"] is string tenant && services.Oidc.Entra.IsTenant(tenant) && context.Request.IsHttps ? tenant : null;

    // Entra ID's error shape: MSAL reads error (its ErrorCode) and error_description.
    private static IResult Error(int status, string error, string description) =>
        Results.Json(new JsonObject { ["error"] = error, ["error_description"] = description, ["error_codes"] = new JsonArray() }, statusCode: status);
}
