using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using SigstoreBuild.Attestations;
using SigstoreBuild.Bundles;
using SigstoreBuild.Diagnostics;
using SigstoreBuild.EndToEnd.Tests.Infrastructure;
using SigstoreBuild.LocalStack;
using SigstoreBuild.NuGet;
using SigstoreBuild.NuGet.Attestations;
using SigstoreBuild.NuGet.Verification;
using SigstoreBuild.Trust;
using SigstoreBuild.Verification;

namespace SigstoreBuild.EndToEnd.Tests;

/// <summary>
/// Real dotnet pack / publish of sample copies through the packed SigstoreBuild, signing against an in-process local
/// Sigstore instance; every bundle is then verified with the project's verifier.
/// </summary>
[TestClass]
public sealed class SigningTests
{
    private const string Signer = "e2e-signer@example.com";
    private static LocalSigstore s_sigstore = null!;

    public TestContext TestContext { get; set; } = null!;

    [ClassInitialize]
    public static async Task StartSigstore(TestContext context)
    {
        E2E.RequirePackage();
        s_sigstore = await LocalSigstore.StartAsync(Path.Combine(E2E.Root, "sigstore"), 0, context.CancellationToken);
    }

    [ClassCleanup]
    public static async Task StopSigstore()
    {
        if (s_sigstore is not null)
        {
            await s_sigstore.DisposeAsync();
        }
    }

    private static Dictionary<string, string> IdentityEnvironment(string? token = null) => new() { ["SIGSTORE_ID_TOKEN"] = token ?? s_sigstore.MintToken(Signer) };

    private static string[] Pack(params string[] more) =>
        DotNet.BuildArguments("pack", [$"-p:SigstoreTrustedRootPath={s_sigstore.TrustedRootPath}", $"-p:SigstoreSigningConfigPath={s_sigstore.SigningConfigPath}", .. more]);

    private static PackageVerifier Verifier() =>
        new(new SigstoreAttestationVerifier(new SigstoreVerifier(TrustedRoot.Load(s_sigstore.TrustedRootPath), VerifierOptions.PublicGood),
            CertificateIdentity.Exact(Signer, s_sigstore.Services.Oidc.Issuer)));

    [TestMethod]
    public void Pack_EmbedsTheBundle_WhichVerifies_AndAnUnchangedRepackIsNotSignedAgain()
    {
        var project = E2E.CopySample("Library", TestContext.TestName!);
        var unsigned = DotNet.Run(project, null, DotNet.BuildArguments("pack", "-o", "out-unsigned", "-p:SigstoreSign=false"));
        Assert.IsTrue(unsigned.Succeeded, unsigned.ToString());

        var result = DotNet.Run(project, IdentityEnvironment(), Pack("-o", "out", "-p:SigstoreRequireSigning=true"));
        Assert.IsTrue(result.Succeeded, result.ToString());
        Assert.Contains("Sigstore: signed Contoso.Greetings.1.0.0.nupkg as " + Signer, result.Output);

        // The bundle is inside the package, nothing beside it, and the package differs from an unsigned pack by that entry only.
        var package = Path.Combine(project, "out", "Contoso.Greetings.1.0.0.nupkg");
        Assert.IsEmpty(Directory.GetFiles(Path.Combine(project, "out"), "*.sigstore.json"));
        var inspection = PackageInspector.Inspect(package);
        CollectionAssert.AreEqual(PackageInspector.Inspect(Path.Combine(project, "out-unsigned", "Contoso.Greetings.1.0.0.nupkg")).PackageDigest, inspection.PackageDigest);
        CollectionAssert.AreEqual(
            EntryNames(Path.Combine(project, "out-unsigned", "Contoso.Greetings.1.0.0.nupkg")).Append(EmbeddedBundle.EntryName).Append(EmbeddedBundle.SbomEntryName).Order(StringComparer.Ordinal).ToList(),
            EntryNames(package).Order(StringComparer.Ordinal).ToList());

        var verified = Verifier().VerifyEmbedded(package);
        Assert.AreEqual("pkg:nuget/Contoso.Greetings@1.0.0", verified.MatchedSubject.Name);
        Assert.AreEqual(Convert.ToHexStringLower(inspection.PackageDigest), verified.MatchedSubject.Digest["sha256"]);
        Assert.AreEqual(PackageStatements.SlsaProvenanceV1, verified.Statement.PredicateType);

        // Incremental: pack rewrites the package, but its content is unchanged, so the same bundle goes back in unsigned.
        var bundleBefore = EmbeddedBundle.Read(package);
        var again = DotNet.Run(project, IdentityEnvironment(), Pack("-o", "out", "-p:SigstoreRequireSigning=true"));
        Assert.IsTrue(again.Succeeded, again.ToString());
        Assert.DoesNotContain("Sigstore: signed", again.Output);
        Assert.Contains("Sigstore: up to date", again.Output);
        CollectionAssert.AreEqual(bundleBefore, EmbeddedBundle.Read(package));

        // A changed package is signed again.
        File.WriteAllText(Path.Combine(project, "Extra.cs"), "namespace Contoso.Greetings;\n\npublic static class Extra { }\n");
        var changed = DotNet.Run(project, IdentityEnvironment(), Pack("-o", "out", "-p:SigstoreRequireSigning=true"));
        Assert.IsTrue(changed.Succeeded, changed.ToString());
        Assert.Contains("Sigstore: signed Contoso.Greetings.1.0.0.nupkg", changed.Output);
        Verifier().Verify(package, E2E.EmbeddedBundleOf(package));
        CollectionAssert.AreNotEqual(bundleBefore, EmbeddedBundle.Read(package));
    }

