using System.Globalization;
using System.Text;
using System.Text.Json;
using SigstoreBuild.Diagnostics;
using SigstoreBuild.IO;
using SigstoreBuild.Signing;
using SigstoreBuild.Signing.Transport;
using SigstoreBuild.Trust;
using SigstoreBuild.Verification;
using SigstoreBuild.Verification.Certificates;
using SigstoreBuild.Verification.Tlog;

namespace SigstoreBuild.Monitoring;

/// <summary>Where the last run stopped: the log's tree size and root hash, from a checkpoint that verified.</summary>
public sealed record MonitorState(string LogUrl, long TreeSize, string RootHash)
{
    private static readonly InputKind StateFile = new("monitor state", 64 * 1024, "Pass the file a previous 'sigstore monitor' run wrote, or delete it to start again from the current checkpoint.") { Code = MonitorCodes.StateInvalid };

    public static MonitorState? Load(string path)
    {
        if (!File.Exists(path))
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(InputFile.ReadAllBytes(path, StateFile));
            var root = document.RootElement;
            var state = new MonitorState(root.GetProperty("logUrl").GetString()!, root.GetProperty("treeSize").GetInt64(), root.GetProperty("rootHash").GetString()!);
            return state.TreeSize >= 0 && state.RootHash.Length == 64 ? state : throw new FormatException("bad size or root hash");
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new SigstoreException(MonitorCodes.StateInvalid, $"The monitor state '{path}' is not one 'sigstore monitor' wrote ({ex.Message}). Restore it from the last good run, or delete it to start again from the current checkpoint.");
        }
    }

    /// <summary>Written atomically: a run that fails half-way leaves the previous state.</summary>
    public void Save(string path)
    {
        var json = Encoding.UTF8.GetBytes(new System.Text.Json.Nodes.JsonObject { ["logUrl"] = LogUrl, ["treeSize"] = TreeSize, ["rootHash"] = RootHash }.ToJsonString());
        var full = Path.GetFullPath(path);
        var temp = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            File.WriteAllBytes(temp, json);
            File.Move(temp, full, overwrite: true);
        }
        finally
        {
            File.Delete(temp);
        }
    }
}

/// <summary>
/// One log entry signed with the monitored identity: when, where in the log, what, and from which workflow and commit.
/// <see cref="IntegratedTime"/> is the log's own time (Rekor v1); Rekor v2 entries have none, so
/// <see cref="CertificateNotBefore"/>, when Fulcio issued the short-lived certificate, dates them.
/// </summary>
public sealed record MonitoredEntry(
    long LogIndex,
    DateTimeOffset? IntegratedTime,
    DateTimeOffset CertificateNotBefore,
    string Kind,
    string? Digest,
    string SubjectAlternativeName,
    string Issuer,
    string? Workflow,
    string? Commit,
    string? Ref);

/// <param name="Api">How the log was read: <c>rekor-v1</c> (its REST API) or <c>tlog-tiles</c> (Rekor v2).</param>
public sealed record MonitorReport(MonitorState State, string Api, long FirstIndex, long EntriesRead, IReadOnlyList<MonitoredEntry> Matches);

/// <summary>
/// Reads a transparency log from the last verified checkpoint to the current one and finds the entries whose Fulcio
/// certificate names an identity: Rekor v1 through its REST API, Rekor v2 through its C2SP tlog-tiles read API,
/// whichever the URL serves. Each step is verified against the trusted root: the new checkpoint's signature, its
/// consistency with the old one (RFC 9162: a log that rewrote history fails here), every entry's inclusion in a signed
/// tree, and each matching certificate's chain to a trusted Fulcio CA (so a self-made certificate naming you is not
/// reported as your signature).
/// </summary>
public sealed class LogMonitor(TrustedRoot trustedRoot, HttpClient? http = null, TimeProvider? time = null)
{
    private const string RekorV1Api = "rekor-v1";
    private const string TilesApi = "tlog-tiles";

