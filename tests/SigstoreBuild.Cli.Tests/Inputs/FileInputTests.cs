using SigstoreBuild.Cli.Tests.Infrastructure;
using SigstoreBuild.LocalStack;

namespace SigstoreBuild.Cli.Tests.Inputs;

/// <summary>
/// Every file the command line reads, given as /dev/zero, a dangling symbolic link, a directory or an unreadable file:
/// each ends at once with its coded error naming the path, never SSB9000 and never an endless read. The other inputs of
/// each command line are real (a bundle signed by the local instance, its trusted root), so the bad one is what fails.
/// </summary>
[TestClass]
public sealed class FileInputTests
{
    private const string Email = "builder@example.com";
    private static LocalSigstore s_sigstore = null!;
    private static string s_root = null!;
    private static Fixture s_fixture = null!;

    public TestContext TestContext { get; set; } = null!;

    /// <summary>Bad files: /dev/zero, one past the input's size cap, a link to nothing, a directory, one this user cannot read.</summary>
    public enum Variant
    {
        DevZero,
        Oversized,
        DanglingLink,
        Directory,
        Unreadable,
    }

    [ClassInitialize]
    public static async Task StartAsync(TestContext context)
    {
        s_root = Directory.CreateTempSubdirectory("ssb-cli-inputs-").FullName;
        s_sigstore = await LocalSigstore.StartAsync(Path.Combine(s_root, "instance"), 0, context.CancellationToken);
        s_fixture = await Fixture.CreateAsync(s_sigstore, Path.Combine(s_root, "fixture"));
    }

    [ClassCleanup]
    public static async Task StopAsync()
    {
        await s_sigstore.DisposeAsync();
        Directory.Delete(s_root, recursive: true);
    }

    public static IEnumerable<object[]> Cases() =>
        Inputs.SelectMany(input => Enum.GetValues<Variant>()
            .Where(variant => variant != Variant.Oversized || input.Value.Cap is not null)
            .Where(variant => variant != Variant.Directory || !input.Value.DirectoryIsFolder)
            .Select(variant => new object[] { input.Key, variant }));

    [TestMethod]
    [DynamicData(nameof(Cases))]
    public async Task BadInput_EndsWithItsCodeAndNamesThePath(string input, Variant variant)
    {
        var row = Inputs[input];
        var dir = Directory.CreateDirectory(Path.Combine(s_root, $"{Slug(input)}-{variant}-{Guid.NewGuid().ToString("N")[..6]}")).FullName;
        var location = row.Location?.Invoke(s_fixture, dir) ?? Path.Combine(dir, "input-" + Slug(input));
        var bad = MakeBad(variant, location, literalDevZero: row.Location is null, row.Cap);

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        var run = await CliRunner.RunAsync(row.Args(s_fixture, bad, dir)).WaitAsync(timeout.Token);

        Assert.AreEqual(SigstoreCommand.Failure, run.ExitCode, run.ToString());
        Assert.DoesNotContain("SSB9000", run.Error, run.ToString());
        var code = variant is Variant.DevZero or Variant.Oversized ? row.TooLargeCode : row.OpenCode;
        Assert.Contains(code, run.Error, $"expected {code}\n{run}");
        Assert.Contains(bad, run.Error, "The error names the path.\n" + run);
        var reason = variant switch
        {
            Variant.DevZero => "so it is a device",
            Variant.Oversized => $"is {row.Cap + 1} bytes, more than the limit",
            Variant.DanglingLink => "is a symbolic link to",
            Variant.Directory => "is a directory",
            _ => "permission denied",
        };
        Assert.Contains(reason, run.Error, "The error says what is wrong.\n" + run);
    }

    private sealed record Row(Func<Fixture, string, string, string[]> Args, string OpenCode, string TooLargeCode, long? Cap)
    {
        /// <summary>Where the bad file must be (inside a prepared directory); null: anywhere, and /dev/zero itself.</summary>
        public Func<Fixture, string, string>? Location { get; init; }

