using System.Reflection;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Org.BouncyCastle.Cms;
using SigstoreBuild.Attestations;
using SigstoreBuild.Bundles;
using SigstoreBuild.Crypto;
using SigstoreBuild.Trust;
using SigstoreBuild.Verification;
using SigstoreBuild.Verification.Certificates;
using SigstoreBuild.Verification.Tlog;

namespace SigstoreBuild.Benchmarks;

/// <summary>
/// Warm verification of real sigstore-conformance bundles (shared/conformance): parse the bundle JSON and verify it
/// completely, as sigstore-js's bench does. "Shared" reuses one verifier (per-certificate work cached, as in a
/// restore where many packages share the build's certificate); "Fresh" builds a new verifier every time (an unseen
/// certificate). Both keep the trusted root, so trusted-root keys and CA chains stay imported and checked, as they
/// are for every verifier built on one <see cref="TrustedRoot"/>.
/// <para>
/// "Floor" (the baseline, so Ratio is cost / floor) is the raw cryptography an unseen-certificate verification of the
/// bundle cannot avoid, over the bundle's real bytes extracted in GlobalSetup, with the primitives Core uses
/// (BCL ECDsa/RSA via OpenSSL, BouncyCastle Ed25519). It counts:
/// the leaf certificate's public key import; the leaf's signature by its issuing Fulcio CA key (hashing the
/// TBSCertificate); each SCT from a trusted CT log (signature over the precertificate TBS); per log entry the Rekor v1
/// SET signature, the checkpoint signature(s) by the log key, and the Merkle leaf hash plus every proof node hash; the
/// artifact digest (message signature) or the DSSE PAE signature plus the payload and artifact hashes the bindings
/// need; for each RFC 3161 timestamp the imprint hash over the signature, the TSTInfo digest and the CMS signature.
/// It does not count trusted-root key imports (CA, CT, Rekor, TSA: done once per trusted root by the verifier too),
/// parsing (JSON, ASN.1, CMS, the checkpoint note), nor building the precertificate TBS, the SET payload or the PAE.
/// </para>
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByParams)]
public class VerificationBenchmarks
{
    private const string Identity = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
    private const string Issuer = "https://token.actions.githubusercontent.com";

    private byte[] _bundleJson = null!;
    private byte[] _artifact = null!;
    private TrustedRoot _trust = null!;
    private SigstoreVerifier _verifier = null!;
    private FloorWork _floor = null!;

    [Params("happy-path-v0.3", "happy-path-intoto-in-dsse-v3", "rekor2-happy-path")]
    public string Case { get; set; } = null!;

