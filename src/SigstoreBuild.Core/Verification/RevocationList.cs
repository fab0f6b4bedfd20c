using System.Globalization;
using System.Text.Json;
using SigstoreBuild.Diagnostics;
using SigstoreBuild.IO;

namespace SigstoreBuild.Verification;

/// <summary>
/// One revoked thing: signatures by an identity within a window of verified time, an artifact digest, a single log
/// entry, or a signing key. Only trust is removed: a match fails verification, nothing else changes.
/// </summary>
public sealed record Revocation
{
    public CertificateIdentity? Identity { get; init; }

    /// <summary>With <see cref="Identity"/>: the window (inclusive) that a verified time of the signature must fall in; open where null.</summary>
    public DateTimeOffset? SignedFrom { get; init; }

    public DateTimeOffset? SignedUntil { get; init; }

    /// <summary><c>sha256:&lt;hex&gt;</c>: the signed artifact's digest or an in-toto subject's.</summary>
    public string? Digest { get; init; }

    /// <summary>A log entry: the log ID (hex) and index.</summary>
    public (string LogId, long LogIndex)? LogEntry { get; init; }

    /// <summary><c>sha256:&lt;hex&gt;</c> of the signing key's SubjectPublicKeyInfo (key-signed bundles).</summary>
    public string? Key { get; init; }

    public string? Reason { get; init; }

    public override string ToString()
    {
        var what = Identity is not null
            ? $"signatures by {Identity}{string.Concat(Identity.RequiredExtensions.Select(p => $" with {FulcioExtensions.NameOf(p.Key)} '{p.Value}'"))} verified {(SignedFrom is { } from ? "from " + Time(from) + " " : "")}{(SignedUntil is { } until ? "until " + Time(until) : "")}".TrimEnd()
            : Digest is not null ? $"the digest {Digest}"
            : LogEntry is { } entry ? $"log entry {entry.LogIndex} of log {entry.LogId}"
            : $"the key {Key}";
        return Reason is null ? what : $"{what} ({Reason})";
    }

    internal static string Time(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}

/// <summary>
/// A revocation document (docs/revocation.md): <c>{"revocations": [...]}</c>, each entry naming an identity and window,
/// a digest, a log entry or a key. Parsed strictly: an unknown field or an entry that names nothing is an error, so a typo
/// never silently revokes nothing.
/// </summary>
public sealed class RevocationList
{
    private static readonly InputKind File = new("revocation list", InputFile.MaxDocumentBytes, "Pass a revocation document (docs/revocation.md).") { Code = PolicyCodes.RevocationListInvalid };

    public RevocationList(IEnumerable<Revocation> entries) => Entries = [.. entries];

    public IReadOnlyList<Revocation> Entries { get; }

    /// <summary>When the publisher issued the document ("issued", RFC 3339 UTC), so a consumer can refuse an older one it is replayed.</summary>
    public DateTimeOffset? Issued { get; private init; }

    public static RevocationList Load(string path) => Parse(InputFile.ReadAllBytes(path, File), path);

    public static RevocationList Parse(ReadOnlySpan<byte> utf8Json, string source)
    {
        try
        {
            using var document = JsonDocument.Parse(utf8Json.ToArray(), new JsonDocumentOptions { MaxDepth = 16, AllowDuplicateProperties = false });
            var root = document.RootElement;
            Known(root, source, "$", "mediaType", "issued", "revocations");
            var entries = new List<Revocation>();
            var i = 0;
            foreach (var item in root.GetProperty("revocations").EnumerateArray())
            {
                entries.Add(ParseEntry(item, source, $"$.revocations[{i++}]"));
            }

            return new RevocationList(entries) { Issued = Time(root, "issued", source, "$") };
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or FormatException or ArgumentException or NullReferenceException)
        {
            throw Invalid(source, ex.Message);
        }
    }

    /// <summary>The first revocation that applies to this verified signature, or null.</summary>
    public Revocation? FindMatch(VerificationResult result, IEnumerable<string> digests)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(digests);
        var signedDigests = digests.Select(d => d.ToLowerInvariant()).ToHashSet(StringComparer.Ordinal);
        foreach (var revocation in Entries)
        {
            if (revocation.Identity is { } identity)
            {
                // Judged by the verified times only (log integration, RFC 3161): nothing the bundle merely claims.
                if (result.Identity is { } signer
                    && identity.Matches(signer)
                    && result.VerifiedTimes.Any(t => (revocation.SignedFrom is not { } from || t.Time >= from) && (revocation.SignedUntil is not { } until || t.Time <= until)))
                {
                    return revocation;
                }
            }
            else if (revocation.Digest is { } digest)
            {
                if (signedDigests.Contains(digest))
                {
                    return revocation;
                }
            }
            else if (revocation.LogEntry is { } entry)
            {
                if (result.LogEntries.Any(e => e.LogIndex == entry.LogIndex && string.Equals(e.LogId, entry.LogId, StringComparison.OrdinalIgnoreCase)))
                {
                    return revocation;
                }
            }
            else if (revocation.Key is { } key && result.KeySha256 is { } signingKey && string.Equals(key, "sha256:" + signingKey, StringComparison.OrdinalIgnoreCase))
            {
                return revocation;
            }
        }