        /// <summary>A directory here is a publish folder to verify, not a bad input (Verify/VerifyFolderTests).</summary>
        public bool DirectoryIsFolder { get; init; }
    }

    // Codes: SSB0020 InputUnreadable, SSB0021 InputTooLarge, SSB3001 bundle too large, SSB2043 artifact to sign unreadable,
    // SSB4012 initial TUF root, SSB4013 TUF cache, SSB4016 trust file (signing reports it inside its trust-root error),
    // SSB1011 token file, SSB5100 policy, SSB5101 assets, SSB5113 lock file.
    // Size caps (bytes) as documented in docs/diagnostics: a file one byte larger is refused unread.
    private const long BundleCap = 16 * 1024 * 1024, DocumentCap = 16 * 1024 * 1024, TrustFileCap = 4 * 1024 * 1024, TufRootCap = 512_000,
        TufCacheCap = 64 * 1024 * 1024, TokenFileCap = 64 * 1024, AssetsCap = 256 * 1024 * 1024;

    private static readonly Dictionary<string, Row> Inputs = new()
    {
        ["verify --bundle"] = new((f, bad, _) => ["verify", f.Artifact, "--bundle", bad, .. f.Identity, "--trusted-root", f.TrustedRoot], "SSB0020", "SSB3001", BundleCap),
        ["verify-bundle --bundle"] = new((f, bad, _) => ["verify-bundle", "--bundle", bad, .. f.Identity, "--trusted-root", f.TrustedRoot, f.Artifact], "SSB0020", "SSB3001", BundleCap),
        ["inspect"] = new((_, bad, _) => ["inspect", bad], "SSB0020", "SSB3001", BundleCap),
        ["verify FILE"] = new((f, bad, _) => ["verify", bad, "--bundle", f.Bundle, .. f.Identity, "--trusted-root", f.TrustedRoot], "SSB0020", "SSB0021", null) { DirectoryIsFolder = true },
        ["verify-bundle FILE"] = new((f, bad, _) => ["verify-bundle", "--bundle", f.Bundle, .. f.Identity, "--trusted-root", f.TrustedRoot, bad], "SSB0020", "SSB0021", null),
        ["verify-bundle --key"] = new((f, bad, _) => ["verify-bundle", "--bundle", f.Bundle, "--key", bad, "--trusted-root", f.TrustedRoot, f.Artifact], "SSB0020", "SSB0021", DocumentCap),
        ["verify-bundle --trusted-root"] = new((f, bad, _) => ["verify-bundle", "--bundle", f.Bundle, .. f.Identity, "--trusted-root", bad, f.Artifact], "SSB4016", "SSB0021", TrustFileCap),
        ["verify --tuf-root"] = new((f, bad, dir) => ["verify", f.Artifact, "--bundle", f.Bundle, .. f.Identity, "--tuf-mirror", f.TufMirror, "--tuf-root", bad, "--cache-dir", Path.Combine(dir, "cache")], "SSB4012", "SSB0021", TufRootCap),
        ["trust-root init --tuf-root"] = new((f, bad, dir) => ["trust-root", "init", "--tuf-mirror", f.TufMirror, "--tuf-root", bad, "--cache-dir", Path.Combine(dir, "cache")], "SSB4012", "SSB0021", TufRootCap),
        ["TUF cache metadata"] = new((f, _, dir) => ["verify", f.Artifact, "--bundle", f.Bundle, .. f.Identity, "--cache-dir", Path.Combine(dir, "cache"), "--offline"], "SSB4013", "SSB4013", TufCacheCap)
        {
            Location = (f, dir) => f.CopyTufCache(Path.Combine(dir, "cache")),
        },
        ["sign FILE"] = new((f, bad, _) => ["sign", bad, .. f.Signing], "SSB2043", "SSB0021", null),
        ["sign --trusted-root"] = new((f, bad, _) => ["sign", f.Artifact, "--bundle-extension", ".new.json", "--oidc-provider", "env", "--identity-token-file", f.TokenFile, "--trusted-root", bad, "--signing-config", f.SigningConfig], "SSB4016", "SSB0021", TrustFileCap),
        ["sign --signing-config"] = new((f, bad, _) => ["sign", f.Artifact, "--bundle-extension", ".new.json", "--oidc-provider", "env", "--identity-token-file", f.TokenFile, "--trusted-root", f.TrustedRoot, "--signing-config", bad], "SSB4016", "SSB0021", TrustFileCap),
        ["sign --identity-token-file"] = new((f, bad, _) => ["sign", f.Artifact, "--bundle-extension", ".new.json", "--oidc-provider", "env", "--identity-token-file", bad, "--trusted-root", f.TrustedRoot, "--signing-config", f.SigningConfig], "SSB1011", "SSB1011", TokenFileCap),
        ["attest --predicate"] = new((f, bad, _) => ["attest", f.Artifact, "--predicate-type", "https://example.com/p/v1", "--predicate", bad, .. f.Signing], "SSB0020", "SSB0021", DocumentCap),
        ["sign-bundle --in-toto FILE"] = new((f, bad, dir) => ["sign-bundle", "--in-toto", "--identity-token", f.Token, "--bundle", Path.Combine(dir, "out.sigstore.json"), "--trusted-root", f.TrustedRoot, "--signing-config", f.SigningConfig, bad], "SSB0020", "SSB0021", DocumentCap),
        ["verify-package --bundle"] = new((f, bad, _) => ["verify-package", f.Artifact, "--bundle", bad, .. f.Identity, "--trusted-root", f.TrustedRoot], "SSB0020", "SSB3001", BundleCap),
        ["verify-package PACKAGE"] = new((f, bad, _) => ["verify-package", bad, "--bundle", f.Bundle, .. f.Identity, "--trusted-root", f.TrustedRoot], "SSB0020", "SSB0021", null),
        ["verify-packages --assets"] = new((f, bad, _) => ["verify-packages", "--assets", bad, "--policy", f.Policy, "--no-lock", "--trusted-root", f.TrustedRoot], "SSB5101", "SSB0021", AssetsCap),
        ["verify-packages --policy"] = new((f, bad, _) => ["verify-packages", "--assets", f.Assets, "--policy", bad, "--no-lock", "--trusted-root", f.TrustedRoot], "SSB5100", "SSB0021", DocumentCap),
        ["verify-packages --lock-file"] = new((f, bad, _) => ["verify-packages", "--assets", f.Assets, "--policy", f.Policy, "--lock-file", bad, "--trusted-root", f.TrustedRoot], "SSB5113", "SSB0021", DocumentCap),
    };

