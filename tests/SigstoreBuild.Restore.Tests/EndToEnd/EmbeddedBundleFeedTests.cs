using System.IO.Compression;
using System.Text;
using System.Text.Json.Nodes;
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
/// server, with its embedded bundle kept, fails with a coded error; so does the honest package served by a second feed
/// with its content kept and one byte of its embedded bundle's signature changed.
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
    private static NuGetV3Server s_tamperedServer = null!;
    private static string s_sigstoreBuildVersion = null!;
    private static string s_packOutput = null!;

    public TestContext TestContext { get; set; } = null!;

    [ClassInitialize]
    public static async Task PublishAsync(TestContext context)
    {
        s_root = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), "ssb-embedded-feed-" + Guid.NewGuid().ToString("N")[..10])).FullName;
        s_sigstore = await LocalSigstore.StartAsync(Path.Combine(s_root, "sigstore"), 0, context.CancellationToken);
        s_server = new NuGetV3Server(ApiKey);
        s_tamperedServer = new NuGetV3Server(ApiKey);
        s_sigstoreBuildVersion = $"0.0.0-embedded.{DateTime.UtcNow:yyyyMMddHHmmss}";

        // The SigstoreBuild package as users get it, published to the same server.
        var tasks = Path.Combine(s_root, "tasks");
        var pack = DotnetProcess.Run(s_root, null, "pack", Path.Combine(SignedFeed.Metadata("RepoRoot"), "src", "SigstoreBuild.Tasks", "SigstoreBuild.Tasks.csproj"),
            "-c", SignedFeed.Metadata("Configuration"), "-o", tasks, $"-p:PackageVersion={s_sigstoreBuildVersion}", "-nodeReuse:false", "-p:UseSharedCompilation=false", "-tl:off", "-v:q");
        Assert.AreEqual(0, pack.ExitCode, "Packing SigstoreBuild: " + pack);
        var sigstoreBuildPackage = Directory.GetFiles(tasks, "SigstoreBuild.*.nupkg").Single();
        Push(s_server, sigstoreBuildPackage);
        Push(s_tamperedServer, sigstoreBuildPackage);

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

        Push(s_server, Path.Combine(s_packOutput, $"Contoso.Shipped.{Version}.nupkg"));
        Push(s_server, altered);

        // The same package, its content kept and one byte of its embedded bundle's signature changed, on a second feed
        // (the first one already has Contoso.Shipped 1.0.0): what a feed or mirror that rewrites the bundle could serve.
        Push(s_tamperedServer, WriteTamperedBundleCopy(Path.Combine(s_packOutput, $"Contoso.Shipped.{Version}.nupkg"), Path.Combine(s_root, "tampered-bundle")));
    }

    /// <summary>
    /// A copy of <paramref name="package"/> whose embedded bundle differs in one byte of the DSSE signature (the JSON
    /// otherwise byte for byte the same), rezipped with every other entry as it was.
    /// </summary>
    private static string WriteTamperedBundleCopy(string package, string directory)
    {
        var bundle = EmbeddedBundle.Read(package) ?? throw new AssertFailedException($"'{package}' carries no embedded bundle.");
        var json = Encoding.UTF8.GetString(bundle);
        var signature = (string)JsonNode.Parse(json)!["dsseEnvelope"]!["signatures"]![0]!["sig"]!;
        var bytes = Convert.FromBase64String(signature);
        bytes[^1] ^= 0x01; // the last byte of s in an ASN.1 ECDSA signature (any byte of a raw one): still well-formed, no longer valid
        Assert.AreEqual(1, json.Split(signature).Length - 1, "the signature occurs once in the bundle");
        var tampered = Encoding.UTF8.GetBytes(json.Replace(signature, Convert.ToBase64String(bytes), StringComparison.Ordinal));

        var copy = Path.Combine(Directory.CreateDirectory(directory).FullName, Path.GetFileName(package));
        File.Copy(package, copy);
        using (var zip = ZipFile.Open(copy, ZipArchiveMode.Update))
        {
            var entry = zip.GetEntry(EmbeddedBundle.EntryName)!;
            var lastWrite = entry.LastWriteTime;
            entry.Delete();
            var replacement = zip.CreateEntry(EmbeddedBundle.EntryName, CompressionLevel.Optimal);
            replacement.LastWriteTime = lastWrite;
            using var stream = replacement.Open();
            stream.Write(tampered);
        }

        CollectionAssert.AreEqual(tampered, EmbeddedBundle.Read(copy), "the copy carries the changed bundle");
        CollectionAssert.AreEqual(PackageInspector.Inspect(package).PackageDigest, PackageInspector.Inspect(copy).PackageDigest, "the content is unchanged");
        return copy;
    }

    [ClassCleanup]
    public static async Task CleanupAsync()
    {
        s_server?.Dispose();
        s_tamperedServer?.Dispose();
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

    [TestMethod]
    public void Consumer_OfAPackageWhoseEmbeddedBundleWasChangedOnTheFeed_FailsWithACode()
    {
        var consumer = WriteConsumer("TamperedBundle", "Contoso.Shipped", s_tamperedServer);

        var build = DotnetProcess.Run(consumer, Path.Combine(consumer, "gpf"), DotnetProcess.Build());

        Assert.AreNotEqual(0, build.ExitCode, build.ToString());
        Assert.IsTrue(s_tamperedServer.WasDownloaded("Contoso.Shipped", Version), "restored from the feed with the changed bundle");
        Assert.IsTrue(build.HasLine("error SSB5104", "Contoso.Shipped"), build.ToString());
        Assert.IsTrue(build.HasLine("SSB3401", "Contoso.Shipped"), "the DSSE signature does not verify: " + build);
        AssertNoSidecars(consumer);
        AssertNoSidecars(s_packOutput);
        AssertNoSidecars(Path.Combine(s_root, "tampered-bundle"));
    }

    private static void Push(NuGetV3Server server, string package)
    {
        var push = DotnetProcess.Run(Path.GetDirectoryName(package)!, null, "nuget", "push", package, "-s", server.ServiceIndexUrl.ToString(), "-k", ApiKey, "--allow-insecure-connections");
        Assert.AreEqual(0, push.ExitCode, $"dotnet nuget push {Path.GetFileName(package)}: {push}");
    }

    private static string WriteNuGetConfig(string directory, string packagesFolder, NuGetV3Server? server = null)
    {
        File.WriteAllText(Path.Combine(directory, "nuget.config"), $"""
            <configuration>
              <packageSources><clear /><add key="v3" value="{(server ?? s_server).ServiceIndexUrl}" allowInsecureConnections="true" /></packageSources>
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

    private static string WriteConsumer(string name, string package, NuGetV3Server? server = null)
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
        return WriteNuGetConfig(directory, Path.Combine(directory, "gpf"), server);
    }

    /// <summary>Only the entries inside the package (extracted by restore under .sigstore/) may exist.</summary>
    private static void AssertNoSidecars(string directory)
    {
        var sidecars = Directory.EnumerateFiles(directory, "*.sigstore.json", SearchOption.AllDirectories)
            .Where(f => !f.EndsWith(Path.Combine(".sigstore", "bundle.sigstore.json"), StringComparison.Ordinal) && !f.EndsWith(Path.Combine(".sigstore", "sbom.sigstore.json"), StringComparison.Ordinal))
            .ToList();
        Assert.AreEqual(0, sidecars.Count, string.Join(", ", sidecars));
    }
}
