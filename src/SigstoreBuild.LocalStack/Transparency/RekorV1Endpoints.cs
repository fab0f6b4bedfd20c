using System.Globalization;
using System.Text.Json.Nodes;
using SigstoreBuild.Diagnostics;
using SigstoreBuild.LocalStack.Faults;
using SigstoreBuild.LocalStack.Http;
using SigstoreBuild.LocalStack.Pki;

namespace SigstoreBuild.LocalStack.Transparency;

/// <summary>Rekor v1: entries, search, the log's state, key and consistency proofs.</summary>
internal static class RekorV1Endpoints
{
    public static void Map(WebApplication app, Func<LocalSigstoreServices> services)
    {
        Handlers.MapPost(app, "/api/v1/log/entries", services, CreateEntry);
        app.MapGet("/api/v1/log/entries/{uuid}", (string uuid, HttpContext context) => Handlers.Guard(() => GetEntry(uuid, context, services())));
        app.MapGet("/api/v1/log/entries", (HttpContext context) => Handlers.Guard(() =>
        {
            var v1 = services().RekorV1;
            var record = long.TryParse(context.Request.Query["logIndex"], NumberStyles.None, CultureInfo.InvariantCulture, out var index) ? v1.Log.Get(index) : null;
            return record is null ? Handlers.Error(404, "No entry has that logIndex.") : Results.Json(new JsonObject { [v1.Uuid(record)] = v1.ToLogEntry(record) });
        }));
        Handlers.MapPost(app, "/api/v1/log/entries/retrieve", services, RetrieveEntries);
        Handlers.MapPost(app, "/api/v1/index/retrieve", services, SearchIndex);
        app.MapGet("/api/v1/log", () =>
        {
            var v1 = services().RekorV1;
            var (size, root, checkpoint) = v1.Log.Head();
            return Results.Json(new JsonObject
            {
                ["rootHash"] = Convert.ToHexStringLower(root),
                ["signedTreeHead"] = checkpoint,
                ["treeID"] = v1.TreeId.ToString(CultureInfo.InvariantCulture),
                ["treeSize"] = size,
                ["inactiveShards"] = new JsonArray(),
            });
        });
        app.MapGet("/api/v1/log/publicKey", () => Results.Text(Pem.PublicKey(services().RekorV1.Key.ExportSubjectPublicKeyInfo()), "application/x-pem-file"));
        app.MapGet("/api/v1/log/proof", (HttpContext context) => Handlers.Guard(() => ConsistencyProof(context, services())));
    }

    private static async Task<IResult> CreateEntry(HttpContext context, LocalSigstoreServices services)
    {
        var v1 = services.RekorV1;
        var (record, existed) = v1.Append(await Handlers.ReadJson(context));
        var uuid = v1.Uuid(record);
        var location = $"/api/v1/log/entries/{uuid}";
        if (existed)
        {
            context.Response.Headers.Location = location;
            return Handlers.Error(409, $"An equivalent entry already exists in the transparency log with UUID {uuid}");
        }

        var entry = v1.ToLogEntry(record);
        if (FaultInjection.Taken(context) is { } fault)
        {
            Corruptions.ApplyToRekorV1(fault, entry, v1.Log);
        }

        context.Response.Headers.Location = location;
        context.Response.Headers.ETag = uuid;
        return Results.Json(new JsonObject { [uuid] = entry }, statusCode: 201);
    }

    private static IResult GetEntry(string uuid, HttpContext context, LocalSigstoreServices services)
    {
        var v1 = services.RekorV1;
        var record = FindByUuid(v1, uuid);
        if (record is null)
        {
            return Handlers.Error(404, $"{LocalStackCodes.LogEntryNotFound}: no entry has UUID {uuid}.");
        }

        var entry = v1.ToLogEntry(record);
        if (FaultInjection.Taken(context) is { } fault)
        {
            Corruptions.ApplyToRekorV1(fault, entry, v1.Log);
        }

        return Results.Json(new JsonObject { [v1.Uuid(record)] = entry });
    }

