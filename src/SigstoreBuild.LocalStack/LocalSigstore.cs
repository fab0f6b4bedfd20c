using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SigstoreBuild.Diagnostics;
using SigstoreBuild.LocalStack.Faults;
using SigstoreBuild.LocalStack.Http;
using SigstoreBuild.LocalStack.Oidc;

namespace SigstoreBuild.LocalStack;

/// <summary>Options for <see cref="LocalSigstore.StartAsync(LocalSigstoreOptions, CancellationToken)"/>.</summary>
public sealed class LocalSigstoreOptions
{
    public required string DataDirectory { get; init; }

    /// <summary>TCP port on 127.0.0.1; 0 picks a free one.</summary>
    public int Port { get; init; }

    /// <summary>Clock for certificates, log entries, timestamps and tokens (tests inject a fake one).</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    public CheckpointKeyType RekorV2KeyType { get; init; } = CheckpointKeyType.Ed25519;

    public string GitHubServerUrl { get; init; } = "https://github.com";

    /// <summary>
    /// Also listen for HTTPS on another loopback port, with a certificate generated at start (<see cref="LocalSigstore.HttpsCertificate"/>):
    /// MSAL accepts HTTPS authorities only, so the Entra ID tenants (<see cref="EntraDirectory"/>) are served there.
    /// </summary>
    public bool Https { get; init; }
}

