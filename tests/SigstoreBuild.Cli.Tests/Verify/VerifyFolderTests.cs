using System.Text;
using System.Text.Json;
using SigstoreBuild.Cli.Tests.Infrastructure;
using SigstoreBuild.LocalStack;
using SigstoreBuild.NuGet.Attestations;

namespace SigstoreBuild.Cli.Tests.Verify;

/// <summary>
/// <c>sigstore verify DIR</c> on a publish output folder signed as <c>dotnet publish</c> signing does (one DSSE in-toto
/// statement naming each file by its path relative to the folder, the bundle beside the folder), through the local
/// Sigstore instance: every listed file must be there with its digest, and with <c>--exact</c> nothing else.
/// </summary>
[TestClass]
public sealed class VerifyFolderTests
{
    private const string Email = "publisher@example.com";
    private static readonly string[] Files = ["App.dll", "App.deps.json", "runtimes/linux-x64/native/libApp.so"];
    private static LocalSigstore s_sigstore = null!;
    private static string s_root = null!;
    private static string s_publish = null!;
    private static string s_bundle = null!;

    public TestContext TestContext { get; set; } = null!;

    [ClassInitialize]
    public static async Task StartAsync(TestContext context)
    {
        s_root = Directory.CreateTempSubdirectory("ssb-cli-folder-").FullName;
        s_sigstore = await LocalSigstore.StartAsync(Path.Combine(s_root, "instance"), 0, context.CancellationToken);
        s_publish = Path.Combine(s_root, "signed", "publish");
        foreach (var file in Files)
        {
            Write(Path.Combine(s_publish, file), "content of " + file);
        }

        // Exactly the statement the publish signing task builds, and the bundle where it writes it.
        var statement = PackageStatements.ForPublishOutput(s_publish, Directory.EnumerateFiles(s_publish, "*", SearchOption.AllDirectories),
            new SlsaBuildContext { Project = "App.csproj", BuilderId = "local", Step = "publish" });
        s_bundle = s_publish + ".sigstore.json";
        await SignStatementAsync(statement.ToJson(), s_bundle);
    }

    [ClassCleanup]
    public static async Task StopAsync()
    {
        await s_sigstore.DisposeAsync();
        Directory.Delete(s_root, recursive: true);
    }

    private static Task<CliRun> VerifyAsync(string folder, params string[] more) =>
        CliRunner.RunAsync(["verify", folder, "--certificate-identity", Email, "--certificate-oidc-issuer", s_sigstore.BaseUrl, "--trusted-root", s_sigstore.TrustedRootPath, .. more]);

    [TestMethod]
    public async Task PublishFolder_Verifies_WithTheBundleBesideIt_AndSaysHowManyFiles()
    {
        var run = await VerifyAsync(s_publish);
        Assert.AreEqual(0, run.ExitCode, run.ToString());
        StringAssert.StartsWith(run.Output, $"Verified OK: 3 files in {s_publish} match the bundle; signed by {Email}");

        var exact = await VerifyAsync(s_publish, "--bundle", s_bundle, "--exact", "--output", "json");
        Assert.AreEqual(0, exact.ExitCode, exact.ToString());
        using var json = JsonDocument.Parse(exact.Output);
        Assert.AreEqual(3, json.RootElement.GetProperty("filesChecked").GetInt32());
        Assert.IsTrue(json.RootElement.GetProperty("exact").GetBoolean());
        CollectionAssert.AreEqual(Files.Order(StringComparer.Ordinal).ToList(), json.RootElement.GetProperty("files").EnumerateArray().Select(e => e.GetString()).ToList());
    }

    [TestMethod]
    public async Task ExtraFile_IsAllowed_UnlessExact_ThenNamed()
    {
        var folder = Copy();
        Write(Path.Combine(folder, "sub", "extra.dll"), "not signed");
        Assert.AreEqual(0, (await VerifyAsync(folder, "--bundle", s_bundle)).ExitCode);

        var run = await VerifyAsync(folder, "--bundle", s_bundle, "--exact");
        Assert.AreEqual(1, run.ExitCode, run.ToString());
        StringAssert.StartsWith(run.Error, "error SSB0042: 'sub/extra.dll' is in ");
        Assert.AreEqual(string.Empty, run.Output);
    }

    [TestMethod]
    public async Task BundleInsideTheFolder_IsNotAnUnlistedFile()
    {
        var folder = Copy();
        var inside = Path.Combine(folder, "publish.sigstore.json");
        File.Copy(s_bundle, inside);
        var run = await VerifyAsync(folder, "--bundle", inside, "--exact");
        Assert.AreEqual(0, run.ExitCode, run.ToString());
    }

