namespace SigstoreBuild.LocalStack.Faults;

/// <summary>The services of the local instance, as fault injection and request counting see them.</summary>
public enum SigstoreService
{
    Oidc,
    Fulcio,
    RekorV1,
    RekorV2,
    Tsa,
}

/// <summary>What an injected fault does to one request.</summary>
public enum FaultKind
{
    /// <summary>503 Service Unavailable with Retry-After; the request is not processed.</summary>
    ServiceUnavailable,

    /// <summary>429 Too Many Requests with Retry-After; the request is not processed.</summary>
    TooManyRequests,

    /// <summary>500 Internal Server Error; the request is not processed.</summary>
    InternalServerError,

    /// <summary>The connection is aborted before the request is processed.</summary>
    DropConnection,

    /// <summary>The request is processed (e.g. the entry is logged), then the connection is aborted without a response.</summary>
    CommitThenDrop,

    /// <summary>The request is processed, then 503 is returned instead of the real response.</summary>
    CommitThenServiceUnavailable,

    /// <summary>The request is processed normally after <see cref="Fault.Delay"/>.</summary>
    Delay,

    /// <summary>Fulcio: the leaf is signed by a CA key that the trusted root does not hold.</summary>
    UntrustedCertificateChain,

    /// <summary>Fulcio: the embedded SCT's signature is broken.</summary>
    CorruptSct,

    /// <summary>Fulcio: the certificate names another identity than the token's.</summary>
    MismatchedIdentity,

    /// <summary>Fulcio: the certificate certifies another public key than the requested one.</summary>
    MismatchedPublicKey,

    /// <summary>Rekor: one inclusion proof hash is altered (or a bogus one added).</summary>
    CorruptInclusionProof,

    /// <summary>Rekor: the returned body belongs to another entry.</summary>
    MismatchedBody,

    /// <summary>Rekor: the checkpoint is signed by a key the trusted root does not hold (with the genuine key hint).</summary>
    UntrustedCheckpointKey,

    /// <summary>Rekor: the checkpoint is correctly signed but names another origin.</summary>
    WrongCheckpointOrigin,

    /// <summary>Rekor v1: the signed entry timestamp is altered.</summary>
    CorruptSignedEntryTimestamp,

    /// <summary>TSA: the token's message imprint is over other data.</summary>
    MismatchedImprint,

    /// <summary>TSA: the token is signed by a TSA certificate that does not chain to the trusted TSA root.</summary>
    UntrustedTimestampChain,

    /// <summary>TSA: genTime is one day ahead, outside any fresh Fulcio certificate's validity.</summary>
    GenTimeOutsideValidity,

    /// <summary>OIDC /token: the minted token has already expired.</summary>
    ExpiredToken,

    /// <summary>OIDC /token: the minted token's audience is not the requested one.</summary>
    WrongAudience,

    /// <summary>OIDC /token: the minted token is signed by a key the issuer does not publish.</summary>
    ForgedToken,
}

/// <summary>One queued fault.</summary>
public sealed record Fault(FaultKind Kind, TimeSpan? RetryAfter = null, TimeSpan? Delay = null);

/// <summary>
/// In-process switchboard for fault scenarios: queue faults per service, each consumed by one request, in order.
/// Also counts the requests each service received (e.g. to assert that a batch made exactly one Fulcio request).
/// Thread-safe.
/// </summary>
public sealed class FaultPlan
{
    private readonly object _gate = new();
    private readonly Dictionary<SigstoreService, Queue<Fault>> _queues = [];
    private readonly Dictionary<SigstoreService, int> _requests = [];
    private readonly Dictionary<SigstoreService, int> _injected = [];

    /// <summary>Queues <paramref name="kind"/> for the next <paramref name="times"/> requests to <paramref name="service"/>.</summary>
    public FaultPlan Enqueue(SigstoreService service, FaultKind kind, int times = 1, TimeSpan? retryAfter = null, TimeSpan? delay = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(times);
        lock (_gate)
        {
            if (!_queues.TryGetValue(service, out var queue))
            {
                _queues[service] = queue = new Queue<Fault>();
            }

            for (var i = 0; i < times; i++)
            {
                queue.Enqueue(new Fault(kind, retryAfter, delay));
            }
        }

        return this;
    }

    /// <summary>Counts a request to <paramref name="service"/> and takes the next queued fault for it, if any.</summary>
    public bool TryTake(SigstoreService service, out Fault fault)
    {
        lock (_gate)
        {
            _requests[service] = _requests.GetValueOrDefault(service) + 1;
            if (_queues.TryGetValue(service, out var queue) && queue.TryDequeue(out var next))
            {
                _injected[service] = _injected.GetValueOrDefault(service) + 1;
                fault = next;
                return true;
            }
        }

        fault = null!;
        return false;
    }

    /// <summary>Faults still queued for <paramref name="service"/>.</summary>
    public int Pending(SigstoreService service)
    {
        lock (_gate)
        {
            return _queues.TryGetValue(service, out var queue) ? queue.Count : 0;
        }
    }

    /// <summary>Requests <paramref name="service"/> received since the start or the last <see cref="Reset"/>.</summary>
    public int RequestCount(SigstoreService service)
    {
        lock (_gate)
        {
            return _requests.GetValueOrDefault(service);
        }
    }

    /// <summary>Faults injected into <paramref name="service"/> so far.</summary>
    public int InjectedCount(SigstoreService service)
    {
        lock (_gate)
        {
            return _injected.GetValueOrDefault(service);
        }
    }

    /// <summary>Drops queued faults and zeroes the counters.</summary>
    public void Reset()
    {
        lock (_gate)
        {
            _queues.Clear();
            _requests.Clear();
            _injected.Clear();
        }
    }
}
