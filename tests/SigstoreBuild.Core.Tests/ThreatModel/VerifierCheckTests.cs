using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using SigstoreBuild.Diagnostics;
using SigstoreBuild.Verification;

namespace SigstoreBuild.Tests.ThreatModel;

/// <summary>
/// Checks of the verifier that a mutation pass found untested (removing them failed no test). Each test breaks
/// exactly the one thing the check guards and expects its code; the twin verifies.
/// </summary>
[TestClass]
public sealed class VerifierCheckTests
{
    private static TestSigstore Sigstore => TestSigstore.Shared;

    [TestMethod]
    public void CertificateKeyOnAnUnknownCurve_UnsupportedKey()
    {
        // id-ecPublicKey on a curve no crypto provider knows: the certificate chains, but its key cannot be used.
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            using (writer.PushSequence())
            {
                writer.WriteObjectIdentifier("1.2.840.10045.2.1");
                writer.WriteObjectIdentifier("1.3.6.1.4.1.99999.1");
            }

            writer.WriteBitString([0x04, .. RandomNumberGenerator.GetBytes(64)]);
        }

        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var identity = Sigstore.DefaultIdentity;
        var signer = new Signer(key, Sigstore.Services.Ca.IssueLeaf(writer.Encode(), identity), identity);
        Expect.Verifies(Sigstore.Sign(new BundleSpec { Rekor = Rekor.None, Timestamps = 1 }), verifier: Sigstore.Verifier(VerifierOptions.PublicGood with { UnsafeSkipTransparencyLog = true }));
        Expect.Rejects(KeyCodes.UnsupportedKey, Sigstore.Sign(new BundleSpec { Rekor = Rekor.None, Timestamps = 1, Signer = signer }), verifier: Sigstore.Verifier(VerifierOptions.PublicGood with { UnsafeSkipTransparencyLog = true }));
    }

    [TestMethod]
    [DataRow("SHA3_256")]
    [DataRow("SHA1")]
    [DataRow("sha256")]
    public void MessageDigestWithAnUnsupportedAlgorithm_Rejected(string algorithm) => Expect.TwinVerifies_BrokenRejected(Sigstore.Sign(),
        b => b.Json["messageSignature"]!["messageDigest"]!["algorithm"] = algorithm, PolicyCodes.UnsupportedDigestAlgorithm);

    [TestMethod]
    public void MessageDigestOfTheWrongLength_Rejected() => Expect.TwinVerifies_BrokenRejected(Sigstore.Sign(),
        b => b.Json["messageSignature"]!["messageDigest"]!["digest"] = TestSigstore.B64(SHA256.HashData(b.Artifact)[..20]), PolicyCodes.ArtifactDigestMismatch,
        VerificationPolicy.UnsafeWithoutArtifact().RequireIdentity(CertificateIdentity.Exact(TestSigstore.Email, TestSigstore.Shared.BaseUrl)));

    // ---- D-06: provenance consistency needs an attestation signed with a certificate ----

    internal static byte[] Provenance(byte[] artifact) => System.Text.Encoding.UTF8.GetBytes(new JsonObject
    {
        ["_type"] = "https://in-toto.io/Statement/v1",
        ["subject"] = new JsonArray(new JsonObject { ["name"] = "artifact", ["digest"] = new JsonObject { ["sha256"] = Convert.ToHexStringLower(SHA256.HashData(artifact)) } }),
        ["predicateType"] = ProvenanceConsistency.SlsaProvenanceV1,
        ["predicate"] = new JsonObject { ["runDetails"] = new JsonObject { ["builder"] = new JsonObject { ["id"] = "https://example.test/builder" } } },
    }.ToJsonString());

    [TestMethod]
    public void ProvenanceConsistency_MessageSignature_NotCheckable()
    {
        var bundle = Sigstore.Sign();
        Expect.Rejects(AttestationCodes.ProvenanceNotCheckable, bundle, bundle.Policy().RequireProvenanceConsistency());
    }

    [TestMethod]
    public void ProvenanceConsistency_KeySignedAttestation_NotCheckable()
    {
        // Only a certificate can corroborate provenance; a bare key says nothing about the build.
        var bundle = Sigstore.Sign(new BundleSpec { Dsse = true, KeyOnly = true, Payload = Provenance(TestSigstore.DefaultArtifact) });
        Expect.Verifies(bundle);
        Expect.Rejects(AttestationCodes.ProvenanceNotCheckable, bundle, bundle.Policy().RequireProvenanceConsistency());
    }

    [TestMethod]
    [DataRow(true, false, DisplayName = "the signer's identity requires it")]
    [DataRow(false, false, DisplayName = "no identity requires it")]
    [DataRow(true, true, DisplayName = "an identity that names another signer requires it")]
    public void ProvenanceConsistency_PerIdentity_BindsOnlyTheSignersItNames(bool required, bool ofAnotherSigner)
    {
        var bundle = Sigstore.Sign(new BundleSpec { Dsse = true, Payload = Provenance(TestSigstore.DefaultArtifact) });
        var signer = CertificateIdentity.Exact(TestSigstore.Email, Sigstore.BaseUrl);
        var other = CertificateIdentity.Exact("other@example.test", Sigstore.BaseUrl);
        CertificateIdentity[] identities = ofAnotherSigner ? [signer, other.RequireProvenanceConsistency()]
            : required ? [signer, signer.UnsafeAllowUncorroboratedProvenance()] // named by a lax identity first, and by a stricter one too
            : [signer];
        var result = Expect.Verifies(bundle, VerificationPolicy.ForArtifact(bundle.Artifact).RequireIdentity(identities));
        if (required && !ofAnotherSigner)
        {
            // The strictest identity that names the signer decides: without the unsafe allowance nothing corroborates it.
            Expect.Rejects(AttestationCodes.ProvenanceNotCorroborated, bundle, VerificationPolicy.ForArtifact(bundle.Artifact)
                .RequireIdentity([signer, signer.UnsafeAllowUncorroboratedProvenance(), signer.RequireProvenanceConsistency()]));
        }

        // The email certificate corroborates nothing, so the check, when it runs (allowed unsafely), warns.
        Assert.AreEqual(required && !ofAnotherSigner, result.Warnings.Any(w => w.Code == AttestationCodes.ProvenanceUncorroborated), string.Join("; ", result.Warnings));
        Expect.Rejects(AttestationCodes.ProvenanceNotCheckable, Sigstore.Sign(), VerificationPolicy.ForArtifact(TestSigstore.DefaultArtifact).RequireIdentity(signer.RequireProvenanceConsistency()));
        Assert.IsTrue(signer.RequireProvenanceConsistency().WithBuildTrigger("push").RequiresProvenanceConsistency, "pins keep the requirement");
    }

    [TestMethod]
    public void VerifiedAttestation_CarriesTheStatement_AndAMismatchNamesTheSigner()
    {
        var bundle = Sigstore.Sign(new BundleSpec { Dsse = true, Payload = Provenance(TestSigstore.DefaultArtifact) });
        var result = Expect.Verifies(bundle);
        Assert.AreEqual(ProvenanceConsistency.SlsaProvenanceV1, result.InTotoStatement!.PredicateType);
        Assert.AreEqual("artifact", Assert.ContainsSingle(result.InTotoStatement.Subjects).Name);

        var ex = Assert.ThrowsExactly<VerificationException>(() => Sigstore.Verifier().Verify(bundle.Parse(),
            VerificationPolicy.ForArtifact(bundle.Artifact).RequireIdentity(CertificateIdentity.Exact("other@example.test", Sigstore.BaseUrl))));
        Assert.AreEqual(PolicyCodes.SubjectAlternativeNameMismatch, ex.Code);
        Assert.AreEqual(TestSigstore.Email, ex.Signer!.SubjectAlternativeName);
        Assert.AreEqual(result.Identity!.CertificateSha256, ex.Signer.CertificateSha256);
        Assert.IsNull(Assert.ThrowsExactly<VerificationException>(() => Sigstore.Verifier().Verify(bundle.Parse(),
            VerificationPolicy.ForArtifact(bundle.Artifact).RequireIdentity(CertificateIdentity.Exact(TestSigstore.Email, Sigstore.BaseUrl)).RequirePredicateType("x"))).Signer);
    }

    [TestMethod]
    public void DsseAgainstAnEmptyStream_EmptyArtifact()
    {
        var bundle = Sigstore.Sign(new BundleSpec { Dsse = true });
        using var artifact = new MemoryStream(bundle.Artifact);
        Expect.Verifies(bundle, VerificationPolicy.ForArtifact(artifact).RequireIdentity(CertificateIdentity.Exact(TestSigstore.Email, Sigstore.BaseUrl)));
        using var empty = new MemoryStream();
        Expect.Rejects(PolicyCodes.EmptyArtifact, bundle, VerificationPolicy.ForArtifact(empty).RequireIdentity(CertificateIdentity.Exact(TestSigstore.Email, Sigstore.BaseUrl)));
    }

    [TestMethod]
    public void MoreDistinctTimestampsThanMaxTimestamps_TooLarge()
    {
        var bundle = Sigstore.Sign(new BundleSpec { Timestamps = 2 });
        Expect.Verifies(bundle, verifier: Sigstore.Verifier(VerifierOptions.PublicGood with { MaxTimestamps = 2 }));
        Expect.Rejects(BundleCodes.TooLarge, bundle, verifier: Sigstore.Verifier(VerifierOptions.PublicGood with { MaxTimestamps = 1 }));

        // The same token twice is one timestamp.
        var repeated = bundle.Clone();
        var tokens = repeated.Material["timestampVerificationData"]!["rfc3161Timestamps"]!.AsArray();
        tokens[1] = tokens[0]!.DeepClone();
        Expect.Verifies(repeated, verifier: Sigstore.Verifier(VerifierOptions.PublicGood with { MaxTimestamps = 1 }));
    }
}
