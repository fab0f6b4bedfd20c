using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using SigstoreBuild.Http;
using SigstoreBuild.Tuf;

namespace SigstoreBuild.Tests.Tuf;

/// <summary>
/// A TUF repository for tests: metadata built as JSON objects, signed at run time with generated keys, served over real
/// HTTP on 127.0.0.1. Files are published under <c>metadata/</c> and <c>targets/</c> with consistent-snapshot names,
/// exactly as a real mirror lays them out. Tests mutate the JSON, publish, tamper with the served bytes, or intercept
/// requests; <see cref="Requests"/> records every path asked for.
/// </summary>
internal sealed class RepositorySimulator : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly Task _serveLoop;
    private readonly CancellationTokenSource _stop = new();

    public RepositorySimulator(DateTimeOffset? now = null)
    {
        Time = new ManualTimeProvider(now ?? new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero));
        foreach (string role in TopLevelRoles)
        {
            Signers[role] = [TestSigner.Ecdsa()];
        }

        Root = NewSigned("root");
        Root["consistent_snapshot"] = true;
        Root["keys"] = new JsonObject();
        Root["roles"] = new JsonObject();
        foreach (string role in TopLevelRoles)
        {
            ((JsonObject)Root["roles"]!)[role] = new JsonObject { ["keyids"] = new JsonArray(), ["threshold"] = 1 };
            AddKeyToRoot(role, Signers[role][0]);
        }

        Targets["targets"] = NewSigned("targets");
        ((JsonObject)Targets["targets"])["targets"] = new JsonObject();
        Snapshot = NewSigned("snapshot");
        Snapshot["meta"] = new JsonObject();
        Timestamp = NewSigned("timestamp");
        Timestamp["meta"] = new JsonObject();

        PublishRoot(bump: false);
        PublishTargets("targets", bump: false);
        PublishSnapshot(bump: false);
        PublishTimestamp(bump: false);
        InitialRoot = Files["metadata/1.root.json"];

        int port = FreePort();
        BaseUri = new Uri($"http://127.0.0.1:{port}/");
        _listener.Prefixes.Add(BaseUri.AbsoluteUri);
        _listener.Start();
        _serveLoop = Task.Run(ServeAsync);
    }

    public static readonly string[] TopLevelRoles = ["root", "timestamp", "snapshot", "targets"];

    public ManualTimeProvider Time { get; }

    public Uri BaseUri { get; }

    public Uri MetadataUri => new(BaseUri, "metadata/");

    public Uri TargetsUri => new(BaseUri, "targets/");

    public byte[] InitialRoot { get; }

    public JsonObject Root { get; }

    public JsonObject Snapshot { get; }

    public JsonObject Timestamp { get; }

    /// <summary>Top-level "targets" and delegated roles by name.</summary>
    public Dictionary<string, JsonObject> Targets { get; } = new(StringComparer.Ordinal);

    /// <summary>Signers used when publishing each role (root: the signers of the new root; add old ones for rotations).</summary>
    public Dictionary<string, List<TestSigner>> Signers { get; } = new(StringComparer.Ordinal);

    /// <summary>URL path (no leading slash, decoded) → bytes served.</summary>
    public ConcurrentDictionary<string, byte[]> Files { get; } = new(StringComparer.Ordinal);

    /// <summary>Decoded paths requested, in order.</summary>
    public ConcurrentQueue<string> Requests { get; } = new();

    /// <summary>Raw (still encoded) request paths, in order.</summary>
    public ConcurrentQueue<string> RawRequests { get; } = new();

    /// <summary>Takes over a request when it returns true.</summary>
    public Func<string, HttpListenerContext, Task<bool>>? Intercept { get; set; }

    /// <summary>Declare length and sha256 in timestamp and snapshot meta (TUF makes them optional).</summary>
    public bool ComputeMetaHashes { get; set; }

    public string[] RequestList() => Requests.ToArray();

    public void ClearRequests() => Requests.Clear();

    public TufOptions Options(string cacheDirectory) => new()
    {
        MetadataUri = MetadataUri,
        TargetsUri = TargetsUri,
        InitialRoot = InitialRoot,
        CacheDirectory = cacheDirectory,
        TimeProvider = Time,
        Http = SigstoreHttpOptions.Default with { MaxAttempts = 1, AttemptTimeout = TimeSpan.FromSeconds(10) },
    };

    public JsonObject NewSigned(string type) => new()
    {
        ["_type"] = type,
        ["spec_version"] = "1.0.31",
        ["version"] = 0,
        ["expires"] = (Time.Now + TimeSpan.FromDays(7)).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
    };

    public static string Expiry(DateTimeOffset when) => when.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    public static long VersionOf(JsonObject signed) => long.Parse(signed["version"]!.ToJsonString(), CultureInfo.InvariantCulture);

    public void AddKeyToRoot(string role, TestSigner signer)
    {
        ((JsonObject)Root["keys"]!)[signer.KeyId] = signer.KeyJson();
        var keyIds = (JsonArray)Root["roles"]![role]!["keyids"]!;
        if (!keyIds.Any(k => k!.GetValue<string>() == signer.KeyId))
        {
            keyIds.Add(signer.KeyId);
        }
    }

    /// <summary>Adds a key to a top-level role and uses it for signing.</summary>
    public TestSigner AddKey(string role, TestSigner? signer = null)
    {
        signer ??= TestSigner.Ecdsa();
        AddKeyToRoot(role, signer);
        Signers[role].Add(signer);
        return signer;
    }

    /// <summary>Replaces every key of a top-level role with a new one (root must then be published).</summary>
    public TestSigner RotateKeys(string role)
    {
        var keyIds = (JsonArray)Root["roles"]![role]!["keyids"]!;
        keyIds.Clear();
        var signer = TestSigner.Ecdsa();
        AddKeyToRoot(role, signer);
        if (role == "root")
        {
            Signers[role].Add(signer);
        }
        else
        {
            Signers[role] = [signer];
        }

        return signer;
    }

    public void SetThreshold(string role, int threshold) => Root["roles"]![role]!["threshold"] = threshold;

    /// <summary>Signs <paramref name="signed"/> with <paramref name="signers"/> into an (indented, non-canonical) envelope.</summary>
    public static byte[] Sign(JsonObject signed, IEnumerable<TestSigner> signers)
    {
        byte[] canonical = CanonicalJson.Serialize(JsonSerializer.SerializeToElement(signed));
        var signatures = new JsonArray();
        foreach (TestSigner signer in signers.DistinctBy(s => s.KeyId))
        {
            signatures.Add(new JsonObject { ["keyid"] = signer.KeyId, ["sig"] = signer.SignHex(canonical) });
        }

        var envelope = new JsonObject { ["signed"] = signed.DeepClone(), ["signatures"] = signatures };
        return JsonSerializer.SerializeToUtf8Bytes(envelope, new JsonSerializerOptions { WriteIndented = true });
    }

    public byte[] PublishRoot(bool bump = true, IEnumerable<TestSigner>? signers = null)
    {
        Bump(Root, bump);
        byte[] data = Sign(Root, signers ?? Signers["root"]);
        Files[$"metadata/{VersionOf(Root)}.root.json"] = data;
        return data;
    }

    public byte[] PublishTargets(string role = "targets", bool bump = true, IEnumerable<TestSigner>? signers = null)
    {
        JsonObject signed = Targets[role];
        Bump(signed, bump);
        byte[] data = Sign(signed, signers ?? Signers[role]);
        // Keys are decoded paths, as requests are decoded before lookup.
        string encoded = TufCache.EncodeName(role);
        Files[Uri.UnescapeDataString($"metadata/{VersionOf(signed)}.{encoded}.json")] = data;
        Files[Uri.UnescapeDataString($"metadata/{encoded}.json")] = data;
        return data;
    }

    /// <summary>Publishes the snapshot listing the current version of every targets role.</summary>
    public byte[] PublishSnapshot(bool bump = true, IEnumerable<TestSigner>? signers = null)
    {
        var meta = (JsonObject)Snapshot["meta"]!;
        foreach ((string role, JsonObject signed) in Targets)
        {
            long version = VersionOf(signed);
            var info = new JsonObject { ["version"] = version };
            if (ComputeMetaHashes)
            {
                AddLengthAndHash(info, Files[Uri.UnescapeDataString($"metadata/{version}.{TufCache.EncodeName(role)}.json")]);
            }

            meta[role + ".json"] = info;
        }

        Bump(Snapshot, bump);
        byte[] data = Sign(Snapshot, signers ?? Signers["snapshot"]);
        Files[$"metadata/{VersionOf(Snapshot)}.snapshot.json"] = data;
        Files["metadata/snapshot.json"] = data;
        return data;
    }

    public byte[] PublishTimestamp(bool bump = true, IEnumerable<TestSigner>? signers = null)
    {
        long snapshotVersion = VersionOf(Snapshot);
        var info = new JsonObject { ["version"] = snapshotVersion };
        if (ComputeMetaHashes)
        {
            AddLengthAndHash(info, Files[$"metadata/{snapshotVersion}.snapshot.json"]);
        }

        Timestamp["meta"] = new JsonObject { ["snapshot.json"] = info };
        Bump(Timestamp, bump);
        byte[] data = Sign(Timestamp, signers ?? Signers["timestamp"]);
        Files["metadata/timestamp.json"] = data;
        return data;
    }

    /// <summary>Publishes targets (top-level), snapshot and timestamp, each with a new version.</summary>
    public void PublishAll()
    {
        PublishTargets();
        PublishSnapshot();
        PublishTimestamp();
    }

    /// <summary>Adds a target file to a targets role (not published until the role is).</summary>
    public void AddTarget(string name, byte[] content, string role = "targets", params string[] algorithms)
    {
        if (algorithms.Length == 0)
        {
            algorithms = ["sha256"];
        }

        var hashes = new JsonObject();
        foreach (string algorithm in algorithms)
        {
            hashes[algorithm] = algorithm switch
            {
                "sha256" => Convert.ToHexStringLower(SHA256.HashData(content)),
                "sha384" => Convert.ToHexStringLower(SHA384.HashData(content)),
                "sha512" => Convert.ToHexStringLower(SHA512.HashData(content)),
                _ => Convert.ToHexStringLower(SHA256.HashData(content)),
            };
        }

        ((JsonObject)Targets[role]["targets"]!)[name] = new JsonObject { ["length"] = content.Length, ["hashes"] = hashes };
        int slash = name.LastIndexOf('/');
        foreach (KeyValuePair<string, JsonNode?> hash in hashes)
        {
            string prefixed = slash < 0 ? $"{hash.Value}.{name}" : $"{name[..(slash + 1)]}{hash.Value}.{name[(slash + 1)..]}";
            Files["targets/" + prefixed] = content;
        }

        Files["targets/" + name] = content;
    }

    /// <summary>Delegates from <paramref name="parent"/> to a new role signed by a new key; the child is published.</summary>
    public TestSigner AddDelegation(string parent, string name, string[]? paths = null, bool terminating = false, string[]? hashPrefixes = null)
    {
        var signer = TestSigner.Ecdsa();
        JsonObject parentSigned = Targets[parent];
        if (parentSigned["delegations"] is not JsonObject delegations)
        {
            delegations = new JsonObject { ["keys"] = new JsonObject(), ["roles"] = new JsonArray() };
            parentSigned["delegations"] = delegations;
        }

        ((JsonObject)delegations["keys"]!)[signer.KeyId] = signer.KeyJson();
        var role = new JsonObject
        {
            ["name"] = name,
            ["keyids"] = new JsonArray(signer.KeyId),
            ["threshold"] = 1,
            ["terminating"] = terminating,
        };
        if (hashPrefixes is not null)
        {
            role["path_hash_prefixes"] = new JsonArray(hashPrefixes.Select(p => (JsonNode?)p).ToArray());
        }
        else
        {
            role["paths"] = new JsonArray((paths ?? ["*"]).Select(p => (JsonNode?)p).ToArray());
        }

        ((JsonArray)delegations["roles"]!).Add(role);
        Signers[name] = [signer];
        JsonObject child = NewSigned("targets");
        child["targets"] = new JsonObject();
        Targets[name] = child;
        PublishTargets(name);
        return signer;
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        _listener.Close();
        try
        {
            _serveLoop.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
            // The loop ends with the listener's disposal exception.
        }

        _stop.Dispose();
    }

    private static void Bump(JsonObject signed, bool bump)
    {
        signed["version"] = bump ? VersionOf(signed) + 1 : Math.Max(1, VersionOf(signed));
    }

    private static void AddLengthAndHash(JsonObject info, byte[] data)
    {
        info["length"] = data.Length;
        info["hashes"] = new JsonObject { ["sha256"] = Convert.ToHexStringLower(SHA256.HashData(data)) };
    }

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    private async Task ServeAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            _ = Task.Run(() => HandleAsync(context));
        }
    }

    private async Task HandleAsync(HttpListenerContext context)
    {
        string raw = context.Request.RawUrl ?? "/";
        int query = raw.IndexOf('?', StringComparison.Ordinal);
        string rawPath = (query < 0 ? raw : raw[..query]).TrimStart('/');
        string path = Uri.UnescapeDataString(rawPath);
        RawRequests.Enqueue(rawPath);
        Requests.Enqueue(path);
        try
        {
            if (Intercept is not null && await Intercept(path, context).ConfigureAwait(false))
            {
                return;
            }

            if (Files.TryGetValue(path, out byte[]? body))
            {
                context.Response.StatusCode = 200;
                context.Response.ContentLength64 = body.Length;
                await context.Response.OutputStream.WriteAsync(body).ConfigureAwait(false);
            }
            else
            {
                context.Response.StatusCode = 404;
            }

            context.Response.Close();
        }
        catch (Exception ex) when (ex is HttpListenerException or IOException or ObjectDisposedException)
        {
            // The client went away (e.g. it stopped reading at its size bound).
        }
    }
}
