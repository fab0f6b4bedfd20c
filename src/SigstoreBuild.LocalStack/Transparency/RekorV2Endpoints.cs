using System.Globalization;
using SigstoreBuild.LocalStack.Faults;
using SigstoreBuild.LocalStack.Http;

namespace SigstoreBuild.LocalStack.Transparency;

/// <summary>
/// Rekor v2 under its own base URL (<c>{base}/rekor-v2</c>, as the public-good v2 logs have their own hosts): the write
/// API, and the C2SP tlog-tiles read API (<c>/checkpoint</c>, <c>/tile/&lt;L&gt;/&lt;N&gt;[.p/&lt;W&gt;]</c>,
/// <c>/tile/entries/&lt;N&gt;[.p/&lt;W&gt;]</c>) that monitors read. The write API also answers at the instance's root.
/// </summary>
internal static class RekorV2Endpoints
{
    public const string Prefix = "/rekor-v2";

    public static void Map(WebApplication app, Func<LocalSigstoreServices> services)
    {
        Handlers.MapPost(app, "/api/v2/log/entries", services, CreateEntry);
        Handlers.MapPost(app, Prefix + "/api/v2/log/entries", services, CreateEntry);
        app.MapGet("/api/v2/checkpoint", () => Results.Text(services().RekorV2.Log.Head().Checkpoint, "text/plain"));
        app.MapGet(Prefix + "/checkpoint", () => Results.Text(services().RekorV2.Log.Head().Checkpoint, "text/plain; charset=utf-8"));
        app.MapGet(Prefix + "/tile/{**path}", (string path) => Tile(services().RekorV2.Log, path));
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

    /// <summary>A hash tile or an entry bundle of the log's current tree; 404 for one the tree does not have (yet).</summary>
    private static IResult Tile(TransparencyLog log, string path)
    {
        var entries = path.StartsWith("entries/", StringComparison.Ordinal);
        if (!TilePath.TryParse(entries ? path["entries/".Length..] : path, entries, out var level, out var index, out var width))
        {
            return Results.NotFound();
        }

        var bytes = entries ? log.EntryBundle(index, width) : log.HashTile(level, index, width);
        return bytes is null ? Results.NotFound() : Results.Bytes(bytes, "application/octet-stream");
    }
}

/// <summary>The C2SP tlog-tiles path of a tile: <c>&lt;L&gt;/</c> (not for entry bundles), then N in groups of three digits (<c>x001/x234/067</c>), then <c>.p/&lt;W&gt;</c> for a partial tile.</summary>
internal static class TilePath
{
    public static bool TryParse(string path, bool entries, out int level, out long index, out int width)
    {
        level = 0;
        index = 0;
        width = 256;
        var parts = path.Split('/');
        var at = 0;
        if (!entries)
        {
            if (parts.Length < 2 || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out level) || level > 63 || parts[0] != level.ToString(CultureInfo.InvariantCulture))
            {
                return false;
            }

            at = 1;
        }

        var end = parts.Length;
        if (end - at >= 2 && parts[end - 2].EndsWith(".p", StringComparison.Ordinal))
        {
            if (!int.TryParse(parts[end - 1], NumberStyles.None, CultureInfo.InvariantCulture, out width) || width is < 1 or > 255 || parts[end - 1] != width.ToString(CultureInfo.InvariantCulture))
            {
                return false;
            }

            parts[end - 2] = parts[end - 2][..^2];
            end--;
        }

        // Canonical only: a leading group of zeros would name the same tile twice.
        if (end <= at || (end - at > 1 && parts[at] == "x000"))
        {
            return false;
        }

        for (var i = at; i < end; i++)
        {
            var group = parts[i];
            var last = i == end - 1;
            if (!last)
            {
                if (!group.StartsWith('x'))
                {
                    return false;
                }

                group = group[1..];
            }

            if (group.Length != 3 || !group.All(char.IsAsciiDigit))
            {
                return false;
            }

            index = checked((index * 1000) + int.Parse(group, CultureInfo.InvariantCulture));
        }

        return true;
    }
}
