using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using SigstoreBuild.Diagnostics;
using SigstoreBuild.Monitoring;
using SigstoreBuild.Trust;
using SigstoreBuild.Verification;

namespace SigstoreBuild.Cli.Commands;

/// <summary>
/// <c>monitor</c>: what was signed with an identity since the last run. Reads a Rekor v1 log (REST API) or a Rekor v2
/// log (tlog-tiles) from the checkpoint in the state file to the current one (verified, consistent), reports every entry
/// whose Fulcio certificate names the identity, and exits 1 when one came from a workflow or ref outside the allow
/// list, so a scheduled job fails loudly.
/// </summary>
internal static class MonitorCommand
{
    public static Command Create(CliConsole console)
    {
        var identity = new Option<string>("--certificate-identity") { Description = "The exact certificate identity (SAN) to look for." };
        var identityRegex = SignerPolicyOptions.CreateRegex();
        var issuer = new Option<string>("--certificate-oidc-issuer") { Description = "The OIDC issuer of that identity.", Required = true };
        var log = new Option<string>("--log") { Description = "The transparency log's URL, as the trusted root names it: a Rekor v1 log (e.g. https://rekor.sigstore.dev) or a Rekor v2 log, read through its tiles.", Required = true };
        var state = new Option<FileInfo>("--state") { Description = "Where the last verified checkpoint is kept between runs (read, then updated after a clean run)." };
        var fromIndex = new Option<long?>("--from-index") { Description = "With no state yet: read from this log index (default: start at the current checkpoint and read nothing)." };
        var maxEntries = new Option<long>("--max-entries") { Description = "At most this many new entries per run.", DefaultValueFactory = _ => 100_000 };
        var allow = new Option<string[]>("--allow") { Description = "A regular expression (whole-string match) for an expected workflow (buildSignerUri) or SAN; repeatable. Any other entry is reported as unexpected and the exit code is 1.", AllowMultipleArgumentsPerToken = false };
        var output = OutputOption.Create();
        var trust = TrustOptions.Create();
        var command = new Command("monitor", "Find what was signed with an identity in a transparency log since the last run, verifying the log's consistency.")
        {
            identity, identityRegex, issuer, log, state, fromIndex, maxEntries, allow,
        };
        output.AddTo(command);
        trust.AddTo(command);
        command.Validators.Add(result =>
        {
            if ((result.GetValue(identity) is null) == (result.GetValue(identityRegex) is null))
            {
                result.AddError("Give --certificate-identity or --certificate-identity-regexp (one of them): the identity to look for.");
            }
        });

        command.SetAction(async (parse, ct) =>
        {
            var signer = parse.GetValue(identityRegex) is { } pattern
                ? CertificateIdentity.Regex(pattern, parse.GetValue(issuer)!)
                : CertificateIdentity.Exact(parse.GetValue(identity)!, parse.GetValue(issuer)!);
            var allowed = (parse.GetValue(allow) ?? []).Select(a => new Regex($"^(?:{a})$", RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1))).ToList();
            if (!Uri.TryCreate(parse.GetValue(log), UriKind.Absolute, out var logUrl))
            {
                throw new SigstoreException(SetupCodes.InvalidArgument, $"--log '{parse.GetValue(log)}' is not an absolute URL. Pass the log's URL, e.g. https://rekor.sigstore.dev.");
            }

            var statePath = parse.GetValue(state)?.FullName;
            var previous = statePath is null ? null : MonitorState.Load(statePath);
            var trustedRoot = TrustedRoot.Parse((await TrustResolver.GetAsync(trust.Read(parse), console, ct).ConfigureAwait(false)).TrustedRootJson);
            var report = await new LogMonitor(trustedRoot).RunAsync(logUrl, signer, previous, parse.GetValue(fromIndex), parse.GetValue(maxEntries), ct).ConfigureAwait(false);

            bool Expected(MonitoredEntry e) => allowed.Count == 0 || allowed.Any(a => (e.Workflow is { } w && a.IsMatch(w)) || a.IsMatch(e.SubjectAlternativeName));
            var unexpected = report.Matches.Where(e => !Expected(e)).ToList();
            if (output.IsJson(parse))
            {
                var json = new JsonObject
                {
                    ["log"] = report.State.LogUrl,
                    ["api"] = report.Api,
                    ["fromIndex"] = report.FirstIndex,
                    ["treeSize"] = report.State.TreeSize,
                    ["rootHash"] = report.State.RootHash,
                    ["entriesRead"] = report.EntriesRead,
                    ["entries"] = new JsonArray([.. report.Matches.Select(e => (JsonNode?)Describe(e, Expected(e)))]),
                };
                console.Out.WriteLine(json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
            }
            else
            {
                console.Out.WriteLine($"{report.State.LogUrl} ({report.Api}): read {report.EntriesRead} entries from index {report.FirstIndex} to the checkpoint of size {report.State.TreeSize} (consistent with the last run); {report.Matches.Count} signed by {signer}.");
                foreach (var entry in report.Matches)
                {
                    console.Out.WriteLine($"  {(Expected(entry) ? "expected  " : "UNEXPECTED")} #{entry.LogIndex} {(entry.IntegratedTime is { } logged ? Time(logged) : "certified " + Time(entry.CertificateNotBefore))} {entry.Kind} {entry.Digest} by {entry.SubjectAlternativeName}{(entry.Workflow is null ? "" : $" workflow {entry.Workflow}")}{(entry.Ref is null ? "" : $" ref {entry.Ref}")}{(entry.Commit is null ? "" : $" commit {entry.Commit}")}");
                }
            }

            // Only a clean run moves the state on: a rewritten log (an exception above) leaves the evidence as it was.
            if (statePath is not null)
            {
                report.State.Save(statePath);
            }

            foreach (var entry in unexpected)
            {
                console.Warning(MonitorCodes.UnexpectedSigning, $"log entry {entry.LogIndex} was signed by {entry.SubjectAlternativeName}{(entry.Workflow is null ? "" : $" from {entry.Workflow}")}, which no --allow expects. If it was not you, follow the playbook in docs/monitor.md now.");
            }

            return unexpected.Count == 0 ? SigstoreCommand.Success : SigstoreCommand.Failure;
        });
        return command;
    }

    private static JsonObject Describe(MonitoredEntry entry, bool expected) => new()
    {
        ["logIndex"] = entry.LogIndex,
        ["integratedTime"] = entry.IntegratedTime is { } logged ? Time(logged) : null,
        ["certificateNotBefore"] = Time(entry.CertificateNotBefore),
        ["kind"] = entry.Kind,
        ["digest"] = entry.Digest,
        ["subjectAlternativeName"] = entry.SubjectAlternativeName,
        ["issuer"] = entry.Issuer,
        ["workflow"] = entry.Workflow,
        ["ref"] = entry.Ref,
        ["commit"] = entry.Commit,
        ["expected"] = expected,
    };

    private static string Time(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
