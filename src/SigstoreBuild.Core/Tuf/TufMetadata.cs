using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using SigstoreBuild.Diagnostics;
using SigstoreBuild.Serialization;

namespace SigstoreBuild.Tuf;

/// <summary>Strict accessors that turn malformed metadata into <see cref="TufCodes.InvalidMetadata"/>.</summary>
internal static class TufJson
{
    public static JsonElement Get(JsonElement obj, string name, string context)
    {
        if (obj.ValueKind != JsonValueKind.Object || !obj.TryGetProperty(name, out JsonElement value))
        {
            throw Invalid($"\"{name}\" is missing in {context}");
        }

        return value;
    }

    public static string GetString(JsonElement obj, string name, string context)
    {
        JsonElement value = Get(obj, name, context);
        return value.ValueKind == JsonValueKind.String ? value.GetString()! : throw Invalid($"\"{name}\" in {context} is not a string");
    }

    public static long GetInteger(JsonElement obj, string name, string context)
    {
        JsonElement value = Get(obj, name, context);
        return value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out long number)
            ? number
            : throw Invalid($"\"{name}\" in {context} is not an integer");
    }

    public static JsonElement GetObject(JsonElement obj, string name, string context)
    {
        JsonElement value = Get(obj, name, context);
        return value.ValueKind == JsonValueKind.Object ? value : throw Invalid($"\"{name}\" in {context} is not an object");
    }

    public static JsonElement GetArray(JsonElement obj, string name, string context)
    {
        JsonElement value = Get(obj, name, context);
        return value.ValueKind == JsonValueKind.Array ? value : throw Invalid($"\"{name}\" in {context} is not an array");
    }

    public static bool TryGet(JsonElement obj, string name, out JsonElement value)
        => obj.TryGetProperty(name, out value) && value.ValueKind != JsonValueKind.Null;

    public static SigstoreException Invalid(string what)
        => new(TufCodes.InvalidMetadata, $"TUF metadata is malformed: {what}. Refusing it; the mirror may be broken or under attack.");
}

internal sealed record TufSignature(string KeyId, string Hex);

/// <summary>The length and hashes of a file, as declared by the timestamp, snapshot or targets metadata.</summary>
internal sealed class TufFileInfo
{
    public TufFileInfo(long version, long? length, IReadOnlyList<KeyValuePair<string, string>> hashes)
    {
        Version = version;
        Length = length;
        Hashes = hashes;
    }

    /// <summary>Version of a metadata file (0 for target files).</summary>
    public long Version { get; }

    public long? Length { get; }

    /// <summary>Algorithm → lowercase hex digest, in document order.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Hashes { get; }

    public static TufFileInfo ParseMeta(JsonElement element, string context)
    {
        long version = TufJson.GetInteger(element, "version", context);
        if (version < 1)
        {
            throw TufJson.Invalid($"version in {context} must be positive");
        }

        return new TufFileInfo(version, ParseLength(element, context, required: false), ParseHashes(element, context, required: false));
    }

    public static TufFileInfo ParseTarget(JsonElement element, string context)
        => new(0, ParseLength(element, context, required: true), ParseHashes(element, context, required: true));

    private static long? ParseLength(JsonElement element, string context, bool required)
    {
        if (!required && !TufJson.TryGet(element, "length", out _))
        {
            return null;
        }

        long length = TufJson.GetInteger(element, "length", context);
        return length >= 0 ? length : throw TufJson.Invalid($"length in {context} is negative");
    }

    private static IReadOnlyList<KeyValuePair<string, string>> ParseHashes(JsonElement element, string context, bool required)
    {
        if (!required && !TufJson.TryGet(element, "hashes", out _))
        {
            return [];
        }

        var hashes = new List<KeyValuePair<string, string>>();
        foreach (JsonProperty hash in TufJson.GetObject(element, "hashes", context).EnumerateObject())
        {
            if (hash.Value.ValueKind != JsonValueKind.String)
            {
                throw TufJson.Invalid($"hash \"{hash.Name}\" in {context} is not a string");
            }

            hashes.Add(new(hash.Name, hash.Value.GetString()!.ToLowerInvariant()));
        }

        if (required && hashes.Count == 0)
        {
            throw TufJson.Invalid($"{context} has no hashes");
        }

        return hashes;
    }

