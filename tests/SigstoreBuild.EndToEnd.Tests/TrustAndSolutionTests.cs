using SigstoreBuild.Bundles;
using SigstoreBuild.EndToEnd.Tests.Infrastructure;
using SigstoreBuild.LocalStack;
using SigstoreBuild.LocalStack.Faults;
using SigstoreBuild.NuGet.Verification;
using SigstoreBuild.Trust;
using SigstoreBuild.Verification;

namespace SigstoreBuild.EndToEnd.Tests;

/// <summary>
/// Trust through TUF for a custom instance (a TUF mirror on loopback serving the local instance's trust root and signing
/// config), interop of the packed bundle with sigstore-js, and one certificate for a whole solution pack.
/// </summary>
[TestClass]
public sealed class TrustAndSolutionTests
{
    private const string Signer = "e2e-solution@example.com";
    private static LocalSigstore s_sigstore = null!;

    public TestContext TestContext { get; set; } = null!;

    [ClassInitialize]
    public static async Task StartSigstore(TestContext context)
    {
        E2E.RequirePackage();
        s_sigstore = await LocalSigstore.StartAsync(Path.Combine(E2E.Root, "sigstore-trust"), 0, context.CancellationToken);
    }

    [ClassCleanup]
    public static async Task StopSigstore()
    {
        if (s_sigstore is not null)
        {
            await s_sigstore.DisposeAsync();
        }
    }

    private static Dictionary<string, string> Identity() => new() { ["SIGSTORE_ID_TOKEN"] = s_sigstore.MintToken(Signer) };

    private static PackageVerifier Verifier() =>
        new(new SigstoreAttestationVerifier(new SigstoreVerifier(TrustedRoot.Load(s_sigstore.TrustedRootPath), VerifierOptions.PublicGood),
            CertificateIdentity.Exact(Signer, s_sigstore.Services.Oidc.Issuer)));

    private static string[] FileTrust => [$"-p:SigstoreTrustedRootPath={s_sigstore.TrustedRootPath}", $"-p:SigstoreSigningConfigPath={s_sigstore.SigningConfigPath}"];

    [TestMethod]
    public void CustomInstanceThroughTuf_SignsOnline_ThenOfflineFromTheCache_AndRefusesAnUnreachableMirror()
    {
        var project = E2E.CopySample("Library", TestContext.TestName!);
        var cache = Path.Combine(project, "..", "tuf-cache");
        var package = Path.Combine(project, "out", "Contoso.Greetings.1.0.0.nupkg");
        string[] Pack(TufMirror mirror, params string[] more) => DotNet.BuildArguments("pack", ["-o", "out", "-v:n", "-p:SigstoreRequireSigning=true", "-p:SigstoreVerifyPackages=off",
            "-p:SigstoreInstance=custom", $"-p:SigstoreTufUrl={mirror.Url}", $"-p:SigstoreTufRootPath={mirror.RootPath}", $"-p:SigstoreTufCachePath={cache}", .. more]);

        TufMirror mirror;
        using (mirror = TufMirror.Start(Path.Combine(project, "..", "root.json"), new Dictionary<string, byte[]>
        {
            ["trusted_root.json"] = File.ReadAllBytes(s_sigstore.TrustedRootPath),
            ["signing_config.v0.2.json"] = File.ReadAllBytes(s_sigstore.SigningConfigPath),
        }))
        {
            var online = DotNet.Run(project, Identity(), Pack(mirror));
            Assert.IsTrue(online.Succeeded, online.ToString());
            Assert.Contains("Sigstore: trust root from TUF (" + mirror.Url, online.Output);
            Assert.IsGreaterThanOrEqualTo(4, mirror.RequestCount, "root probe, timestamp, snapshot, targets and the target files come from the mirror");
            Verifier().Verify(package, E2E.EmbeddedBundleOf(package));
        }

        // The mirror is gone. Offline, the verified cache still serves; online, signing stops with a TUF code (F-12).
        File.WriteAllText(Path.Combine(project, "Extra.cs"), "namespace Contoso.Greetings;\n\npublic static class Extra { }\n");
        var offline = DotNet.Run(project, Identity(), Pack(mirror, "-p:SigstoreOffline=true"));
        Assert.IsTrue(offline.Succeeded, offline.ToString());
        Assert.Contains("Sigstore: trust root from the TUF cache, offline", offline.Output);
        Assert.Contains("Sigstore: signed Contoso.Greetings.1.0.0.nupkg", offline.Output);
        Verifier().Verify(package, E2E.EmbeddedBundleOf(package));

        File.WriteAllText(Path.Combine(project, "Extra2.cs"), "namespace Contoso.Greetings;\n\npublic static class Extra2 { }\n");
        var unreachable = DotNet.Run(project, Identity(), Pack(mirror));
        Assert.IsFalse(unreachable.Succeeded, unreachable.ToString());
        StringAssert.Matches(unreachable.Output, new System.Text.RegularExpressions.Regex(@"error SSB40\d\d: "), unreachable.Output);
        Assert.DoesNotContain("Sigstore: signed", unreachable.Output);
    }

