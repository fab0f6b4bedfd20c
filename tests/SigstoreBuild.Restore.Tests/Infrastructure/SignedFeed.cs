using System.Reflection;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using SigstoreBuild.Identity;
using SigstoreBuild.LocalStack;
using SigstoreBuild.NuGet;
using SigstoreBuild.NuGet.Attestations;
using SigstoreBuild.Signing;

namespace SigstoreBuild.Restore.Tests.Infrastructure;

/// <summary>
/// One shared end-to-end setup: the SigstoreBuild package packed from this repository into a temp folder feed, an
/// in-process local Sigstore instance, and packages in the same feed signed through it (one signing session per
/// identity), with sidecar bundles as a folder feed publishes them. Consumers get an isolated NUGET_PACKAGES.
/// </summary>
internal sealed class SignedFeed : IAsyncDisposable
{
    public const string TrustedSigner = "release@contoso.example";
    public const string OtherSigner = "mallory@fabrikam.example";
    public const string Version = "1.0.0";

    private SignedFeed(string root, LocalSigstore sigstore, string packageVersion)
    {
        Root = root;
        Sigstore = sigstore;
        SigstoreBuildVersion = packageVersion;
    }

    public string Root { get; }

    public string Feed => Path.Combine(Root, "feed");

    public string NuGetPackages => Path.Combine(Root, "gpf");

    public LocalSigstore Sigstore { get; }

    public string Issuer => Sigstore.Services.Oidc.Issuer;

    public string SigstoreBuildVersion { get; }

    public static string Metadata(string key) =>
        typeof(SignedFeed).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value!;

    /// <summary>Builds everything; returns null and a reason when a prerequisite is missing (the tests are inconclusive then).</summary>
    public static async Task<(SignedFeed? Feed, string? Problem)> CreateAsync(CancellationToken cancellationToken)
    {
        var root = Path.Combine(Path.GetTempPath(), "ssb-restore-e2e-" + Guid.NewGuid().ToString("N")[..10]);
        Directory.CreateDirectory(Path.Combine(root, "feed"));
        Directory.CreateDirectory(Path.Combine(root, "gpf"));
        var packageVersion = $"0.0.0-restore.{DateTime.UtcNow:yyyyMMddHHmmss}";

        // The task assembly the test project just built, packed as users get it (PackageVersion leaves it unchanged).
        var pack = DotnetProcess.Run(root, null, "pack", Path.Combine(Metadata("RepoRoot"), "src", "SigstoreBuild.Tasks", "SigstoreBuild.Tasks.csproj"),
            "-c", Metadata("Configuration"), "-o", Path.Combine(root, "feed"), $"-p:PackageVersion={packageVersion}", "-nodeReuse:false", "-p:UseSharedCompilation=false", "-tl:off", "-v:q");
        if (pack.ExitCode != 0)
        {
            return (null, "Packing SigstoreBuild failed: " + pack);
        }

        var sigstore = await LocalSigstore.StartAsync(Path.Combine(root, "sigstore"), 0, cancellationToken);
        var feed = new SignedFeed(root, sigstore, packageVersion);
        await feed.PublishAsync(cancellationToken);
        return (feed, feed.AuthorSigningProblem);
    }

    /// <summary>Set when `dotnet nuget sign` could not run here.</summary>
    public string? AuthorSigningProblem { get; private set; }

    private async Task PublishAsync(CancellationToken cancellationToken)
    {
        using (var trusted = Signer(TrustedSigner))
        {
            foreach (var id in new[] { "Contoso.Trusted", "Contoso.AuthorSigned", "Contoso.Tampered" })
            {
                await SignAsync(trusted, Write(id, Version), cancellationToken);
            }

            await SignAsync(trusted, Write("Contoso.Lock", "1.0.0"), cancellationToken);
        }

        using (var other = Signer(OtherSigner))
        {
            await SignAsync(other, Write("Contoso.Other", Version), cancellationToken);
            await SignAsync(other, Write("Contoso.Lock", "2.0.0"), cancellationToken);
        }

        Write("Contoso.Unsigned", Version);

        // Changed after signing: the bundle no longer names its content hash.
        File.WriteAllBytes(Path.Combine(Feed, $"Contoso.Tampered.{Version}.nupkg"), TestFeed.CreateNupkg("Contoso.Tampered", Version, "changed after signing"));

        // An author signature added after Sigstore signing changes the file but not NuGet's content hash.
        var pfx = Path.Combine(Root, "author.pfx");
        File.WriteAllBytes(pfx, AuthorPfx("pw"));
        var sign = DotnetProcess.Run(Root, NuGetPackages, "nuget", "sign", Path.Combine(Feed, $"Contoso.AuthorSigned.{Version}.nupkg"), "--certificate-path", pfx, "--certificate-password", "pw", "--overwrite");
        if (sign.ExitCode != 0)
        {
            AuthorSigningProblem = "dotnet nuget sign failed: " + sign;
        }
    }

