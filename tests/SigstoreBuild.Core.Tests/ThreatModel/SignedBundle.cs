using System.Security.Cryptography;
using System.Text.Json.Nodes;
using SigstoreBuild.Attestations;
using SigstoreBuild.Bundles;
using SigstoreBuild.Diagnostics;
using SigstoreBuild.LocalStack.Pki;
using SigstoreBuild.LocalStack.Timestamping;
using SigstoreBuild.LocalStack.Transparency;
using SigstoreBuild.Verification;

namespace SigstoreBuild.Tests.ThreatModel;

public enum Rekor
{
    None,
    V1,
    V2,
}

/// <summary>A signing key with the certificate the test CA issued for it.</summary>
internal sealed record Signer(ECDsa Key, IssuedCertificate Certificate, FulcioIdentity Identity)
{
    public byte[] Leaf => Certificate.Leaf.RawData;

    public string CertificatePem => PemEncoding.WriteString("CERTIFICATE", Leaf) + "\n";
}

/// <summary>
/// What to build, and the hooks that change exactly one thing before it is signed, logged or timestamped.
/// Defaults: a v0.3 message-signature bundle over <see cref="TestSigstore.DefaultArtifact"/>, logged in Rekor v1
/// (SET + proof + checkpoint); Rekor v2 bundles get one TSA token.
/// </summary>
internal sealed record BundleSpec
{
    public int Version { get; init; } = 3;

    public Rekor Rekor { get; init; } = Rekor.V1;

    public bool Dsse { get; init; }

    /// <summary>RFC 3161 tokens to add; null = 1 for Rekor v2 (which needs one), 0 otherwise.</summary>
    public int? Timestamps { get; init; }

    public byte[] Artifact { get; init; } = TestSigstore.DefaultArtifact;

    /// <summary>Reuse a key and certificate (e.g. two bundles by one signer).</summary>
    public Signer? Signer { get; init; }

    public FulcioIdentity? Identity { get; init; }

    public Action<LeafCertificateTemplate>? Leaf { get; init; }

    /// <summary>Sign with a bare key (publicKey verification material) instead of a certificate.</summary>
    public bool KeyOnly { get; init; }

    public string PayloadType { get; init; } = DssePae.InTotoPayloadType;

    /// <summary>DSSE payload override (default: an in-toto v1 statement whose one subject is the artifact).</summary>
    public byte[]? Payload { get; init; }

    /// <summary>DSSE: the bytes actually signed, given the correct PAE (default: the PAE).</summary>
    public Func<byte[], byte[]>? DsseSignedBytes { get; init; }

    /// <summary>Rekor v1: change the record (e.g. its integrated time or index) before the SET is signed over it.</summary>
    public Func<LogRecord, LogRecord>? LogRecord { get; init; }

    /// <summary>The bytes whose hash the TSA timestamps, given the signature (default: the signature).</summary>
    public Func<byte[], byte[]>? TimestampedBytes { get; init; }

    public TimestampOptions? TimestampOptions { get; init; }
}

/// <summary>A built bundle: its JSON (to break after the fact), the parts it was made from, and a matching policy.</summary>
internal sealed class SignedBundle
{
    public required JsonObject Json { get; init; }

    public required byte[] Artifact { get; init; }

    public required Signer Signer { get; init; }

    public required byte[] Signature { get; init; }

    public required BundleSpec Spec { get; init; }

    public JsonObject Material => Json["verificationMaterial"]!.AsObject();

    public JsonArray TlogEntries => Material["tlogEntries"]!.AsArray();

    public JsonObject Entry => TlogEntries[0]!.AsObject();

    public Bundle Parse() => BundleSerializer.Parse(Json.ToJsonString());

    /// <summary>An independent copy to break.</summary>
    public SignedBundle Clone() => new()
    {
        Json = Json.DeepClone().AsObject(),
        Artifact = Artifact,
        Signer = Signer,
        Signature = Signature,
        Spec = Spec,
    };

    public VerificationPolicy Policy()
    {
        var policy = VerificationPolicy.ForArtifact(Artifact);
        return Spec.KeyOnly
            ? policy.WithKey(Crypto.VerificationKey.FromSubjectPublicKeyInfo(Signer.Key.ExportSubjectPublicKeyInfo()))
            : policy.RequireIdentity(CertificateIdentity.Exact(Signer.Identity.Email ?? Signer.Identity.Uri!, Signer.Identity.Issuer));
    }
}

/// <summary>Assertions shared by the threat-model tests: the twin verifies, the broken bundle fails with one code.</summary>
internal static class Expect
{
    public static VerificationResult Verifies(SignedBundle bundle, VerificationPolicy? policy = null, SigstoreVerifier? verifier = null) =>
        (verifier ?? TestSigstore.Shared.Verifier()).Verify(bundle.Parse(), policy ?? bundle.Policy());

    public static void Rejects(string code, SignedBundle bundle, VerificationPolicy? policy = null, SigstoreVerifier? verifier = null) =>
        Rejects(code, () => (verifier ?? TestSigstore.Shared.Verifier()).Verify(bundle.Parse(), policy ?? bundle.Policy()));

    public static void Rejects(string code, Action action)
    {
        var ex = Assert.ThrowsExactly<VerificationException>(action);
        Assert.AreEqual(code, ex.Code, ex.Message);
    }

    /// <summary>The twin verifies; the same bundle, broken by <paramref name="breakIt"/>, fails with <paramref name="code"/>.</summary>
    public static void TwinVerifies_BrokenRejected(SignedBundle twin, Action<SignedBundle> breakIt, string code, VerificationPolicy? policy = null, SigstoreVerifier? verifier = null)
    {
        Verifies(twin, policy, verifier);
        var broken = twin.Clone();
        breakIt(broken);
        Rejects(code, broken, policy, verifier);
    }
}