        return null;
    }

    private static Revocation ParseEntry(JsonElement item, string source, string path)
    {
        Known(item, source, path, "identity", "signedFrom", "signedUntil", "digest", "logEntry", "key", "reason");
        var named = new[] { "identity", "digest", "logEntry", "key" }.Where(n => item.TryGetProperty(n, out _)).ToList();
        if (named.Count != 1)
        {
            throw Invalid(source, $"{path} must name exactly one of identity, digest, logEntry or key (it names {(named.Count == 0 ? "none" : string.Join(", ", named))})");
        }

        var revocation = new Revocation { Reason = item.TryGetProperty("reason", out var reason) ? reason.GetString() : null };
        switch (named[0])
        {
            case "identity":
                var identity = item.GetProperty("identity");
                Known(identity, source, path + ".identity", "issuer", "subject", "subjectRegex", "extensions");
                var issuer = identity.GetProperty("issuer").GetString()!;
                var subject = identity.TryGetProperty("subject", out var s) ? s.GetString() : null;
                var regex = identity.TryGetProperty("subjectRegex", out var r) ? r.GetString() : null;
                if ((subject is null) == (regex is null))
                {
                    throw Invalid(source, $"{path}.identity needs exactly one of subject or subjectRegex");
                }

                var revoked = regex is not null ? CertificateIdentity.Regex(regex, issuer) : CertificateIdentity.Exact(subject!, issuer);
                if (identity.TryGetProperty("extensions", out var pins))
                {
                    // Narrows the revocation to signatures from, say, one workflow ref: "extensions": {"sourceRepositoryRef": "refs/heads/main"}.
                    foreach (var pin in pins.EnumerateObject())
                    {
                        var oid = FulcioExtensions.OidOf(pin.Name);
                        if (oid is null or FulcioExtensions.Issuer or FulcioExtensions.IssuerV1 || pin.Value.ValueKind != JsonValueKind.String)
                        {
                            throw Invalid(source, $"{path}.identity.extensions.{pin.Name} is not a Fulcio extension that can be pinned with a string (such as sourceRepositoryRef, buildSignerUri, sourceRepositoryDigest)");
                        }

                        revoked = revoked.WithExtension(oid, pin.Value.GetString()!);
                    }
                }

                revocation = revocation with
                {
                    Identity = revoked,
                    SignedFrom = Time(item, "signedFrom", source, path),
                    SignedUntil = Time(item, "signedUntil", source, path),
                };
                if (revocation.SignedFrom > revocation.SignedUntil)
                {
                    throw Invalid(source, $"{path}: signedFrom is after signedUntil");
                }

                return revocation;
            case "digest":
                return revocation with { Digest = Sha256(item.GetProperty("digest").GetString(), source, path + ".digest") };
            case "key":
                return revocation with { Key = Sha256(item.GetProperty("key").GetString(), source, path + ".key") };
            default:
                var entry = item.GetProperty("logEntry");
                Known(entry, source, path + ".logEntry", "logId", "logIndex");
                var logId = entry.GetProperty("logId").GetString()!;
                if (logId.Length != 64 || !logId.All(char.IsAsciiHexDigit))
                {
                    throw Invalid(source, $"{path}.logEntry.logId is the log's ID as 64 hex digits");
                }

                return revocation with { LogEntry = (logId.ToLowerInvariant(), entry.GetProperty("logIndex").GetInt64()) };
        }
    }

    private static DateTimeOffset? Time(JsonElement item, string name, string source, string path)
    {
        if (!item.TryGetProperty(name, out var value))
        {
            return null;
        }

        if ((path != "$" && item.TryGetProperty("identity", out _) is false) || !DateTimeOffset.TryParse(value.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time) || !value.GetString()!.EndsWith('Z'))
        {
            throw Invalid(source, $"{path}.{name} is an RFC 3339 UTC time such as 2026-12-01T10:00:00Z");
        }

        return time;
    }

    private static string Sha256(string? value, string source, string path)
    {
        if (value is not { Length: 71 } || !value.StartsWith("sha256:", StringComparison.OrdinalIgnoreCase) || !value[7..].All(char.IsAsciiHexDigit))
        {
            throw Invalid(source, $"{path} is sha256:<64 hex digits>");
        }

        return value.ToLowerInvariant();
    }

    private static void Known(JsonElement element, string source, string path, params string[] names)
    {
        foreach (var property in element.EnumerateObject())
        {
            if (!names.Contains(property.Name, StringComparer.Ordinal))
            {
                throw Invalid(source, $"{path} has the unknown field '{property.Name}' (known: {string.Join(", ", names)})");
            }
        }
    }

    private static SigstoreException Invalid(string source, string what) =>
        new(PolicyCodes.RevocationListInvalid, $"The revocation list '{source}' is invalid: {what}. Fix it (docs/revocation.md describes the format); nothing is verified against a list that cannot be read.");
}