    [GlobalSetup]
    public void Setup()
    {
        var repo = typeof(VerificationBenchmarks).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "RepoRoot").Value!;
        var conformance = Path.GetFullPath(Path.Combine(repo, "..", "shared", "conformance"));
        var caseDir = Path.Combine(conformance, "cases", "conformance", Case);
        _bundleJson = File.ReadAllBytes(Path.Combine(caseDir, "bundle.sigstore.json"));
        _artifact = File.ReadAllBytes(Path.Combine(conformance, "cases", "conformance", "a.txt"));
        var rootPath = File.Exists(Path.Combine(caseDir, "trusted_root.json"))
            ? Path.Combine(caseDir, "trusted_root.json")
            : Path.Combine(conformance, "trust", "production.trusted_root.json");
        _trust = TrustedRoot.Load(rootPath);
        _verifier = new SigstoreVerifier(_trust, VerifierOptions.PublicGood);
        Shared(); // must verify, or the benchmark measures a failure path
        _floor = FloorWork.Extract(BundleSerializer.Parse(_bundleJson), _artifact, _trust);
        if (!Floor() || !CachedFloor())
        {
            throw new InvalidOperationException("The floor's operations must all succeed, as the verifier's do.");
        }
    }

    [Benchmark(Baseline = true)]
    public bool Floor() => _floor.Run(_artifact);

    /// <summary>The part of the floor a cached certificate still pays (no leaf key import, CA signature or SCTs): Shared's floor.</summary>
    [Benchmark]
    public bool CachedFloor() => _floor.Run(_artifact, cachedCertificate: true);

    [Benchmark]
    public VerificationResult Fresh() => new SigstoreVerifier(_trust, VerifierOptions.PublicGood).Verify(BundleSerializer.Parse(_bundleJson), Policy());

    [Benchmark]
    public VerificationResult Shared() => _verifier.Verify(BundleSerializer.Parse(_bundleJson), Policy());

    private VerificationPolicy Policy() =>
        VerificationPolicy.ForArtifact(_artifact).RequireIdentity(CertificateIdentity.Exact(Identity, Issuer));

    /// <summary>The floor's inputs, extracted once with Core's own parsers; <see cref="Run"/> does only the crypto.</summary>
    private sealed class FloorWork
    {
        private byte[] _leafSpki = null!;
        private IssuerKey _caKey = null!;
        private ParsedCertificate _leaf = null!;
        private readonly List<(VerificationKey Key, byte[] Data, byte[] Signature)> _sctSignatures = [];
        private readonly List<(VerificationKey Key, byte[] Data, byte[] Signature)> _trustedKeySignatures = [];
        private ECDsa _cachedLeafKey = null!;
        private readonly List<(byte[] Body, InclusionProof Proof)> _proofs = [];
        private readonly List<(byte[] Signature, byte[] TstInfo, HashAlgorithmName Digest, ECDsa Key, byte[] SignedAttributes, byte[] CmsSignature)> _timestamps = [];
        private byte[] _signature = null!;
        private byte[]? _pae;
        private byte[]? _dssePayload;

        public static FloorWork Extract(Bundle bundle, byte[] artifact, TrustedRoot trust)
        {
            var work = new FloorWork();
            var material = bundle.VerificationMaterial!;
            var leafDer = material.Certificate?.RawBytes ?? material.X509CertificateChain!.Certificates![0].RawBytes!;
            work._leaf = ParsedCertificate.Parse(leafDer);
            work._leafSpki = work._leaf.SubjectPublicKeyInfo;
            work._cachedLeafKey = ECDsa.Create();
            work._cachedLeafKey.ImportSubjectPublicKeyInfo(work._leafSpki, out _);
            var issuer = FulcioAuthorities.For(trust).FindIssuers(work._leaf)[0].IssuingKey;
            work._caKey = issuer;

            // SCTs: every one from a CT log the trusted root lists is verified.
            var sctExtension = work._leaf.FindExtension(FulcioExtensions.EmbeddedSctList)!;
            var precertificate = EmbeddedSctVerifier.RemoveExtension(work._leaf.Tbs, FulcioExtensions.EmbeddedSctList);
            foreach (var sct in EmbeddedSctVerifier.ParseList(sctExtension.Value))
            {
                if (trust.FindCertificateTransparencyLog(sct.LogId) is { } ctLog)
                {
                    work._sctSignatures.Add((ctLog.Key, EmbeddedSctVerifier.SignedData(sct, issuer.KeyHash, precertificate), sct.Signature));
                }
            }

            foreach (var entry in material.TlogEntries!)
            {
                var log = trust.FindTransparencyLog(entry.LogId!.KeyId!)!;
                var rekorV2 = entry.KindVersion!.Version == "0.0.2";
                if (!rekorV2 && entry.InclusionPromise?.SignedEntryTimestamp is { Length: > 0 } set)
                {
                    work._trustedKeySignatures.Add((log.Key, TransparencyLogVerifier.SignedEntryTimestampPayload(entry), set));
                }

                if (entry.InclusionProof is { } proof)
                {
                    work._proofs.Add((entry.CanonicalizedBody!, proof));
                    var checkpoint = SignedCheckpoint.Parse(proof.Checkpoint!.Envelope);
                    var identity = CheckpointIdentity.For(log);
                    foreach (var note in checkpoint.Signatures.Where(s => s.Name == identity.Name && s.KeyHint.AsSpan().SequenceEqual(rekorV2 ? identity.KeyHintV2 : identity.KeyHintV1)))
                    {
                        work._trustedKeySignatures.Add((log.Key, checkpoint.SignedText, note.Signature));
                    }
                }
            }

            if (bundle.MessageSignature is { } messageSignature)
            {
                work._signature = messageSignature.Signature!;
            }
            else
            {
                var envelope = bundle.DsseEnvelope!;
                work._signature = envelope.Signatures![0].Sig!;
                work._pae = DssePae.Encode(envelope.PayloadType!, envelope.Payload);
                work._dssePayload = envelope.Payload;
            }

            foreach (var token in material.TimestampVerificationData?.Rfc3161Timestamps ?? [])
            {
                // A TimeStampResp (status, token) or a bare token, as TimestampVerifier accepts.
                var sequence = Org.BouncyCastle.Asn1.Asn1Sequence.GetInstance(token.SignedTimestamp!);
                var cms = sequence[0] is Org.BouncyCastle.Asn1.DerObjectIdentifier
                    ? new CmsSignedData(token.SignedTimestamp!)
                    : new CmsSignedData(Org.BouncyCastle.Asn1.Tsp.TimeStampResp.GetInstance(sequence).TimeStampToken);
                var signer = cms.GetSignerInfos().GetSigners().Single();
                var tstInfo = ((Org.BouncyCastle.Asn1.Asn1OctetString)Org.BouncyCastle.Asn1.Cms.SignedData.GetInstance(cms.ContentInfo.Content).EncapContentInfo.Content).GetOctets();
                var tsaKey = trust.TimestampAuthorities.Select(a => a.Chain[0].GetECDsaPublicKey()!).First();
                var digest = signer.DigestAlgorithmID.Algorithm.Id switch
                {
                    "2.16.840.1.101.3.4.2.1" => HashAlgorithmName.SHA256,
                    "2.16.840.1.101.3.4.2.2" => HashAlgorithmName.SHA384,
                    _ => HashAlgorithmName.SHA512,
                };
                work._timestamps.Add((work._signature, tstInfo, digest, tsaKey, signer.GetEncodedSignedAttributes(), signer.GetSignature()));
            }

            return work;
        }

        public bool Run(byte[] artifact, bool cachedCertificate = false)
        {
            ECDsa leafKey;
            var ok = true;
            if (cachedCertificate)
            {
                leafKey = _cachedLeafKey;
            }
            else
            {
                leafKey = ECDsa.Create();
                leafKey.ImportSubjectPublicKeyInfo(_leafSpki, out _);
                ok &= _caKey.Signed(_leaf);
                foreach (var (key, data, signature) in _sctSignatures)
                {
                    ok &= key.VerifyData(data, signature);
                }
            }

            foreach (var (key, data, signature) in _trustedKeySignatures)
            {
                ok &= key.VerifyData(data, signature);
            }

            foreach (var (body, proof) in _proofs)
            {
                ok &= MerkleProof.VerifyInclusion(proof.LogIndex, proof.TreeSize, MerkleProof.HashLeaf(body), proof.Hashes!, proof.RootHash);
            }

            if (_pae is null)
            {
                ok &= leafKey.VerifyHash(SHA256.HashData(artifact), _signature, DSASignatureFormat.Rfc3279DerSequence);
            }
            else
            {
                ok &= leafKey.VerifyData(_pae, _signature, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
                ok &= SHA256.HashData(_dssePayload!).Length + SHA256.HashData(artifact).Length == 64;
            }

            foreach (var (signature, tstInfo, digest, key, attributes, cmsSignature) in _timestamps)
            {
                ok &= SHA256.HashData(signature).Length == 32;
                ok &= CryptographicOperations.HashData(digest, tstInfo).Length > 0;
                ok &= key.VerifyData(attributes, cmsSignature, digest, DSASignatureFormat.Rfc3279DerSequence);
            }

            if (!cachedCertificate)
            {
                leafKey.Dispose();
            }

            return ok;
        }
    }
}
