using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using SigstoreBuild.Restore.Tests.Infrastructure;

namespace SigstoreBuild.Restore.Tests.EndToEnd;

/// <summary>
/// Proves <see cref="NuGetV3Server"/> with the real clients: <c>dotnet nuget push</c> (created, conflict, wrong key) and
/// <c>dotnet restore</c> from it into an isolated global packages folder, byte for byte; plus the protocol details an
/// HttpClient can check quickly (service index, flat container, multipart push with chunked bodies, limits).
/// </summary>
[TestClass]
[TestCategory("EndToEnd")]
public sealed class NuGetV3ServerTests
{
    private const string ApiKey = "test-api-key";
    private const string PackageId = "Contoso.Feed";
    private const string Version = "1.2.3";

    private string _root = null!;

    public TestContext TestContext { get; set; } = null!;

    [TestInitialize]
    public void Initialize() => _root = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), "ssb-v3feed-" + Guid.NewGuid().ToString("N")[..12])).FullName;

    [TestCleanup]
    public void Cleanup()
    {
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    [TestMethod]
    public void DotnetNuGetPush_CreatesThenConflicts_AndAWrongKeyIsRefused()
    {
        using var server = new NuGetV3Server(ApiKey);
        var bytes = TestFeed.CreateNupkg(PackageId, Version);
        var nupkg = WritePackage(bytes);

        // --disable-buffering streams the multipart body with chunked transfer encoding.
        var pushed = Push(server, nupkg, ApiKey, "--disable-buffering");
        Assert.AreEqual(0, pushed.ExitCode, pushed.ToString());
        CollectionAssert.AreEqual(bytes, server.GetPackage(PackageId, Version), "The server must keep the package exactly as uploaded.");
        Assert.IsTrue(server.Requests.Any(r => r.Method == "PUT" && r.Path == "/api/v2/package/" && r.Status == 201), string.Join("\n", server.Requests));

        var again = Push(server, nupkg, ApiKey);
        Assert.AreNotEqual(0, again.ExitCode, again.ToString());
        StringAssert.Contains(again.Output, "409", again.ToString());
        TestContext.WriteLine("Second push: " + again);
        Assert.IsTrue(server.Requests.Any(r => r.Method == "PUT" && r.Status == 409), string.Join("\n", server.Requests));

        var skipped = Push(server, nupkg, ApiKey, "--skip-duplicate");
        Assert.AreEqual(0, skipped.ExitCode, skipped.ToString());
        StringAssert.Contains(skipped.Output, "already exists", skipped.ToString());
        TestContext.WriteLine("Push with --skip-duplicate: " + skipped);

        var other = WritePackage(TestFeed.CreateNupkg(PackageId, "2.0.0"));
        var wrongKey = Push(server, other, "not-the-key");
        Assert.AreNotEqual(0, wrongKey.ExitCode, wrongKey.ToString());
        StringAssert.Contains(wrongKey.Output, "403", wrongKey.ToString());
        TestContext.WriteLine("Push with a wrong key: " + wrongKey);
        Assert.IsNull(server.GetPackage(PackageId, "2.0.0"));
        Assert.AreEqual(1, server.Packages.Count);
    }

    [TestMethod]
    public void DotnetRestore_DownloadsThePushedPackage_ByteForByte()
    {
        using var server = new NuGetV3Server(ApiKey);
        var bytes = TestFeed.CreateNupkg(PackageId, Version);
        var pushed = Push(server, WritePackage(bytes), ApiKey);
        Assert.AreEqual(0, pushed.ExitCode, pushed.ToString());

        var app = Directory.CreateDirectory(Path.Combine(_root, "app")).FullName;
        var globalPackages = Path.Combine(_root, "gpf");
        File.WriteAllText(Path.Combine(app, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
                <add key="e2e" value="{server.ServiceIndexUrl}" allowInsecureConnections="true" />
              </packageSources>
              <fallbackPackageFolders><clear /></fallbackPackageFolders>
              <config><add key="globalPackagesFolder" value="{globalPackages}" /></config>
            </configuration>
            """);
        File.WriteAllText(Path.Combine(app, "App.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <TargetFramework>net10.0</TargetFramework>
                <NuGetAudit>false</NuGetAudit>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="{PackageId}" Version="{Version}" />
              </ItemGroup>
            </Project>
            """);

        var restore = DotnetProcess.Run(app, globalPackages, "restore", "--no-http-cache", "-nodeReuse:false", "-tl:off", "-v:m");
        Assert.AreEqual(0, restore.ExitCode, restore.ToString());

        var lowerId = PackageId.ToLowerInvariant();
        var restored = Path.Combine(globalPackages, lowerId, Version, $"{lowerId}.{Version}.nupkg");
        Assert.IsTrue(File.Exists(restored), $"{restored} is missing.\n{restore}");
        CollectionAssert.AreEqual(bytes, File.ReadAllBytes(restored), "Restore must download exactly the pushed bytes.");
        Assert.IsTrue(File.Exists(Path.Combine(globalPackages, lowerId, Version, $"{lowerId}.nuspec")));
        Assert.IsTrue(server.WasDownloaded(PackageId, Version), string.Join("\n", server.Requests));
        Assert.IsTrue(server.Requests.Any(r => r.Method == "GET" && r.Path == "/v3/index.json"), string.Join("\n", server.Requests));
        Assert.IsTrue(server.Requests.Any(r => r.Method == "GET" && r.Path == $"/v3-flatcontainer/{lowerId}/index.json" && r.Status == 200), string.Join("\n", server.Requests));
    }

    [TestMethod]
    public async Task Protocol_ServiceIndex_FlatContainer_Push_Replace()
    {
        using var server = new NuGetV3Server(ApiKey);
        using var http = new HttpClient();
        var cancel = TestContext.CancellationToken;

        var index = JsonNode.Parse(await http.GetStringAsync(server.ServiceIndexUrl, cancel))!;
        Assert.AreEqual("3.0.0", (string?)index["version"]);
        var resources = index["resources"]!.AsArray().ToDictionary(r => (string)r!["@type"]!, r => (string)r!["@id"]!);
        Assert.AreEqual(server.PublishUrl.ToString(), resources["PackagePublish/2.0.0"]);
        Assert.AreEqual(server.PackageBaseAddress.ToString(), resources["PackageBaseAddress/3.0.0"]);
        Assert.IsFalse(resources.Keys.Any(t => t.StartsWith("RegistrationsBaseUrl", StringComparison.Ordinal)));

        Assert.AreEqual(HttpStatusCode.NotFound, (await http.GetAsync(new Uri(server.PackageBaseAddress, "contoso.feed/index.json"), cancel)).StatusCode);

        var v1 = TestFeed.CreateNupkg(PackageId, "1.0.0-Beta");
        var v2 = TestFeed.CreateNupkg(PackageId, "1.0.0");
        Assert.AreEqual(HttpStatusCode.Created, await PutAsync(http, server.PublishUrl, v1, ApiKey, chunked: true, cancel));
        Assert.AreEqual(HttpStatusCode.Created, await PutAsync(http, new Uri(server.PublishUrl + "/"), v2, ApiKey, chunked: false, cancel));
        Assert.AreEqual(HttpStatusCode.Conflict, await PutAsync(http, server.PublishUrl, v2, ApiKey, chunked: false, cancel));
        Assert.AreEqual(HttpStatusCode.Forbidden, await PutAsync(http, server.PublishUrl, TestFeed.CreateNupkg(PackageId, "3.0.0"), "wrong", chunked: false, cancel));
        Assert.AreEqual(HttpStatusCode.Unauthorized, await PutAsync(http, server.PublishUrl, TestFeed.CreateNupkg(PackageId, "3.0.0"), null, chunked: false, cancel));

        var versions = JsonNode.Parse(await http.GetStringAsync(new Uri(server.PackageBaseAddress, "contoso.feed/index.json"), cancel))!["versions"]!.AsArray().Select(v => (string)v!).ToList();
        CollectionAssert.AreEqual(new[] { "1.0.0-beta", "1.0.0" }, versions);

        using (var download = await http.GetAsync(new Uri(server.BaseUrl, NuGetV3Server.NupkgPath(PackageId, "1.0.0-Beta")), cancel))
        {
            Assert.AreEqual(HttpStatusCode.OK, download.StatusCode);
            Assert.AreEqual("application/octet-stream", download.Content.Headers.ContentType?.MediaType);
            CollectionAssert.AreEqual(v1, await download.Content.ReadAsByteArrayAsync(cancel));
        }

        Assert.AreEqual("/v3-flatcontainer/contoso.feed/1.0.0-beta/contoso.feed.1.0.0-beta.nupkg", NuGetV3Server.NupkgPath(PackageId, "1.0.0-Beta"));
        Assert.IsTrue(server.WasDownloaded(PackageId, "1.0.0-beta"));
        Assert.IsFalse(server.WasDownloaded(PackageId, "1.0.0"));
        StringAssert.Contains(await http.GetStringAsync(new Uri(server.PackageBaseAddress, "contoso.feed/1.0.0/contoso.feed.nuspec"), cancel), "<version>1.0.0</version>");
        Assert.AreEqual(HttpStatusCode.NotFound, (await http.GetAsync(new Uri(server.PackageBaseAddress, "contoso.feed/9.9.9/contoso.feed.9.9.9.nupkg"), cancel)).StatusCode);
        Assert.AreEqual(HttpStatusCode.NotFound, (await http.GetAsync(new Uri(server.PackageBaseAddress, "Contoso.Feed/1.0.0/Contoso.Feed.1.0.0.nupkg"), cancel)).StatusCode);

        var tampered = v2.ToArray();
        tampered[^1] ^= 0xFF;
        server.Replace(PackageId, "1.0.0", tampered);
        CollectionAssert.AreEqual(tampered, await http.GetByteArrayAsync(new Uri(server.BaseUrl, NuGetV3Server.NupkgPath(PackageId, "1.0.0")), cancel));
    }

    [TestMethod]
    public async Task Push_TooLargeOrMalformed_IsRefused()
    {
        using var server = new NuGetV3Server(ApiKey, maxPushBytes: 1024);
        using var http = new HttpClient();
        var cancel = TestContext.CancellationToken;
        var large = TestFeed.CreateNupkg(PackageId, "1.0.0", content: Convert.ToBase64String(RandomNumberGenerator.GetBytes(4096)));
        Assert.IsTrue(large.Length > 1024);
        Assert.AreEqual(HttpStatusCode.RequestEntityTooLarge, await PutAsync(http, server.PublishUrl, large, ApiKey, chunked: true, cancel));
        Assert.AreEqual(HttpStatusCode.RequestEntityTooLarge, await PutAsync(http, server.PublishUrl, large, ApiKey, chunked: false, cancel));
        Assert.AreEqual(2, server.Requests.Count(r => r.Method == "PUT" && r.Status == 413), string.Join("\n", server.Requests));

        using var notMultipart = new HttpRequestMessage(HttpMethod.Put, server.PublishUrl) { Content = new ByteArrayContent([1, 2, 3]) };
        notMultipart.Headers.Add("X-NuGet-ApiKey", ApiKey);
        Assert.AreEqual(HttpStatusCode.BadRequest, (await http.SendAsync(notMultipart, cancel)).StatusCode);

        Assert.AreEqual(HttpStatusCode.BadRequest, await PutAsync(http, server.PublishUrl, [1, 2, 3, 4], ApiKey, chunked: false, cancel));
        Assert.AreEqual(0, server.Packages.Count);
    }

    [TestMethod]
    public void PackagePart_ParsesMultipartBodies()
    {
        var body = "preamble\r\n--b0\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhello\r\n--b0  \r\nContent-Disposition: form-data; name=\"package\"; filename=\"package.nupkg\"\r\nContent-Type: application/octet-stream\r\n\r\n\r\n-b0 --b\r\n--b0--\r\nepilogue"u8.ToArray();
        CollectionAssert.AreEqual("\r\n-b0 --b"u8.ToArray(), NuGetV3Server.PackagePart(body, "b0"));
        CollectionAssert.AreEqual("hello"u8.ToArray(), NuGetV3Server.PackagePart("--b\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\nhello\r\n--b--"u8.ToArray(), "b"));
        Assert.IsNull(NuGetV3Server.PackagePart("--b\r\nContent-Disposition: form-data\r\n\r\nno end"u8.ToArray(), "b"));
        Assert.AreEqual("abc", NuGetV3Server.Boundary("multipart/form-data; boundary=\"abc\""));
        Assert.AreEqual("abc", NuGetV3Server.Boundary("Multipart/Form-Data;boundary=abc"));
        Assert.IsNull(NuGetV3Server.Boundary("application/octet-stream"));
        Assert.IsNull(NuGetV3Server.Boundary("multipart/form-data"));
    }

    private static async Task<HttpStatusCode> PutAsync(HttpClient http, Uri url, byte[] nupkg, string? apiKey, bool chunked, CancellationToken cancel)
    {
        using var multipart = new MultipartFormDataContent();
        var part = new ByteArrayContent(nupkg);
        part.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        multipart.Add(part, "package", "package.nupkg");
        using var request = new HttpRequestMessage(HttpMethod.Put, url) { Content = multipart };
        request.Headers.TransferEncodingChunked = chunked;
        if (apiKey is not null)
        {
            request.Headers.Add("X-NuGet-ApiKey", apiKey);
        }

        try
        {
            using var response = await http.SendAsync(request, cancel);
            return response.StatusCode;
        }
        catch (HttpRequestException ex) when (ex.StatusCode is null)
        {
            // A server may answer 413 and close before the whole body is sent; the client then reports the reset.
            return HttpStatusCode.RequestEntityTooLarge;
        }
    }

    private string WritePackage(byte[] bytes)
    {
        var directory = Directory.CreateDirectory(Path.Combine(_root, "out", Guid.NewGuid().ToString("N")[..8])).FullName;
        var path = Path.Combine(directory, "package.nupkg");
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private ProcessResult Push(NuGetV3Server server, string nupkg, string apiKey, params string[] more) =>
        DotnetProcess.Run(_root, Path.Combine(_root, "push-packages"), ["nuget", "push", nupkg, "-s", server.ServiceIndexUrl.ToString(), "-k", apiKey, "--allow-insecure-connections", "--force-english-output", .. more]);
}
