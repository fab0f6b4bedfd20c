using System.Diagnostics;
using SigstoreBuild.Identity;
using SigstoreBuild.LocalStack;
using SigstoreBuild.NuGet;
using SigstoreBuild.NuGet.Attestations;
using SigstoreBuild.Signing;

if (args is ["profile", var assetsFile, var trustedRoot, var issuerArg, var subjectArg])
{
    return await Profile.RunAsync(assetsFile, trustedRoot, issuerArg, subjectArg);
}

if (args is ["cache-profile", var appDirectory, var rootArg, var issuerArg2, var subjectArg2])
{
    return await CacheProfile.RunAsync(appDirectory, rootArg, issuerArg2, subjectArg2);
}

// Usage: sign-feed FEED_DIR TRUSTED_ROOT_OUT SUBJECT [sidecar|embedded [REVOCATIONS_JSON]]
// Signs every FEED_DIR/*.nupkg with one identity, key and certificate (bundle beside it, FILE.nupkg.sigstore.json, or
// embedded in it as dotnet pack does by default), and REVOCATIONS_JSON as its publisher would publish it
// (REVOCATIONS_JSON.sigstore.json); prints the issuer.
if (args is not ["sign-feed", var feed, var trustedRootOut, var subject, .. var more] || more is not ([] or ["sidecar" or "embedded"] or ["sidecar" or "embedded", _]))
{
    Console.Error.WriteLine("Usage: SigstoreBuild.Restore.Benchmarks sign-feed FEED_DIR TRUSTED_ROOT_OUT SUBJECT [sidecar|embedded [REVOCATIONS_JSON]]");
    return 2;
}

var embed = more is ["embedded", ..];
var revocations = more is [_, var document] ? document : null;

var data = Directory.CreateTempSubdirectory("ssb-restore-bench-sigstore-").FullName;
try
{
    await using var sigstore = await LocalSigstore.StartAsync(data);
    var session = new SigningSession(
        StaticSigningTrustProvider.Load(sigstore.TrustedRootPath, sigstore.SigningConfigPath),
        ExplicitTokenProvider.FromToken(sigstore.MintToken(subject)),
        new SigstoreBundleVerifier());
    using var signer = new SessionAttestationSigner(session);
    var packages = Directory.GetFiles(feed, "*.nupkg");
    var clock = Stopwatch.StartNew();
    await Parallel.ForEachAsync(packages, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, async (nupkg, ct) =>
    {
        var package = PackageInspector.Inspect(nupkg);
        var statement = PackageStatements.ForPackages([package], new SlsaBuildContext { Project = package.Identity.Id, BuilderId = "https://sigstorebuild.invalid/benchmarks/restore", Step = "pack" });
        await signer.SignAsync(statement, nupkg + ".sigstore.json", ct);
        if (embed)
        {
            EmbeddedBundle.Embed(nupkg, await File.ReadAllBytesAsync(nupkg + ".sigstore.json", ct));
            File.Delete(nupkg + ".sigstore.json");
        }
    });
    if (revocations is not null)
    {
        await session.SignFileAsync(revocations, revocations + ".sigstore.json");
    }

    File.Copy(sigstore.TrustedRootPath, trustedRootOut, overwrite: true);
    Console.Error.WriteLine($"signed {packages.Length} packages in {clock.ElapsedMilliseconds} ms ({signer.CertificateRequests} certificate)");
    Console.WriteLine(sigstore.Services.Oidc.Issuer);
    return 0;
}
finally
{
    Directory.Delete(data, recursive: true);
}