/// <summary>
/// A running local Sigstore instance: Kestrel on 127.0.0.1 serving OIDC, Fulcio v2, Rekor v1/v2, an RFC 3161 TSA and a
/// TUF repository, with trusted_root.json, signing_config.json and tuf-root.json written into the data directory.
/// Dispose to stop it.
/// </summary>
public sealed class LocalSigstore : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly X509Certificate2? _httpsServerCertificate;

    private LocalSigstore(WebApplication app, LocalSigstoreServices services, FaultPlan faults, X509Certificate2? httpsCertificate)
    {
        _app = app;
        Services = services;
        Faults = faults;
        _httpsServerCertificate = httpsCertificate;
        HttpsCertificate = httpsCertificate is null ? null : X509CertificateLoader.LoadCertificate(httpsCertificate.RawData);
    }

    /// <summary>The HTTPS listener's base URL (<see cref="LocalSigstoreOptions.Https"/>), else null.</summary>
    public string? HttpsBaseUrl => Services.Oidc.Entra.BaseUrl;

    /// <summary>The HTTPS listener's self-signed certificate (public part), for clients to pin; null without HTTPS.</summary>
    public X509Certificate2? HttpsCertificate { get; }

    public string BaseUrl => Services.BaseUrl;

    public int Port => new Uri(BaseUrl).Port;

    public string DataDirectory => Services.DataDirectory;

    public string TrustedRootPath => Services.TrustedRootPath;

    public string SigningConfigPath => Services.SigningConfigPath;

    public string SigningConfigRekorV2Path => Services.SigningConfigRekorV2Path;

    /// <summary>Rekor v2's base URL (<c>{base}/rekor-v2</c>): its write API and its tlog-tiles read API.</summary>
    public string RekorV2Url => Trust.TrustDocuments.RekorV2Url(BaseUrl);

    /// <summary>The TUF mirror URL (<c>{base}/tuf</c>) publishing trusted_root.json and signing_config.v0.2.json.</summary>
    public string TufMirrorUrl => Services.TufMirrorUrl;

    /// <summary><c>DIR/tuf-root.json</c>: the TUF root to trust initially (<c>--tuf-root</c>).</summary>
    public string TufRootPath => Services.TufRootPath;

    /// <summary>The primitives behind the HTTP endpoints, for tests that build or break material in-process.</summary>
    public LocalSigstoreServices Services { get; }

    /// <summary>Fault injection and request counters.</summary>
    public FaultPlan Faults { get; }

    public static Task<LocalSigstore> StartAsync(string dataDirectory, int port = 0, CancellationToken cancellationToken = default) =>
        StartAsync(new LocalSigstoreOptions { DataDirectory = dataDirectory, Port = port }, cancellationToken);

    public static async Task<LocalSigstore> StartAsync(LocalSigstoreOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var dataDirectory = Path.GetFullPath(options.DataDirectory);
        Directory.CreateDirectory(dataDirectory);

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = dataDirectory, Args = [] });
        builder.Logging.ClearProviders();
        builder.Services.ConfigureHttpJsonOptions(json => json.SerializerOptions.Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping);
        // Kestrel keeps using it for handshakes: the instance disposes it when it stops.
        var httpsCertificate = options.Https ? CreateHttpsCertificate(options.TimeProvider) : null;
        if (httpsCertificate is not null)
        {
            builder.WebHost.UseKestrelHttpsConfiguration();
        }

        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(IPAddress.Loopback, options.Port);
            if (httpsCertificate is not null)
            {
                kestrel.Listen(IPAddress.Loopback, 0, listen => listen.UseHttps(httpsCertificate));
            }

            kestrel.Limits.MaxRequestBodySize = 8 * 1024 * 1024;
        });

        var app = builder.Build();
        var faults = new FaultPlan();
        LocalSigstoreServices? services = null;
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        // The base URL (and so the issuer and checkpoint origins) is known only once the port is bound.
        app.Use(async (context, next) =>
        {
            await ready.Task.WaitAsync(context.RequestAborted);
            await next(context);
        });
        Endpoints.Map(app, () => services!, faults);

        try
        {
            await app.StartAsync(cancellationToken);
        }
        catch (IOException ex)
        {
            await app.DisposeAsync();
            throw new SigstoreException(LocalStackCodes.ListenerFailed,
                $"The local Sigstore instance cannot listen on 127.0.0.1:{options.Port} ({ex.Message}). Choose another --port or 0.", ex);
        }

        try
        {
            var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Select(a => new Uri(a)).ToList();
            var port = addresses.First(a => a.Scheme == Uri.UriSchemeHttp).Port;
            services = LocalSigstoreServices.Open(dataDirectory, $"http://127.0.0.1:{port}", options.TimeProvider, options.RekorV2KeyType);
            if (httpsCertificate is not null)
            {
                services.Oidc.Entra.BaseUrl = $"https://127.0.0.1:{addresses.First(a => a.Scheme == Uri.UriSchemeHttps).Port}";
            }

            services = services.WithGitHubServerUrl(options.GitHubServerUrl);
            services.WriteTrustDocuments();
        }
        catch
        {
            services?.Dispose();
            await app.StopAsync(CancellationToken.None);
            await app.DisposeAsync();
            throw;
        }

        ready.SetResult();
        return new LocalSigstore(app, services, faults, httpsCertificate);
    }

    /// <summary>A self-signed server certificate for 127.0.0.1, valid for a day: nothing outside the test run trusts it.</summary>
    private static X509Certificate2 CreateHttpsCertificate(TimeProvider time)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=SigstoreBuild LocalStack", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false));
        var now = time.GetUtcNow();
        return request.CreateSelfSigned(now.AddHours(-1), now.AddDays(1));
    }

    /// <summary>Mints an identity token (audience "sigstore") for an email or URI subject.</summary>
    public string MintToken(string subject, TimeSpan? lifetime = null) =>
        Services.Oidc.Mint(new TokenRequest { Subject = subject, Lifetime = lifetime ?? TimeSpan.FromMinutes(10) });

    public string MintToken(TokenRequest request) => Services.Oidc.Mint(request);

    /// <summary>Mints a token shaped like a GitHub Actions OIDC token for <paramref name="repository"/>.</summary>
    public string MintGitHubActionsToken(string repository = "octo-org/octo-repo", string workflowPath = ".github/workflows/release.yml",
        string reference = "refs/heads/main")
    {
        var claims = TokenRequest.GitHubActionsClaims(repository, workflowPath, reference);
        return Services.Oidc.Mint(new TokenRequest
        {
            Subject = $"repo:{repository}:ref:{reference}",
            Claims = claims,
        });
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync(CancellationToken.None);
        await _app.DisposeAsync();
        Services.Dispose();
        _httpsServerCertificate?.Dispose();
        HttpsCertificate?.Dispose();
    }
}