    [TestMethod]
    public async Task MissingAndChangedFiles_AreEachNamedWithTheirCode()
    {
        var folder = Copy();
        File.Delete(Path.Combine(folder, "App.deps.json"));
        File.AppendAllText(Path.Combine(folder, "runtimes", "linux-x64", "native", "libApp.so"), "!");
        var run = await VerifyAsync(folder, "--bundle", s_bundle);
        Assert.AreEqual(1, run.ExitCode, run.ToString());
        StringAssert.Contains(run.Error, "error SSB0040: 'App.deps.json' is listed in the bundle but is not in ");
        StringAssert.Contains(run.Error, "error SSB0041: 'runtimes/linux-x64/native/libApp.so' in ");
        Assert.IsFalse(run.Error.Contains("App.dll", StringComparison.Ordinal), "an intact file was reported: " + run);
    }

    [TestMethod]
    public async Task WrongSigner_FailsAsForAFile()
    {
        var run = await CliRunner.RunAsync("verify", s_publish, "--certificate-identity", "mallory@example.com", "--certificate-oidc-issuer", s_sigstore.BaseUrl, "--trusted-root", s_sigstore.TrustedRootPath);
        Assert.AreEqual(1, run.ExitCode, run.ToString());
        StringAssert.StartsWith(run.Error, "error SSB34");
    }

    [TestMethod]
    public async Task SubjectOutsideTheFolder_IsRefused()
    {
        var dir = NewDirectory();
        var folder = Path.Combine(dir, "publish");
        Write(Path.Combine(folder, "a.txt"), "a");
        Write(Path.Combine(dir, "outside.txt"), "outside");
        var sha = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(Path.Combine(dir, "outside.txt"))));
        var statement = $$$"""{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"../outside.txt","digest":{"sha256":"{{{sha}}}"}}],"predicateType":"https://example.com/test/v1","predicate":{}}""";
        var bundle = folder + ".sigstore.json";
        await SignStatementAsync(Encoding.UTF8.GetBytes(statement), bundle);

        var run = await VerifyAsync(folder);
        Assert.AreEqual(1, run.ExitCode, run.ToString());
        StringAssert.StartsWith(run.Error, "error SSB0043: The bundle lists '../outside.txt', which is not a path inside the folder");
    }

    [TestMethod]
    public async Task PlainSignatureBundle_CannotVerifyAFolder_AndExactNeedsAFolder()
    {
        var dir = NewDirectory();
        var file = Path.Combine(dir, "artifact.txt");
        Write(file, "one file");
        var bundle = file + ".sigstore.json";
        var sign = await CliRunner.RunAsync("sign-bundle", "--identity-token", s_sigstore.MintToken(Email), "--bundle", bundle,
            "--trusted-root", s_sigstore.TrustedRootPath, "--signing-config", s_sigstore.SigningConfigPath, file);
        Assert.AreEqual(0, sign.ExitCode, sign.ToString());

        var run = await VerifyAsync(s_publish, "--bundle", bundle);
        Assert.AreEqual(1, run.ExitCode, run.ToString());
        StringAssert.StartsWith(run.Error, "error SSB0044: ");

        var exactOnFile = await VerifyAsync(file, "--exact");
        Assert.AreEqual(1, exactOnFile.ExitCode, exactOnFile.ToString());
        StringAssert.StartsWith(exactOnFile.Error, "error SSB0014: --exact applies to a folder");
    }

    [TestMethod]
    public async Task FolderWithoutABundleBesideIt_SaysToPassOne()
    {
        var dir = NewDirectory();
        Write(Path.Combine(dir, "out", "a.txt"), "a");
        var run = await VerifyAsync(Path.Combine(dir, "out"));
        Assert.AreEqual(1, run.ExitCode, run.ToString());
        StringAssert.StartsWith(run.Error, "error SSB0010: ");
        StringAssert.Contains(run.Error, "--bundle");
    }

    private static async Task SignStatementAsync(byte[] statement, string bundle)
    {
        var path = Path.Combine(s_root, $"statement-{Guid.NewGuid():N}.json");
        File.WriteAllBytes(path, statement);
        var sign = await CliRunner.RunAsync("sign-bundle", "--in-toto", "--identity-token", s_sigstore.MintToken(Email), "--bundle", bundle,
            "--trusted-root", s_sigstore.TrustedRootPath, "--signing-config", s_sigstore.SigningConfigPath, path);
        Assert.AreEqual(0, sign.ExitCode, sign.ToString());
    }

    /// <summary>A copy of the signed folder, to damage.</summary>
    private static string Copy()
    {
        var folder = Path.Combine(NewDirectory(), "publish");
        foreach (var file in Files)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(folder, file))!);
            File.Copy(Path.Combine(s_publish, file), Path.Combine(folder, file));
        }

        return folder;
    }

    private static string NewDirectory() => Directory.CreateDirectory(Path.Combine(s_root, Guid.NewGuid().ToString("N"))).FullName;

    private static void Write(string path, string content)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
    }
}
