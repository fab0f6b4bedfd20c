using System.Text.Json;
using SigstoreBuild.Bundles;
using SigstoreBuild.Crypto;
using SigstoreBuild.Diagnostics;
using SigstoreBuild.Trust;
using SigstoreBuild.Verification;

namespace SigstoreBuild.Tests.Verification;

/// <summary>
/// All sigstore-conformance cases through the real verifier (log, checkpoint, SET and timestamp verification included),
/// in artifact and digest mode, in process: passing cases must pass and every failing case must fail with a coded
/// VerificationException. No exemptions. (tests/SigstoreBuild.Cli.Tests/Conformance runs the same cases through the CLI.)
/// </summary>
[TestClass]
public sealed class ConformanceCaseTests
{
    [TestMethod]
    public void AllCases_BothModes()
    {
        var mismatches = new List<string>();
        var ran = 0;
        foreach (var c in SharedConformance.Cases())
        {
            var name = c.GetProperty("id").GetString()!["conformance/".Length..];
            var expectPass = c.GetProperty("expect").GetString() == "pass";
            foreach (var mode in new[] { "artifact", "digest" })
            {
                string outcome;
                try
                {
                    Run(c, mode);
                    outcome = "pass";
                }
                catch (VerificationException ex)
                {
                    outcome = "fail " + ex.Code;
                }

                ran++;
                var ok = expectPass ? outcome == "pass" : outcome.StartsWith("fail SSB3", StringComparison.Ordinal);
                if (!ok)
                {
                    mismatches.Add($"{name} [{mode}]: expected {(expectPass ? "pass" : "fail")}, got {outcome}");
                }
            }
        }

        Assert.AreEqual(140, ran);
        Assert.IsEmpty(mismatches, string.Join("\n", mismatches));
    }

    private static void Run(JsonElement c, string mode)
    {
        var dir = SharedConformance.Directory;
        var bundle = BundleSerializer.Load(Path.Combine(dir, c.GetProperty("bundle").GetString()!));
        var trust = TrustedRoot.Load(Path.Combine(dir, c.GetProperty("trusted_root").GetString()!));
        var policy = mode == "artifact"
            ? VerificationPolicy.ForArtifact(File.ReadAllBytes(Path.Combine(dir, c.GetProperty("artifact").GetString()!)))
            : VerificationPolicy.ForDigest(c.GetProperty("digest").GetString()!);
        if (c.TryGetProperty("key", out var key) && key.ValueKind == JsonValueKind.String)
        {
            policy = policy.WithKey(VerificationKey.FromPem(File.ReadAllText(Path.Combine(dir, key.GetString()!))));
        }
        else if (c.GetProperty("identity").ValueKind == JsonValueKind.String)
        {
            policy = policy.RequireIdentity(CertificateIdentity.Exact(c.GetProperty("identity").GetString()!, c.GetProperty("issuer").GetString()!));
        }
        else
        {
            policy = policy.RequireIdentity(CertificateIdentity.Exact("https://unused.test", "https://unused.test"));
        }

        var verifier = new SigstoreVerifier(trust, VerifierOptions.PublicGood, TimeProvider.System);
        verifier.Verify(bundle, policy);
    }
}
