using System.Diagnostics;
using SigstoreBuild.Identity;
using SigstoreBuild.LocalStack;
using SigstoreBuild.NuGet;
using SigstoreBuild.NuGet.Attestations;
using SigstoreBuild.NuGet.Signing;
using SigstoreBuild.Signing;

if (args is ["profile", var assetsFile, var trustedRoot, var issuerArg, var subjectArg])
{
    return await Profile.RunAsync(assetsFile, trustedRoot, issuerArg, subjectArg);
}

// Usage: sign-feed FEED_DIR TRUSTED_ROOT_OUT SUBJECT
// Signs every FEED_DIR/*.nupkg (sidecar FILE.nupkg.sigstore.json) with one identity, key and certificate; prints the issuer.
if (args is not ["sign-feed", var feed, var trustedRootOut, var subject])
{
    Console.Error.WriteLine("Usage: SigstoreBuild.Restore.Benchmarks sign-feed FEED_DIR TRUSTED_ROOT_OUT SUBJECT");
    return 2;
}

var data = Directory.CreateTempSubdirectory("ssb-restore-bench-sigstore-").FullName;
try
{
    await using var sigstore = await LocalSigstore.StartAsync(data);
    using var signer = new SessionAttestationSigner(new SigningSession(
        StaticSigningTrustProvider.Load(sigstore.TrustedRootPath, sigstore.SigningConfigPath),
        ExplicitTokenProvider.FromToken(sigstore.MintToken(subject)),
        new SigstoreBundleVerifier()));
    var packages = Directory.GetFiles(feed, "*.nupkg");
    var clock = Stopwatch.StartNew();
    await Parallel.ForEachAsync(packages, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, async (nupkg, ct) =>
    {
        var package = PackageInspector.Inspect(nupkg);
        var statement = PackageStatements.ForPackages([package], new SlsaBuildContext { Project = package.Identity.Id, BuilderId = "https://sigstorebuild.invalid/benchmarks/restore", Step = "pack" });
        await signer.SignAsync(statement, nupkg + ".sigstore.json", ct);
    });
    File.Copy(sigstore.TrustedRootPath, trustedRootOut, overwrite: true);
    Console.Error.WriteLine($"signed {packages.Length} packages in {clock.ElapsedMilliseconds} ms ({signer.CertificateRequests} certificate)");
    Console.WriteLine(sigstore.Services.Oidc.Issuer);
    return 0;
}
finally
{
    Directory.Delete(data, recursive: true);
}
