using System.Reflection;
using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using SigstoreBuild.Bundles;
using SigstoreBuild.Trust;
using SigstoreBuild.Verification;
using SigstoreBuild.Verification.Certificates;
using SigstoreBuild.Verification.Timestamps;
using SigstoreBuild.Verification.Tlog;

namespace SigstoreBuild.Benchmarks;

/// <summary>
/// The steps of one verification taken apart, to see where a case's time goes (issue 19: why rekor2-happy-path costs
/// more than the v1 cases with a cached certificate). Each step runs on the bundle's real bytes; the primitives below
/// the steps are the single operations they are made of.
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByParams)]
public class VerificationStepBenchmarks
{
    private byte[] _bundleJson = null!;
    private Bundle _bundle = null!;
    private TrustedRoot _trust = null!;
    private SignedContent _content = null!;
    private byte[] _leafDer = null!;
    private byte[]? _timestamp;

    [Params("happy-path-v0.3", "rekor2-happy-path")]
    public string Case { get; set; } = null!;

    [GlobalSetup]
    public void Setup()
    {
        var repo = typeof(VerificationStepBenchmarks).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "RepoRoot").Value!;
        var conformance = Path.GetFullPath(Path.Combine(repo, "..", "shared", "conformance"));
        var caseDir = Path.Combine(conformance, "cases", "conformance", Case);
        _bundleJson = File.ReadAllBytes(Path.Combine(caseDir, "bundle.sigstore.json"));
        var artifact = File.ReadAllBytes(Path.Combine(conformance, "cases", "conformance", "a.txt"));
        var rootPath = File.Exists(Path.Combine(caseDir, "trusted_root.json"))
            ? Path.Combine(caseDir, "trusted_root.json")
            : Path.Combine(conformance, "trust", "production.trusted_root.json");
        _trust = TrustedRoot.Load(rootPath);
        _bundle = BundleSerializer.Parse(_bundleJson);
        _leafDer = _bundle.VerificationMaterial!.Certificate!.RawBytes!;
        _content = new SignedContent
        {
            Signature = _bundle.MessageSignature!.Signature!,
            SignerCertificate = _leafDer,
            ArtifactDigest = SHA256.HashData(artifact),
            ArtifactDigestAlgorithm = HashAlgorithmName.SHA256,
        };
        _timestamp = _bundle.VerificationMaterial.TimestampVerificationData?.Rfc3161Timestamps?[0].SignedTimestamp;
        TlogEntry();
        Timestamp();
    }

    internal IEnumerable<(string, Action)> Parts()
    {
        var entry = _bundle.VerificationMaterial!.TlogEntries![0];
        var log = _trust.FindTransparencyLog(entry.LogId!.KeyId!)!;
        var proof = entry.InclusionProof!;
        var checkpoint = SignedCheckpoint.Parse(proof.Checkpoint!.Envelope);
        var rekorV2 = entry.KindVersion!.Version == "0.0.2";
        yield return ("parse bundle", () => ParseBundle());
        yield return ("tlog entry", () => TlogEntry());
        yield return ("  body bind", () => LogEntryBody.Bind(entry.CanonicalizedBody!, entry.KindVersion!.Kind!, entry.KindVersion.Version!, _content));
        yield return ("  SET payload", () => TransparencyLogVerifier.SignedEntryTimestampPayload(entry));
        if (entry.InclusionPromise?.SignedEntryTimestamp is { } set)
        {
            yield return ("  SET verify", () => log.Key.VerifyData(TransparencyLogVerifier.SignedEntryTimestampPayload(entry), set));
        }
        yield return ("  merkle", () => MerkleProof.VerifyInclusion(proof.LogIndex, proof.TreeSize, MerkleProof.HashLeaf(entry.CanonicalizedBody), proof.Hashes!, proof.RootHash));
        yield return ("  checkpoint parse", () => SignedCheckpoint.Parse(proof.Checkpoint!.Envelope));
        yield return ("  checkpoint verify", () => checkpoint.Verify(log, rekorV2, proof.TreeSize, proof.RootHash));
        yield return ("timestamp", () => Timestamp());
        yield return ("leaf evidence", () => LeafEvidence());
        yield return ("  leaf parse", () => FulcioLeaf.Parse(_leafDer));
        var leaf = FulcioLeaf.Parse(_leafDer);
        var issuers = FulcioAuthorities.For(_trust).FindIssuers(leaf.Certificate);
        yield return ("  find issuers", () => FulcioAuthorities.For(_trust).FindIssuers(leaf.Certificate));
        yield return ("  scts", () => EmbeddedSctVerifier.Verify(leaf.Certificate, issuers[0].IssuingKey, _trust));
        yield return ("trusted root's CAs, first use", () =>
        {
            var authorities = new FulcioAuthorities(_trust); // not the shared one: imports and checks the CA chain again
            _ = authorities.FindIssuers(leaf.Certificate)[0].Problem;
        });
        yield return ("  leaf key import", () => Crypto.VerificationKey.FromSubjectPublicKeyInfo(leaf.Certificate.SubjectPublicKeyInfo));
    }

    [Benchmark]
    public Bundle ParseBundle() => BundleSerializer.Parse(_bundleJson);

    /// <summary>Body binding, SET (v1), Merkle proof, checkpoint parse and signature.</summary>
    [Benchmark]
    public object TlogEntry() => TransparencyLogVerifier.Verify(_bundle.VerificationMaterial!.TlogEntries![0], _content, _trust, _bundle.MinorVersion);

    /// <summary>The RFC 3161 timestamp (rekor2 only; v1 cases have none, so this returns null there).</summary>
    [Benchmark]
    public object? Timestamp() => _timestamp is null ? null : TimestampVerifier.Verify(_timestamp, _content.Signature, _trust);

    /// <summary>What a Fresh verifier does once per certificate: profile parse, CA signature, SCTs, leaf key import.</summary>
    [Benchmark]
    public object LeafEvidence()
    {
        var leaf = FulcioLeaf.Parse(_leafDer);
        var issuers = FulcioAuthorities.For(_trust).FindIssuers(leaf.Certificate);
        return (EmbeddedSctVerifier.Verify(leaf.Certificate, issuers[0].IssuingKey, _trust), Crypto.VerificationKey.FromSubjectPublicKeyInfo(leaf.Certificate.SubjectPublicKeyInfo));
    }
}
