using System.Text;
using System.Text.Json;

namespace SigstoreBuild.NuGet.Restore;

/// <summary>The JSON report under obj/ and the Markdown table for <c>$GITHUB_STEP_SUMMARY</c>.</summary>
public static class RestoreReport
{
    /// <summary>The report, written field by field: it is rewritten on every run, a cache hit included.</summary>
    public static string ToJson(RestoreVerificationResult result, string projectName)
    {
        ArgumentNullException.ThrowIfNull(result);
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            writer.WriteStartObject();
            writer.WriteNumber("version", 1);
            writer.WriteString("project", projectName);
            writer.WriteString("mode", result.Mode.ToString().ToLowerInvariant());
            writer.WriteBoolean("succeeded", result.Succeeded);
            writer.WriteStartObject("summary");
            writer.WriteNumber("packages", result.Packages.Count);
            writer.WriteNumber("verified", result.Verified);
            writer.WriteNumber("unsigned", result.Unsigned);
            writer.WriteNumber("failed", result.Failed);
            writer.WriteEndObject();
            writer.WriteStartArray("packages");
            foreach (var p in result.Packages)
            {
                writer.WriteStartObject();
                writer.WriteString("id", p.Id);
                writer.WriteString("version", p.Version);
                writer.WriteString("status", p.Status switch { PackageStatus.Verified => "verified", PackageStatus.UnsignedAllowed => "unsigned", _ => "failed" });
                writer.WriteString("contentHash", p.ContentHash);
                writer.WriteString("policy", p.Pattern);
                writer.WriteString("bundle", p.BundleLocation);
                writer.WriteBoolean("cached", p.FromCache);
                writer.WriteString("problem", p.Problem);
                if (p.Signer is not null)
                {
                    writer.WriteStartObject("signer");
                    writer.WriteString("issuer", p.Signer.Issuer);
                    writer.WriteString("subject", p.Signer.Subject);
                    writer.WriteString("sourceRepositoryIdentifier", p.Signer.SourceRepositoryIdentifier);
                    writer.WriteString("ownerIdentifier", p.Signer.OwnerIdentifier);
                    writer.WriteString("sourceRepositoryUri", p.Signer.SourceRepositoryUri);
                    writer.WriteEndObject();
                }

                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteStartArray("diagnostics");
            foreach (var d in result.Diagnostics)
            {
                writer.WriteStartObject();
                writer.WriteString("code", d.Code);
                writer.WriteString("severity", d.Severity.ToString().ToLowerInvariant());
                writer.WriteString("package", d.PackageId);
                writer.WriteString("version", d.Version);
                writer.WriteString("message", d.Message);
                writer.WriteBoolean("suppressed", d.Suppressed);
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
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