    [TestMethod]
    public void PackedBundle_VerifiesWithSigstoreJs_ButNotForAnotherIdentity()
    {
        var project = E2E.CopySample("Library", TestContext.TestName!);
        var result = DotNet.Run(project, Identity(), DotNet.BuildArguments("pack", ["-o", "out", "-p:SigstoreRequireSigning=true", .. FileTrust]));
        Assert.IsTrue(result.Succeeded, result.ToString());
        var package = Path.Combine(project, "out", "Contoso.Greetings.1.0.0.nupkg");

        var js = SigstoreJs.Verify(E2E.ExtractBundle(package), s_sigstore.TrustedRootPath, Signer, s_sigstore.Services.Oidc.Issuer, package);
        Assert.AreEqual(0, js.ExitCode, "sigstore-js rejected the bundle dotnet pack wrote: " + js.Output);

        // sigstore-js checks the DSSE signature, certificate, log and identity; binding the subject to the package is
        // the verifier's job (PackageVerifier, verify-package). Another identity must be refused.
        var js2 = SigstoreJs.Verify(E2E.ExtractBundle(package), s_sigstore.TrustedRootPath, "mallory@example.com", s_sigstore.Services.Oidc.Issuer, package);
        Assert.AreNotEqual(0, js2.ExitCode, "sigstore-js must reject another identity: " + js2.Output);
    }

    [TestMethod]
    public void SolutionPack_OneMSBuildNode_OneFulcioRequestForAllProjects()
    {
        var (solution, _, requests) = PackSolution(3, "-m:1");
        Assert.AreEqual(1, requests);
        Assert.AreEqual(1, Certificates(solution, 3).Count);
    }

    [TestMethod]
    public void SolutionPack_ParallelNodes_ShareOneSigningSession()
    {
        // More nodes than this machine has cores, so that several node processes really pack and sign.
        const int projects = 6;
        var (solution, result, requests) = PackSolution(projects, "-m:4");
        Assert.AreEqual(1, requests, result.Output);
        Assert.AreEqual(1, Certificates(solution, projects).Count, "every bundle carries the same certificate");
        Assert.Contains("holds the build's signing session", result.Output);
        Assert.Contains("signing through the build's shared signing session in process", result.Output, "another node signed through the broker");
        Assert.DoesNotContain("SSB2502", result.Output);
        for (var i = 1; i <= projects; i++)
        {
            var package = Path.Combine(solution, "out", $"Contoso.Part{i}.1.0.0.nupkg");
            Assert.AreEqual($"pkg:nuget/Contoso.Part{i}@1.0.0", Verifier().Verify(package, E2E.EmbeddedBundleOf(package)).MatchedSubject.Name);
        }

        var js = SigstoreJs.Verify(E2E.ExtractBundle(Path.Combine(solution, "out", "Contoso.Part2.1.0.0.nupkg")), s_sigstore.TrustedRootPath, Signer, s_sigstore.Services.Oidc.Issuer,
            Path.Combine(solution, "out", "Contoso.Part2.1.0.0.nupkg"));
        Assert.AreEqual(0, js.ExitCode, "sigstore-js rejected a bundle signed through the shared session: " + js.Output);
    }

    [TestMethod]
    public void SolutionPack_ParallelNodes_SharingOff_EachNodeHasItsOwnCertificate()
    {
        const int projects = 6;
        var (solution, result, requests) = PackSolution(projects, "-m:4", "-p:SigstoreShareSigningSession=false");
        Assert.AreEqual(requests, Certificates(solution, projects).Count, result.Output);
        Assert.IsGreaterThan(1, requests, "without sharing, each node that signs requests its own certificate");
        Assert.DoesNotContain("shared signing session", result.Output);
    }

