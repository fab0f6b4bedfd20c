using System.Collections.Concurrent;
using SigstoreBuild.Bundles;
using SigstoreBuild.Diagnostics;
using SigstoreBuild.Identity;
using SigstoreBuild.Signing;
using SigstoreBuild.Signing.Transport;

namespace SigstoreBuild.Tests.Signing;

internal sealed class CapturingLog : ISigningLog
{
    public ConcurrentQueue<(SigningLogLevel Level, string? Code, string Message)> Entries { get; } = new();

    public void Write(SigningLogLevel level, string? code, string message) => Entries.Enqueue((level, code, message));

    public string AllText => string.Join("\n", Entries.Select(e => $"{e.Level} {e.Code} {e.Message}"));
}

internal sealed class RecordingVerifier(IBundleVerifier? inner = null) : IBundleVerifier
{
    public ConcurrentQueue<(Bundle Bundle, BundleVerificationRequest Request)> Calls { get; } = new();

    public string? RejectWithCode { get; set; }

    public Task VerifyAsync(Bundle bundle, BundleVerificationRequest request, CancellationToken cancellationToken)
    {
        Calls.Enqueue((bundle, request));
        if (RejectWithCode is { } code)
        {
            throw new VerificationException(code, "test verifier rejected the bundle");
        }

        return inner?.VerifyAsync(bundle, request, cancellationToken) ?? Task.CompletedTask;
    }
}

/// <summary>A refreshable provider that hands out a new token per call and counts calls.</summary>
internal sealed class CountingTokenProvider(Func<int, string> mint, bool canRefresh = true) : IIdentityTokenProvider
{
    public int Calls;

    public string Name => "test provider";

    public bool CanRefresh => canRefresh;

    public Task<IdentityToken> GetTokenAsync(CancellationToken cancellationToken) =>
        Task.FromResult(IdentityToken.Parse(mint(Interlocked.Increment(ref Calls))));
}

internal sealed class ThrowingTrustProvider : ISigningTrustProvider
{
    public Task<SigningTrust> GetAsync(CancellationToken cancellationToken) =>
        throw new SigstoreException("SSB4001", "TUF timestamp metadata expired");
}

/// <summary>A clock that runs at real speed but is offset from the real one.</summary>
internal sealed class OffsetTimeProvider(TimeSpan offset) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + offset;
}

internal sealed class TempDirectory : IDisposable
{
    public TempDirectory()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "ssb-signing-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string File(string name, string? content = null)
    {
        var path = System.IO.Path.Combine(Path, name);
        if (content is not null)
        {
            System.IO.File.WriteAllText(path, content);
        }

        return path;
    }

    public string[] Bundles => Directory.GetFiles(Path, "*.sigstore.json");

    public string[] Temps => Directory.GetFiles(Path, "*.tmp", SearchOption.AllDirectories);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

internal static class SigningTestSupport
{
    public static readonly RetryPolicy FastRetries = new()
    {
        MaxAttempts = 4,
        InitialDelay = TimeSpan.FromMilliseconds(5),
        MaxDelay = TimeSpan.FromMilliseconds(20),
        AttemptTimeout = TimeSpan.FromSeconds(20),
        TotalDeadline = TimeSpan.FromSeconds(60),
    };

    public static SigningOptions Options(CapturingLog? log = null, TimeProvider? time = null, int? rekorVersion = null) => new()
    {
        RetryPolicy = FastRetries,
        Log = log ?? new CapturingLog(),
        Time = time ?? TimeProvider.System,
        RekorApiVersion = rekorVersion,
    };
}
