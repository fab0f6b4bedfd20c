using System.Net;
using SigstoreBuild.Diagnostics;
using SigstoreBuild.Http;

namespace SigstoreBuild.Tuf;

/// <summary>What the client trusts after a refresh, or what a cache holds.</summary>
public sealed record TufTrustState
{
    public required Uri MetadataUri { get; init; }

    public required string CacheDirectory { get; init; }

    public long RootVersion { get; init; }

    public DateTimeOffset RootExpires { get; init; }

    public long? TimestampVersion { get; init; }

    public DateTimeOffset? TimestampExpires { get; init; }

    public long? SnapshotVersion { get; init; }

    public long? TargetsVersion { get; init; }

    public DateTimeOffset? TargetsExpires { get; init; }

    /// <summary>True when nothing was contacted: the state comes from the cache (offline mode or a cache listing).</summary>
    public bool Offline { get; init; }

    /// <summary>True when the state was read without verifying signatures (<see cref="TufClient.DescribeCache"/>).</summary>
    public bool Unverified { get; init; }

    /// <summary>Number of root versions accepted during this refresh.</summary>
    public int RootRotations { get; init; }

    /// <summary>Requests made during this refresh (a warm refresh with nothing new makes two: root N+1 and timestamp).</summary>
    public int Requests { get; init; }

    public IReadOnlyList<VerificationWarning> Warnings { get; init; } = [];
}

/// <summary>
/// A TUF 1.0 client (specification §5, detailed client workflow) for one repository:
/// <code>
/// using TufClient tuf = await TufClient.CreateAsync(TufOptions.PublicGood, ct);
/// await tuf.RefreshAsync(ct);
/// byte[] trustedRoot = await tuf.GetTargetBytesAsync("trusted_root.json", ct);
/// </code>
/// Every refusal is a <see cref="SigstoreException"/> with an SSB4xxx code from <see cref="TufCodes"/>.
/// Not thread-safe: use one instance per operation.
/// </summary>
public sealed class TufClient : IDisposable
{
    private readonly TufCache _cache;
    private readonly HttpClient? _http;
    private readonly Uri _metadataUri;
    private readonly Uri _targetsUri;
    private readonly List<VerificationWarning> _warnings = [];
    private byte[] _rootBytes;
    private TrustedMetadataSet? _trusted;
    private int _requests;

    private TufClient(TufOptions options, TufCache cache, byte[] rootBytes)
    {
        Options = options;
        _cache = cache;
        _rootBytes = rootBytes;
        _metadataUri = options.ResolveMetadataUri();
        _targetsUri = options.ResolveTargetsUri();
        _http = options.Offline ? null : SigstoreHttp.CreateClient(options.Http);
    }

    public TufOptions Options { get; }

    public string CacheDirectory => _cache.Directory;

    /// <summary>The state after the last <see cref="RefreshAsync"/>, or null before it.</summary>
    public TufTrustState? State { get; private set; }

    /// <summary>
    /// Opens the cache and settles the trusted root: the cached root, or the initial root when the cache has none or an
    /// older one. The root must be signed by its own threshold; a bad initial root fails here, before any request.
    /// Makes no network request.
    /// </summary>
    public static Task<TufClient> CreateAsync(TufOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        cancellationToken.ThrowIfCancellationRequested();
        options.Validate();
        var cache = new TufCache(options.ResolveCacheDirectory());
        cache.EnsureCreated(options.SettingNames);

        Uri metadataUri = options.ResolveMetadataUri();
        Uri targetsUri = options.ResolveTargetsUri();
        (Uri Metadata, Uri Targets)? recorded = cache.ReadMirror();
        if (recorded is { } mirror && (mirror.Metadata != metadataUri || mirror.Targets != targetsUri))
        {
            throw new SigstoreException(TufCodes.InvalidOptions, $"The TUF cache {cache.Directory} belongs to the mirror {mirror.Metadata}, not {metadataUri}. Use a separate {options.SettingNames.CacheDirectory} for each mirror.");
        }

        // Expiry is checked at refresh time, against the time read when the refresh starts; not here.
        DateTimeOffset now = DateTimeOffset.MinValue;
        byte[]? cachedRoot = cache.TryRead(cache.TopLevelPath(TufMetadata.RootType));
        long cachedVersion = 0;
        if (cachedRoot is not null)
        {
            try
            {
                cachedVersion = new TrustedMetadataSet(cachedRoot, now).Root.Version;
            }
            catch (SigstoreException) when (!options.InitialRoot.IsEmpty)
            {
                // A corrupt cached root is replaced by the configured initial root below.
                cachedRoot = null;
            }
        }

        byte[] rootBytes;
        if (!options.InitialRoot.IsEmpty)
        {
            byte[] initial = options.InitialRoot.ToArray();
            long initialVersion = new TrustedMetadataSet(initial, now).Root.Version;
            rootBytes = cachedRoot is not null && cachedVersion >= initialVersion ? cachedRoot : initial;
        }
        else
        {
            rootBytes = cachedRoot ?? throw new SigstoreException(TufCodes.InvalidOptions, $"The TUF cache {cache.Directory} holds no trusted root and no initial root was given. Initialise it with a root.json (`sigstore trust-root init --tuf-mirror URL --tuf-root ROOT.json`).");
        }

        if (!ReferenceEquals(rootBytes, cachedRoot))
        {
            cache.WriteAtomic(cache.TopLevelPath(TufMetadata.RootType), rootBytes);
        }

        if (recorded is null)
        {
            cache.WriteMirror(metadataUri, targetsUri);
        }

        return Task.FromResult(new TufClient(options, cache, rootBytes));
    }

