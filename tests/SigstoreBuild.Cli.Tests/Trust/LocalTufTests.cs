using System.Diagnostics;
using SigstoreBuild.Cli.Tests.Infrastructure;
using SigstoreBuild.LocalStack;

namespace SigstoreBuild.Cli.Tests.Trust;

/// <summary>
/// The CLI trusting the local instance through its TUF repository (<c>{base}/tuf</c> and <c>DIR/tuf-root.json</c>)
/// instead of trusted_root.json files: <c>trust-root init</c>, then <c>verify-bundle</c> and <c>sign</c> with
/// <c>--tuf-mirror/--tuf-root/--cache-dir</c>.
/// </summary>
[TestClass]
public sealed class LocalTufTests
{
    private const string Email = "builder@example.com";

    private readonly List<string> _directories = [];

    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    public async Task TrustRootInitThenVerifyBundleThroughTheLocalTufMirror()
    {
        var root = NewDirectory();
        var cache = Path.Combine(root, "tuf-cache");
        var artifact = Path.Combine(root, "artifact.txt");
        File.WriteAllText(artifact, "hello through TUF");
        var bundle = artifact + ".sigstore.json";
        string issuer, mirror, tufRoot;

        await using (var sigstore = await LocalSigstore.StartAsync(Path.Combine(root, "instance"), 0, TestContext.CancellationToken))
        {
            (issuer, mirror, tufRoot) = (sigstore.BaseUrl, sigstore.TufMirrorUrl, sigstore.TufRootPath);
            var init = await CliRunner.RunAsync("trust-root", "init", "--tuf-mirror", sigstore.TufMirrorUrl, "--tuf-root", sigstore.TufRootPath, "--cache-dir", cache);
            Assert.AreEqual(0, init.ExitCode, init.ToString());
            StringAssert.Contains(init.Output, "root:      version 1");

            var sign = await CliRunner.RunAsync("sign-bundle", "--identity-token", sigstore.MintToken(Email), "--bundle", bundle,
                "--trusted-root", sigstore.TrustedRootPath, "--signing-config", sigstore.SigningConfigPath, artifact);
            Assert.AreEqual(0, sign.ExitCode, sign.ToString());

            var verify = await VerifyAsync(sigstore.BaseUrl, bundle, artifact, "--tuf-mirror", sigstore.TufMirrorUrl, "--tuf-root", sigstore.TufRootPath, "--cache-dir", cache);
            Assert.AreEqual(0, verify.ExitCode, verify.ToString());

            // The cache remembers the mirror it was initialised with: --cache-dir alone is enough.
            var fromCache = await VerifyAsync(sigstore.BaseUrl, bundle, artifact, "--cache-dir", cache);
            Assert.AreEqual(0, fromCache.ExitCode, fromCache.ToString());

            var otherIdentity = await CliRunner.RunAsync("verify-bundle", "--bundle", bundle, "--certificate-identity", "mallory@example.com",
                "--certificate-oidc-issuer", sigstore.BaseUrl, "--tuf-mirror", sigstore.TufMirrorUrl, "--tuf-root", sigstore.TufRootPath, "--cache-dir", cache, artifact);
            Assert.AreEqual(1, otherIdentity.ExitCode, otherIdentity.ToString());

            var show = await CliRunner.RunAsync("trust-root", "show", "--cache-dir", cache);
            Assert.AreEqual(0, show.ExitCode, show.ToString());
            StringAssert.Contains(show.Output, sigstore.TufMirrorUrl);
        }

        // The instance is gone: the verified cache still serves offline, and an online refresh fails with a TUF code.
        var offline = await VerifyAsync(issuer, bundle, artifact, "--tuf-mirror", mirror, "--tuf-root", tufRoot, "--cache-dir", cache, "--offline");
        Assert.AreEqual(0, offline.ExitCode, offline.ToString());
        var online = await VerifyAsync(issuer, bundle, artifact, "--tuf-mirror", mirror, "--tuf-root", tufRoot, "--cache-dir", cache);
        Assert.AreEqual(1, online.ExitCode, online.ToString());
        StringAssert.Contains(online.Error, "SSB4007");
    }

