using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using SigstoreBuild.Bundles;
using SigstoreBuild.Crypto;
using SigstoreBuild.Diagnostics;
using SigstoreBuild.Verification;

namespace SigstoreBuild.Tests.ThreatModel;

/// <summary>Threat model rows B-01..B-05: bundle parsing, artifact binding, caps, key/certificate confusion, wrong instance.</summary>
[TestClass]
public sealed class BundleThreatTests
{
    private static TestSigstore Sigstore => TestSigstore.Shared;

    private static void RejectsText(string code, string json) =>
        Expect.Rejects(code, () => Sigstore.Verifier().Verify(BundleSerializer.Parse(json), VerificationPolicy.ForArtifact(TestSigstore.DefaultArtifact).UnsafeWithoutIdentity()));

    [TestMethod]
    public void B01_TruncatedJson_Malformed()
    {
        var twin = Sigstore.Sign();
        Expect.Verifies(twin);
        var text = twin.Json.ToJsonString();
        RejectsText(BundleCodes.Malformed, text[..(text.Length / 2)]);
    }

    [TestMethod]
    public void B01_InvalidBase64Signature_Malformed() => Expect.TwinVerifies_BrokenRejected(
        Sigstore.Sign(), b => b.Json["messageSignature"]!["signature"] = "not*base64!", BundleCodes.Malformed);

    [TestMethod]
    public void B01_NegativeLogIndex_InvalidTlogEntry() => Expect.TwinVerifies_BrokenRejected(
        Sigstore.Sign(), b => b.Entry["logIndex"] = "-1", BundleCodes.InvalidTlogEntry);

    [TestMethod]
    public void B01_UnknownMediaTypeVersion_Unsupported() => Expect.TwinVerifies_BrokenRejected(
        Sigstore.Sign(), b => b.Json["mediaType"] = "application/vnd.dev.sigstore.bundle.v0.4+json", BundleCodes.UnsupportedMediaType);

    [TestMethod]
    public void B01_SnakeCaseKeys_Malformed() => Expect.TwinVerifies_BrokenRejected(
        Sigstore.Sign(), b =>
        {
            var ms = b.Json["messageSignature"]!;
            b.Json.Remove("messageSignature");
            b.Json["message_signature"] = ms;
        }, BundleCodes.Malformed);

    [TestMethod]
    public void B01_EnumAsNumber_Malformed() => Expect.TwinVerifies_BrokenRejected(
        Sigstore.Sign(), b => b.Json["messageSignature"]!["messageDigest"]!["algorithm"] = 1, BundleCodes.Malformed);

    [TestMethod]
    public void B01_DuplicateKeys_Malformed()
    {
        var twin = Sigstore.Sign();
        Expect.Verifies(twin);
        var text = twin.Json.ToJsonString();
        RejectsText(BundleCodes.Malformed, "{\"mediaType\":\"" + Bundle.MediaTypeV03 + "\"," + text[1..]);
    }

    [TestMethod]
    public void B01_BothMessageSignatureAndDsseEnvelope_InvalidContent()
    {
        var twin = Sigstore.Sign();
        var dsse = Sigstore.Sign(new BundleSpec { Dsse = true, Signer = twin.Signer });
        Expect.TwinVerifies_BrokenRejected(twin, b => b.Json["dsseEnvelope"] = dsse.Json["dsseEnvelope"]!.DeepClone(), BundleCodes.InvalidContent);
    }

    [TestMethod]
    public void B02_MessageDigestHintDiffersFromArtifact_Rejected() => Expect.TwinVerifies_BrokenRejected(
        Sigstore.Sign(), b => b.Json["messageSignature"]!["messageDigest"]!["digest"] = TestSigstore.B64(SHA256.HashData("other"u8.ToArray())),
        PolicyCodes.ArtifactDigestMismatch);

    [TestMethod]
    public void B02_Sha256DigestOfWrongLength_Rejected() => Expect.TwinVerifies_BrokenRejected(
        Sigstore.Sign(), b => b.Json["messageSignature"]!["messageDigest"]!["digest"] = TestSigstore.B64(SHA256.HashData(b.Artifact)[..20]),
        PolicyCodes.ArtifactDigestMismatch);

