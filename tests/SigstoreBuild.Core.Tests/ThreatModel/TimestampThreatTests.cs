using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using SigstoreBuild.Diagnostics;
using SigstoreBuild.LocalStack.Pki;
using SigstoreBuild.LocalStack.Timestamping;
using SigstoreBuild.Verification;

namespace SigstoreBuild.Tests.ThreatModel;

/// <summary>Threat model rows S-01..S-05: RFC 3161 timestamps bound to this signature, from a trusted TSA, at a valid time.</summary>
[TestClass]
public sealed class TimestampThreatTests
{
    private static TestSigstore Sigstore => TestSigstore.Shared;

    private static BundleSpec V2 => new() { Rekor = Rekor.V2 };

    private static void SetToken(SignedBundle bundle, byte[] token, int index = 0) =>
        bundle.Material["timestampVerificationData"]!["rfc3161Timestamps"]![index]!["signedTimestamp"] = TestSigstore.B64(token);

    [TestMethod]
    public void S01_TokenOverAnotherSignature_Rejected() => Expect.TwinVerifies_BrokenRejected(Sigstore.Sign(V2),
        b => SetToken(b, Sigstore.Timestamp(Sigstore.Sign(V2).Signature)), TimestampCodes.ImprintMismatch);

    [TestMethod]
    [DataRow(true)]
    [DataRow(false)]
    public void S02_TokenFromAnUntrustedTsa_Rejected(bool embedChain)
    {
        using var rootKey = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var now = DateTimeOffset.UtcNow;
        var root = CertificateAuthority.CreateRoot("CN=Rogue TSA Root", rootKey, now.AddDays(-1), now.AddDays(1));
        var signing = TimestampAuthority.CreateSigningCertificate("CN=Rogue TSA", key, root, rootKey, now.AddDays(-1), now.AddDays(1));
        var options = new TimestampOptions { SigningCertificate = signing, SigningKey = key, ExtraCertificates = [root] };
        Expect.TwinVerifies_BrokenRejected(Sigstore.Sign(V2),
            b => SetToken(b, Sigstore.Timestamp(b.Signature, options, includeCertificates: embedChain)), TimestampCodes.UntrustedAuthority);
    }