    /// <summary>
    /// Updates root, timestamp, snapshot and top-level targets (§5.3–§5.6), or, offline, loads and verifies them from the
    /// cache. With a warm cache and nothing new on the mirror this costs two small requests: the probe for root N+1
    /// (a 404) and timestamp.json; snapshot and targets are then verified from the cache.
    /// </summary>
    public async Task<TufTrustState> RefreshAsync(CancellationToken cancellationToken = default)
    {
        _trusted = null;
        _warnings.Clear();
        _requests = 0;
        DateTimeOffset referenceTime = Options.TimeProvider.GetUtcNow();
        int rotations = 0;
        TrustedMetadataSet trusted;
        if (Options.Offline)
        {
            trusted = LoadOffline(referenceTime);
        }
        else
        {
            trusted = new TrustedMetadataSet(_rootBytes, referenceTime);
            rotations = await UpdateRootAsync(trusted, cancellationToken).ConfigureAwait(false);
            await UpdateTimestampAsync(trusted, cancellationToken).ConfigureAwait(false);
            await UpdateSnapshotAsync(trusted, cancellationToken).ConfigureAwait(false);
            await LoadTargetsAsync(trusted, TufMetadata.TargetsType, TufMetadata.RootType, cancellationToken).ConfigureAwait(false);
        }

        _trusted = trusted;
        State = new TufTrustState
        {
            MetadataUri = _metadataUri,
            CacheDirectory = _cache.Directory,
            RootVersion = trusted.Root.Version,
            RootExpires = trusted.Root.Expires,
            TimestampVersion = trusted.Timestamp?.Version,
            TimestampExpires = trusted.Timestamp?.Expires,
            SnapshotVersion = trusted.Snapshot?.Version,
            TargetsVersion = trusted.TopLevelTargets?.Version,
            TargetsExpires = trusted.TopLevelTargets?.Expires,
            Offline = Options.Offline,
            RootRotations = rotations,
            Requests = _requests,
            Warnings = _warnings.ToArray(),
        };
        return State;
    }

    /// <summary>
    /// The exact bytes of a target, verified against the trusted targets metadata (length and every hash), found by a
    /// pre-order depth-first search of the delegations. Refreshes first if needed. Served from the cache when the cached
    /// copy still matches; otherwise downloaded (consistent-snapshot <c>hash.name</c> path) and cached atomically.
    /// </summary>
    public async Task<byte[]> GetTargetBytesAsync(string targetName, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(targetName);
        if (targetName.Split('/').Any(segment => segment is "" or "." or ".."))
        {
            // Such a path would leave the targets directory of the mirror once the URL is normalised.
            throw new SigstoreException(TufCodes.TargetNotFound, $"\"{targetName}\" is not a valid TUF target path (empty, \".\" or \"..\" segment). Use the target name as the repository lists it.");
        }

        if (_trusted is null)
        {
            await RefreshAsync(cancellationToken).ConfigureAwait(false);
        }

        TufFileInfo target = await FindTargetAsync(targetName, cancellationToken).ConfigureAwait(false)
            ?? throw new SigstoreException(TufCodes.TargetNotFound, $"The TUF repository {_metadataUri} does not list the target \"{targetName}\". Check the target name and the mirror URL.");
        string path = _cache.TargetPath(targetName);
        byte[]? cached = _cache.TryRead(path);
        if (cached is not null && target.FindMismatch(cached) is null)
        {
            return cached;
        }

        if (Options.Offline)
        {
            throw new SigstoreException(TufCodes.OfflineUnavailable, $"The TUF target \"{targetName}\" is not in the cache {_cache.Directory} (or no longer matches the trusted metadata). Run once online ({Options.SettingNames.OfflineOff}) to fetch it.");
        }

        long length = target.Length!.Value;
        if (length > Options.TargetFileMaxLength)
        {
            throw new SigstoreException(TufCodes.DownloadTooLarge, $"The TUF target \"{targetName}\" is declared as {length} bytes, more than the allowed {Options.TargetFileMaxLength}. Refusing to download it.");
        }

        Uri uri = new(_targetsUri.AbsoluteUri + TargetUrlPath(targetName, target));
        byte[] data = await DownloadAsync(uri, length, cancellationToken).ConfigureAwait(false)
            ?? throw new SigstoreException(TufCodes.DownloadFailed, $"The TUF mirror has no file at {uri} for the target \"{targetName}\". The mirror is incomplete; try again later.");
        string? mismatch = target.FindMismatch(data);
        if (mismatch is not null)
        {
            throw new SigstoreException(TufCodes.TargetHashMismatch, $"The TUF target \"{targetName}\" downloaded from {uri}: {mismatch}. Refusing it; the mirror served a file that the targets metadata does not vouch for.");
        }

        _cache.WriteAtomic(path, data);
        return data;
    }