    [TestMethod]
    public void B02_OtherArtifact_Rejected()
    {
        var twin = Sigstore.Sign();
        Expect.Verifies(twin);
        Expect.Rejects(PolicyCodes.ArtifactDigestMismatch, twin, VerificationPolicy.ForArtifact("another artifact"u8.ToArray()).RequireIdentity(twin.Policy().Identities[0]));

        // Without the hint the signature itself must fail.
        var noHint = twin.Clone();
        noHint.Json["messageSignature"]!.AsObject().Remove("messageDigest");
        Expect.Verifies(noHint);
        Expect.Rejects(KeyCodes.InvalidSignature, noHint, VerificationPolicy.ForArtifact("another artifact"u8.ToArray()).RequireIdentity(twin.Policy().Identities[0]));
    }

    [TestMethod]
    public void B02_EmptyArtifactOrDigest_Rejected()
    {
        var twin = Sigstore.Sign();
        var identity = twin.Policy().Identities[0];
        Expect.Verifies(twin, VerificationPolicy.ForDigest(HashAlgorithmName.SHA256, SHA256.HashData(twin.Artifact)).RequireIdentity(identity));
        Expect.Rejects(PolicyCodes.EmptyArtifact, twin, VerificationPolicy.ForArtifact([]).RequireIdentity(identity));
        Expect.Rejects(PolicyCodes.EmptyArtifact, () => VerificationPolicy.ForDigest(HashAlgorithmName.SHA256, []));
        Expect.Rejects(PolicyCodes.EmptyArtifact, twin, VerificationPolicy.ForArtifact(new MemoryStream()).RequireIdentity(identity));
    }

    [TestMethod]
    public void B02_NoArtifact_NoIdentity_NoDefault()
    {
        var twin = Sigstore.Sign();
        Expect.Verifies(twin);
        Expect.Rejects(PolicyCodes.MissingIdentity, twin, VerificationPolicy.ForArtifact(twin.Artifact));

        // Without an artifact only the explicit Unsafe policy proceeds, with a warning, and only on the bundle's own digest.
        var unsafeResult = Expect.Verifies(twin, VerificationPolicy.UnsafeWithoutArtifact().RequireIdentity(twin.Policy().Identities[0]));
        Assert.IsTrue(unsafeResult.Warnings.Any(w => w.Code == PolicyCodes.UnsafeOptionUsed));
        var noHint = twin.Clone();
        noHint.Json["messageSignature"]!.AsObject().Remove("messageDigest");
        Expect.Rejects(PolicyCodes.MissingArtifact, noHint, VerificationPolicy.UnsafeWithoutArtifact().RequireIdentity(twin.Policy().Identities[0]));
    }

    [TestMethod]
    public void B03_TooManyTlogEntries_Refused() => Expect.TwinVerifies_BrokenRejected(
        Sigstore.Sign(), b =>
        {
            for (var i = 0; i < 32; i++)
            {
                b.TlogEntries.Add(b.Entry.DeepClone());
            }
        }, BundleCodes.Malformed);

    [TestMethod]
    public void B03_TooManyTimestamps_Refused() => Expect.TwinVerifies_BrokenRejected(
        Sigstore.Sign(new BundleSpec { Rekor = Rekor.V2 }), b =>
        {
            var tokens = b.Material["timestampVerificationData"]!["rfc3161Timestamps"]!.AsArray();
            for (var i = 0; i < 32; i++)
            {
                tokens.Add(new JsonObject { ["signedTimestamp"] = TestSigstore.B64(Sigstore.Timestamp(b.Signature)) });
            }
        }, BundleCodes.Malformed);

