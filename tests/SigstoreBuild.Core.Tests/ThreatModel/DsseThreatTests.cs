using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using SigstoreBuild.Attestations;
using SigstoreBuild.Diagnostics;
using SigstoreBuild.Verification;

namespace SigstoreBuild.Tests.ThreatModel;

/// <summary>Threat model rows D-01..D-05: DSSE envelopes and in-toto statements (D-06 is pending, see docs/threat-model-coverage.md).</summary>
[TestClass]
public sealed class DsseThreatTests
{
    private static TestSigstore Sigstore => TestSigstore.Shared;

    private static BundleSpec Dsse(Rekor rekor = Rekor.V1) => new() { Dsse = true, Rekor = rekor };

    private static JsonObject Envelope(SignedBundle bundle) => bundle.Json["dsseEnvelope"]!.AsObject();

    [TestMethod]
    public void D01_InvalidSignature_Rejected() => Expect.TwinVerifies_BrokenRejected(Sigstore.Sign(Dsse()), b =>
    {
        var sig = Convert.FromBase64String(Envelope(b)["signatures"]![0]!["sig"]!.GetValue<string>());
        sig[^1] ^= 1;
        Envelope(b)["signatures"]![0]!["sig"] = TestSigstore.B64(sig);
    }, KeyCodes.InvalidSignature);

    [TestMethod]
    [DataRow(Rekor.V1)]
    [DataRow(Rekor.V2)]
    public void D01_ValidEnvelopeThatIsNotTheLoggedOne_Rejected(Rekor rekor)
    {
        var logged = Sigstore.Sign(Dsse(rekor));
        var twin = Sigstore.Sign(Dsse(rekor) with { Signer = logged.Signer, Payload = TestSigstore.Statement(TestSigstore.DefaultArtifact, predicateType: "https://example.test/other/v1") });
        Expect.TwinVerifies_BrokenRejected(twin, b =>
        {
            b.TlogEntries[0] = logged.Entry.DeepClone();
            if (rekor == Rekor.V2)
            {
                // The timestamp covers the signature; keep it consistent so that only the log entry is wrong.
                b.Material["timestampVerificationData"] = new JsonObject { ["rfc3161Timestamps"] = new JsonArray(new JsonObject { ["signedTimestamp"] = TestSigstore.B64(Sigstore.Timestamp(b.Signature)) }) };
            }
        }, TlogCodes.DigestMismatch);
    }

    [TestMethod]
    [DataRow(Rekor.V1)]
    [DataRow(Rekor.V2)]
    public void D01_SecondValidSignatureOverTheSamePayload_Rejected(Rekor rekor)
    {
        // ECDSA is randomised: a second signature over the same PAE verifies, but it is not the logged one.
        var twin = Sigstore.Sign(Dsse(rekor));
        var payloadType = Envelope(twin)["payloadType"]!.GetValue<string>();
        var payload = Convert.FromBase64String(Envelope(twin)["payload"]!.GetValue<string>());
        var second = twin.Signer.Key.SignData(DssePae.Encode(payloadType, payload), HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        Expect.TwinVerifies_BrokenRejected(twin, b =>
        {
            Envelope(b)["signatures"]![0]!["sig"] = TestSigstore.B64(second);
            if (rekor == Rekor.V2)
            {
                b.Material["timestampVerificationData"]!["rfc3161Timestamps"]![0]!["signedTimestamp"] = TestSigstore.B64(Sigstore.Timestamp(second));
            }
        }, TlogCodes.SignatureMismatch);
    }

    [TestMethod]
    public void D02_SignatureOverTheRawPayload_Rejected()
    {
        Expect.Verifies(Sigstore.Sign(Dsse()));
        var payload = TestSigstore.Statement(TestSigstore.DefaultArtifact);
        Expect.Rejects(KeyCodes.InvalidSignature, Sigstore.Sign(Dsse(Rekor.None) with { Payload = payload, DsseSignedBytes = _ => payload }));
    }

    [TestMethod]
    public void D02_PaeWithCharacterLengths_Rejected()
    {
        // A non-ASCII payload: UTF-16 character count differs from the UTF-8 byte count the PAE must use.
        var payload = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(TestSigstore.Statement(TestSigstore.DefaultArtifact)).Replace("https://example.test/build", "https://example.test/bü/ïld", StringComparison.Ordinal));
        Expect.Verifies(Sigstore.Sign(Dsse() with { Payload = payload }));
        var text = Encoding.UTF8.GetString(payload);
        var type = DssePae.InTotoPayloadType;
        var byCharacters = Encoding.UTF8.GetBytes($"DSSEv1 {type.Length} {type} {text.Length} {text}");
        Expect.Rejects(KeyCodes.InvalidSignature, Sigstore.Sign(Dsse(Rekor.None) with { Payload = payload, DsseSignedBytes = _ => byCharacters }));
    }

    [TestMethod]
    public void D02_PayloadTypeChanged_Rejected() => Expect.TwinVerifies_BrokenRejected(Sigstore.Sign(Dsse()),
        b => Envelope(b)["payloadType"] = "application/json", AttestationCodes.UnsupportedPayloadType);