    /// <summary>
    /// Checks length and every listed hash. Any unknown algorithm fails: skipping it would let an attacker list only
    /// algorithms we ignore.
    /// </summary>
    public string? FindMismatch(ReadOnlySpan<byte> data)
    {
        if (Length is long length && data.Length != length)
        {
            return $"length {data.Length} differs from the declared {length}";
        }

        foreach (KeyValuePair<string, string> hash in Hashes)
        {
            byte[] actual = hash.Key switch
            {
                "sha256" => SHA256.HashData(data),
                "sha384" => SHA384.HashData(data),
                "sha512" => SHA512.HashData(data),
                _ => throw new SigstoreException(TufCodes.UnsupportedHashAlgorithm, $"The TUF metadata uses the unsupported hash algorithm \"{hash.Key}\". Only sha256, sha384 and sha512 are accepted; the mirror must publish one of them."),
            };
            if (!string.Equals(Convert.ToHexStringLower(actual), hash.Value, StringComparison.Ordinal))
            {
                return $"{hash.Key} digest differs from the declared one";
            }
        }

        return null;
    }
}

/// <summary>Keyids and threshold of one role.</summary>
internal sealed class TufRole
{
    public TufRole(IReadOnlyList<string> keyIds, int threshold)
    {
        KeyIds = keyIds;
        Threshold = threshold;
    }

    public IReadOnlyList<string> KeyIds { get; }

    public int Threshold { get; }

    public static TufRole Parse(JsonElement element, string context)
    {
        long threshold = TufJson.GetInteger(element, "threshold", context);
        if (threshold is < 1 or > int.MaxValue)
        {
            throw TufJson.Invalid($"threshold of {context} must be at least 1");
        }

        var keyIds = new List<string>();
        foreach (JsonElement keyId in TufJson.GetArray(element, "keyids", context).EnumerateArray())
        {
            string id = keyId.ValueKind == JsonValueKind.String ? keyId.GetString()! : throw TufJson.Invalid($"a keyid of {context} is not a string");
            if (keyIds.Contains(id, StringComparer.Ordinal))
            {
                throw TufJson.Invalid($"the keyid {id} is listed twice in {context}");
            }

            keyIds.Add(id);
        }

        return new TufRole(keyIds, (int)threshold);
    }
}

/// <summary>A delegation from a targets role to another.</summary>
internal sealed class TufDelegatedRole
{
    public required string Name { get; init; }

    public required TufRole Role { get; init; }

    public bool Terminating { get; init; }

    public IReadOnlyList<string>? Paths { get; init; }

    public IReadOnlyList<string>? PathHashPrefixes { get; init; }

    /// <summary>TUF §4.5 path matching: glob per path segment, or a prefix of the SHA-256 of the target path.</summary>
    public bool IsDelegatedPath(string targetPath)
    {
        if (Paths is not null)
        {
            return Paths.Any(pattern => TufPathPattern.Matches(pattern, targetPath));
        }

        if (PathHashPrefixes is not null)
        {
            string hash = Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(targetPath)));
            return PathHashPrefixes.Any(prefix => hash.StartsWith(prefix, StringComparison.Ordinal));
        }

        return false;
    }
}

internal static class TufPathPattern
{
    public static bool Matches(string pattern, string path)
    {
        string[] patternParts = pattern.Split('/');
        string[] pathParts = path.Split('/');
        if (patternParts.Length != pathParts.Length)
        {
            return false;
        }

        for (int i = 0; i < patternParts.Length; i++)
        {
            if (!MatchSegment(patternParts[i], 0, pathParts[i], 0))
            {
                return false;
            }
        }

        return true;
    }

    // fnmatch within one segment: *, ? and [...] / [!...].
    private static bool MatchSegment(string pattern, int p, string text, int t)
    {
        while (p < pattern.Length)
        {
            char c = pattern[p];
            if (c == '*')
            {
                for (int k = t; k <= text.Length; k++)
                {
                    if (MatchSegment(pattern, p + 1, text, k))
                    {
                        return true;
                    }
                }

                return false;
            }

            if (t >= text.Length)
            {
                return false;
            }

            if (c == '?')
            {
                p++;
                t++;
                continue;
            }

            if (c == '[')
            {
                int close = pattern.IndexOf(']', p + 2);
                if (close > 0)
                {
                    bool negate = pattern[p + 1] is '!';
                    string set = pattern[(p + (negate ? 2 : 1))..close];
                    bool inSet = false;
                    for (int i = 0; i < set.Length; i++)
                    {
                        if (i + 2 < set.Length && set[i + 1] == '-')
                        {
                            inSet |= text[t] >= set[i] && text[t] <= set[i + 2];
                            i += 2;
                        }
                        else
                        {
                            inSet |= text[t] == set[i];
                        }
                    }

                    if (inSet == negate)
                    {
                        return false;
                    }

                    p = close + 1;
                    t++;
                    continue;
                }
            }

            if (c != text[t])
            {
                return false;
            }

            p++;
            t++;
        }

        return t == text.Length;
    }
}

