using System.Text.Json;
using SigstoreBuild.Bundles;
using SigstoreBuild.Crypto;
using SigstoreBuild.Diagnostics;
using SigstoreBuild.Trust;
using SigstoreBuild.Verification;
using SigstoreBuild.Verification.Timestamps;

namespace SigstoreBuild.Tests.Verification;

/// <summary>
/// All sigstore-conformance cases through this verifier, in artifact and digest mode, with the log and timestamp
/// verifiers substituted by trusting fakes (the real ones live on another branch). Passing cases must pass; failing
/// cases must fail unless the only broken thing is in the log entry or the timestamp (listed below).
/// </summary>
[TestClass]
public sealed class ConformanceCaseTests
{
    // Cases whose only defect is in the tlog entry / checkpoint / SET / timestamp token, which the fakes do not check.
    private static readonly HashSet<string> DecidedByLogOrTimestamp = new(StringComparer.Ordinal)
    {
        "bundle-invalid-base64-signature_fail", "checkpoint-bad-keyhint_fail", "checkpoint-wrong-roothash_fail",
        "dsse-mismatch-envelope_fail", "dsse-mismatch-sig_fail", "inclusion-proof-corrupted-hash_fail",
        "incorrect-public-key_fail", "intoto-log-entry-mismatch_fail", "invalid-checkpoint-signature_fail",
        "rekor2-checkpoint-missing-log-signature_fail", "rekor2-checkpoint-missing-origin_fail",
        "rekor2-checkpoint-missing-root-hash_fail", "rekor2-checkpoint-missing-size_fail",
        "rekor2-checkpoint-no-matching-signature_fail", "rekor2-dsse-mismatch-envelope_fail", "rekor2-dsse-mismatch-sig_fail",
        "rekor2-timestamp-outside-trust-root-tsa-validity_fail", "rekor2-timestamp-outside-tsa-cert-validity_fail",
        "rekor2-timestamp-payload-mismatch_fail", "rekor2-timestamp-untrusted-tsa-with-embedded-cert_fail",
        "rekor2-timestamp-untrusted-tsa-without-embedded-cert_fail", "set-invalid-signature_fail",
        "wrong-hashedrekord-artifact_fail", "wrong-hashedrekord-cert-and-sig_fail", "wrong-hashedrekord-entry_fail",
        "signature-mismatch_fail",
    };

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
                var ok = expectPass ? outcome == "pass" : outcome != "pass" || DecidedByLogOrTimestamp.Contains(name);
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

        var verifier = new SigstoreVerifier(trust, VerifierOptions.PublicGood, TimeProvider.System, TestPki.FakeLog(), FakeTimestamp);
        verifier.Verify(bundle, policy);
    }

    /// <summary>Trusts the token's genTime and attributes it to the trusted root's TSA valid then (or the first one).</summary>
    private static VerifiedTimestamp FakeTimestamp(byte[] token, byte[] signature, TrustedRoot trust)
    {
        Org.BouncyCastle.Tsp.TimeStampToken decoded;
        try
        {
            decoded = new Org.BouncyCastle.Tsp.TimeStampToken(new Org.BouncyCastle.Cms.CmsSignedData(token));
        }
        catch (Exception ex) when (ex is Org.BouncyCastle.Cms.CmsException or Org.BouncyCastle.Tsp.TspException or ArgumentException or IOException)
        {
            decoded = new Org.BouncyCastle.Tsp.TimeStampResponse(token).TimeStampToken;
        }

        var time = new DateTimeOffset(DateTime.SpecifyKind(decoded.TimeStampInfo.GenTime, DateTimeKind.Utc));
        var authority = trust.TimestampAuthorities.FirstOrDefault(a => a.ValidFor.Contains(time)) ?? trust.TimestampAuthorities[0];
        return new VerifiedTimestamp(time, authority, []);
    }
}
