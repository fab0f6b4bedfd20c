using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using SigstoreBuild.Diagnostics;
using SigstoreBuild.LocalStack.Pki;
using SigstoreBuild.Tuf;

namespace SigstoreBuild.LocalStack.Tuf;

/// <summary>
/// The instance's TUF repository (TUF 1.0, consistent snapshots), persisted in <c>DIR/tuf</c> and served at
/// <c>{base}/tuf/</c>: <c>N.root.json</c>, <c>timestamp.json</c>, <c>N.snapshot.json</c>, <c>N.targets.json</c> and
/// <c>targets/SHA256.NAME</c>. One ECDSA P-256 key per top-level role, threshold 1, keys in <c>DIR/keys/tuf-*.key.pem</c>.
/// <see cref="Publish"/> runs at start: it continues the persisted repository, bumping versions only where something
/// changed (targets content, a role key, an expiry), and always signs a new timestamp. While running,
/// <see cref="RenewExpiring"/> re-signs any role past half of its lifetime. The current root is also written to
/// <c>DIR/tuf-root.json</c>, the root to hand to clients out of band.
/// </summary>
public sealed class TufRepository : IDisposable
{
    public const string TrustedRootTarget = "trusted_root.json";

    /// <summary>The name Sigstore's repositories (and our client) use for the v0.2 signing config.</summary>
    public const string SigningConfigTarget = "signing_config.v0.2.json";

    public const string SpecVersion = "1.0.31";

    private const string RootRole = "root";
    private const string TimestampRole = "timestamp";
    private const string SnapshotRole = "snapshot";
    private const string TargetsRole = "targets";