/// <summary>
/// A parsed metadata file: its envelope, the canonical bytes signatures cover, and the common signed fields.
/// Role-specific content is parsed by the derived types.
/// </summary>
internal abstract class TufMetadata
{
    public const string RootType = "root";
    public const string TimestampType = "timestamp";
    public const string SnapshotType = "snapshot";
    public const string TargetsType = "targets";

    protected TufMetadata(JsonElement signed, byte[] canonicalSigned, IReadOnlyList<TufSignature> signatures, string type)
    {
        Signed = signed;
        CanonicalSigned = canonicalSigned;
        Signatures = signatures;
        Type = type;
        string context = type + " metadata";
        Version = TufJson.GetInteger(signed, "version", context);
        if (Version < 1)
        {
            throw TufJson.Invalid($"the version of {context} must be positive");
        }

        string specVersion = TufJson.GetString(signed, "spec_version", context);
        if (!specVersion.StartsWith("1.", StringComparison.Ordinal))
        {
            throw TufJson.Invalid($"spec_version {specVersion} of {context} is not a supported 1.x version");
        }

        string expires = TufJson.GetString(signed, "expires", context);
        if (!DateTimeOffset.TryParse(expires, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out DateTimeOffset parsed))
        {
            throw TufJson.Invalid($"expires \"{expires}\" of {context} is not a date");
        }

        Expires = parsed;
    }

    public JsonElement Signed { get; }

    public byte[] CanonicalSigned { get; }

    public IReadOnlyList<TufSignature> Signatures { get; }

    public string Type { get; }

    public long Version { get; }

    public DateTimeOffset Expires { get; }

    public bool IsExpired(DateTimeOffset referenceTime) => referenceTime >= Expires;

    /// <summary>Parses the envelope and checks <c>_type</c>; signatures are checked later by the delegator.</summary>
    protected static (JsonElement Signed, byte[] Canonical, IReadOnlyList<TufSignature> Signatures) ParseEnvelope(ReadOnlySpan<byte> data, string expectedType)
    {
        JsonDocument document;
        try
        {
            document = UntrustedJson.Parse(data.ToArray(), new JsonDocumentOptions { MaxDepth = 64 });
        }
        catch (JsonException ex)
        {
            throw new SigstoreException(TufCodes.InvalidMetadata, $"TUF {expectedType} metadata is not valid JSON ({ex.Message}). Refusing it; the mirror may be broken or under attack.", ex);
        }

        // Elements stay valid only while the document lives; cloning detaches them from it.
        using (document)
        {
            JsonElement root = document.RootElement.Clone();
            JsonElement signed = TufJson.GetObject(root, "signed", expectedType + " metadata");
            string type = TufJson.GetString(signed, "_type", expectedType + " metadata");
            if (!string.Equals(type, expectedType, StringComparison.Ordinal))
            {
                throw TufJson.Invalid($"expected _type \"{expectedType}\" but found \"{type}\"");
            }

            var signatures = new List<TufSignature>();
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (JsonElement signature in TufJson.GetArray(root, "signatures", expectedType + " metadata").EnumerateArray())
            {
                string keyId = TufJson.GetString(signature, "keyid", "signature");
                string sig = TufJson.GetString(signature, "sig", "signature");
                if (!seen.Add(keyId))
                {
                    throw TufJson.Invalid($"the keyid {keyId} has more than one signature in {expectedType} metadata");
                }

                signatures.Add(new TufSignature(keyId, sig));
            }

            return (signed, CanonicalJson.Serialize(signed), signatures);
        }
    }

    protected static Dictionary<string, TufKey> ParseKeys(JsonElement keys, string context)
    {
        var result = new Dictionary<string, TufKey>(StringComparer.Ordinal);
        foreach (JsonProperty key in keys.EnumerateObject())
        {
            if (key.Value.ValueKind != JsonValueKind.Object)
            {
                throw TufJson.Invalid($"key {key.Name} in {context} is not an object");
            }

            result[key.Name] = TufKey.Parse(key.Value);
        }

        return result;
    }