    private string Write(string id, string version)
    {
        var path = Path.Combine(Feed, $"{id}.{version}.nupkg");
        File.WriteAllBytes(path, TestFeed.CreateNupkg(id, version, $"{id} {version}"));
        return path;
    }

    private SessionAttestationSigner Signer(string subject) => new(new SigningSession(
        StaticSigningTrustProvider.Load(Sigstore.TrustedRootPath, Sigstore.SigningConfigPath),
        ExplicitTokenProvider.FromToken(Sigstore.MintToken(subject)),
        new SigstoreBundleVerifier()));

    private static async Task SignAsync(SessionAttestationSigner signer, string nupkg, CancellationToken cancellationToken)
    {
        var package = PackageInspector.Inspect(nupkg);
        var statement = PackageStatements.ForPackages([package], new SlsaBuildContext { Project = package.Identity.Id, BuilderId = "https://sigstorebuild.invalid/tests/restore", Step = "pack" });
        await signer.SignAsync(statement, nupkg + ".sigstore.json", cancellationToken);
    }

    /// <summary>A self-signed code-signing certificate made now; NuGet accepts its untrusted root with a warning.</summary>
    private static byte[] AuthorPfx(string password)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=SigstoreBuild restore e2e author", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyCertSign, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.3")], false));
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddHours(2));
        return certificate.Export(X509ContentType.Pfx, password);
    }

    /// <summary>A consumer project folder with nuget.config naming only the feed.</summary>
    public string NewConsumer(string name)
    {
        var app = Directory.CreateDirectory(Path.Combine(Root, name)).FullName;
        File.WriteAllText(Path.Combine(app, "nuget.config"), $"""
            <configuration>
              <packageSources><clear /><add key="feed" value="{Feed}" /></packageSources>
              <config><add key="globalPackagesFolder" value="{NuGetPackages}" /></config>
            </configuration>
            """);
        return app;
    }

    /// <summary>Writes App.csproj: the SigstoreBuild package, the given packages (id or id/version) and policy items.</summary>
    public void WriteProject(string app, IEnumerable<string> packages, string policy, string properties = "")
    {
        var references = string.Join("\n    ", packages.Select(p => p.Split('/') is [var id, var version] ? (id, version) : (p, Version))
            .Select(p => $"<PackageReference Include=\"{p.Item1}\" Version=\"{p.Item2}\" />"));
        File.WriteAllText(Path.Combine(app, "App.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <TargetFramework>net10.0</TargetFramework>
                <SigstoreVerifyPackagesRehash>false</SigstoreVerifyPackagesRehash>
                {properties}
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="SigstoreBuild" Version="{SigstoreBuildVersion}" PrivateAssets="all" />
                {references}
              </ItemGroup>
              <ItemGroup>
                {policy}
              </ItemGroup>
            </Project>
            """);
    }

    /// <summary>The policy of most tests: Contoso.* by the trusted signer; Contoso.Lock by either signer; SigstoreBuild unsigned.</summary>
    public string Policy(string extra = "") => $"""
        <SigstoreTrustedIdentity Include="Contoso.%2A" Issuer="{Issuer}" Subject="{TrustedSigner}" />
        <SigstoreTrustedIdentity Include="Contoso.Lock" Issuer="{Issuer}" Subject="{TrustedSigner}" />
        <SigstoreTrustedIdentity Include="Contoso.Lock" Issuer="{Issuer}" Subject="{OtherSigner}" />
        <SigstoreUnsignedAllowed Include="SigstoreBuild" />
        {extra}
        """;

    public string TrustProperties => $"<SigstoreTrustedRootPath>{Sigstore.TrustedRootPath}</SigstoreTrustedRootPath>";

    public ProcessResult Dotnet(string app, params string[] arguments) => DotnetProcess.Run(app, NuGetPackages, arguments);

    /// <summary>Runs the sigstore command (the built CLI) out of process in the consumer folder.</summary>
    public ProcessResult RunCli(string app, params string[] arguments) => DotnetProcess.Run(app, NuGetPackages, [Metadata("CliAssembly"), .. arguments]);

    public async ValueTask DisposeAsync()
    {
        await Sigstore.DisposeAsync();
        if (Environment.GetEnvironmentVariable("SIGSTORE_E2E_KEEP") is null)
        {
            try
            {
                Directory.Delete(Root, recursive: true);
            }
            catch (IOException)
            {
                // A build process may still hold a file; the temp folder is cleaned by the OS.
            }
        }
    }
}