    /// <summary>Writes a solution of <paramref name="projects"/> libraries and packs it, signing required.</summary>
    private (string Solution, DotNetResult Result, int FulcioRequests) PackSolution(int projects, params string[] arguments)
    {
        var solution = Path.Combine(E2E.Root, TestContext.TestName!);
        WriteSolution(solution, projects);
        var before = s_sigstore.Faults.RequestCount(SigstoreService.Fulcio);
        var result = DotNet.Run(solution, Identity(), DotNet.BuildArguments("pack", ["Parts.slnx", "-o", "out", "-v:n", "-p:SigstoreRequireSigning=true", .. FileTrust, .. arguments]));
        Assert.IsTrue(result.Succeeded, result.ToString());
        return (solution, result, s_sigstore.Faults.RequestCount(SigstoreService.Fulcio) - before);
    }

    [TestMethod]
    public void SolutionPack_ReusedNodes_EachBuildStartsItsOwnSession()
    {
        // Node reuse, as on a developer machine: the node processes outlive the first build, its session must not.
        const int projects = 4;
        var solution = Path.Combine(E2E.Root, TestContext.TestName!);
        WriteSolution(solution, projects);
        var environment = Identity();
        environment["MSBUILDDISABLENODEREUSE"] = "0";
        string[] Pack() => DotNet.BuildArguments("pack", ["Parts.slnx", "-m:4", "-nodeReuse:true", "-o", "out", "-v:n", "-p:SigstoreRequireSigning=true", .. FileTrust]);
        try
        {
            var first = DotNet.Run(solution, environment, Pack());
            Assert.IsTrue(first.Succeeded, first.ToString());
            var firstCertificate = Certificates(solution, projects).Single();
            // Without the packages (which carry their bundles) and the copies kept in obj, every package is packed and
            // signed again.
            foreach (var file in Directory.GetFiles(Path.Combine(solution, "out"), "*.nupkg").Concat(Directory.GetFiles(solution, "*.nupkg.sigstore.json", SearchOption.AllDirectories)))
            {
                File.Delete(file);
            }

            var before = s_sigstore.Faults.RequestCount(SigstoreService.Fulcio);
            var second = DotNet.Run(solution, environment, Pack());

            Assert.IsTrue(second.Succeeded, second.ToString());
            Assert.AreEqual(1, s_sigstore.Faults.RequestCount(SigstoreService.Fulcio) - before, second.Output);
            Assert.AreNotEqual(firstCertificate, Certificates(solution, projects).Single(), "the second build signed with a session of its own");
            Assert.Contains("holds the build's signing session", second.Output);
            Assert.DoesNotContain("SSB2502", second.Output);
        }
        finally
        {
            DotNet.Run(solution, environment, "build-server", "shutdown", "--msbuild");
        }
    }

    /// <summary>The distinct signing certificates across the packages' bundles.</summary>
    private static HashSet<string> Certificates(string solution, int projects)
    {
        var certificates = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 1; i <= projects; i++)
        {
            var bundle = E2E.EmbeddedBundleOf(Path.Combine(solution, "out", $"Contoso.Part{i}.1.0.0.nupkg"));
            certificates.Add(Convert.ToBase64String(bundle.VerificationMaterial!.Certificate!.RawBytes!));
        }

        return certificates;
    }

    /// <summary>A solution of small packable libraries that reference SigstoreBuild (as benchmarks/pack/run.sh generates).</summary>
    private static void WriteSolution(string directory, int count)
    {
        var entries = new List<string>();
        for (var i = 1; i <= count; i++)
        {
            var dir = Directory.CreateDirectory(Path.Combine(directory, $"Part{i}")).FullName;
            File.WriteAllText(Path.Combine(dir, $"Part{i}.csproj"), $"""
                <Project Sdk="Microsoft.NET.Sdk">
                  <PropertyGroup>
                    <TargetFramework>net10.0</TargetFramework>
                    <PackageId>Contoso.Part{i}</PackageId>
                    <Version>1.0.0</Version>
                    <Authors>Contoso</Authors>
                    <Description>Part {i} of a solution signed at dotnet pack.</Description>
                  </PropertyGroup>
                  <ItemGroup>
                    <PackageReference Include="SigstoreBuild" Version="$(SigstoreBuildVersion)" PrivateAssets="all" />
                  </ItemGroup>
                </Project>
                """);
            File.WriteAllText(Path.Combine(dir, "Part.cs"), $"namespace Contoso.Part{i};\n\npublic static class Part\n{{\n    public static int Number => {i};\n}}\n");
            entries.Add($"  <Project Path=\"Part{i}/Part{i}.csproj\" />");
        }

        File.WriteAllText(Path.Combine(directory, "Parts.slnx"), "<Solution>\n" + string.Join('\n', entries) + "\n</Solution>\n");
    }
}