    [TestMethod]
    public void SidecarPack_LeavesThePackageByteIdenticalToAnUnsignedPack()
    {
        var project = E2E.CopySample("Library", TestContext.TestName!);
        var unsigned = DotNet.Run(project, null, DotNet.BuildArguments("pack", "-o", "out-unsigned", "-p:SigstoreSign=false"));
        Assert.IsTrue(unsigned.Succeeded, unsigned.ToString());

        var result = DotNet.Run(project, IdentityEnvironment(), Pack("-o", "out", "-p:SigstoreRequireSigning=true", "-p:SigstoreBundleLocation=sidecar"));
        Assert.IsTrue(result.Succeeded, result.ToString());
        Assert.Contains("Sigstore: signed Contoso.Greetings.1.0.0.nupkg as " + Signer, result.Output);

        var package = Path.Combine(project, "out", "Contoso.Greetings.1.0.0.nupkg");
        CollectionAssert.AreEqual(File.ReadAllBytes(Path.Combine(project, "out-unsigned", "Contoso.Greetings.1.0.0.nupkg")), File.ReadAllBytes(package));
        Assert.IsNull(EmbeddedBundle.Read(package), $"sidecar: no {EmbeddedBundle.EntryName} in the package");

        var verified = Verifier().Verify(package, BundleSerializer.Load(package + ".sigstore.json"));
        Assert.AreEqual("pkg:nuget/Contoso.Greetings@1.0.0", verified.MatchedSubject.Name);
        Assert.AreEqual(Convert.ToHexStringLower(PackageInspector.Inspect(package).PackageDigest), verified.MatchedSubject.Digest["sha256"]);
        Assert.AreEqual(PackageStatements.SlsaProvenanceV1, verified.Statement.PredicateType);

        // Incremental: nothing changed, so nothing is signed again and the bundle is untouched.
        var bundleBefore = File.ReadAllBytes(package + ".sigstore.json");
        var again = DotNet.Run(project, IdentityEnvironment(), Pack("-o", "out", "-p:SigstoreRequireSigning=true", "-p:SigstoreBundleLocation=sidecar"));
        Assert.IsTrue(again.Succeeded, again.ToString());
        Assert.DoesNotContain("Sigstore: signed", again.Output);
        CollectionAssert.AreEqual(bundleBefore, File.ReadAllBytes(package + ".sigstore.json"));

        // Back to the default: the bundle goes into the package and the sidecar from before is removed.
        var embedded = DotNet.Run(project, IdentityEnvironment(), Pack("-o", "out", "-p:SigstoreRequireSigning=true"));
        Assert.IsTrue(embedded.Succeeded, embedded.ToString());
        Assert.IsFalse(File.Exists(package + ".sigstore.json"), "the stale sidecar is removed");
        Verifier().Verify(package, E2E.EmbeddedBundleOf(package));
    }