    // Rekor v1 returns at most ten entries per retrieve request.
    private const int RetrieveBatch = 10;

    // An entry bundle holds up to 256 entries of up to 64 KiB each.
    private readonly ServiceHttpClient _http = new(http ?? ServiceHttpClient.CreateHttpClient(), RetryPolicy.Default with { MaxResponseBytes = 17 * 1024 * 1024 },
        time ?? TimeProvider.System, NullSigningLog.Instance);

    /// <summary>
    /// From <paramref name="previous"/>'s tree size (else <paramref name="fromIndex"/>, else the current size: nothing is
    /// read the first time) to the current checkpoint, at most <paramref name="maxEntries"/> entries.
    /// </summary>
    public async Task<MonitorReport> RunAsync(Uri logUrl, CertificateIdentity identity, MonitorState? previous, long? fromIndex, long maxEntries, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(logUrl);
        ArgumentNullException.ThrowIfNull(identity);
        try
        {
            return await RunCoreAsync(logUrl, identity, previous, fromIndex, maxEntries, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is KeyNotFoundException or InvalidOperationException or FormatException or IndexOutOfRangeException)
        {
            // A member missing or of the wrong type in the log's JSON: nothing it said can be relied on.
            throw new SigstoreException(MonitorCodes.LogUnavailable, $"The log's answer is not what its API returns ({ex.Message}). Check the log URL; nothing was reported and the state file is unchanged.", ex);
        }
    }

    private async Task<MonitorReport> RunCoreAsync(Uri logUrl, CertificateIdentity identity, MonitorState? previous, long? fromIndex, long maxEntries, CancellationToken cancellationToken)
    {
        var url = logUrl.AbsoluteUri.TrimEnd('/');
        if (previous is not null && !string.Equals(previous.LogUrl.TrimEnd('/'), url, StringComparison.Ordinal))
        {
            throw new SigstoreException(MonitorCodes.StateInvalid, $"The state file records the log {previous.LogUrl}, not {url}. Use one state file per log.");
        }

        var candidates = trustedRoot.TransparencyLogs.Where(l => string.Equals(l.BaseUrl?.TrimEnd('/'), url, StringComparison.Ordinal)).ToList();
        if (candidates.Count == 0)
        {
            throw new SigstoreException(MonitorCodes.LogNotTrusted, $"The trusted root has no transparency log at {url}, so its checkpoints cannot be verified. Pass the log's URL exactly as the trusted root names it, or the trusted root of that instance.");
        }

        var head = await ReadHeadAsync(logUrl, cancellationToken).ConfigureAwait(false);
        var rekorV2 = head.Api == TilesApi;

        // One URL may have served several logs over time: the key that signed the checkpoint decides.
        var log = candidates.FirstOrDefault(l => Verifies(head.Checkpoint, l, rekorV2, head.Size, head.Root)) ?? candidates[0];
        VerifyCheckpoint(head.Checkpoint, log, rekorV2, head.Size, head.Root, "the log's current checkpoint");
        var tiles = rekorV2 ? new LogTiles(head.Size, (path, ct) => GetAsync(logUrl, path, allowMissing: true, ct)) : null;
        if (tiles is not null && head.Size > 0 && !(await tiles.HashAsync(0, head.Size, cancellationToken).ConfigureAwait(false)).AsSpan().SequenceEqual(head.Root))
        {
            throw new SigstoreException(MonitorCodes.TilesInconsistent, $"The log's tiles do not hash to the root hash its signed checkpoint of {head.Size} entries names. It serves other entries than it signed; report this to its operator.");
        }

        long first;
        if (previous is not null)
        {
            await VerifyConsistencyAsync(logUrl, tiles, previous, head.Size, head.Root, cancellationToken).ConfigureAwait(false);
            first = head.Offset + previous.TreeSize;
        }
        else
        {
            first = fromIndex ?? head.Offset + head.Size;
        }

        var last = head.Offset + head.Size;
        if (last - first > maxEntries)
        {
            throw new SigstoreException(MonitorCodes.TooManyEntries, $"{last - first} new entries since index {first}, more than --max-entries {maxEntries}. Raise --max-entries, or run the monitor more often.");
        }

        var matches = new List<MonitoredEntry>();
        var from = Math.Max(first, head.Offset);
        if (tiles is not null)
        {
            for (var bundle = from / LogTiles.Width; bundle * LogTiles.Width < last; bundle++)
            {
                var entries = await tiles.EntriesAsync(bundle, cancellationToken).ConfigureAwait(false);
                for (var index = Math.Max(from, bundle * LogTiles.Width); index < Math.Min(last, (bundle + 1) * LogTiles.Width); index++)
                {
                    var body = entries[(int)(index - (bundle * LogTiles.Width))];
                    var path = await tiles.InclusionProofAsync(index, cancellationToken).ConfigureAwait(false);
                    if (!MerkleProof.VerifyInclusion(index, head.Size, MerkleProof.HashLeaf(body), path, head.Root))
                    {
                        throw new SigstoreException(MonitorCodes.EntryNotInLog, $"Entry {index} of the entry bundle is not in the tree the log's checkpoint signs. The log served an entry it did not commit to; report this to its operator.");
                    }

                    if (Match(index, body, integratedTime: null, identity) is { } match)
                    {
                        matches.Add(match);
                    }
                }
            }
        }
        else
        {
            // Each v1 entry comes with a proof against the tree current when it was served; every such tree must be
            // consistent with the run's checkpoint, or the log shows different histories to different readers.
            var consistent = new HashSet<(long, string)> { (head.Size, Convert.ToHexString(head.Root)) };
            for (var batch = from; batch < last; batch += RetrieveBatch)
            {
                cancellationToken.ThrowIfCancellationRequested();
                foreach (var (index, body, integrated, tree) in await ReadEntriesAsync(logUrl, log, batch, (int)Math.Min(RetrieveBatch, last - batch), head.Offset, cancellationToken).ConfigureAwait(false))
                {
                    if (consistent.Add((tree.Size, Convert.ToHexString(tree.Root))))
                    {
                        await VerifyTreesConsistentAsync(logUrl, (head.Size, head.Root), tree, cancellationToken).ConfigureAwait(false);
                    }

                    if (Match(index, body, integrated, identity) is { } match)
                    {
                        matches.Add(match);
                    }
                }
            }
        }

        return new MonitorReport(new MonitorState(url, head.Size, Convert.ToHexStringLower(head.Root)), head.Api, first, Math.Max(0, last - from), matches);
    }

    private sealed record LogHead(string Api, long Size, byte[] Root, string? Checkpoint, long Offset);

    /// <summary>Rekor v1's <c>api/v1/log</c> if the URL serves it, else a tlog-tiles <c>checkpoint</c>.</summary>
    private async Task<LogHead> ReadHeadAsync(Uri logUrl, CancellationToken cancellationToken)
    {
        if (await GetAsync(logUrl, "api/v1/log", allowMissing: true, cancellationToken).ConfigureAwait(false) is { } info)
        {
            using var head = ParseJson(info, "api/v1/log");
            var root = head.RootElement;
            var offset = root.TryGetProperty("inactiveShards", out var shards) && shards.ValueKind == JsonValueKind.Array
                ? shards.EnumerateArray().Sum(s => s.GetProperty("treeSize").GetInt64())
                : 0;
            return new LogHead(RekorV1Api, root.GetProperty("treeSize").GetInt64(), Convert.FromHexString(root.GetProperty("rootHash").GetString()!),
                root.GetProperty("signedTreeHead").GetString(), offset);
        }

        var note = await GetAsync(logUrl, "checkpoint", allowMissing: true, cancellationToken).ConfigureAwait(false)
            ?? throw new SigstoreException(MonitorCodes.LogUnavailable, $"{logUrl} serves neither the Rekor v1 API (api/v1/log) nor a tlog-tiles checkpoint. Check the log URL.");
        var text = Encoding.UTF8.GetString(note);
        SignedCheckpoint checkpoint;
        try
        {
            checkpoint = SignedCheckpoint.Parse(text);
        }
        catch (VerificationException ex)
        {
            throw new SigstoreException(MonitorCodes.CheckpointInvalid, $"The log's checkpoint is not a signed checkpoint ({ex.Message}). Check the log URL.", ex);
        }

        return new LogHead(TilesApi, checkpoint.Size, checkpoint.RootHash, text, 0);
    }

    private async Task VerifyConsistencyAsync(Uri logUrl, LogTiles? tiles, MonitorState previous, long size, byte[] root, CancellationToken cancellationToken)
    {
        var oldRoot = Convert.FromHexString(previous.RootHash);
        if (size < previous.TreeSize)
        {
            throw Rewritten($"it now has {size} entries, fewer than the {previous.TreeSize} it had signed before");
        }

        if (size == previous.TreeSize)
        {
            if (!oldRoot.AsSpan().SequenceEqual(root))
            {
                throw Rewritten($"its tree of {size} entries now has another root hash");
            }

            return;
        }

        if (previous.TreeSize == 0)
        {
            return;
        }

        List<byte[]> hashes;
        if (tiles is not null)
        {
            hashes = await tiles.ConsistencyProofAsync(previous.TreeSize, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            hashes = await ConsistencyProofV1Async(logUrl, previous.TreeSize, size, cancellationToken).ConfigureAwait(false);
        }

        if (!ConsistencyProof.Verify(previous.TreeSize, size, oldRoot, root, hashes))
        {
            throw Rewritten($"its tree of {size} entries does not extend the tree of {previous.TreeSize} entries seen last time (root {previous.RootHash})");
        }
    }

    private async Task VerifyTreesConsistentAsync(Uri logUrl, (long Size, byte[] Root) run, (long Size, byte[] Root) entry, CancellationToken cancellationToken)
    {
        var (older, newer) = run.Size <= entry.Size ? (run, entry) : (entry, run);
        var hashes = older.Size == newer.Size || older.Size == 0 ? [] : await ConsistencyProofV1Async(logUrl, older.Size, newer.Size, cancellationToken).ConfigureAwait(false);
        var consistent = older.Size == 0 || (older.Size == newer.Size ? older.Root.AsSpan().SequenceEqual(newer.Root) : ConsistencyProof.Verify(older.Size, newer.Size, older.Root, newer.Root, hashes));
        if (!consistent)
        {
            throw Rewritten($"an entry's inclusion proof names a tree of {entry.Size} entries that is not consistent with its checkpoint of {run.Size} entries read at the start of this run");
        }
    }

    private async Task<List<byte[]>> ConsistencyProofV1Async(Uri logUrl, long first, long second, CancellationToken cancellationToken)
    {
        const string What = "api/v1/log/proof";
        using var proof = ParseJson((await GetAsync(logUrl, $"{What}?firstSize={first.ToString(CultureInfo.InvariantCulture)}&lastSize={second.ToString(CultureInfo.InvariantCulture)}", allowMissing: false, cancellationToken).ConfigureAwait(false))!, What);
        return [.. proof.RootElement.GetProperty("hashes").EnumerateArray().Select(h => Convert.FromHexString(h.GetString()!))];
    }

    /// <summary>
    /// Rekor v1 entries <paramref name="first"/> to <paramref name="first"/> + <paramref name="count"/> - 1, in one
    /// retrieve request, each proven to be in a tree the log signed (the tree its own inclusion proof names).
    /// </summary>
    private async Task<List<(long Index, byte[] Body, DateTimeOffset IntegratedTime, (long Size, byte[] Root) Tree)>> ReadEntriesAsync(
        Uri logUrl, TransparencyLog log, long first, int count, long offset, CancellationToken cancellationToken)
    {
        const string Path = "api/v1/log/entries/retrieve";
        var request = new System.Text.Json.Nodes.JsonObject { ["logIndexes"] = new System.Text.Json.Nodes.JsonArray([.. Enumerable.Range(0, count).Select(i => (System.Text.Json.Nodes.JsonNode)(first + i))]) }.ToJsonString();
        var response = await _http.SendAsync("the log", MonitorCodes.LogUnavailable, () => new HttpRequestMessage(HttpMethod.Post, ServiceUrl.Combine(logUrl, Path))
        {
            Content = new StringContent(request, Encoding.UTF8, "application/json"),
        }, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccess)
        {
            throw new SigstoreException(MonitorCodes.LogUnavailable, $"The log answered HTTP {(int)response.StatusCode} to {Path} for entries {first} to {first + count - 1}. Check the log URL, or try again later.");
        }

        using var document = ParseJson(response.Body, Path);
        var byIndex = new Dictionary<long, JsonElement>();
        foreach (var entry in document.RootElement.EnumerateArray().SelectMany(item => item.EnumerateObject()).Select(p => p.Value))
        {
            // The entry's own logIndex is only a label: the proof checked below decides where it is.
            byIndex.TryAdd(entry.GetProperty("logIndex").GetInt64(), entry);
        }

        var entries = new List<(long, byte[], DateTimeOffset, (long, byte[]))>(count);
        for (var index = first; index < first + count; index++)
        {
            if (!byIndex.TryGetValue(index, out var entry))
            {
                throw new SigstoreException(MonitorCodes.EntryNotInLog, $"The log did not return entry {index}, which its checkpoint covers. Report this to the log's operator.");
            }

            var (body, integrated, tree) = VerifyEntry(entry, log, index, offset);
            entries.Add((index, body, integrated, tree));
        }

        return entries;
    }

    private static (byte[] Body, DateTimeOffset IntegratedTime, (long Size, byte[] Root) Tree) VerifyEntry(JsonElement entry, TransparencyLog log, long index, long offset)
    {
        var body = Convert.FromBase64String(entry.GetProperty("body").GetString()!);
        var integrated = DateTimeOffset.FromUnixTimeSeconds(entry.GetProperty("integratedTime").GetInt64());
        var inclusion = entry.GetProperty("verification").GetProperty("inclusionProof");
        var proofSize = inclusion.GetProperty("treeSize").GetInt64();
        var proofRoot = Convert.FromHexString(inclusion.GetProperty("rootHash").GetString()!);
        VerifyCheckpoint(inclusion.GetProperty("checkpoint").GetString(), log, rekorV2: false, proofSize, proofRoot, $"the checkpoint of entry {index}'s inclusion proof");
        var hashes = inclusion.GetProperty("hashes").EnumerateArray().Select(h => Convert.FromHexString(h.GetString()!)).ToList();
        // The proof must be for the position asked for: the entry's own logIndex is not signed, so a log could label
        // another committed entry with this index and hide the one really there.
        if (inclusion.GetProperty("logIndex").GetInt64() != index - offset)
        {
            throw new SigstoreException(MonitorCodes.EntryNotInLog, $"The log answered the request for entry {index} with a proof for position {inclusion.GetProperty("logIndex").GetInt64()} of its tree, not {index - offset}. It may be hiding the entry at that position; report this to the log's operator.");
        }

        if (!MerkleProof.VerifyInclusion(index - offset, proofSize, MerkleProof.HashLeaf(body), hashes, proofRoot))
        {
            throw new SigstoreException(MonitorCodes.EntryNotInLog, $"Entry {index} is not in the tree its inclusion proof names. The log served an entry it did not commit to; report this to its operator.");
        }

        return (body, integrated, (proofSize, proofRoot));
    }

    /// <summary>The first of the entry's signing certificates that names the identity and chains to a trusted Fulcio.</summary>
    private MonitoredEntry? Match(long index, byte[] body, DateTimeOffset? integratedTime, CertificateIdentity identity)
    {
        foreach (var signed in EntryCertificate.Read(body))
        {
            if (Match(index, signed, integratedTime, identity) is { } match)
            {
                return match;
            }
        }

        return null;
    }

    private MonitoredEntry? Match(long index, EntryCertificate signed, DateTimeOffset? integratedTime, CertificateIdentity identity)
    {
        VerifiedIdentity claimed;
        DateTimeOffset notBefore;
        try
        {
            var leaf = FulcioLeaf.Parse(signed.CertificateDer);
            claimed = leaf.Identity;
            if (!string.Equals(claimed.Issuer, identity.Issuer, StringComparison.Ordinal) || !identity.MatchesSubjectAlternativeName(claimed.SubjectAlternativeName))
            {
                return null;
            }

            // Only a certificate a trusted Fulcio issued speaks for the identity: valid when the entry was logged (v1), or
            // when it was issued (v2 records no time).
            notBefore = leaf.Certificate.NotBefore;
            var issuers = FulcioAuthorities.For(trustedRoot).FindIssuers(leaf.Certificate);
            FulcioAuthorities.CheckValidAt(leaf.Certificate, issuers, integratedTime ?? notBefore, integratedTime is null ? "certificate issuance" : "log integration time");
        }
        catch (VerificationException)
        {
            return null;
        }

        string? Extension(string oid) => claimed.Extensions.TryGetValue(FulcioExtensions.NameOf(oid)!, out var value) ? value : null;
        return new MonitoredEntry(index, integratedTime, notBefore, signed.Kind, signed.Digest, claimed.SubjectAlternativeName, claimed.Issuer,
            Extension(FulcioExtensions.BuildSignerUri), Extension(FulcioExtensions.SourceRepositoryDigest), Extension(FulcioExtensions.SourceRepositoryRef));
    }

    private static bool Verifies(string? envelope, TransparencyLog log, bool rekorV2, long size, byte[] root)
    {
        try
        {
            SignedCheckpoint.Parse(envelope).Verify(log, rekorV2, size, root);
            return true;
        }
        catch (VerificationException)
        {
            return false;
        }
    }

    private static void VerifyCheckpoint(string? envelope, TransparencyLog log, bool rekorV2, long size, byte[] root, string what)
    {
        try
        {
            SignedCheckpoint.Parse(envelope).Verify(log, rekorV2, size, root);
        }
        catch (VerificationException ex)
        {
            throw new SigstoreException(MonitorCodes.CheckpointInvalid, $"{what} does not verify with the log's key from the trusted root ({ex.Code}: {ex.Message}). Do not trust what this log serves; check that the URL and trusted root belong together.", ex);
        }
    }

    /// <summary>The body of a GET; null for a 404 when <paramref name="allowMissing"/>.</summary>
    private async Task<byte[]?> GetAsync(Uri logUrl, string path, bool allowMissing, CancellationToken cancellationToken)
    {
        var response = await _http.SendAsync("the log", MonitorCodes.LogUnavailable, () => new HttpRequestMessage(HttpMethod.Get, ServiceUrl.Combine(logUrl, path)), cancellationToken).ConfigureAwait(false);
        if (allowMissing && response.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            return null;
        }

        if (!response.IsSuccess)
        {
            throw new SigstoreException(MonitorCodes.LogUnavailable, $"The log answered HTTP {(int)response.StatusCode} to {path}. Check the log URL, or try again later.");
        }

        return response.Body;
    }

    private static JsonDocument ParseJson(byte[] body, string path)
    {
        try
        {
            return JsonDocument.Parse(body);
        }
        catch (JsonException ex)
        {
            throw new SigstoreException(MonitorCodes.LogUnavailable, $"The log's answer to {path} is not JSON ({ex.Message}). Check the log URL.");
        }
    }

    private static SigstoreException Rewritten(string what) =>
        new(MonitorCodes.LogRewritten, $"The log rewrote its history: {what}. Entries it showed before may have been removed or replaced. Keep the state file as evidence, report it to the log's operator, and do not advance the state.");
}