    /// <summary>
    /// Counts valid signatures of distinct keyids listed by <paramref name="role"/>, each key material at most once
    /// (the same key under two keyids must not count twice). Bad or unsupported signatures are ignored.
    /// </summary>
    public static int CountValidSignatures(TufRole role, IReadOnlyDictionary<string, TufKey> keys, TufMetadata metadata)
    {
        var counted = new HashSet<string>(StringComparer.Ordinal);
        foreach (string keyId in role.KeyIds)
        {
            if (!keys.TryGetValue(keyId, out TufKey? key) || !key.IsSupported || counted.Contains(key.MaterialIdentity!))
            {
                continue;
            }

            TufSignature? signature = metadata.Signatures.FirstOrDefault(s => string.Equals(s.KeyId, keyId, StringComparison.Ordinal));
            if (signature is null || signature.Hex.Length % 2 != 0 || !IsHex(signature.Hex))
            {
                continue;
            }

            if (key.Verify(metadata.CanonicalSigned, Convert.FromHexString(signature.Hex)))
            {
                counted.Add(key.MaterialIdentity!);
            }
        }

        return counted.Count;
    }

    public static void VerifyThreshold(TufRole role, IReadOnlyDictionary<string, TufKey> keys, TufMetadata metadata, string roleName, string signerDescription)
    {
        int valid = CountValidSignatures(role, keys, metadata);
        if (valid < role.Threshold)
        {
            throw new SigstoreException(
                TufCodes.ThresholdNotMet,
                $"TUF {roleName} metadata version {metadata.Version} has {valid} valid signature(s) from the keys {signerDescription} trusts, fewer than the threshold of {role.Threshold}. Refusing it; the mirror may be compromised or serving tampered metadata.");
        }
    }

    private static bool IsHex(string value)
    {
        foreach (char c in value)
        {
            if (!char.IsAsciiHexDigit(c))
            {
                return false;
            }
        }

        return true;
    }
}

internal sealed class RootMetadata : TufMetadata
{
    private RootMetadata(JsonElement signed, byte[] canonical, IReadOnlyList<TufSignature> signatures)
        : base(signed, canonical, signatures, RootType)
    {
        ConsistentSnapshot = TufJson.TryGet(signed, "consistent_snapshot", out JsonElement consistent) && consistent.ValueKind == JsonValueKind.True;
        Keys = ParseKeys(TufJson.GetObject(signed, "keys", "root metadata"), "root metadata");
        JsonElement roles = TufJson.GetObject(signed, "roles", "root metadata");
        var parsed = new Dictionary<string, TufRole>(StringComparer.Ordinal);
        foreach (string role in new[] { RootType, TimestampType, SnapshotType, TargetsType })
        {
            parsed[role] = TufRole.Parse(TufJson.GetObject(roles, role, "root roles"), $"the {role} role");
        }

        Roles = parsed;
    }

    public bool ConsistentSnapshot { get; }

    public IReadOnlyDictionary<string, TufKey> Keys { get; }

    public IReadOnlyDictionary<string, TufRole> Roles { get; }

    public static RootMetadata Parse(ReadOnlySpan<byte> data)
    {
        var (signed, canonical, signatures) = ParseEnvelope(data, RootType);
        return new RootMetadata(signed, canonical, signatures);
    }

    /// <summary>Checks that <paramref name="delegate"/> is signed by a threshold of the keys this root assigns to its role.</summary>
    public void VerifyDelegate(string roleName, TufMetadata @delegate)
        => VerifyThreshold(Roles[roleName], Keys, @delegate, roleName, $"root version {Version}");

    /// <summary>Key identities of a role, to see whether they changed (§5.3.11).</summary>
    public IReadOnlySet<string> KeyMaterialOf(string roleName)
        => Roles[roleName].KeyIds.Select(id => Keys.TryGetValue(id, out TufKey? k) ? k.MaterialIdentity ?? id : id).ToHashSet(StringComparer.Ordinal);
}

internal sealed class TimestampMetadata : TufMetadata
{
    private TimestampMetadata(JsonElement signed, byte[] canonical, IReadOnlyList<TufSignature> signatures)
        : base(signed, canonical, signatures, TimestampType)
    {
        JsonElement meta = TufJson.GetObject(signed, "meta", "timestamp metadata");
        SnapshotMeta = TufFileInfo.ParseMeta(TufJson.GetObject(meta, "snapshot.json", "timestamp meta"), "timestamp meta snapshot.json");
    }

    public TufFileInfo SnapshotMeta { get; }

    public static TimestampMetadata Parse(ReadOnlySpan<byte> data)
    {
        var (signed, canonical, signatures) = ParseEnvelope(data, TimestampType);
        return new TimestampMetadata(signed, canonical, signatures);
    }
}