    [TestMethod]
    public void BothPack_EmbedsTheBundle_AndWritesTheSameBundleBeside_AndBothVerify()
    {
        var project = E2E.CopySample("Library", TestContext.TestName!);

        var result = DotNet.Run(project, IdentityEnvironment(), Pack("-o", "out", "-p:SigstoreRequireSigning=true", "-p:SigstoreBundleLocation=both"));

        Assert.IsTrue(result.Succeeded, result.ToString());
        Assert.AreEqual(1, CountOccurrences(result.Output, "Sigstore: signed Contoso.Greetings.1.0.0.nupkg as " + Signer), result.Output);
        var package = Path.Combine(project, "out", "Contoso.Greetings.1.0.0.nupkg");
        var sidecar = package + ".sigstore.json";
        var embedded = EmbeddedBundle.Read(package);
        Assert.IsNotNull(embedded, $"no {EmbeddedBundle.EntryName} in the package");
        Assert.IsTrue(File.Exists(sidecar), "no sidecar beside the package");
        CollectionAssert.AreEqual(embedded, File.ReadAllBytes(sidecar), "the entry and the sidecar are the same bundle");

        // Each copy verifies on its own, for the package as it is (the digest leaves the embedded entry out).
        var digest = Convert.ToHexStringLower(PackageInspector.Inspect(package).PackageDigest);
        foreach (var verified in new[] { Verifier().VerifyEmbedded(package), Verifier().Verify(package, BundleSerializer.Load(sidecar)) })
        {
            Assert.AreEqual("pkg:nuget/Contoso.Greetings@1.0.0", verified.MatchedSubject.Name);
            Assert.AreEqual(digest, verified.MatchedSubject.Digest["sha256"]);
        }

        // A repack with the same content, the sidecar deleted meanwhile: not signed again, and both places filled again.
        File.Delete(sidecar);
        var again = DotNet.Run(project, IdentityEnvironment(), Pack("-o", "out", "-p:SigstoreRequireSigning=true", "-p:SigstoreBundleLocation=both"));
        Assert.IsTrue(again.Succeeded, again.ToString());
        Assert.DoesNotContain("Sigstore: signed", again.Output);
        CollectionAssert.AreEqual(embedded, EmbeddedBundle.Read(package));
        Assert.IsTrue(File.Exists(sidecar), "the repack did not write the sidecar again");
        CollectionAssert.AreEqual(embedded, File.ReadAllBytes(sidecar));
    }

    /// <summary>
    /// A sidecar signed for an earlier pack does not describe a package that was packed again unsigned (and changed): it is
    /// removed, whether signing is off (SigstoreSign=false, SigstoreSignOnPack=false) or skipped for want of an identity.
    /// </summary>
    [TestMethod]
    [DataRow("-p:SigstoreSign=false", true, DisplayName = "SigstoreSign=false")]
    [DataRow("-p:SigstoreSignOnPack=false", true, DisplayName = "SigstoreSignOnPack=false")]
    [DataRow("-p:SigstoreSign=auto", false, DisplayName = "auto, no identity")]
    public void UnsignedRepack_RemovesTheSidecarOfAnEarlierSignedPack(string unsignedProperty, bool identityAvailable)
    {
        var project = E2E.CopySample("Library", TestContext.TestName! + "-" + Math.Abs(unsignedProperty.GetHashCode(StringComparison.Ordinal)));
        var package = Path.Combine(project, "out", "Contoso.Greetings.1.0.0.nupkg");
        var sidecar = package + ".sigstore.json";
        var signed = DotNet.Run(project, IdentityEnvironment(), Pack("-o", "out", "-p:SigstoreRequireSigning=true", "-p:SigstoreBundleLocation=sidecar"));
        Assert.IsTrue(signed.Succeeded, signed.ToString());
        Verifier().Verify(package, BundleSerializer.Load(sidecar));

        File.WriteAllText(Path.Combine(project, "Extra.cs"), "namespace Contoso.Greetings;\n\npublic static class Extra { }\n");
        var unsigned = DotNet.Run(project, identityAvailable ? IdentityEnvironment() : null, Pack("-o", "out", "-p:SigstoreBundleLocation=sidecar", unsignedProperty, "-v:n"));

        Assert.IsTrue(unsigned.Succeeded, unsigned.ToString());
        Assert.DoesNotContain("Sigstore: signed", unsigned.Output);
        Assert.AreEqual(!identityAvailable, unsigned.Output.Contains("warning SSB0900", StringComparison.Ordinal), unsigned.Output);
        Assert.IsFalse(File.Exists(sidecar), "the sidecar of the earlier signed pack is still beside the unsigned package: " + unsigned.Output);
        Assert.IsEmpty(Directory.GetFiles(Path.Combine(project, "out"), "*.sigstore.json"));
        Assert.IsNull(EmbeddedBundle.Read(package), "the unsigned package carries a bundle");
        Assert.Contains("Sigstore: removed '" + sidecar + "' from an earlier pack", unsigned.Output);
    }