    private static readonly string[] s_roles = [RootRole, SnapshotRole, TargetsRole, TimestampRole];
    private static readonly Regex s_fileName = new("^[A-Za-z0-9][A-Za-z0-9._-]{0,250}\\.json$", RegexOptions.CultureInvariant);
    private static readonly JsonSerializerOptions s_json = new() { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly Lock _gate = new();
    private readonly TimeProvider _time;
    private readonly Dictionary<string, TufSigningKey> _keys;
    private SortedDictionary<string, (long Length, string Sha256)> _listing = new(StringComparer.Ordinal);
    private Published? _root;
    private Published? _timestamp;
    private Published? _snapshot;
    private Published? _targets;

    private TufRepository(string dataDirectory, Dictionary<string, TufSigningKey> keys, TimeProvider time)
    {
        Directory = Path.Combine(dataDirectory, "tuf");
        InitialRootPath = Path.Combine(dataDirectory, "tuf-root.json");
        _keys = keys;
        _time = time;
    }

    /// <summary>Lifetime of a new root; it is re-signed (version + 1, same keys) when less than half remains.</summary>
    public static TimeSpan RootLifetime { get; } = TimeSpan.FromDays(365);

    public static TimeSpan TargetsLifetime { get; } = TimeSpan.FromDays(90);

    public static TimeSpan SnapshotLifetime { get; } = TimeSpan.FromDays(7);

    public static TimeSpan TimestampLifetime { get; } = TimeSpan.FromDays(1);

    /// <summary>The served tree: metadata here, target files in <c>targets/</c>.</summary>
    public string Directory { get; }

    /// <summary><c>DIR/tuf-root.json</c>: the current root, for <c>--tuf-root</c> / <c>SigstoreTufRootPath</c>.</summary>
    public string InitialRootPath { get; }

    public long RootVersion => Current(() => _root).Version;

    public long TimestampVersion => Current(() => _timestamp).Version;

    public long SnapshotVersion => Current(() => _snapshot).Version;

    public long TargetsVersion => Current(() => _targets).Version;

    public DateTimeOffset TimestampExpires => Current(() => _timestamp).Expires;

    internal static TufRepository Open(string dataDirectory, PersistedMaterial material, TimeProvider time)
    {
        var keys = new Dictionary<string, TufSigningKey>(StringComparer.Ordinal);
        foreach (var role in s_roles)
        {
            keys[role] = TufSigningKey.LoadOrCreate(material, role);
        }

        return new TufRepository(dataDirectory, keys, time);
    }

    /// <summary>
    /// Publishes <paramref name="targets"/> (name → exact bytes): continues the persisted repository or creates version 1.
    /// Throws <see cref="LocalStackCodes.TufRepositoryInvalid"/> when the persisted repository is corrupt or its root key lost.
    /// </summary>
    public void Publish(IReadOnlyDictionary<string, byte[]> targets)
    {
        ArgumentNullException.ThrowIfNull(targets);
        lock (_gate)
        {
            var now = Now();
            try
            {
                System.IO.Directory.CreateDirectory(Path.Combine(Directory, "targets"));
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new SigstoreException(LocalStackCodes.DataDirectoryUnusable, $"The TUF directory '{Directory}' cannot be created ({ex.Message}). Choose a writable --data-dir.", ex);
            }

            var root = LoadOrRotateRoot(now);
            var existingTimestamp = ReadChained<TimestampMetadata>("timestamp.json", d => TimestampMetadata.Parse(d));
            var existingSnapshot = existingTimestamp is null ? null
                : ReadChained<SnapshotMetadata>($"{existingTimestamp.SnapshotMeta.Version}.snapshot.json", d => SnapshotMetadata.Parse(d), required: true);
            TargetsMetadata? existingTargets = null;
            if (existingSnapshot is not null)
            {
                if (!existingSnapshot.Meta.TryGetValue("targets.json", out var targetsMeta))
                {
                    throw Invalid($"{existingSnapshot.Version}.snapshot.json does not list targets.json");
                }

                existingTargets = ReadChained<TargetsMetadata>($"{targetsMeta.Version}.targets.json", d => TargetsMetadata.Parse(d), required: true);
            }

            _listing = WriteTargetFiles(targets);
            bool targetsChanged = existingTargets is null || !SameListing(existingTargets, _listing) || !IsUsable(root, TargetsRole, existingTargets, TargetsLifetime, now);
            _targets = targetsChanged
                ? SignTargets(NextVersion(TargetsRole, existingTargets), now)
                : Existing(existingTargets!, $"{existingTargets!.Version}.targets.json");
            bool snapshotChanged = targetsChanged || !IsUsable(root, SnapshotRole, existingSnapshot!, SnapshotLifetime, now);
            _snapshot = snapshotChanged
                ? SignSnapshot(NextVersion(SnapshotRole, existingSnapshot), now)
                : Existing(existingSnapshot!, $"{existingSnapshot!.Version}.snapshot.json");

            // Always a fresh timestamp at start, so a restarted instance never serves one near expiry.
            _timestamp = SignTimestamp((existingTimestamp?.Version ?? 0) + 1, now);
        }
    }

    /// <summary>Re-signs any role with less than half of its lifetime left (cheap when nothing is due). Called on every TUF request.</summary>
    public void RenewExpiring()
    {
        lock (_gate)
        {
            if (_root is null || _targets is null || _snapshot is null || _timestamp is null)
            {
                return;
            }

            var now = Now();
            if (IsDue(_root, RootLifetime, now))
            {
                _root = SignRoot(_root.Version + 1, now);
            }

            bool targets = IsDue(_targets, TargetsLifetime, now);
            if (targets)
            {
                _targets = SignTargets(_targets.Version + 1, now);
            }

            bool snapshot = targets || IsDue(_snapshot, SnapshotLifetime, now);
            if (snapshot)
            {
                _snapshot = SignSnapshot(_snapshot.Version + 1, now);
            }

            if (snapshot || IsDue(_timestamp, TimestampLifetime, now))
            {
                _timestamp = SignTimestamp(_timestamp.Version + 1, now);
            }
        }
    }

    /// <summary>
    /// The bytes of a published file, for a request path below <c>/tuf/</c>: <c>NAME.json</c> or <c>targets/NAME.json</c>,
    /// names of letters, digits, '.', '_' and '-' only. Null when there is no such file.
    /// </summary>
    public byte[]? ReadPublished(string relativePath)
    {
        var segments = (relativePath ?? string.Empty).Split('/');
        var valid = segments switch
        {
            [var name] => s_fileName.IsMatch(name),
            ["targets", var name] => s_fileName.IsMatch(name),
            _ => false,
        };
        if (!valid)
        {
            return null;
        }

        try
        {
            return File.ReadAllBytes(Path.Combine([Directory, .. segments]));
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
    }

    public void Dispose()
    {
        foreach (var key in _keys.Values)
        {
            key.Dispose();
        }
    }

    private RootMetadata LoadOrRotateRoot(DateTimeOffset now)
    {
        var latest = MaxVersionOnDisk(RootRole);
        if (latest == 0)
        {
            _root = SignRoot(1, now);
            return RootMetadata.Parse(_root.Bytes);
        }

        var name = $"{latest}.root.json";
        var root = ReadChained<RootMetadata>(name, d => RootMetadata.Parse(d), required: true)!;
        try
        {
            if (root.Version != latest)
            {
                throw Invalid($"{name} holds version {root.Version}");
            }

            root.VerifyDelegate(RootRole, root);
        }
        catch (SigstoreException ex) when (ex.Code != LocalStackCodes.TufRepositoryInvalid)
        {
            throw Invalid($"{name} is not signed by its own root key ({ex.Message})", ex);
        }

        if (!root.Roles[RootRole].KeyIds.Contains(_keys[RootRole].KeyId))
        {
            throw Invalid($"{name} does not trust the root key in keys/tuf-root.key.pem (was it replaced?), so no new root can be signed");
        }

        bool keysChanged = s_roles.Any(role => root.Roles[role].KeyIds is not [var only] || only != _keys[role].KeyId);
        if (keysChanged || IsDue(root.Expires, RootLifetime, now))
        {
            // The root key is unchanged, so one signature meets both the old and the new root's threshold (§5.3.4).
            _root = SignRoot(latest + 1, now);
            return RootMetadata.Parse(_root.Bytes);
        }

        _root = Existing(root, name);
        WriteRootCopies(_root.Bytes);
        return root;
    }

    private Published SignRoot(long version, DateTimeOffset now)
    {
        var keys = new JsonObject();
        var roles = new JsonObject();
        foreach (var role in s_roles)
        {
            var key = _keys[role];
            keys[key.KeyId] = key.ToJson();
            roles[role] = new JsonObject { ["keyids"] = new JsonArray(key.KeyId), ["threshold"] = 1 };
        }

        var signed = Signed(RootRole, version, now + RootLifetime);
        signed["consistent_snapshot"] = true;
        signed["keys"] = keys;
        signed["roles"] = roles;
        var published = Sign(signed, RootRole, version, now + RootLifetime);
        Write($"{version}.root.json", published.Bytes);
        WriteRootCopies(published.Bytes);
        return published;
    }

    private Published SignTargets(long version, DateTimeOffset now)
    {
        var listing = new JsonObject();
        foreach (var (name, (length, sha256)) in _listing)
        {
            listing[name] = new JsonObject { ["hashes"] = new JsonObject { ["sha256"] = sha256 }, ["length"] = length };
        }

        var signed = Signed(TargetsRole, version, now + TargetsLifetime);
        signed["targets"] = listing;
        var published = Sign(signed, TargetsRole, version, now + TargetsLifetime);
        Write($"{version}.targets.json", published.Bytes);
        return published;
    }

    private Published SignSnapshot(long version, DateTimeOffset now)
    {
        var signed = Signed(SnapshotRole, version, now + SnapshotLifetime);
        signed["meta"] = new JsonObject { ["targets.json"] = FileMeta(_targets!) };
        var published = Sign(signed, SnapshotRole, version, now + SnapshotLifetime);
        Write($"{version}.snapshot.json", published.Bytes);
        return published;
    }

    private Published SignTimestamp(long version, DateTimeOffset now)
    {
        var signed = Signed(TimestampRole, version, now + TimestampLifetime);
        signed["meta"] = new JsonObject { ["snapshot.json"] = FileMeta(_snapshot!) };
        var published = Sign(signed, TimestampRole, version, now + TimestampLifetime);
        // Written last: the timestamp is the entry point, so clients only ever see files that already exist.
        Write("timestamp.json", published.Bytes);
        return published;
    }

    private static JsonObject Signed(string type, long version, DateTimeOffset expires) => new()
    {
        ["_type"] = type,
        ["expires"] = expires.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
        ["spec_version"] = SpecVersion,
        ["version"] = version,
    };

    private static JsonObject FileMeta(Published file) => new()
    {
        ["hashes"] = new JsonObject { ["sha256"] = Convert.ToHexStringLower(SHA256.HashData(file.Bytes)) },
        ["length"] = file.Bytes.Length,
        ["version"] = file.Version,
    };

    private Published Sign(JsonObject signed, string role, long version, DateTimeOffset expires)
    {
        var key = _keys[role];
        var signature = key.Sign(TufSigningKey.Canonical(signed));
        var envelope = new JsonObject
        {
            ["signatures"] = new JsonArray(new JsonObject { ["keyid"] = key.KeyId, ["sig"] = signature }),
            ["signed"] = signed,
        };
        return new Published(version, expires, Encoding.UTF8.GetBytes(envelope.ToJsonString(s_json) + "\n"));
    }

    private SortedDictionary<string, (long Length, string Sha256)> WriteTargetFiles(IReadOnlyDictionary<string, byte[]> targets)
    {
        var listing = new SortedDictionary<string, (long, string)>(StringComparer.Ordinal);
        foreach (var (name, content) in targets)
        {
            if (!s_fileName.IsMatch(name))
            {
                throw new ArgumentException($"The TUF target name '{name}' must be a plain .json file name.", nameof(targets));
            }

            var sha256 = Convert.ToHexStringLower(SHA256.HashData(content));
            var path = Path.Combine(Directory, "targets", $"{sha256}.{name}");
            if (!File.Exists(path) || !File.ReadAllBytes(path).AsSpan().SequenceEqual(content))
            {
                WriteAtomically(path, content);
            }

            listing[name] = (content.LongLength, sha256);
        }

        return listing;
    }

    private static bool SameListing(TargetsMetadata existing, SortedDictionary<string, (long Length, string Sha256)> listing) =>
        existing.Targets.Count == listing.Count
        && listing.All(target => existing.Targets.TryGetValue(target.Key, out var info)
            && info.Length == target.Value.Length
            && info.Hashes is [{ Key: "sha256" } hash] && hash.Value == target.Value.Sha256);

    /// <summary>Persisted metadata is kept only while the current root still vouches for it and it is not due for renewal.</summary>
    private static bool IsUsable(RootMetadata root, string role, TufMetadata? metadata, TimeSpan lifetime, DateTimeOffset now)
    {
        if (metadata is null || IsDue(metadata.Expires, lifetime, now))
        {
            return false;
        }

        try
        {
            root.VerifyDelegate(role, metadata);
            return true;
        }
        catch (SigstoreException)
        {
            return false;
        }
    }

    private static bool IsDue(Published published, TimeSpan lifetime, DateTimeOffset now) => IsDue(published.Expires, lifetime, now);

    private static bool IsDue(DateTimeOffset expires, TimeSpan lifetime, DateTimeOffset now) => expires - now < lifetime / 2;

    /// <summary>One more than any version of the role published so far, so clients never see a rollback.</summary>
    private long NextVersion(string role, TufMetadata? current) => Math.Max(current?.Version ?? 0, MaxVersionOnDisk(role)) + 1;

    private long MaxVersionOnDisk(string role)
    {
        var suffix = "." + role + ".json";
        long max = 0;
        foreach (var path in System.IO.Directory.EnumerateFiles(Directory, "*" + suffix))
        {
            var name = Path.GetFileName(path);
            if (long.TryParse(name.AsSpan(0, name.Length - suffix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var version))
            {
                max = Math.Max(max, version);
            }
        }

        return max;
    }

    private T? ReadChained<T>(string name, Func<byte[], T> parse, bool required = false)
        where T : TufMetadata
    {
        var path = Path.Combine(Directory, name);
        if (!File.Exists(path))
        {
            return required ? throw Invalid($"{name} is missing") : null;
        }

        try
        {
            return parse(File.ReadAllBytes(path));
        }
        catch (SigstoreException ex)
        {
            throw Invalid($"{name} cannot be read ({ex.Message})", ex);
        }
    }

    private Published Existing(TufMetadata metadata, string name) =>
        new(metadata.Version, metadata.Expires, File.ReadAllBytes(Path.Combine(Directory, name)));

    private void WriteRootCopies(byte[] root)
    {
        Write("root.json", root);
        WriteAtomically(InitialRootPath, root);
    }

    private void Write(string name, byte[] content) => WriteAtomically(Path.Combine(Directory, name), content);

    private static void WriteAtomically(string path, byte[] content)
    {
        var temp = path + ".tmp";
        File.WriteAllBytes(temp, content);
        File.Move(temp, path, overwrite: true);
    }

    private DateTimeOffset Now()
    {
        // Whole seconds, so the expiry kept in memory equals the one written.
        var now = _time.GetUtcNow();
        return new DateTimeOffset(now.Ticks - (now.Ticks % TimeSpan.TicksPerSecond), TimeSpan.Zero);
    }

    private Published Current(Func<Published?> read)
    {
        lock (_gate)
        {
            return read() ?? throw new InvalidOperationException("The TUF repository has not been published yet.");
        }
    }

    private SigstoreException Invalid(string what, Exception? inner = null) =>
        new(LocalStackCodes.TufRepositoryInvalid,
            $"The TUF repository in '{Directory}' cannot be continued: {what}. Restore it, or delete that directory to start a new repository (clients must then be initialised again with the new tuf-root.json).",
            inner);

    /// <summary>A signed metadata file as published (exact bytes).</summary>
    private sealed record Published(long Version, DateTimeOffset Expires, byte[] Bytes);
}