    [TestMethod]
    public void B03_TooManyInTotoSubjects_Refused()
    {
        static JsonArray Subjects(int count)
        {
            var subjects = new JsonArray(new JsonObject { ["name"] = "pkg:nuget/A@1.0.0", ["digest"] = new JsonObject { ["sha256"] = Convert.ToHexStringLower(SHA256.HashData(TestSigstore.DefaultArtifact)) } });
            for (var i = 1; i < count; i++)
            {
                subjects.Add(new JsonObject { ["name"] = $"pkg:nuget/B{i}@1.0.0", ["digest"] = new JsonObject { ["sha256"] = Convert.ToHexStringLower(SHA256.HashData(BitConverter.GetBytes(i))) } });
            }

            return subjects;
        }

        Expect.Verifies(Sigstore.Sign(new BundleSpec { Dsse = true, Payload = TestSigstore.Statement(TestSigstore.DefaultArtifact, subjects: Subjects(1024)) }));
        Expect.Rejects(AttestationCodes.TooManySubjects, Sigstore.Sign(new BundleSpec { Dsse = true, Payload = TestSigstore.Statement(TestSigstore.DefaultArtifact, subjects: Subjects(1025)) }));
    }

    [TestMethod]
    public void B03_HugeBundle_RefusedUnread()
    {
        var twin = Sigstore.Sign();
        Expect.Verifies(twin);
        var huge = twin.Clone();
        huge.Json["padding"] = new string(' ', BundleSerializer.MaxBundleBytes);
        Expect.Rejects(BundleCodes.TooLarge, () => huge.Parse());
    }

    [TestMethod]
    public void B04_KeyBundleUnderKeylessPolicy_Rejected()
    {
        var keyBundle = Sigstore.Sign(new BundleSpec { KeyOnly = true });
        Expect.Verifies(keyBundle);
        Expect.Rejects(PolicyCodes.KeylessPolicyKeyBundle, keyBundle,
            VerificationPolicy.ForArtifact(keyBundle.Artifact).RequireIdentity(CertificateIdentity.Exact(TestSigstore.Email, Sigstore.BaseUrl)));
    }

    [TestMethod]
    public void B04_CertificateBundleUnderKeyPolicy_Rejected()
    {
        var twin = Sigstore.Sign();
        Expect.Verifies(twin);
        Expect.Rejects(PolicyCodes.KeyPolicyCertificateBundle, twin,
            VerificationPolicy.ForArtifact(twin.Artifact).WithKey(VerificationKey.FromSubjectPublicKeyInfo(twin.Signer.Key.ExportSubjectPublicKeyInfo())));
    }

    [TestMethod]
    public void B04_KeyBundleWithAnotherKey_Rejected()
    {
        var keyBundle = Sigstore.Sign(new BundleSpec { KeyOnly = true });
        Expect.Verifies(keyBundle);
        using var other = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        Expect.Rejects(KeyCodes.InvalidSignature, keyBundle,
            VerificationPolicy.ForArtifact(keyBundle.Artifact).WithKey(VerificationKey.FromSubjectPublicKeyInfo(other.ExportSubjectPublicKeyInfo())));
    }

    [TestMethod]
    public void B04_PublicKeyInTheCertificateField_NotParsedAsKey() => Expect.TwinVerifies_BrokenRejected(
        Sigstore.Sign(), b => b.Material["certificate"]!["rawBytes"] = TestSigstore.B64(b.Signer.Key.ExportSubjectPublicKeyInfo()),
        CertificateCodes.Malformed);

    [TestMethod]
    public void B05_BundleFromAnotherInstance_Untrusted()
    {
        var foreign = TestSigstore.Other.Sign();
        Expect.Verifies(foreign, verifier: TestSigstore.Other.Verifier());
        Expect.Rejects(CertificateCodes.Untrusted, foreign, verifier: Sigstore.Verifier());
    }

    [TestMethod]
    public void B05_KeyBundleFromAnotherInstance_UnknownLog()
    {
        var foreign = TestSigstore.Other.Sign(new BundleSpec { KeyOnly = true });
        Expect.Verifies(foreign, verifier: TestSigstore.Other.Verifier());
        Expect.Rejects(TlogCodes.UnknownLog, foreign, verifier: Sigstore.Verifier());
    }
}
