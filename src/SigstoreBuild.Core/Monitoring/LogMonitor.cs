using System.Globalization;
using System.Security.Cryptography;
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

/// <summary>One log entry signed with the monitored identity: when, where in the log, what, and from which workflow and commit.</summary>
public sealed record MonitoredEntry(
    long LogIndex,
    DateTimeOffset IntegratedTime,
    string Kind,
    string? Digest,
    string SubjectAlternativeName,
    string Issuer,
    string? Workflow,
    string? Commit,
    string? Ref);

public sealed record MonitorReport(MonitorState State, long FirstIndex, long EntriesRead, IReadOnlyList<MonitoredEntry> Matches);

/// <summary>
/// Reads a Rekor v1 log from the last verified checkpoint to the current one and finds the entries whose Fulcio
/// certificate names an identity. Each step is verified against the trusted root: the new checkpoint's signature, its
/// consistency with the old one (RFC 9162: a log that rewrote history fails here), every entry's inclusion in a signed
/// tree, and each matching certificate's chain to a trusted Fulcio CA (so a self-made certificate naming you is not
/// reported as your signature).
/// </summary>
public sealed class LogMonitor(TrustedRoot trustedRoot, HttpClient? http = null, TimeProvider? time = null)
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly ServiceHttpClient _http = new(http ?? ServiceHttpClient.CreateHttpClient(), RetryPolicy.Default, time ?? TimeProvider.System, NullSigningLog.Instance);

    /// <summary>
    /// From <paramref name="previous"/>'s tree size (else <paramref name="fromIndex"/>, else the current size: nothing is
    /// read the first time) to the current checkpoint, at most <paramref name="maxEntries"/> entries.
    /// </summary>
    public async Task<MonitorReport> RunAsync(Uri logUrl, CertificateIdentity identity, MonitorState? previous, long? fromIndex, long maxEntries, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(logUrl);
        ArgumentNullException.ThrowIfNull(identity);
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

        using var head = await GetJsonAsync(logUrl, "api/v1/log", cancellationToken).ConfigureAwait(false);
        var size = head.RootElement.GetProperty("treeSize").GetInt64();
        var root = Convert.FromHexString(head.RootElement.GetProperty("rootHash").GetString()!);
        var offset = head.RootElement.TryGetProperty("inactiveShards", out var shards) && shards.ValueKind == JsonValueKind.Array
            ? shards.EnumerateArray().Sum(s => s.GetProperty("treeSize").GetInt64())
            : 0;
        // One URL may serve several logs over time (or v1 and v2 side by side): the key that signed the checkpoint decides.
        var checkpoint = head.RootElement.GetProperty("signedTreeHead").GetString();
        var log = candidates.FirstOrDefault(l => Verifies(checkpoint, l, size, root)) ?? candidates[0];
        VerifyCheckpoint(checkpoint, log, size, root, "the log's current checkpoint");

        long first;
        if (previous is not null)
        {
            await VerifyConsistencyAsync(logUrl, previous, size, root, cancellationToken).ConfigureAwait(false);
            first = offset + previous.TreeSize;
        }
        else
        {
            first = fromIndex ?? offset + size;
        }

        var last = offset + size;
        if (last - first > maxEntries)
        {
            throw new SigstoreException(MonitorCodes.TooManyEntries, $"{last - first} new entries since index {first}, more than --max-entries {maxEntries}. Raise --max-entries, or run the monitor more often.");
        }

        var matches = new List<MonitoredEntry>();
        for (var index = Math.Max(first, offset); index < last; index++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (await ReadEntryAsync(logUrl, log, index, identity, cancellationToken).ConfigureAwait(false) is { } match)
            {
                matches.Add(match);
            }
        }

        return new MonitorReport(new MonitorState(url, size, Convert.ToHexStringLower(root)), first, Math.Max(0, last - Math.Max(first, offset)), matches);
    }

    private async Task VerifyConsistencyAsync(Uri logUrl, MonitorState previous, long size, byte[] root, CancellationToken cancellationToken)
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

        using var proof = await GetJsonAsync(logUrl, $"api/v1/log/proof?firstSize={previous.TreeSize.ToString(CultureInfo.InvariantCulture)}&lastSize={size.ToString(CultureInfo.InvariantCulture)}", cancellationToken).ConfigureAwait(false);
        var hashes = proof.RootElement.GetProperty("hashes").EnumerateArray().Select(h => Convert.FromHexString(h.GetString()!)).ToList();
        if (!ConsistencyProof.Verify(previous.TreeSize, size, oldRoot, root, hashes))
        {
            throw Rewritten($"its tree of {size} entries does not extend the tree of {previous.TreeSize} entries seen last time (root {previous.RootHash})");
        }
    }

    private async Task<MonitoredEntry?> ReadEntryAsync(Uri logUrl, TransparencyLog log, long index, CertificateIdentity identity, CancellationToken cancellationToken)
    {
        using var response = await GetJsonAsync(logUrl, $"api/v1/log/entries?logIndex={index.ToString(CultureInfo.InvariantCulture)}", cancellationToken).ConfigureAwait(false);
        var entry = response.RootElement.EnumerateObject().Single().Value;
        var body = Convert.FromBase64String(entry.GetProperty("body").GetString()!);
        var integrated = DateTimeOffset.FromUnixTimeSeconds(entry.GetProperty("integratedTime").GetInt64());
        if (entry.GetProperty("logIndex").GetInt64() != index)
        {
            throw new SigstoreException(MonitorCodes.EntryNotInLog, $"The log answered the request for entry {index} with entry {entry.GetProperty("logIndex").GetInt64()}. Report this to the log's operator.");
        }

        // The entry must be in a tree the log signed.
        var inclusion = entry.GetProperty("verification").GetProperty("inclusionProof");
        var proofSize = inclusion.GetProperty("treeSize").GetInt64();
        var proofRoot = Convert.FromHexString(inclusion.GetProperty("rootHash").GetString()!);
        VerifyCheckpoint(inclusion.GetProperty("checkpoint").GetString(), log, proofSize, proofRoot, $"the checkpoint of entry {index}'s inclusion proof");
        var path = inclusion.GetProperty("hashes").EnumerateArray().Select(h => Convert.FromHexString(h.GetString()!)).ToList();
        if (!MerkleProof.VerifyInclusion(inclusion.GetProperty("logIndex").GetInt64(), proofSize, MerkleProof.HashLeaf(body), path, proofRoot))
        {
            throw new SigstoreException(MonitorCodes.EntryNotInLog, $"Entry {index} is not in the tree its inclusion proof names. The log served an entry it did not commit to; report this to its operator.");
        }

        if (EntryCertificate.Read(body) is not { } signed)
        {
            return null;
        }

        VerifiedIdentity claimed;
        try
        {
            var leaf = FulcioLeaf.Parse(signed.CertificateDer);
            claimed = leaf.Identity;
            if (!string.Equals(claimed.Issuer, identity.Issuer, StringComparison.Ordinal) || !identity.MatchesSubjectAlternativeName(claimed.SubjectAlternativeName))
            {
                return null;
            }

            // Only a certificate a trusted Fulcio issued, valid when the entry was logged, speaks for the identity.
            var issuers = FulcioAuthorities.For(trustedRoot).FindIssuers(leaf.Certificate);
            FulcioAuthorities.CheckValidAt(leaf.Certificate, issuers, integrated, "log integration time");
        }
        catch (VerificationException)
        {
            return null;
        }

        string? Extension(string oid) => claimed.Extensions.TryGetValue(FulcioExtensions.NameOf(oid)!, out var value) ? value : null;
        return new MonitoredEntry(index, integrated, signed.Kind, signed.Digest, claimed.SubjectAlternativeName, claimed.Issuer,
            Extension(FulcioExtensions.BuildSignerUri), Extension(FulcioExtensions.SourceRepositoryDigest), Extension(FulcioExtensions.SourceRepositoryRef));
    }

    private static bool Verifies(string? envelope, TransparencyLog log, long size, byte[] root)
    {
        try
        {
            SignedCheckpoint.Parse(envelope).Verify(log, rekorV2: false, size, root);
            return true;
        }
        catch (VerificationException)
        {
            return false;
        }
    }

    private static void VerifyCheckpoint(string? envelope, TransparencyLog log, long size, byte[] root, string what)
    {
        try
        {
            SignedCheckpoint.Parse(envelope).Verify(log, rekorV2: false, size, root);
        }
        catch (VerificationException ex)
        {
            throw new SigstoreException(MonitorCodes.CheckpointInvalid, $"{what} does not verify with the log's key from the trusted root ({ex.Code}: {ex.Message}). Do not trust what this log serves; check that the URL and trusted root belong together.", ex);
        }
    }

    private async Task<JsonDocument> GetJsonAsync(Uri logUrl, string path, CancellationToken cancellationToken)
    {
        var response = await _http.SendAsync("Rekor", MonitorCodes.LogUnavailable, () => new HttpRequestMessage(HttpMethod.Get, ServiceUrl.Combine(logUrl, path)), cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccess)
        {
            throw new SigstoreException(MonitorCodes.LogUnavailable, $"The log answered HTTP {(int)response.StatusCode} to {path}. Check the log URL, or try again later.");
        }

        try
        {
            return JsonDocument.Parse(response.Body);
        }
        catch (JsonException ex)
        {
            throw new SigstoreException(MonitorCodes.LogUnavailable, $"The log's answer to {path} is not JSON ({ex.Message}). Check the log URL.");
        }
    }

    private static SigstoreException Rewritten(string what) =>
        new(MonitorCodes.LogRewritten, $"The log rewrote its history: {what}. Entries it showed before may have been removed or replaced. Keep the state file as evidence, report it to the log's operator, and do not advance the state.");
}