internal sealed class SnapshotMetadata : TufMetadata
{
    private SnapshotMetadata(JsonElement signed, byte[] canonical, IReadOnlyList<TufSignature> signatures)
        : base(signed, canonical, signatures, SnapshotType)
    {
        var meta = new Dictionary<string, TufFileInfo>(StringComparer.Ordinal);
        foreach (JsonProperty file in TufJson.GetObject(signed, "meta", "snapshot metadata").EnumerateObject())
        {
            meta[file.Name] = TufFileInfo.ParseMeta(file.Value, "snapshot meta " + file.Name);
        }

        Meta = meta;
    }

    /// <summary>"role.json" → version/length/hashes.</summary>
    public IReadOnlyDictionary<string, TufFileInfo> Meta { get; }

    public static SnapshotMetadata Parse(ReadOnlySpan<byte> data)
    {
        var (signed, canonical, signatures) = ParseEnvelope(data, SnapshotType);
        return new SnapshotMetadata(signed, canonical, signatures);
    }
}

internal sealed class TargetsMetadata : TufMetadata
{
    private TargetsMetadata(JsonElement signed, byte[] canonical, IReadOnlyList<TufSignature> signatures)
        : base(signed, canonical, signatures, TargetsType)
    {
        var targets = new Dictionary<string, TufFileInfo>(StringComparer.Ordinal);
        foreach (JsonProperty target in TufJson.GetObject(signed, "targets", "targets metadata").EnumerateObject())
        {
            targets[target.Name] = TufFileInfo.ParseTarget(target.Value, "target " + target.Name);
        }

        Targets = targets;
        if (TufJson.TryGet(signed, "delegations", out JsonElement delegations))
        {
            DelegationKeys = ParseKeys(TufJson.GetObject(delegations, "keys", "delegations"), "delegations");
            var roles = new List<TufDelegatedRole>();
            if (TufJson.TryGet(delegations, "roles", out _))
            {
                foreach (JsonElement role in TufJson.GetArray(delegations, "roles", "delegations").EnumerateArray())
                {
                    string name = TufJson.GetString(role, "name", "delegated role");
                    if (roles.Any(r => r.Name == name))
                    {
                        throw TufJson.Invalid($"the delegated role \"{name}\" is listed twice");
                    }

                    bool hasPaths = TufJson.TryGet(role, "paths", out _);
                    bool hasPrefixes = TufJson.TryGet(role, "path_hash_prefixes", out _);
                    if (hasPaths && hasPrefixes)
                    {
                        throw TufJson.Invalid($"the delegated role \"{name}\" has both paths and path_hash_prefixes");
                    }

                    roles.Add(new TufDelegatedRole
                    {
                        Name = name,
                        Role = TufRole.Parse(role, $"the delegated role \"{name}\""),
                        Terminating = TufJson.TryGet(role, "terminating", out JsonElement terminating) && terminating.ValueKind == JsonValueKind.True,
                        Paths = hasPaths ? StringArray(role, "paths", name) : null,
                        PathHashPrefixes = hasPrefixes ? StringArray(role, "path_hash_prefixes", name) : null,
                    });
                }
            }

            DelegatedRoles = roles;
        }
    }

    public IReadOnlyDictionary<string, TufFileInfo> Targets { get; }

    public IReadOnlyDictionary<string, TufKey> DelegationKeys { get; } = new Dictionary<string, TufKey>();

    public IReadOnlyList<TufDelegatedRole> DelegatedRoles { get; } = [];

    public static TargetsMetadata Parse(ReadOnlySpan<byte> data)
    {
        var (signed, canonical, signatures) = ParseEnvelope(data, TargetsType);
        return new TargetsMetadata(signed, canonical, signatures);
    }

    public void VerifyDelegate(string roleName, TufMetadata @delegate)
    {
        TufDelegatedRole role = DelegatedRoles.FirstOrDefault(r => r.Name == roleName)
            ?? throw new SigstoreException(TufCodes.ThresholdNotMet, $"The TUF role \"{roleName}\" is not delegated by its parent. Refusing it.");
        VerifyThreshold(role.Role, DelegationKeys, @delegate, roleName, "the delegating role");
    }

    private static List<string> StringArray(JsonElement role, string property, string name)
        => TufJson.GetArray(role, property, $"the delegated role \"{name}\"").EnumerateArray()
            .Select(e => e.ValueKind == JsonValueKind.String ? e.GetString()! : throw TufJson.Invalid($"{property} of \"{name}\" has a non-string entry"))
            .ToList();
}