    private static List<string> EntryNames(string package)
    {
        using var zip = ZipFile.OpenRead(package);
        return [.. zip.Entries.Select(e => e.FullName)];
    }

    [TestMethod]
    public void AuthorSignedCopy_StillVerifies_TamperedCopy_DoesNot()
    {
        var project = E2E.CopySample("Library", TestContext.TestName!);
        var result = DotNet.Run(project, IdentityEnvironment(), Pack("-o", "out"));
        Assert.IsTrue(result.Succeeded, result.ToString());
        var package = Path.Combine(project, "out", "Contoso.Greetings.1.0.0.nupkg");
        var bundle = E2E.EmbeddedBundleOf(package);

        var signed = Path.Combine(project, "signed", "Contoso.Greetings.1.0.0.nupkg");
        Directory.CreateDirectory(Path.GetDirectoryName(signed)!);
        File.Copy(package, signed);
        var pfx = Path.Combine(project, "author.pfx");
        File.WriteAllBytes(pfx, TestCertificates.AuthorPfx("pw"));
        var sign = DotNet.Run(project, null, "nuget", "sign", signed, "--certificate-path", pfx, "--certificate-password", "pw", "--overwrite");
        if (!sign.Succeeded)
        {
            Assert.Inconclusive("dotnet nuget sign failed: " + sign);
        }

        var afterSigning = Verifier().Verify(signed, bundle);
        Assert.IsTrue(afterSigning.Package.IsSigned);
        CollectionAssert.AreNotEqual(File.ReadAllBytes(package), File.ReadAllBytes(signed));

        var tampered = Path.Combine(project, "tampered.nupkg");
        File.Copy(signed, tampered);
        using (var zip = ZipFile.Open(tampered, ZipArchiveMode.Update))
        {
            using var writer = new StreamWriter(zip.CreateEntry("lib/net10.0/payload.txt").Open());
            writer.Write("added later");
        }

        var ex = Assert.Throws<SigstoreException>(() => Verifier().Verify(tampered, bundle));
        Assert.StartsWith("SSB", ex.Code);
    }

    [TestMethod]
    public void MultiTargetedPack_SignsNupkgAndSnupkg_InTheOuterBuild()
    {
        var project = E2E.CopySample("MultiTargetLibrary", TestContext.TestName!);
        var result = DotNet.Run(project, IdentityEnvironment(), Pack("-o", "out", "-p:SigstoreRequireSigning=true"));
        Assert.IsTrue(result.Succeeded, result.ToString());
        foreach (var file in new[] { "Contoso.Text.2.1.0.nupkg", "Contoso.Text.2.1.0.snupkg" })
        {
            var path = Path.Combine(project, "out", file);
            Assert.AreEqual(1, CountOccurrences(result.Output, $"Sigstore: signed {file} as "), result.Output);
            // The .nupkg carries its bundle; the .snupkg keeps it beside it (galleries accept only symbol files inside).
            var verified = file.EndsWith(".nupkg", StringComparison.Ordinal)
                ? Verifier().VerifyEmbedded(path)
                : Verifier().Verify(path, BundleSerializer.Load(path + ".sigstore.json"));
            Assert.AreEqual("pkg:nuget/Contoso.Text@2.1.0", verified.MatchedSubject.Name);
            Assert.AreEqual(file.EndsWith(".nupkg", StringComparison.Ordinal), EmbeddedBundle.Read(path) is not null);
        }
    }

