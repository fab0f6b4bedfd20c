using SigstoreBuild.Signing;
using SigstoreBuild.Signing.Transport;

namespace SigstoreBuild.Identity;

/// <summary>What identity providers need from the host: environment, HTTP, clock, log, processes and a browser.</summary>
public sealed class IdentityContext
{
    public IEnvironment Environment { get; init; } = ProcessEnvironment.Instance;

    public TimeProvider Time { get; init; } = TimeProvider.System;

    public ISigningLog Log { get; init; } = NullSigningLog.Instance;

    internal IProcessRunner ProcessRunner { get; init; } = Identity.ProcessRunner.Instance;

    internal IBrowserLauncher Browser { get; init; } = new SystemBrowserLauncher();

    internal RetryPolicy RetryPolicy { get; init; } = RetryPolicy.Default;

    /// <summary>Shared HTTP client; one is created when not given.</summary>
    public HttpClient? HttpClient { get; init; }

    private HttpClient? _ownClient;

    /// <summary><see cref="HttpClient"/>, or the one this context created.</summary>
    internal HttpClient SharedHttpClient => HttpClient ?? (_ownClient ??= ServiceHttpClient.CreateHttpClient());

    internal ServiceHttpClient CreateHttp() => new(SharedHttpClient, RetryPolicy, Time, Log);
}
