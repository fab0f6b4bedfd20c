using System.IO.Compression;
using SigstoreBuild.LocalStack;
using SigstoreBuild.NuGet;
using SigstoreBuild.NuGet.Restore;
using SigstoreBuild.Restore.Tests.Infrastructure;

namespace SigstoreBuild.Restore.Tests.EndToEnd;

/// <summary>
/// The whole journey of a signed package through a real feed, with no bundle file anywhere: a publisher packs with the
/// SigstoreBuild package (signing through the local Sigstore instance embeds the bundle), pushes with
/// <c>dotnet nuget push</c> to a NuGet V3 server over HTTP, and a consumer restores from that server with
/// <c>SigstoreVerifyPackages=enforce</c> and a policy. The honest package builds; one whose content was changed on the
/// server, with its embedded bundle kept, fails with a coded error.
/// </summary>
[TestClass]
[TestCategory("EndToEnd")]
public sealed class EmbeddedBundleFeedTests
{
    private const string ApiKey = "publisher-key";
    private const string Publisher = "release@contoso.example";
    private const string Version = "1.0.0";

    private static string s_root = null!;
    private static LocalSigstore s_sigstore = null!;
    private static NuGetV3Server s_server = null!;
    private static string s_sigstoreBuildVersion = null!;
    private static string s_packOutput = null!;

    public TestContext TestContext { get; set; } = null!;

