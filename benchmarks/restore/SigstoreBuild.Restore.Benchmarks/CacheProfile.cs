using System.Diagnostics;
using SigstoreBuild.NuGet;
using SigstoreBuild.NuGet.Restore;

/// <summary>
/// Where the "cache" case (every package a cache hit) spends its time: the phases of one cached run, step by step, in
/// a fresh process (first call: what a new MSBuild node pays, JIT included), then again warm, then the whole run.
/// </summary>
internal static class CacheProfile
{
    public static async Task<int> RunAsync(string appDirectory, string trustedRoot, string issuer, string subject)
    {
        var total = Stopwatch.StartNew();
        if (Environment.GetEnvironmentVariable("SSB_PROFILE_RUN_FIRST") == "1")
        {
            // The whole run first, as a fresh MSBuild node pays it (index, stamp and report included), then warm.
            for (var i = 0; i < 2; i++)
            {
                var first = Stopwatch.StartNew();
                var r = await WholeRunAsync(appDirectory, trustedRoot, issuer, subject);
                Console.WriteLine($"RestoreRun.ExecuteAsync, state copied from the app ({(i == 0 ? "first call" : "warm")}): {first.Elapsed.TotalMilliseconds:F1} ms, {r.Summary}");
            }
        }

        var assetsPath = Path.Combine(appDirectory, "obj", "project.assets.json");
        var cachePath = Path.Combine(appDirectory, "obj", "sigstore", "cache.json");
        for (var round = 0; round < 2; round++)
        {
            var phases = new List<(string, double)>();
            var t = Stopwatch.StartNew();
            void Mark(string name)
            {
                phases.Add((name, t.Elapsed.TotalMilliseconds));
                t.Restart();
            }

            var policy = TrustPolicyReader.FromItems([new PolicyItem("Bench.*", new Dictionary<string, string> { ["Issuer"] = issuer, ["Subject"] = subject })], [], []);
            _ = policy.Hash;
            Mark("policy from items");
            var assets = AssetsFile.Load(assetsPath);
            Mark($"assets file parse ({new FileInfo(assetsPath).Length / 1024} KiB)");
            var cache = VerificationCache.Load(cachePath);
            Mark($"cache.json parse ({new FileInfo(cachePath).Length / 1024} KiB)");
            var located = assets.Packages.Select(p =>
            {
                var directory = Path.GetFullPath(Path.Combine(assets.PackageFolders[0], p.Path));
                return (p, directory, nupkg: Path.Combine(directory, $"{p.Id.ToLowerInvariant()}.{p.Version.ToLowerInvariant()}.nupkg"));
            }).Where(x => File.Exists(x.nupkg)).ToList();
            Mark("locate .nupkg (File.Exists)");
            var hashes = new List<byte[]>();
            foreach (var (p, directory, nupkg) in located)
            {
                var r = PackageIntegrity.Check(directory, nupkg, p.Id, cache.GetFileState(directory), rehash: false, hasher: null);
                if (r.Rehashed)
                {
                    throw new InvalidOperationException($"{p.Id} was not a cache hit");
                }

                hashes.Add(r.ContentHash!);
            }

            Mark("integrity: stat .nupkg + tree fingerprint");
            var bundles = located.Select(x => EmbeddedBundle.Read(x.nupkg) ?? []).ToList();
            Mark("embedded bundle read (zip open)");
            var verifier = TrustRootPackageSignatureVerifier.Create(SigstoreBuild.Tuf.TrustConfiguration.FromFiles(trustedRoot));
            var fingerprint = verifier.TrustRootFingerprint;
            Mark("trust root load (parse + verifier)");
            var hits = 0;
            for (var i = 0; i < located.Count; i++)
            {
                hits += cache.GetVerified(VerificationCache.Key(hashes[i], bundles[i], policy.Hash, fingerprint)) is null ? 0 : 1;
            }

            Mark($"cache keys + lookups ({hits} hits)");
            var result = new RestoreVerificationResult
            {
                Packages = located.Select(x => new PackageOutcome(x.p.Id, x.p.Version, PackageStatus.Verified, null, new SignerIdentity(issuer, subject, new Dictionary<string, string>()), "embedded", "Bench.*", true, null)).ToList(),
                Diagnostics = [],
                Mode = VerificationMode.Enforce,
            };
            var report = RestoreReport.ToJson(result, "App.csproj");
            File.WriteAllText(Path.Combine(Path.GetTempPath(), "ssb-cache-profile-report.json"), report);
            Mark("report JSON + write");
            Console.WriteLine($"round {round} ({(round == 0 ? "first call, fresh process" : "warm")}):");
            foreach (var (name, ms) in phases)
            {
                Console.WriteLine($"  {ms,8:F1} ms  {name}");
            }

            Console.WriteLine($"  {phases.Sum(p => p.Item2),8:F1} ms  total");
        }

        var whole = Stopwatch.StartNew();
        var run = await WholeRunAsync(appDirectory, trustedRoot, issuer, subject);
        Console.WriteLine($"RestoreRun.ExecuteAsync, cache kept (warm process): {whole.ElapsedMilliseconds} ms, {run.Summary}");
        Console.WriteLine($"process total {total.ElapsedMilliseconds} ms");
        return 0;
    }

    /// <summary>The real run on a copy of the app's state (cache and index kept).</summary>
    private static Task<RestoreVerificationResult> WholeRunAsync(string appDirectory, string trustedRoot, string issuer, string subject)
    {
        var assetsPath = Path.Combine(appDirectory, "obj", "project.assets.json");
        var state = Path.Combine(Path.GetTempPath(), "ssb-cache-profile-state");
        Directory.CreateDirectory(state);
        foreach (var file in Directory.GetFiles(Path.Combine(appDirectory, "obj", "sigstore"), "cache*.json"))
        {
            File.Copy(file, Path.Combine(state, Path.GetFileName(file)), overwrite: true);
        }

        return RestoreRun.ExecuteAsync(
            new RestoreRunRequest
            {
                AssetsFilePath = assetsPath,
                StateDirectory = state,
                Mode = "enforce",
                TrustedIdentities = [new PolicyItem("Bench.*", new Dictionary<string, string> { ["Issuer"] = issuer, ["Subject"] = subject })],
            },
            () => TrustRootPackageSignatureVerifier.Create(SigstoreBuild.Tuf.TrustConfiguration.FromFiles(trustedRoot)),
            http: null,
            CancellationToken.None);
    }
}
