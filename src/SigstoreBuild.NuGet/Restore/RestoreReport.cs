using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace SigstoreBuild.NuGet.Restore;

/// <summary>The JSON report under obj/ and the Markdown table for <c>$GITHUB_STEP_SUMMARY</c>.</summary>
public static class RestoreReport
{
    public static string ToJson(RestoreVerificationResult result, string projectName)
    {
        ArgumentNullException.ThrowIfNull(result);
        var packages = new JsonArray();
        foreach (var p in result.Packages)
        {
            var node = new JsonObject
            {
                ["id"] = p.Id,
                ["version"] = p.Version,
                ["status"] = p.Status switch { PackageStatus.Verified => "verified", PackageStatus.UnsignedAllowed => "unsigned", _ => "failed" },
                ["contentHash"] = p.ContentHash,
                ["policy"] = p.Pattern,
                ["bundle"] = p.BundleLocation,
                ["cached"] = p.FromCache,
                ["problem"] = p.Problem,
            };
            if (p.Signer is not null)
            {
                node["signer"] = new JsonObject
                {
                    ["issuer"] = p.Signer.Issuer,
                    ["subject"] = p.Signer.Subject,
                    ["sourceRepositoryIdentifier"] = p.Signer.SourceRepositoryIdentifier,
                    ["ownerIdentifier"] = p.Signer.OwnerIdentifier,
                    ["sourceRepositoryUri"] = p.Signer.SourceRepositoryUri,
                };
            }

            packages.Add((JsonNode)node);
        }

        var diagnostics = new JsonArray();
        foreach (var d in result.Diagnostics)
        {
            diagnostics.Add((JsonNode)new JsonObject
            {
                ["code"] = d.Code,
                ["severity"] = d.Severity.ToString().ToLowerInvariant(),
                ["package"] = d.PackageId,
                ["version"] = d.Version,
                ["message"] = d.Message,
                ["suppressed"] = d.Suppressed,
            });
        }

        var root = new JsonObject
        {
            ["version"] = 1,
            ["project"] = projectName,
            ["mode"] = result.Mode.ToString().ToLowerInvariant(),
            ["succeeded"] = result.Succeeded,
            ["summary"] = new JsonObject { ["packages"] = result.Packages.Count, ["verified"] = result.Verified, ["unsigned"] = result.Unsigned, ["failed"] = result.Failed },
            ["packages"] = packages,
            ["diagnostics"] = diagnostics,
        };
        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    /// <summary>
    /// One line per project for normal verbosity, like NuGet's restore summary, so a passing check is visible:
    /// "Sigstore: verified 12 packages (10 from cache), 3 allowed unsigned, 1 warning in App.csproj".
    /// </summary>
    public static string ToSummaryLine(RestoreVerificationResult result, string projectName)
    {
        ArgumentNullException.ThrowIfNull(result);
        var fromCache = result.Packages.Count(p => p.Status == PackageStatus.Verified && p.FromCache);
        var warnings = result.Diagnostics.Count(d => d.Severity == DiagnosticSeverity.Warning && !d.Suppressed);
        var builder = new StringBuilder("Sigstore: verified ").Append(Plural(result.Verified, "package"));
        if (fromCache > 0)
        {
            builder.Append(" (").Append(fromCache).Append(" from cache)");
        }

        builder.Append(", ").Append(result.Unsigned).Append(" allowed unsigned");
        if (result.Failed > 0)
        {
            builder.Append(", ").Append(result.Failed).Append(result.Mode == VerificationMode.Audit ? " failed (audit)" : " failed");
        }

        builder.Append(", ").Append(Plural(warnings, "warning"));
        var suppressed = result.Diagnostics.Count(d => d.Suppressed);
        if (suppressed > 0)
        {
            builder.Append(" (").Append(suppressed).Append(" suppressed)");
        }

        return builder.Append(" in ").Append(projectName).ToString();
    }

    private static string Plural(int count, string noun) => count.ToString(System.Globalization.CultureInfo.InvariantCulture) + " " + noun + (count == 1 ? string.Empty : "s");

    /// <summary>A Markdown section: the summary line, then one row per package that failed or went unsigned, and the verified ones.</summary>
    public static string ToMarkdown(RestoreVerificationResult result, string projectName, int maxRows = 200)
    {
        ArgumentNullException.ThrowIfNull(result);
        var builder = new StringBuilder();
        var icon = result.Succeeded ? (result.Failed == 0 ? "✅" : "⚠️") : "❌";
        builder.Append("### ").Append(icon).Append(" Sigstore dependency verification: ").Append(Escape(projectName)).Append('\n').Append('\n');
        builder.Append(Escape(result.Summary)).Append('\n').Append('\n');
        builder.Append("| package | version | result | signer / problem |\n| --- | --- | --- | --- |\n");
        var rows = result.Packages.OrderBy(p => p.Status switch { PackageStatus.Failed => 0, PackageStatus.UnsignedAllowed => 1, _ => 2 }).ThenBy(p => p.Id, StringComparer.OrdinalIgnoreCase).ToList();
        foreach (var p in rows.Take(maxRows))
        {
            var code = result.Diagnostics.FirstOrDefault(d => d.PackageId == p.Id && d.Version == p.Version && d.Severity != DiagnosticSeverity.Message)?.Code;
            var status = p.Status switch { PackageStatus.Verified => "verified", PackageStatus.UnsignedAllowed => "unsigned (allowed)", _ => "failed" + (code is null ? string.Empty : $" ({code})") };
            var detail = p.Status == PackageStatus.Failed ? p.Problem : p.Signer?.Subject;
            builder.Append("| ").Append(Escape(p.Id)).Append(" | ").Append(Escape(p.Version)).Append(" | ").Append(status).Append(" | ").Append(Escape(detail ?? string.Empty)).Append(" |\n");
        }

        if (rows.Count > maxRows)
        {
            builder.Append("\n").Append(rows.Count - maxRows).Append(" more packages are in the JSON report.\n");
        }

        return builder.Append('\n').ToString();
    }

    private static string Escape(string text) => text.Replace("|", "\\|", StringComparison.Ordinal).ReplaceLineEndings(" ");
}