    [TestMethod]
    public async Task ARootFromAnotherInstanceIsRefused()
    {
        var root = NewDirectory();
        using (var other = LocalSigstoreServices.Open(Path.Combine(root, "other"), "http://127.0.0.1:9"))
        {
            other.WriteTrustDocuments();
        }

        await using var sigstore = await LocalSigstore.StartAsync(Path.Combine(root, "instance"), 0, TestContext.CancellationToken);
        var init = await CliRunner.RunAsync("trust-root", "init", "--tuf-mirror", sigstore.TufMirrorUrl, "--tuf-root", Path.Combine(root, "other", "tuf-root.json"),
            "--cache-dir", Path.Combine(root, "tuf-cache"));
        Assert.AreEqual(1, init.ExitCode, init.ToString());
        StringAssert.Contains(init.Error, "SSB4002");
    }

    [TestMethod]
    public async Task SignWithTheSigningConfigPublishedThroughTuf()
    {
        var root = NewDirectory();
        var cache = Path.Combine(root, "tuf-cache");
        var artifact = Path.Combine(root, "app.txt");
        File.WriteAllText(artifact, "signed with TUF-distributed configuration");
        await using var sigstore = await LocalSigstore.StartAsync(Path.Combine(root, "instance"), 0, TestContext.CancellationToken);
        var tokenFile = Path.Combine(root, "token");
        File.WriteAllText(tokenFile, sigstore.MintToken(Email));

        var sign = await CliRunner.RunAsync("sign", "--oidc-provider", "env", "--identity-token-file", tokenFile,
            "--tuf-mirror", sigstore.TufMirrorUrl, "--tuf-root", sigstore.TufRootPath, "--cache-dir", cache, artifact);
        Assert.AreEqual(0, sign.ExitCode, sign.ToString());

        var verify = await VerifyAsync(sigstore.BaseUrl, artifact + ".sigstore.json", artifact, "--tuf-mirror", sigstore.TufMirrorUrl, "--tuf-root", sigstore.TufRootPath, "--cache-dir", cache);
        Assert.AreEqual(0, verify.ExitCode, verify.ToString());
    }

    /// <summary>Another implementation's TUF client (tuf-js, inside sigstore-js) accepts the repository too.</summary>
    [TestMethod]
    public async Task SigstoreJsTufClientFetchesBothTargets()
    {
        SigstoreJs.RequireInstalled();
        var root = NewDirectory();
        await using var sigstore = await LocalSigstore.StartAsync(Path.Combine(root, "instance"), 0, TestContext.CancellationToken);
        const string Script = """
            import { initTUF } from '@sigstore/tuf';
            import fs from 'node:fs';
            const [mirrorURL, rootPath, cachePath, output] = process.argv.slice(1);
            const tuf = await initTUF({ mirrorURL, rootPath, cachePath, forceInit: true, retry: 0, timeout: 10000 });
            fs.writeFileSync(output, await tuf.getTarget('signing_config.v0.2.json') + '\u0000' + await tuf.getTarget('trusted_root.json'));
            """;
        var output = Path.Combine(root, "from-tuf-js.json");
        var start = new ProcessStartInfo("node") { WorkingDirectory = SigstoreJs.InteropDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { "--input-type=module", "-e", Script, sigstore.TufMirrorUrl, sigstore.TufRootPath, Path.Combine(root, "js-cache"), output })
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync(TestContext.CancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(TestContext.CancellationToken);
        await process.WaitForExitAsync(TestContext.CancellationToken);
        Assert.AreEqual(0, process.ExitCode, await stdout + await stderr);
        Assert.AreEqual(File.ReadAllText(sigstore.SigningConfigPath) + "\0" + File.ReadAllText(sigstore.TrustedRootPath), File.ReadAllText(output));
    }

    [TestCleanup]
    public void DeleteDirectories()
    {
        foreach (var directory in _directories)
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static Task<CliRun> VerifyAsync(string issuer, string bundle, string artifact, params string[] trust) =>
        CliRunner.RunAsync(["verify-bundle", "--bundle", bundle, "--certificate-identity", Email, "--certificate-oidc-issuer", issuer, .. trust, artifact]);

    private string NewDirectory()
    {
        var directory = Directory.CreateTempSubdirectory("ssb-cli-localtuf-").FullName;
        _directories.Add(directory);
        return directory;
    }
}