    /// <summary>Reads what a cache holds, without verifying anything (for `trust-root show`).</summary>
    public static TufTrustState DescribeCache(string cacheDirectory)
    {
        var cache = new TufCache(cacheDirectory);
        (Uri metadataUri, _) = cache.ReadMirror()
            ?? throw new SigstoreException(TufCodes.InvalidOptions, $"The directory {cache.Directory} is not an initialised TUF cache (no mirror.json).");
        byte[] rootData = cache.TryRead(cache.TopLevelPath(TufMetadata.RootType))
            ?? throw new SigstoreException(TufCodes.CacheError, $"The TUF cache {cache.Directory} holds no root.json. Initialise it again.");
        RootMetadata root = RootMetadata.Parse(rootData);
        TimestampMetadata? timestamp = TryParse(cache, TufMetadata.TimestampType, d => TimestampMetadata.Parse(d));
        SnapshotMetadata? snapshot = TryParse(cache, TufMetadata.SnapshotType, d => SnapshotMetadata.Parse(d));
        TargetsMetadata? targets = TryParse(cache, TufMetadata.TargetsType, d => TargetsMetadata.Parse(d));
        return new TufTrustState
        {
            MetadataUri = metadataUri,
            CacheDirectory = cache.Directory,
            RootVersion = root.Version,
            RootExpires = root.Expires,
            TimestampVersion = timestamp?.Version,
            TimestampExpires = timestamp?.Expires,
            SnapshotVersion = snapshot?.Version,
            TargetsVersion = targets?.Version,
            TargetsExpires = targets?.Expires,
            Offline = true,
            Unverified = true,
        };
    }

    public void Dispose() => _http?.Dispose();

    private static T? TryParse<T>(TufCache cache, string role, Func<byte[], T> parse)
        where T : TufMetadata
    {
        byte[]? data = cache.TryRead(cache.TopLevelPath(role));
        if (data is null)
        {
            return null;
        }

        try
        {
            return parse(data);
        }
        catch (SigstoreException)
        {
            return null;
        }
    }

    private TrustedMetadataSet LoadOffline(DateTimeOffset referenceTime)
    {
        var set = new TrustedMetadataSet(_rootBytes, referenceTime, ignoreFreshnessExpiry: true);
        byte[] timestamp = ReadForOffline(TufMetadata.TimestampType);
        byte[] snapshot = ReadForOffline(TufMetadata.SnapshotType);
        byte[] targets = ReadForOffline(TufMetadata.TargetsType);
        set.UpdateTimestamp(timestamp);
        set.UpdateSnapshot(snapshot, fromCache: true);
        set.UpdateDelegatedTargets(targets, TufMetadata.TargetsType, TufMetadata.RootType);
        _warnings.Add(new VerificationWarning(TufCodes.OfflineTrustUsed, $"Offline: using the cached TUF metadata in {_cache.Directory} (root v{set.Root.Version}, targets v{set.TopLevelTargets!.Version}) without contacting {_metadataUri}."));
        return set;
    }

    private byte[] ReadForOffline(string role)
        => _cache.TryRead(_cache.TopLevelPath(role))
            ?? throw new SigstoreException(TufCodes.OfflineUnavailable, $"Offline mode needs cached TUF {role} metadata in {_cache.Directory}, and there is none. Run once online (`sigstore trust-root update --cache-dir \"{_cache.Directory}\"`, or {Options.SettingNames.OfflineOff}) to fill the cache.");