    private static string MakeBad(Variant variant, string path, bool literalDevZero, long? cap)
    {
        switch (variant)
        {
            case Variant.Oversized:
                using (var sparse = File.Create(path))
                {
                    sparse.SetLength(cap!.Value + 1);
                }

                return path;
            case Variant.DevZero when literalDevZero:
                return "/dev/zero";
            case Variant.DevZero:
                File.CreateSymbolicLink(path, "/dev/zero");
                return path;
            case Variant.DanglingLink:
                File.CreateSymbolicLink(path, path + ".missing");
                return path;
            case Variant.Directory:
                Directory.CreateDirectory(path);
                return path;
            default:
                File.WriteAllText(path, "{}");
                if (!OperatingSystem.IsWindows())
                {
                    File.SetUnixFileMode(path, UnixFileMode.None);
                }

                if (!CanRead(path))
                {
                    return path;
                }

                // Root reads a mode-000 file anyway; a write-only kernel file is unreadable even to root.
                File.Delete(path);
                const string writeOnly = "/proc/sys/vm/drop_caches";
                if (!File.Exists(writeOnly) || CanRead(writeOnly))
                {
                    Assert.Inconclusive("This user can read a mode-000 file and there is no file it cannot read, so 'unreadable' cannot be set up here.");
                }

                File.CreateSymbolicLink(path, writeOnly);
                return path;
        }
    }