    [TestMethod]
    public void D02_OtherPayloadTypeSignedAndLogged_Rejected()
    {
        Expect.Verifies(Sigstore.Sign(Dsse()));
        Expect.Rejects(AttestationCodes.UnsupportedPayloadType, Sigstore.Sign(Dsse() with { PayloadType = "application/vnd.cyclonedx+json" }));
    }

    [TestMethod]
    public void D02_UnknownStatementType_Rejected()
    {
        Expect.Verifies(Sigstore.Sign(Dsse()));
        Expect.Rejects(AttestationCodes.UnsupportedStatementType, Sigstore.Sign(Dsse() with { Payload = TestSigstore.Statement(TestSigstore.DefaultArtifact, type: "https://in-toto.io/Statement/v9") }));
    }

    [TestMethod]
    public void D03_SecondSignatureFromAnotherKey_Rejected()
    {
        using var other = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        Expect.TwinVerifies_BrokenRejected(Sigstore.Sign(Dsse()), b =>
        {
            var pae = DssePae.Encode(Envelope(b)["payloadType"]!.GetValue<string>(), Convert.FromBase64String(Envelope(b)["payload"]!.GetValue<string>()));
            Envelope(b)["signatures"]!.AsArray().Add(new JsonObject { ["sig"] = TestSigstore.B64(other.SignData(pae, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence)) });
        }, AttestationCodes.SignatureCount);
    }

    private static JsonArray Subject(string name, string algorithm, string hex) =>
        new(new JsonObject { ["name"] = name, ["digest"] = new JsonObject { [algorithm] = hex } });

    private static string ArtifactHex => Convert.ToHexStringLower(SHA256.HashData(TestSigstore.DefaultArtifact));

    [TestMethod]
    public void D04_ArtifactNotAmongTheSubjects_Rejected()
    {
        var twin = Sigstore.Sign(Dsse());
        Expect.Verifies(twin);
        Expect.Rejects(AttestationCodes.SubjectMismatch, twin, VerificationPolicy.ForArtifact("another package"u8.ToArray()).RequireIdentity(twin.Policy().Identities[0]));
        Expect.Rejects(AttestationCodes.SubjectMismatch, twin, VerificationPolicy.ForDigest(HashAlgorithmName.SHA256, SHA256.HashData("another package"u8)).RequireIdentity(twin.Policy().Identities[0]));
    }

    [TestMethod]
    [DataRow("only-name", AttestationCodes.SubjectMismatch)]
    [DataRow("sha1", AttestationCodes.SubjectMismatch)]
    [DataRow("unknown-algorithm", AttestationCodes.SubjectMismatch)]
    [DataRow("uppercase-hex", AttestationCodes.MalformedStatement)]
    [DataRow("short-hex", AttestationCodes.MalformedStatement)]
    public void D04_SubjectConfusion_Rejected(string variant, string code)
    {
        var subjects = variant switch
        {
            "only-name" => Subject("pkg:nuget/Contoso.Widgets@1.2.3", "sha256", Convert.ToHexStringLower(SHA256.HashData("something else"u8))),
            "sha1" => Subject("pkg:nuget/Contoso.Widgets@1.2.3", "sha1", Convert.ToHexStringLower(SHA1.HashData(TestSigstore.DefaultArtifact))),
            "unknown-algorithm" => Subject("pkg:nuget/Contoso.Widgets@1.2.3", "sha3000", ArtifactHex),
            "uppercase-hex" => Subject("pkg:nuget/Contoso.Widgets@1.2.3", "sha256", ArtifactHex.ToUpperInvariant()),
            _ => Subject("pkg:nuget/Contoso.Widgets@1.2.3", "sha256", ArtifactHex[..40]),
        };
        Expect.Verifies(Sigstore.Sign(Dsse() with { Payload = TestSigstore.Statement(TestSigstore.DefaultArtifact, subjects: Subject("pkg:nuget/Contoso.Widgets@1.2.3", "sha256", ArtifactHex)) }));
        Expect.Rejects(code, Sigstore.Sign(Dsse() with { Payload = TestSigstore.Statement(TestSigstore.DefaultArtifact, subjects: subjects) }));
    }

    [TestMethod]
    public void D05_PredicateTypeNotTheRequiredOne_Rejected()
    {
        var twin = Sigstore.Sign(Dsse());
        Expect.Verifies(twin, twin.Policy().RequirePredicateType("https://slsa.dev/provenance/v1"));
        Expect.Rejects(AttestationCodes.PredicateTypeMismatch, twin, twin.Policy().RequirePredicateType("https://slsa.dev/provenance/v0.2"));
    }

    [TestMethod]
    public void D05_PredicateTypeRequiredButNoAttestation_Rejected()
    {
        var message = Sigstore.Sign();
        Expect.Verifies(message);
        Expect.Rejects(PolicyCodes.PredicateTypeForMessageSignature, message, message.Policy().RequirePredicateType("https://slsa.dev/provenance/v1"));
    }
}
