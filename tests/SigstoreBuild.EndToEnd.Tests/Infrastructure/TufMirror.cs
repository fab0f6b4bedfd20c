using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace SigstoreBuild.EndToEnd.Tests.Infrastructure;

/// <summary>
/// A minimal TUF repository on 127.0.0.1 for a custom Sigstore instance: version 1 of root, timestamp, snapshot and
/// targets, signed with one ECDSA P-256 key generated at run time, serving the given target files (no consistent
/// snapshots). The metadata's JSON is written canonically (sorted keys, no whitespace, ASCII only) so the bytes signed
/// are the bytes served.
/// </summary>
internal sealed class TufMirror : IDisposable
{
    private readonly LoopbackServer _server = new();

    private TufMirror(string rootPath, IReadOnlyDictionary<string, byte[]> targets, DateTimeOffset expires)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var files = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        var q = key.ExportParameters(false).Q;
        var keyJson = new SortedDictionary<string, object>(StringComparer.Ordinal)
        {
            ["keytype"] = "ecdsa",
            ["scheme"] = "ecdsa-sha2-nistp256",
            ["keyval"] = new SortedDictionary<string, object>(StringComparer.Ordinal) { ["public"] = "04" + Convert.ToHexStringLower(q.X!) + Convert.ToHexStringLower(q.Y!) },
        };
        var keyId = Convert.ToHexStringLower(SHA256.HashData(Canonical(keyJson)));
        var expiry = expires.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        SortedDictionary<string, object> Signed(string type) => new(StringComparer.Ordinal)
        {
            ["_type"] = type,
            ["spec_version"] = "1.0.31",
            ["version"] = 1,
            ["expires"] = expiry,
        };
        object Role() => new SortedDictionary<string, object>(StringComparer.Ordinal) { ["keyids"] = new[] { keyId }, ["threshold"] = 1 };

        var root = Signed("root");
        root["consistent_snapshot"] = false;
        root["keys"] = new SortedDictionary<string, object>(StringComparer.Ordinal) { [keyId] = keyJson };
        root["roles"] = new SortedDictionary<string, object>(StringComparer.Ordinal) { ["root"] = Role(), ["timestamp"] = Role(), ["snapshot"] = Role(), ["targets"] = Role() };

        var targetsSigned = Signed("targets");
        var listing = new SortedDictionary<string, object>(StringComparer.Ordinal);
        foreach (var (name, content) in targets)
        {
            listing[name] = new SortedDictionary<string, object>(StringComparer.Ordinal)
            {
                ["length"] = content.Length,
                ["hashes"] = new SortedDictionary<string, object>(StringComparer.Ordinal) { ["sha256"] = Convert.ToHexStringLower(SHA256.HashData(content)) },
            };
            files["targets/" + name] = content;
        }

        targetsSigned["targets"] = listing;
        var snapshot = Signed("snapshot");
        snapshot["meta"] = new SortedDictionary<string, object>(StringComparer.Ordinal) { ["targets.json"] = new SortedDictionary<string, object>(StringComparer.Ordinal) { ["version"] = 1 } };
        var timestamp = Signed("timestamp");
        timestamp["meta"] = new SortedDictionary<string, object>(StringComparer.Ordinal) { ["snapshot.json"] = new SortedDictionary<string, object>(StringComparer.Ordinal) { ["version"] = 1 } };

        byte[] Envelope(SortedDictionary<string, object> signed)
        {
            var signature = key.SignData(Canonical(signed), HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
            return Canonical(new SortedDictionary<string, object>(StringComparer.Ordinal)
            {
                ["signatures"] = new[] { new SortedDictionary<string, object>(StringComparer.Ordinal) { ["keyid"] = keyId, ["sig"] = Convert.ToHexStringLower(signature) } },
                ["signed"] = signed,
            });
        }

        files["1.root.json"] = Envelope(root);
        files["timestamp.json"] = Envelope(timestamp);
        files["snapshot.json"] = Envelope(snapshot);
        files["targets.json"] = Envelope(targetsSigned);
        RootPath = rootPath;
        File.WriteAllBytes(rootPath, files["1.root.json"]);

        foreach (var (path, content) in files)
        {
            _server.Routes["/" + path] = (200, content);
        }
    }

    /// <summary>The mirror's metadata URL (SigstoreTufUrl).</summary>
    public Uri Url => _server.BaseUrl;

    /// <summary>The initial root.json on disk (SigstoreTufRootPath).</summary>
    public string RootPath { get; }

    public int RequestCount => _server.Requests.Count;

    public static TufMirror Start(string rootPath, IReadOnlyDictionary<string, byte[]> targets) =>
        new(rootPath, targets, DateTimeOffset.UtcNow.AddDays(1));

    public void Dispose() => _server.Dispose();

    /// <summary>Canonical for what this class writes: sorted dictionaries, ASCII strings without escapes, integers.</summary>
    private static byte[] Canonical(object value)
    {
        var json = JsonSerializer.Serialize(value);
        if (json.Any(c => c > 127) || json.Contains('\\', StringComparison.Ordinal))
        {
            throw new InvalidOperationException("TufMirror writes ASCII metadata without escapes only.");
        }

        return Encoding.UTF8.GetBytes(json);
    }
}