    [TestMethod]
    public void SelfContainedPublish_OneBundleListsEveryPublishedFile()
    {
        var project = E2E.CopySample("ConsoleApp", TestContext.TestName!);
        var result = DotNet.Run(project, IdentityEnvironment(), DotNet.BuildArguments("publish",
            $"-p:SigstoreTrustedRootPath={s_sigstore.TrustedRootPath}", $"-p:SigstoreSigningConfigPath={s_sigstore.SigningConfigPath}", "-p:SigstoreRequireSigning=true"));
        Assert.IsTrue(result.Succeeded, result.ToString());

        var publishDir = Path.Combine(project, "bin", "Release", "net10.0", "linux-x64", "publish");
        var bundlePath = publishDir + ".sigstore.json";
        var bundle = BundleSerializer.Load(bundlePath);
        var statement = InTotoStatement.Parse(bundle.DsseEnvelope!.Payload!);
        var files = Directory.GetFiles(publishDir, "*", SearchOption.AllDirectories);
        Assert.HasCount(files.Length, statement.Subjects);
        foreach (var file in files)
        {
            var name = Path.GetRelativePath(publishDir, file).Replace(Path.DirectorySeparatorChar, '/');
            var subject = statement.Subjects.Single(s => s.Name == name);
            Assert.AreEqual(Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(file))), subject.Digest["sha256"], name);
        }

        Assert.IsTrue(statement.Subjects.Any(s => s.Name == "Contoso.Hello"), "the app host is attested");
        var verifier = new SigstoreVerifier(TrustedRoot.Load(s_sigstore.TrustedRootPath), VerifierOptions.PublicGood);
        var first = statement.Subjects[0];
        verifier.Verify(bundle, VerificationPolicy.ForDigest("sha256:" + first.Digest["sha256"]).RequireIdentity(CertificateIdentity.Exact(Signer, s_sigstore.Services.Oidc.Issuer)));
        var last = statement.Subjects[^1];
        verifier.Verify(bundle, VerificationPolicy.ForDigest("sha256:" + last.Digest["sha256"]).RequireIdentity(CertificateIdentity.Exact(Signer, s_sigstore.Services.Oidc.Issuer)));

        // The SBOM: a second attestation over the same files, by the same certificate, listing what restore resolved.
        var sbomBundle = BundleSerializer.Load(publishDir + ".sbom.sigstore.json");
        var sbom = InTotoStatement.Parse(sbomBundle.DsseEnvelope!.Payload!);
        Assert.AreEqual("https://cyclonedx.org/bom", sbom.PredicateType);
        CollectionAssert.AreEqual(statement.Subjects.Select(s => s.Name).ToList(), sbom.Subjects.Select(s => s.Name).ToList());
        CollectionAssert.AreEqual(bundle.VerificationMaterial!.Certificate!.RawBytes, sbomBundle.VerificationMaterial!.Certificate!.RawBytes, "one certificate for the build");
        Assert.IsEmpty(SigstoreBuild.NuGet.Sbom.CycloneDxRules.Check(sbom.Predicate!.Value), "a valid CycloneDX 1.6 document");
        var purls = sbom.Predicate!.Value.GetProperty("components").EnumerateArray().Select(c => c.GetProperty("purl").GetString()).ToList();
        CollectionAssert.Contains(purls, $"pkg:nuget/SigstoreBuild@{E2E.PackageVersion}");
        verifier.Verify(sbomBundle, VerificationPolicy.ForDigest("sha256:" + first.Digest["sha256"]).RequireIdentity(CertificateIdentity.Exact(Signer, s_sigstore.Services.Oidc.Issuer))
            .RequirePredicateType("https://cyclonedx.org/bom"));

        // Opted out: no SBOM.
        var optedOut = DotNet.Run(project, IdentityEnvironment(), DotNet.BuildArguments("publish", "-o", "out-nosbom", "-p:SigstoreSbom=false",
            $"-p:SigstoreTrustedRootPath={s_sigstore.TrustedRootPath}", $"-p:SigstoreSigningConfigPath={s_sigstore.SigningConfigPath}", "-p:SigstoreRequireSigning=true"));
        Assert.IsTrue(optedOut.Succeeded, optedOut.ToString());
        Assert.IsTrue(File.Exists(Path.Combine(project, "out-nosbom.sigstore.json")));
        Assert.IsFalse(File.Exists(Path.Combine(project, "out-nosbom.sbom.sigstore.json")));
    }

    [TestMethod]
    public void DiagnosticBinlog_DoesNotContainTheToken()
    {
        var project = E2E.CopySample("Library", TestContext.TestName!);
        var token = s_sigstore.MintToken(Signer);
        var binlog = Path.Combine(project, "pack.binlog");
        var result = DotNet.Run(project, IdentityEnvironment(token), Pack("-o", "out", "-v:diag", $"-bl:{binlog}"));
        Assert.IsTrue(result.Succeeded, result.ToString());
        Assert.IsNotNull(EmbeddedBundle.Read(Path.Combine(project, "out", "Contoso.Greetings.1.0.0.nupkg")));

        Assert.DoesNotContain(token, result.Output);
        var signature = token.Split('.')[2];
        Assert.DoesNotContain(signature, result.Output);

        // A binlog is a gzip stream of records with UTF-8 strings: search the decompressed bytes.
        using var gzip = new GZipStream(File.OpenRead(binlog), CompressionMode.Decompress);
        using var decompressed = new MemoryStream();
        gzip.CopyTo(decompressed);
        var bytes = decompressed.ToArray();
        Assert.IsGreaterThan(10_000, bytes.Length, "the binlog should hold a diagnostic build");
        Assert.AreEqual(-1, bytes.AsSpan().IndexOf(Encoding.UTF8.GetBytes(signature)), "the token's signature is in the binlog");
        Assert.AreEqual(-1, bytes.AsSpan().IndexOf(Encoding.UTF8.GetBytes(token[..40])), "the token is in the binlog");
        Assert.AreNotEqual(-1, bytes.AsSpan().IndexOf("SigstoreSignPackages"u8), "the binlog should record the signing target");
    }

    [TestMethod]
    public async Task DeviceCodeLogin_InAPack_LogsTheUrlAndCode_SignsAsTheApprovingUser_AndNoTokenReachesTheLogOrBinlog()
    {
        const string user = "device-login@example.com";
        var project = E2E.CopySample("Library", TestContext.TestName!);
        var binlog = Path.Combine(project, "pack.binlog");
        var before = s_sigstore.Services.Oidc.Logins.DeviceAuthorizations.Count;

        // No token in the environment, not in CI: the build starts a device-code login and waits for the user.
        var pack = Task.Run(() => DotNet.Run(project, null, Pack("-o", "out", "-p:SigstoreOidcProvider=device", "-p:SigstoreRequireSigning=true", "-v:diag", $"-bl:{binlog}")));
        SigstoreBuild.LocalStack.Oidc.DeviceAuthorization? device = null;
        for (var attempt = 0; attempt < 2400 && device is null; attempt++)
        {
            var all = s_sigstore.Services.Oidc.Logins.DeviceAuthorizations;
            device = all.Count > before ? all[^1] : null;
            if (device is null)
            {
                Assert.IsFalse(pack.IsCompleted, "the pack ended without starting a login: " + (pack.IsCompleted ? pack.Result.ToString() : ""));
                await Task.Delay(100, TestContext.CancellationToken);
            }
        }

        Assert.IsNotNull(device, "the pack never started a device-code login");
        using (var http = new HttpClient())
        {
            await http.GetStringAsync($"{s_sigstore.BaseUrl}/oauth/device?user_code={device.UserCode}&login={Uri.EscapeDataString(user)}", TestContext.CancellationToken);
        }

        var result = await pack;
        Assert.IsTrue(result.Succeeded, result.ToString());
        Assert.Contains($"Sigstore: To sign, visit {s_sigstore.BaseUrl}/oauth/device?user_code={device.UserCode} and enter the code {device.UserCode}.", result.Output);

        var package = Path.Combine(project, "out", "Contoso.Greetings.1.0.0.nupkg");
        var verifier = new PackageVerifier(new SigstoreAttestationVerifier(new SigstoreVerifier(TrustedRoot.Load(s_sigstore.TrustedRootPath), VerifierOptions.PublicGood),
            CertificateIdentity.Exact(user, s_sigstore.Services.Oidc.Issuer)));
        Assert.AreEqual("pkg:nuget/Contoso.Greetings@1.0.0", verifier.Verify(package, E2E.EmbeddedBundleOf(package)).MatchedSubject.Name);

        // Every token this issuer mints starts with the same encoded header: it must appear in neither the log nor the binlog.
        var header = SigstoreBuild.LocalStack.Oidc.OidcIssuer.Base64Url(Encoding.UTF8.GetBytes(
            new System.Text.Json.Nodes.JsonObject { ["alg"] = "ES256", ["kid"] = s_sigstore.Services.Oidc.EcKeyId, ["typ"] = "JWT" }.ToJsonString()));
        Assert.DoesNotContain(header, result.Output);
        using var gzip = new GZipStream(File.OpenRead(binlog), CompressionMode.Decompress);
        using var decompressed = new MemoryStream();
        gzip.CopyTo(decompressed);
        Assert.AreEqual(-1, decompressed.ToArray().AsSpan().IndexOf(Encoding.UTF8.GetBytes(header)), "a token is in the binlog");
    }

    private static int CountOccurrences(string text, string value)
    {
        var count = 0;
        for (var i = text.IndexOf(value, StringComparison.Ordinal); i >= 0; i = text.IndexOf(value, i + 1, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }
}
