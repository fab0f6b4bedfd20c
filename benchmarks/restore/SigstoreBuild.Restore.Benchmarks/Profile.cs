using System.Diagnostics;
using SigstoreBuild.NuGet;
using SigstoreBuild.NuGet.Restore;

/// <summary>In-process timing of one restore verification (no cache), run three times: the first includes JIT.</summary>
internal static class Profile
{
    public static async Task<int> RunAsync(string assetsFile, string trustedRoot, string issuer, string subject)
    {
        var policy = TrustPolicyReader.FromItems([new PolicyItem("Bench.*", new Dictionary<string, string> { ["Issuer"] = issuer, ["Subject"] = subject })], [], []);
        for (var round = 0; round < 3; round++)
        {
            var clock = Stopwatch.StartNew();
            var verifier = TrustRootPackageSignatureVerifier.Create(SigstoreBuild.Tuf.TrustConfiguration.FromFiles(trustedRoot));
            var result = await new RestoreVerifier(new RestoreVerificationOptions { AssetsFilePath = assetsFile, Policy = policy, Verifier = verifier, CacheFilePath = null }).VerifyAsync(CancellationToken.None);
            Console.WriteLine($"round {round}: {clock.ElapsedMilliseconds} ms, {result.Summary}");
        }

        var assets = AssetsFile.Load(assetsFile);
        var folder = assets.PackageFolders[0];
        var phases = new Dictionary<string, long> { ["inspect"] = 0, ["compare"] = 0, ["bundle read"] = 0, ["verify"] = 0 };
        var v = TrustRootPackageSignatureVerifier.Create(SigstoreBuild.Tuf.TrustConfiguration.FromFiles(trustedRoot));
        foreach (var package in assets.Packages)
        {
            var directory = Path.Combine(folder, package.Path);
            var nupkg = Path.Combine(directory, $"{package.Id.ToLowerInvariant()}.{package.Version}.nupkg");
            var t = Stopwatch.StartNew();
            var hash = PackageInspector.Inspect(nupkg).ContentHashSha512;
            phases["inspect"] += t.ElapsedTicks;
            t.Restart();
            PackageIntegrity.CompareExtracted(directory, nupkg, package.Id);
            phases["compare"] += t.ElapsedTicks;
            t.Restart();
            var sidecar = Path.Combine(Path.GetDirectoryName(assetsFile)!, "..", "..", "feed", $"{package.Id}.{package.Version}.nupkg.sigstore.json");
            var bundle = File.Exists(sidecar) ? File.ReadAllBytes(sidecar) : EmbeddedBundle.Read(nupkg) ?? throw new InvalidOperationException($"{package.Id} has no bundle");
            phases["bundle read"] += t.ElapsedTicks;
            t.Restart();
            v.Verify(new PackageLocation(package.Id, package.Version, directory, nupkg, hash), bundle, policy.Identities);
            phases["verify"] += t.ElapsedTicks;
        }

        foreach (var (name, ticks) in phases)
        {
            Console.WriteLine($"{name}: {ticks * 1000 / Stopwatch.Frequency} ms sequential for {assets.Packages.Count} packages");
        }

        return 0;
    }
}
