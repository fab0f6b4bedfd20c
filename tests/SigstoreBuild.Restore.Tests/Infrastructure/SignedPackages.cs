using SigstoreBuild.Identity;
using SigstoreBuild.LocalStack;
using SigstoreBuild.NuGet;
using SigstoreBuild.NuGet.Attestations;
using SigstoreBuild.Signing;

namespace SigstoreBuild.Restore.Tests.Infrastructure;

/// <summary>Packages signed now, through the local instance, the way dotnet pack signs them.</summary>
internal static class SignedPackages
{
    /// <summary>
    /// Packs <paramref name="id"/> 1.0.0, signs its provenance as <paramref name="signer"/>, embeds the bundle and adds the
    /// package to <paramref name="feed"/>; returns the package digest (hex).
    /// </summary>
    public static async Task<string> PublishAsync(LocalSigstore sigstore, TestFeed feed, string id, string signer, CancellationToken cancellationToken)
    {
        var work = Directory.CreateTempSubdirectory("ssb-signed-package-").FullName;
        try
        {
            var nupkg = Path.Combine(work, $"{id}.1.0.0.nupkg");
            File.WriteAllBytes(nupkg, TestFeed.CreateNupkg(id, "1.0.0"));
            var package = PackageInspector.Inspect(nupkg);
            var statement = PackageStatements.ForPackages([package], new SlsaBuildContext { Project = id, BuilderId = "https://example.com/builder", Step = "pack" });
            var bundle = Path.Combine(work, "provenance.sigstore.json");
            using (var session = new SessionAttestationSigner(new SigningSession(
                StaticSigningTrustProvider.Load(sigstore.TrustedRootPath, sigstore.SigningConfigPath),
                ExplicitTokenProvider.FromToken(sigstore.MintToken(signer)),
                new SigstoreBundleVerifier())))
            {
                await session.SignAsync(statement, bundle, cancellationToken);
            }

            EmbeddedBundle.Embed(nupkg, File.ReadAllBytes(bundle));
            feed.AddPackage(id, "1.0.0", File.ReadAllBytes(nupkg));
            return Convert.ToHexStringLower(package.PackageDigest);
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }
}