    /// <summary>§5.3: walk N+1, N+2, ... until the mirror has no newer root or the cap is reached.</summary>
    private async Task<int> UpdateRootAsync(TrustedMetadataSet trusted, CancellationToken cancellationToken)
    {
        int rotations = 0;
        long start = trusted.Root.Version;
        for (long version = start + 1; ; version++)
        {
            if (version > start + Options.MaxRootRotations)
            {
                _warnings.Add(new VerificationWarning(TufCodes.RootRotationCapReached, $"Stopped after {Options.MaxRootRotations} root rotations (now at version {trusted.Root.Version}); the mirror may publish more. Refresh again to continue."));
                break;
            }

            byte[]? data = await DownloadAsync(new Uri(_metadataUri.AbsoluteUri + $"{version}.root.json"), Options.RootMaxLength, cancellationToken).ConfigureAwait(false);
            if (data is null)
            {
                break;
            }

            trusted.UpdateRoot(data);
            // Persist each accepted root at once, so an interrupted walk resumes from the last good one.
            _cache.WriteAtomic(_cache.TopLevelPath(TufMetadata.RootType), data);
            _rootBytes = data;
            rotations++;
        }

        trusted.CheckFinalRoot();
        return rotations;
    }

    /// <summary>§5.4. A cached timestamp is re-verified against the current root: after a key rotation it fails and is dropped (§5.3.11).</summary>
    private async Task UpdateTimestampAsync(TrustedMetadataSet trusted, CancellationToken cancellationToken)
    {
        TryLoadLocal(() => trusted.UpdateTimestamp(ReadLocal(TufMetadata.TimestampType)));
        byte[] data = await DownloadMetadataAsync("timestamp.json", Options.TimestampMaxLength, cancellationToken).ConfigureAwait(false);
        if (trusted.UpdateTimestamp(data))
        {
            _cache.WriteAtomic(_cache.TopLevelPath(TufMetadata.TimestampType), data);
        }
    }

    private async Task UpdateSnapshotAsync(TrustedMetadataSet trusted, CancellationToken cancellationToken)
    {
        if (TryLoadLocal(() => trusted.UpdateSnapshot(ReadLocal(TufMetadata.SnapshotType), fromCache: true)))
        {
            return;
        }

        TufFileInfo meta = trusted.Timestamp!.SnapshotMeta;
        string name = trusted.Root.ConsistentSnapshot ? $"{meta.Version}.snapshot.json" : "snapshot.json";
        byte[] data = await DownloadMetadataAsync(name, meta.Length ?? Options.SnapshotMaxLength, cancellationToken).ConfigureAwait(false);
        trusted.UpdateSnapshot(data, fromCache: false);
        _cache.WriteAtomic(_cache.TopLevelPath(TufMetadata.SnapshotType), data);
    }

    /// <summary>§5.6: a cached role is used only if it still verifies against the current snapshot and delegator.</summary>
    private async Task<TargetsMetadata> LoadTargetsAsync(TrustedMetadataSet trusted, string role, string delegator, CancellationToken cancellationToken)
    {
        if (trusted.GetTargets(role) is TargetsMetadata loaded)
        {
            return loaded;
        }

        string path = _cache.RolePath(role);
        if (TryLoadLocal(() => trusted.UpdateDelegatedTargets(_cache.TryRead(path) ?? throw new FileNotFoundException(), role, delegator)))
        {
            return trusted.GetTargets(role)!;
        }

        if (Options.Offline)
        {
            throw new SigstoreException(TufCodes.OfflineUnavailable, $"Offline mode needs cached TUF metadata for the role \"{role}\" in {_cache.Directory}. Run once online ({Options.SettingNames.OfflineOff}) to fill the cache.");
        }

        if (!trusted.Snapshot!.Meta.TryGetValue(role + ".json", out TufFileInfo? meta))
        {
            throw new SigstoreException(TufCodes.Rollback, $"The TUF role \"{role}\" is not listed in the trusted snapshot. Refusing it; the mirror is inconsistent.");
        }

        string encoded = TufCache.EncodeName(role);
        string name = trusted.Root.ConsistentSnapshot ? $"{meta.Version}.{encoded}.json" : $"{encoded}.json";
        byte[] data = await DownloadMetadataAsync(name, meta.Length ?? Options.TargetsMaxLength, cancellationToken).ConfigureAwait(false);
        TargetsMetadata targets = trusted.UpdateDelegatedTargets(data, role, delegator);
        _cache.WriteAtomic(path, data);
        return targets;
    }