/// <summary>The certificate and digest in a Rekor v1 entry body (hashedrekord, dsse, intoto); null for keys and other kinds.</summary>
internal sealed record EntryCertificate(string Kind, byte[] CertificateDer, string? Digest)
{
    public static EntryCertificate? Read(byte[] body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            var kind = root.GetProperty("kind").GetString();
            var spec = root.GetProperty("spec");
            (string? Pem, JsonElement? Hash) found = kind switch
            {
                "hashedrekord" => (spec.GetProperty("signature").GetProperty("publicKey").GetProperty("content").GetString(), spec.GetProperty("data").GetProperty("hash")),
                "dsse" => (spec.GetProperty("signatures")[0].GetProperty("verifier").GetString(), spec.GetProperty("payloadHash")),
                "intoto" => (spec.GetProperty("content").GetProperty("envelope").GetProperty("signatures")[0].GetProperty("publicKey").GetString(), spec.GetProperty("content").GetProperty("payloadHash")),
                _ => (null, null),
            };
            if (found.Pem is null)
            {
                return null;
            }

            var pem = Encoding.UTF8.GetString(Convert.FromBase64String(found.Pem));
            if (!PemEncoding.TryFind(pem, out var fields) || pem[fields.Label] != "CERTIFICATE")
            {
                return null;
            }

            var digest = found.Hash is { } hash ? $"{hash.GetProperty("algorithm").GetString()}:{hash.GetProperty("value").GetString()}" : null;
            return new EntryCertificate(kind!, Convert.FromBase64String(pem[fields.Base64Data]), digest);
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or FormatException or IndexOutOfRangeException)
        {
            return null;
        }
    }
}
