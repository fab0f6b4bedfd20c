using System.Text;
using SigstoreBuild.Tasks.Signing;

namespace SigstoreBuild.Tasks.Reporting;

/// <summary>Appends a Markdown table to <c>$GITHUB_STEP_SUMMARY</c> when GitHub Actions provides one.</summary>
internal static class StepSummary
{
    public static void Append(ITaskEnvironment environment, string title, IReadOnlyList<SignedArtifactRow> rows)
    {
        var path = environment.Get("GITHUB_STEP_SUMMARY");
        if (path is null || rows.Count == 0)
        {
            return;
        }

        var text = new StringBuilder();
        text.Append("### Sigstore: ").AppendLine(Escape(title)).AppendLine();
        text.AppendLine("| artifact | subject | sha256 | signer | log index | bundle | status |");
        text.AppendLine("| --- | --- | --- | --- | --- | --- | --- |");
        foreach (var row in rows)
        {
            text.Append("| ").Append(Escape(row.Artifact))
                .Append(" | `").Append(Escape(row.Subject))
                .Append("` | `").Append(row.Sha256.AsSpan(0, Math.Min(16, row.Sha256.Length))).Append("…")
                .Append("` | ").Append(Escape(row.Identity ?? ""))
                .Append(" | ").Append(row.LogIndex?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "")
                .Append(" | ").Append(Escape(row.Bundle))
                .Append(" | ").Append(Escape(row.Status)).AppendLine(" |");
        }

        text.AppendLine();

        // One append per call: concurrent MSBuild nodes each add whole tables.
        using var stream = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite);
        var bytes = Encoding.UTF8.GetBytes(text.ToString());
        stream.Write(bytes);
    }

    private static string Escape(string value) => value.Replace("|", "\\|", StringComparison.Ordinal).Replace("\n", " ", StringComparison.Ordinal);
}