    [ClassInitialize]
    public static async Task PublishAsync(TestContext context)
    {
        s_root = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), "ssb-embedded-feed-" + Guid.NewGuid().ToString("N")[..10])).FullName;
        s_sigstore = await LocalSigstore.StartAsync(Path.Combine(s_root, "sigstore"), 0, context.CancellationToken);
        s_server = new NuGetV3Server(ApiKey);
        s_sigstoreBuildVersion = $"0.0.0-embedded.{DateTime.UtcNow:yyyyMMddHHmmss}";

        // The SigstoreBuild package as users get it, published to the same server.
        var tasks = Path.Combine(s_root, "tasks");
        var pack = DotnetProcess.Run(s_root, null, "pack", Path.Combine(SignedFeed.Metadata("RepoRoot"), "src", "SigstoreBuild.Tasks", "SigstoreBuild.Tasks.csproj"),
            "-c", SignedFeed.Metadata("Configuration"), "-o", tasks, $"-p:PackageVersion={s_sigstoreBuildVersion}", "-nodeReuse:false", "-p:UseSharedCompilation=false", "-tl:off", "-v:q");
        Assert.AreEqual(0, pack.ExitCode, "Packing SigstoreBuild: " + pack);
        Push(Directory.GetFiles(tasks, "SigstoreBuild.*.nupkg").Single());

        // The publisher: two libraries packed and signed by dotnet pack.
        s_packOutput = Path.Combine(s_root, "out");
        foreach (var id in new[] { "Contoso.Shipped", "Contoso.Altered" })
        {
            var project = WriteLibrary(Path.Combine(s_root, "publisher", id), id);
            var packed = DotnetProcess.Run(project, Path.Combine(s_root, "gpf-publisher"), new Dictionary<string, string> { ["SIGSTORE_ID_TOKEN"] = s_sigstore.MintToken(Publisher) },
                "pack", "-c", "Release", "-o", s_packOutput, "-nodeReuse:false", "-p:UseSharedCompilation=false", "-tl:off", "-v:n",
                $"-p:SigstoreTrustedRootPath={s_sigstore.TrustedRootPath}", $"-p:SigstoreSigningConfigPath={s_sigstore.SigningConfigPath}", "-p:SigstoreRequireSigning=true");
            Assert.AreEqual(0, packed.ExitCode, $"dotnet pack {id}: {packed}");
            StringAssert.Contains(packed.Output, $"Sigstore: signed {id}.{Version}.nupkg as {Publisher}");
        }

        // Changed after signing, its embedded bundle kept: what a compromised feed or mirror could serve.
        var altered = Path.Combine(s_root, "altered", $"Contoso.Altered.{Version}.nupkg");
        Directory.CreateDirectory(Path.GetDirectoryName(altered)!);
        File.Copy(Path.Combine(s_packOutput, $"Contoso.Altered.{Version}.nupkg"), altered);
        using (var zip = ZipFile.Open(altered, ZipArchiveMode.Update))
        {
            using var writer = new StreamWriter(zip.CreateEntry("buildTransitive/Contoso.Altered.targets").Open());
            writer.Write("<Project><Target Name=\"Steal\" BeforeTargets=\"Build\" /></Project>");
        }

        Push(Path.Combine(s_packOutput, $"Contoso.Shipped.{Version}.nupkg"));
        Push(altered);
    }

    [ClassCleanup]
    public static async Task CleanupAsync()
    {
        s_server?.Dispose();
        if (s_sigstore is not null)
        {
            await s_sigstore.DisposeAsync();
        }

        try
        {
            Directory.Delete(s_root, recursive: true);
        }
        catch (IOException)
        {
            // A build process may still hold a file; the temp folder is cleaned by the OS.
        }
    }

    [TestMethod]
    public void Pack_EmbedsTheBundle_AndWritesNoSidecar()
    {
        var package = Path.Combine(s_packOutput, $"Contoso.Shipped.{Version}.nupkg");

        Assert.IsNotNull(EmbeddedBundle.Read(package), "the .nupkg carries its bundle");
        Assert.AreEqual(0, Directory.GetFiles(s_packOutput, "*.sigstore.json").Length, string.Join(", ", Directory.GetFiles(s_packOutput)));
        var verify = DotnetProcess.Run(s_packOutput, null, SignedFeed.Metadata("CliAssembly"), "verify-package", package,
            "--certificate-identity", Publisher, "--certificate-oidc-issuer", s_sigstore.Services.Oidc.Issuer, "--trusted-root", s_sigstore.TrustedRootPath);
        Assert.AreEqual(0, verify.ExitCode, verify.ToString());
    }

    [TestMethod]
    public void Consumer_RestoresFromTheFeed_AndVerifiesTheEmbeddedBundle()
    {
        var consumer = WriteConsumer("Shipped", "Contoso.Shipped");

        var build = DotnetProcess.Run(consumer, Path.Combine(consumer, "gpf"), DotnetProcess.Build());

        Assert.AreEqual(0, build.ExitCode, build.ToString());
        Assert.IsTrue(s_server.WasDownloaded("Contoso.Shipped", Version), "restored from the V3 server");
        var report = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(consumer, "obj", "sigstore", RestoreRun.ReportFileName)))!;
        var shipped = report["packages"]!.AsArray().Single(p => (string?)p!["id"] == "Contoso.Shipped")!;
        Assert.AreEqual("verified", (string?)shipped["status"], report.ToJsonString());
        Assert.AreEqual(Publisher, (string?)shipped["signer"]!["subject"]);
        StringAssert.Contains((string?)shipped["bundle"], EmbeddedBundle.EntryName, "the bundle came from inside the .nupkg");
        AssertNoSidecars(consumer);
    }

    [TestMethod]
    public void Consumer_OfAPackageChangedOnTheFeed_FailsWithACode()
    {
        var consumer = WriteConsumer("Altered", "Contoso.Altered");

        var build = DotnetProcess.Run(consumer, Path.Combine(consumer, "gpf"), DotnetProcess.Build());

        Assert.AreNotEqual(0, build.ExitCode, build.ToString());
        Assert.IsTrue(build.HasLine("error SSB51", "Contoso.Altered"), build.ToString());
        StringAssert.Contains(build.Output, "SSB3414", "no subject has the changed package's digest");
        AssertNoSidecars(consumer);
    }

    private static void Push(string package)
    {
        var push = DotnetProcess.Run(Path.GetDirectoryName(package)!, null, "nuget", "push", package, "-s", s_server.ServiceIndexUrl.ToString(), "-k", ApiKey, "--allow-insecure-connections");
        Assert.AreEqual(0, push.ExitCode, $"dotnet nuget push {Path.GetFileName(package)}: {push}");
    }

    private static string WriteNuGetConfig(string directory, string packagesFolder)
    {
        File.WriteAllText(Path.Combine(directory, "nuget.config"), $"""
            <configuration>
              <packageSources><clear /><add key="v3" value="{s_server.ServiceIndexUrl}" allowInsecureConnections="true" /></packageSources>
              <fallbackPackageFolders><clear /></fallbackPackageFolders>
              <config><add key="globalPackagesFolder" value="{packagesFolder}" /></config>
            </configuration>
            """);
        return directory;
    }

    private static string WriteLibrary(string directory, string id)
    {
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, id + ".csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <TargetFramework>net10.0</TargetFramework>
                <PackageId>{id}</PackageId>
                <Version>{Version}</Version>
                <Authors>Contoso</Authors>
                <Description>A library published with an embedded Sigstore bundle.</Description>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="SigstoreBuild" Version="{s_sigstoreBuildVersion}" PrivateAssets="all" />
              </ItemGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(directory, "Library.cs"), $"namespace {id}; public static class Marker {{ public const int Value = 1; }}");
        return WriteNuGetConfig(directory, Path.Combine(s_root, "gpf-publisher"));
    }

    private static string WriteConsumer(string name, string package)
    {
        var directory = Directory.CreateDirectory(Path.Combine(s_root, "consumer-" + name)).FullName;
        File.WriteAllText(Path.Combine(directory, "App.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <TargetFramework>net10.0</TargetFramework>
                <SigstoreVerifyPackages>enforce</SigstoreVerifyPackages>
                <SigstoreTrustedRootPath>{s_sigstore.TrustedRootPath}</SigstoreTrustedRootPath>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="SigstoreBuild" Version="{s_sigstoreBuildVersion}" PrivateAssets="all" />
                <PackageReference Include="{package}" Version="{Version}" />
              </ItemGroup>
              <ItemGroup>
                <SigstoreTrustedIdentity Include="Contoso.%2A" Issuer="{s_sigstore.Services.Oidc.Issuer}" Subject="{Publisher}" />
                <SigstoreUnsignedAllowed Include="SigstoreBuild" />
              </ItemGroup>
            </Project>
            """);
        return WriteNuGetConfig(directory, Path.Combine(directory, "gpf"));
    }

    /// <summary>Only the entry inside the package (extracted by restore as .sigstore/bundle.sigstore.json) may exist.</summary>
    private static void AssertNoSidecars(string consumer)
    {
        var sidecars = Directory.EnumerateFiles(consumer, "*.sigstore.json", SearchOption.AllDirectories)
            .Where(f => !f.EndsWith(Path.Combine(".sigstore", "bundle.sigstore.json"), StringComparison.Ordinal))
            .ToList();
        Assert.AreEqual(0, sidecars.Count, string.Join(", ", sidecars));
    }
}