    private static LogRecord? FindByUuid(RekorV1Log v1, string uuid)
    {
        uuid = uuid.Trim().ToLowerInvariant();
        if (uuid.Length == 80)
        {
            if (!uuid.StartsWith(v1.TreeIdHex, StringComparison.Ordinal))
            {
                return null;
            }

            uuid = uuid[16..];
        }

        if (uuid.Length != 64)
        {
            return null;
        }

        try
        {
            return v1.Log.FindByLeafHash(Convert.FromHexString(uuid));
        }
        catch (FormatException)
        {
            return null;
        }
    }

    private static async Task<IResult> RetrieveEntries(HttpContext context, LocalSigstoreServices services)
    {
        var v1 = services.RekorV1;
        var request = await Handlers.ReadJson(context) as JsonObject ?? throw RekorV1Log.Invalid("the body is not a JSON object");
        foreach (var kind in new[] { "entryUUIDs", "logIndexes", "entries" })
        {
            if (request[kind] is JsonArray { Count: > 10 })
            {
                // Rekor's limit: a client that asks for more gets an error, not a silently shortened answer.
                throw RekorV1Log.Invalid($"'{kind}' may list at most 10 items");
            }
        }

        var found = new List<LogRecord>();
        foreach (var uuid in request["entryUUIDs"] as JsonArray ?? [])
        {
            if (FindByUuid(v1, uuid!.GetValue<string>()) is { } record)
            {
                found.Add(record);
            }
        }

        foreach (var index in request["logIndexes"] as JsonArray ?? [])
        {
            if (v1.Log.Get(index!.GetValue<long>()) is { } record)
            {
                found.Add(record);
            }
        }

        foreach (var proposed in request["entries"] as JsonArray ?? [])
        {
            var (body, _) = RekorV1Log.Canonicalize(proposed);
            if (v1.Log.FindByLeafHash(MerkleTree.HashLeaf(body)) is { } record)
            {
                found.Add(record);
            }
        }

        return Results.Json(new JsonArray(found.Select(r => (JsonNode)new JsonObject { [v1.Uuid(r)] = v1.ToLogEntry(r) }).ToArray()));
    }

    private static async Task<IResult> SearchIndex(HttpContext context, LocalSigstoreServices services)
    {
        var v1 = services.RekorV1;
        var request = await Handlers.ReadJson(context) as JsonObject ?? throw RekorV1Log.Invalid("the body is not a JSON object");
        var hash = request["hash"]?.GetValue<string>() ?? throw RekorV1Log.Invalid("only search by 'hash' (sha256:<hex>) is supported");
        return Results.Json(new JsonArray(v1.Log.FindByArtifact(hash).Select(r => (JsonNode)v1.Uuid(r)).ToArray()));
    }

    private static IResult ConsistencyProof(HttpContext context, LocalSigstoreServices services)
    {
        var log = services.RekorV1.Log;
        var (size, root, _) = log.Head();
        var first = long.TryParse(context.Request.Query["firstSize"], NumberStyles.None, CultureInfo.InvariantCulture, out var f) ? f : 1;
        var last = long.TryParse(context.Request.Query["lastSize"], NumberStyles.None, CultureInfo.InvariantCulture, out var l) ? l : size;
        if (first < 1 || first > last || last > size)
        {
            return Handlers.Error(400, "firstSize and lastSize must satisfy 1 <= firstSize <= lastSize <= tree size.");
        }

        return Results.Json(new JsonObject
        {
            ["rootHash"] = Convert.ToHexStringLower(last == size ? root : RootAt(log, last)),
            ["hashes"] = new JsonArray(log.ConsistencyProof(first, last).Select(h => (JsonNode)Convert.ToHexStringLower(h)).ToArray()),
        });
    }

    private static byte[] RootAt(TransparencyLog log, long size) => log.RootHash(size);
}