    /// <summary>Pre-order depth-first search over delegations, honouring terminating roles and the delegation cap.</summary>
    private async Task<TufFileInfo?> FindTargetAsync(string targetName, CancellationToken cancellationToken)
    {
        TrustedMetadataSet trusted = _trusted!;
        var toVisit = new Stack<(string Role, string Delegator)>();
        toVisit.Push((TufMetadata.TargetsType, TufMetadata.RootType));
        var visited = new HashSet<string>(StringComparer.Ordinal);
        int budget = Options.MaxDelegations;
        while (budget > 0 && toVisit.Count > 0)
        {
            (string role, string delegator) = toVisit.Pop();
            if (!visited.Add(role))
            {
                continue;
            }

            TargetsMetadata targets = await LoadTargetsAsync(trusted, role, delegator, cancellationToken).ConfigureAwait(false);
            if (targets.Targets.TryGetValue(targetName, out TufFileInfo? found))
            {
                return found;
            }

            budget--;
            var children = new List<(string, string)>();
            foreach (TufDelegatedRole child in targets.DelegatedRoles)
            {
                if (!child.IsDelegatedPath(targetName))
                {
                    continue;
                }

                if (TufCache.IsTopLevel(child.Name))
                {
                    throw TufJson.Invalid($"the role \"{role}\" delegates to \"{child.Name}\", the name of a top-level role");
                }

                children.Add((child.Name, role));
                if (child.Terminating)
                {
                    toVisit.Clear();
                    break;
                }
            }

            for (int i = children.Count - 1; i >= 0; i--)
            {
                toVisit.Push(children[i]);
            }
        }

        return null;
    }

    /// <summary>
    /// The consistent-snapshot URL path "dir/hash.name" (first listed hash), each segment percent-encoded so a target
    /// name cannot add query strings or escape the targets base.
    /// </summary>
    private string TargetUrlPath(string targetName, TufFileInfo target)
    {
        string[] segments = targetName.Split('/');
        if (_trusted!.Root.ConsistentSnapshot)
        {
            segments[^1] = target.Hashes[0].Value + "." + segments[^1];
        }

        return string.Join('/', segments.Select(Uri.EscapeDataString));
    }

    private byte[] ReadLocal(string role)
        => _cache.TryRead(_cache.TopLevelPath(role)) ?? throw new FileNotFoundException();

    /// <summary>Cached metadata that no longer verifies is ignored and fetched again; it never fails the update by itself.</summary>
    private static bool TryLoadLocal(Action load)
    {
        try
        {
            load();
            return true;
        }
        catch (Exception ex) when (ex is SigstoreException or FileNotFoundException)
        {
            return false;
        }
    }

    private async Task<byte[]> DownloadMetadataAsync(string name, long maxLength, CancellationToken cancellationToken)
    {
        Uri uri = new(_metadataUri.AbsoluteUri + name);
        return await DownloadAsync(uri, maxLength, cancellationToken).ConfigureAwait(false)
            ?? throw new SigstoreException(TufCodes.DownloadFailed, $"The TUF mirror has no {name} ({uri} answered 404/403). Check the mirror URL; the repository may be incomplete.");
    }

    /// <summary>Returns null for 404/403 (absent file); other failures are coded errors.</summary>
    private async Task<byte[]?> DownloadAsync(Uri uri, long maxLength, CancellationToken cancellationToken)
    {
        _requests++;
        BoundedHttpResponse response;
        try
        {
            response = await SigstoreHttp.GetBoundedAsync(_http!, uri, maxLength, Options.Http, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpResponseTooLargeException ex)
        {
            throw new SigstoreException(TufCodes.DownloadTooLarge, $"The TUF mirror sent more than {maxLength} bytes for {uri}. Refusing it (endless-data protection).", ex);
        }
        catch (Exception ex) when (ex is HttpRequestException or TimeoutException or IOException)
        {
            throw new SigstoreException(TufCodes.DownloadFailed, $"Downloading {uri} failed: {ex.Message} Check the network or proxy, or {Options.SettingNames.Set(Options.SettingNames.Offline)} to use the cached trust root.", ex);
        }

        if (response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Forbidden)
        {
            return null;
        }

        if (!response.IsSuccessStatusCode)
        {
            throw new SigstoreException(TufCodes.DownloadFailed, $"Downloading {uri} failed with HTTP {(int)response.StatusCode} after {response.Attempts} attempt(s). Try again later, or {Options.SettingNames.Set(Options.SettingNames.Offline)} to use the cached trust root.");
        }

        return response.Body;
    }
}