    [TestMethod]
    public void S02_TokenSignedByAnotherKeyClaimingTheTrustedCertificate_Rejected()
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var options = new TimestampOptions { SigningCertificate = Sigstore.Services.Tsa.SigningCertificate, SigningKey = key };
        Expect.TwinVerifies_BrokenRejected(Sigstore.Sign(V2), b => SetToken(b, Sigstore.Timestamp(b.Signature, options)), TimestampCodes.InvalidSignature);
    }

    // S-02 "TSA leaf without timeStamping EKU" and "signer not bound by ESSCertID" need a CMS generator that BouncyCastle's
    // TSP generator refuses to be: see TimestampVerifierTests (Leaf_without_time_stamping_usage_is_rejected, Signer_must_be_bound_by_ess_cert_id).

    [TestMethod]
    public void S03_GenTimeOutsideTheLeafValidity_Rejected()
    {
        Expect.Verifies(Sigstore.Sign(V2));
        Expect.Rejects(CertificateCodes.NotValidAtTime, Sigstore.Sign(V2 with { TimestampOptions = new TimestampOptions { GenTime = DateTimeOffset.UtcNow.AddHours(-1) } }));
    }

    [TestMethod]
    public void S03_GenTimeOutsideTheTsaCertificate_Rejected_ExpiredNowButValidThen_Verifies()
    {
        var tsa = Sigstore.Services.Tsa;
        var now = DateTimeOffset.UtcNow;
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var expired = TimestampAuthority.CreateSigningCertificate("CN=Expired TSA", key, tsa.Root, tsa.RootKey, now.AddHours(-20), now.AddHours(-10));
        var trust = Sigstore.EditedTrust(json => json["timestampAuthorities"]!.AsArray().Add(new JsonObject
        {
            ["uri"] = "https://tsa-old.sigstore.test",
            ["certChain"] = new JsonObject { ["certificates"] = new JsonArray(new JsonObject { ["rawBytes"] = TestSigstore.B64(expired.RawData) }, new JsonObject { ["rawBytes"] = TestSigstore.B64(tsa.Root.RawData) }) },
            ["validFor"] = new JsonObject { ["start"] = "2020-01-01T00:00:00Z" },
        }));
        var verifier = Sigstore.Verifier(trust: trust);

        // Counter-case: the TSA certificate has expired now, but was valid at genTime (and so was the leaf).
        var then = now.AddHours(-15);
        var valid = Sigstore.Sign(V2 with
        {
            Leaf = t => { t.NotBefore = then.AddMinutes(-5); t.NotAfter = then.AddMinutes(5); },
            TimestampOptions = new TimestampOptions { SigningCertificate = expired, SigningKey = key, GenTime = then },
        });
        Expect.Verifies(valid, verifier: verifier);

        var broken = Sigstore.Sign(V2 with { TimestampOptions = new TimestampOptions { SigningCertificate = expired, SigningKey = key } });
        Expect.Rejects(TimestampCodes.CertificateNotValidAtTime, broken, verifier: verifier);
    }

    [TestMethod]
    public void S03_EmbeddedSignerOutsideItsValidity_Rejected()
    {
        // The trusted root lists only the TSA root; the token embeds a signer the root issued, expired at genTime.
        var tsa = Sigstore.Services.Tsa;
        var now = DateTimeOffset.UtcNow;
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var signer = TimestampAuthority.CreateSigningCertificate("CN=Embedded TSA signer", key, tsa.Root, tsa.RootKey, now.AddHours(-20), now.AddHours(-10));
        var verifier = Sigstore.Verifier(trust: Sigstore.EditedTrust(json => json["timestampAuthorities"]![0]!["certChain"] = new JsonObject
        {
            ["certificates"] = new JsonArray(new JsonObject { ["rawBytes"] = TestSigstore.B64(tsa.Root.RawData) }),
        }));

        var then = now.AddHours(-15);
        var valid = Sigstore.Sign(V2 with
        {
            Leaf = t => { t.NotBefore = then.AddMinutes(-5); t.NotAfter = then.AddMinutes(5); },
            TimestampOptions = new TimestampOptions { SigningCertificate = signer, SigningKey = key, GenTime = then },
        });
        Expect.Verifies(valid, verifier: verifier);
        Expect.Rejects(TimestampCodes.CertificateNotValidAtTime, Sigstore.Sign(V2 with { TimestampOptions = new TimestampOptions { SigningCertificate = signer, SigningKey = key } }), verifier: verifier);
    }

    [TestMethod]
    public void S04_RekorV2WithoutTimestamp_Rejected() => Expect.TwinVerifies_BrokenRejected(Sigstore.Sign(V2),
        b => b.Material.Remove("timestampVerificationData"), PolicyCodes.MissingSignedTimestamp);

    [TestMethod]
    public void S05_DuplicateToken_CountsOnce()
    {
        var threshold2 = Sigstore.Verifier(VerifierOptions.PublicGood with { VerifiedTimeThreshold = 2 });
        Expect.Verifies(Sigstore.Sign(new BundleSpec { Timestamps = 1 }), verifier: threshold2); // SET time + TSA
        var duplicated = Sigstore.Sign(V2);
        var tokens = duplicated.Material["timestampVerificationData"]!["rfc3161Timestamps"]!.AsArray();
        tokens.Add(tokens[0]!.DeepClone());
        Expect.Verifies(duplicated);
        Expect.Rejects(PolicyCodes.VerifiedTimeThresholdNotMet, duplicated, verifier: threshold2);
    }

    [TestMethod]
    public void S05_TwoTokensFromOneTsa_CountOnce()
    {
        var threshold2 = Sigstore.Verifier(VerifierOptions.PublicGood with { VerifiedTimeThreshold = 2 });
        Expect.Verifies(Sigstore.Sign(new BundleSpec { Timestamps = 1 }), verifier: threshold2);
        var twoTokens = Sigstore.Sign(V2 with { Timestamps = 2 });
        Expect.Verifies(twoTokens);
        Expect.Rejects(PolicyCodes.VerifiedTimeThresholdNotMet, twoTokens, verifier: threshold2);
    }

    [TestMethod]
    public void S05_OneBackdatedToken_CertificateCheckedAtEveryTime() => Expect.TwinVerifies_BrokenRejected(Sigstore.Sign(V2 with { Timestamps = 2 }),
        b => SetToken(b, Sigstore.Timestamp(b.Signature, new TimestampOptions { GenTime = DateTimeOffset.UtcNow.AddDays(-1).AddHours(6) }), 1),
        CertificateCodes.NotValidAtTime);
}