    private static bool CanRead(string path)
    {
        try
        {
            using var stream = File.OpenRead(path);
            return true;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static string Slug(string input) => new(input.Select(c => char.IsAsciiLetterOrDigit(c) ? c : '-').ToArray());

    /// <summary>Real inputs: an artifact signed by the local instance, its bundle, trust files, a token, a TUF cache.</summary>
    private sealed class Fixture
    {
        public required string Artifact { get; init; }
        public required string Bundle { get; init; }
        public required string TrustedRoot { get; init; }
        public required string SigningConfig { get; init; }
        public required string Token { get; init; }
        public required string TokenFile { get; init; }
        public required string TufMirror { get; init; }
        public required string TufCache { get; init; }
        public required string Assets { get; init; }
        public required string Policy { get; init; }
        public required string[] Identity { get; init; }

        public string[] Signing => ["--bundle-extension", ".new.json", "--oidc-provider", "env", "--identity-token-file", TokenFile, "--trusted-root", TrustedRoot, "--signing-config", SigningConfig];

        public static async Task<Fixture> CreateAsync(LocalSigstore sigstore, string dir)
        {
            Directory.CreateDirectory(dir);
            var artifact = Path.Combine(dir, "artifact.txt");
            File.WriteAllText(artifact, "hello from the input tests");
            var token = sigstore.MintToken(Email);
            var tokenFile = Path.Combine(dir, "token.jwt");
            File.WriteAllText(tokenFile, token);
            var sign = await CliRunner.RunAsync("sign-bundle", "--identity-token", token, "--bundle", artifact + ".sigstore.json",
                "--trusted-root", sigstore.TrustedRootPath, "--signing-config", sigstore.SigningConfigPath, artifact);
            Assert.AreEqual(0, sign.ExitCode, sign.ToString());
            var cache = Path.Combine(dir, "tuf-cache");
            var init = await CliRunner.RunAsync("trust-root", "init", "--tuf-mirror", sigstore.TufMirrorUrl, "--tuf-root", sigstore.TufRootPath, "--cache-dir", cache);
            Assert.AreEqual(0, init.ExitCode, init.ToString());
            var assets = Path.Combine(dir, "project.assets.json");
            File.WriteAllText(assets, """{"version":3,"targets":{"net10.0":{}},"libraries":{},"packageFolders":{}}""");
            var policy = Path.Combine(dir, "policy.json");
            File.WriteAllText(policy, $$"""{"trustedIdentities":[{"packages":"*","issuer":"{{sigstore.BaseUrl}}","subject":"{{Email}}"}]}""");
            return new Fixture
            {
                Artifact = artifact,
                Bundle = artifact + ".sigstore.json",
                TrustedRoot = sigstore.TrustedRootPath,
                SigningConfig = sigstore.SigningConfigPath,
                Token = token,
                TokenFile = tokenFile,
                TufMirror = sigstore.TufMirrorUrl,
                TufCache = cache,
                Assets = assets,
                Policy = policy,
                Identity = ["--certificate-identity", Email, "--certificate-oidc-issuer", sigstore.BaseUrl],
            };
        }

        /// <summary>A copy of the initialised TUF cache; returns where its root.json is, for the test to replace.</summary>
        public string CopyTufCache(string target)
        {
            foreach (var file in Directory.GetFiles(TufCache, "*", SearchOption.AllDirectories))
            {
                var copy = Path.Combine(target, Path.GetRelativePath(TufCache, file));
                Directory.CreateDirectory(Path.GetDirectoryName(copy)!);
                File.Copy(file, copy);
            }

            var root = Path.Combine(target, "metadata", "root.json");
            File.Delete(root);
            return root;
        }
    }
}
