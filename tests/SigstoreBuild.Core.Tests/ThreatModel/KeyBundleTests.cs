using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Org.BouncyCastle.Crypto.Generators;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Signers;
using Org.BouncyCastle.Security;
using SigstoreBuild.Bundles;
using SigstoreBuild.Crypto;
using SigstoreBuild.Diagnostics;
using SigstoreBuild.Verification;

namespace SigstoreBuild.Tests.ThreatModel;

/// <summary>
/// Key-based bundles (<see cref="VerificationPolicy.WithKey"/>) for every key type the verifier accepts: each verifies
/// with its key, and fails with the exact code under another key, another padding or another artifact.
/// </summary>
[TestClass]
public sealed class KeyBundleTests
{
    private static TestSigstore Sigstore => TestSigstore.Shared;

    public enum KeyType
    {
        EcdsaP256,
        EcdsaP384,
        EcdsaP521,
        RsaPkcs1,
        RsaPss,
        Ed25519,
    }

    [TestMethod]
    [DataRow(KeyType.EcdsaP256)]
    [DataRow(KeyType.EcdsaP384)]
    [DataRow(KeyType.EcdsaP521)]
    [DataRow(KeyType.RsaPkcs1)]
    [DataRow(KeyType.RsaPss)]
    [DataRow(KeyType.Ed25519)]
    public void KeyBundle_VerifiesWithItsKey(KeyType type)
    {
        var signer = KeySigner.Create(type);
        var bundle = signer.Sign(TestSigstore.DefaultArtifact);
        var result = Sigstore.Verifier().Verify(bundle, VerificationPolicy.ForArtifact(TestSigstore.DefaultArtifact).WithKey(signer.Key));
        Assert.IsNull(result.Identity);
        Assert.AreEqual(Convert.ToHexStringLower(SHA256.HashData(signer.Key.SubjectPublicKeyInfo)), result.KeySha256);
        Assert.AreEqual($"{signer.DigestName}:{Convert.ToHexStringLower(signer.Hash(TestSigstore.DefaultArtifact))}", result.ArtifactDigest);
        Assert.IsEmpty(result.Warnings);
    }

    [TestMethod]
    [DataRow(KeyType.EcdsaP256)]
    [DataRow(KeyType.EcdsaP384)]
    [DataRow(KeyType.EcdsaP521)]
    [DataRow(KeyType.RsaPkcs1)]
    [DataRow(KeyType.RsaPss)]
    [DataRow(KeyType.Ed25519)]
    public void KeyBundle_AnotherKeyOfTheSameType_InvalidSignature(KeyType type)
    {
        var bundle = KeySigner.Create(type).Sign(TestSigstore.DefaultArtifact);
        Expect.Rejects(KeyCodes.InvalidSignature, () => Sigstore.Verifier().Verify(bundle, VerificationPolicy.ForArtifact(TestSigstore.DefaultArtifact).WithKey(KeySigner.Create(type).Key)));
    }

    /// <summary>
    /// The bundle (messageDigest, signature, log entry) is consistent with an artifact the signer really signed; only
    /// the artifact handed to the verifier differs. Without a messageDigest hint only the signature can notice.
    /// </summary>
    [TestMethod]
    [DataRow(KeyType.EcdsaP256)]
    [DataRow(KeyType.EcdsaP384)]
    [DataRow(KeyType.EcdsaP521)]
    [DataRow(KeyType.RsaPkcs1)]
    [DataRow(KeyType.RsaPss)]
    [DataRow(KeyType.Ed25519)]
    public void KeyBundle_TamperedArtifact_Rejected(KeyType type)
    {
        var signer = KeySigner.Create(type);
        var tampered = Encoding.UTF8.GetBytes("SigstoreBuild threat-model artifact, altered\n");

        // With the bundle's digest hint, the mismatch is caught before the signature.
        var bundle = signer.Sign(TestSigstore.DefaultArtifact);
        Expect.Rejects(PolicyCodes.ArtifactDigestMismatch, () => Sigstore.Verifier().Verify(bundle, VerificationPolicy.ForArtifact(tampered).WithKey(signer.Key)));

        // Without it, the signature check is what refuses the artifact.
        var noHint = signer.Sign(TestSigstore.DefaultArtifact, includeDigestHint: false);
        Sigstore.Verifier().Verify(noHint, VerificationPolicy.ForArtifact(TestSigstore.DefaultArtifact).WithKey(signer.Key));
        Expect.Rejects(KeyCodes.InvalidSignature, () => Sigstore.Verifier().Verify(noHint, VerificationPolicy.ForArtifact(tampered).WithKey(signer.Key)));
    }

    /// <summary>Regression: with no messageDigest the verifier hashed with SHA-256 whatever the key, so P-384/P-521 bundles failed.</summary>
    [TestMethod]
    [DataRow(KeyType.EcdsaP384)]
    [DataRow(KeyType.EcdsaP521)]
    public void KeyBundleWithoutMessageDigest_HashesAsTheKeySigns(KeyType type)
    {
        var signer = KeySigner.Create(type);
        var bundle = signer.Sign(TestSigstore.DefaultArtifact, includeDigestHint: false);
        var result = Sigstore.Verifier().Verify(bundle, VerificationPolicy.ForArtifact(TestSigstore.DefaultArtifact).WithKey(signer.Key));
        Assert.AreEqual($"{signer.DigestName}:{Convert.ToHexStringLower(signer.Hash(TestSigstore.DefaultArtifact))}", result.ArtifactDigest);
    }

    [TestMethod]
    public void RsaPssSignature_UnderAPkcs1Key_InvalidSignature()
    {
        var signer = KeySigner.Create(KeyType.RsaPss);
        var bundle = signer.Sign(TestSigstore.DefaultArtifact);
        var pkcs1 = VerificationKey.FromSubjectPublicKeyInfo(signer.Key.SubjectPublicKeyInfo, "PKIX_RSA_PKCS1V15_2048_SHA256");
        Expect.Rejects(KeyCodes.InvalidSignature, () => Sigstore.Verifier().Verify(bundle, VerificationPolicy.ForArtifact(TestSigstore.DefaultArtifact).WithKey(pkcs1)));
    }

    [TestMethod]
    public void RsaPkcs1Signature_UnderAPssKey_InvalidSignature()
    {
        var signer = KeySigner.Create(KeyType.RsaPkcs1);
        var bundle = signer.Sign(TestSigstore.DefaultArtifact);
        var pss = VerificationKey.FromSubjectPublicKeyInfo(signer.Key.SubjectPublicKeyInfo, "PKIX_RSA_PSS_2048_SHA256");
        Expect.Rejects(KeyCodes.InvalidSignature, () => Sigstore.Verifier().Verify(bundle, VerificationPolicy.ForArtifact(TestSigstore.DefaultArtifact).WithKey(pss)));
    }

    [TestMethod]
    [DataRow(KeyType.EcdsaP256)]
    [DataRow(KeyType.EcdsaP384)]
    [DataRow(KeyType.RsaPkcs1)]
    [DataRow(KeyType.RsaPss)]
    public void DigestKeys_VerifyByDigest(KeyType type)
    {
        var signer = KeySigner.Create(type);
        var bundle = signer.Sign(TestSigstore.DefaultArtifact);
        Sigstore.Verifier().Verify(bundle, VerificationPolicy.ForDigest(signer.HashAlgorithm, signer.Hash(TestSigstore.DefaultArtifact)).WithKey(signer.Key));
    }

    [TestMethod]
    public void Ed25519_ByDigest_NeedsArtifactBytes()
    {
        var signer = KeySigner.Create(KeyType.Ed25519);
        var bundle = signer.Sign(TestSigstore.DefaultArtifact);
        Sigstore.Verifier().Verify(bundle, VerificationPolicy.ForArtifact(TestSigstore.DefaultArtifact).WithKey(signer.Key));
        Expect.Rejects(KeyCodes.KeyNeedsArtifactBytes, () => Sigstore.Verifier().Verify(bundle, VerificationPolicy.ForDigest(HashAlgorithmName.SHA256, SHA256.HashData(TestSigstore.DefaultArtifact)).WithKey(signer.Key)));
    }

    [TestMethod]
    public void Ed25519_FromAStream_NeedsArtifactBytes()
    {
        // A stream is read once, for its digest; an Ed25519 signature needs the bytes themselves.
        var signer = KeySigner.Create(KeyType.Ed25519);
        var bundle = signer.Sign(TestSigstore.DefaultArtifact);
        using var stream = new MemoryStream(TestSigstore.DefaultArtifact);
        Expect.Rejects(KeyCodes.KeyNeedsArtifactBytes, () => Sigstore.Verifier().Verify(bundle, VerificationPolicy.ForArtifact(stream).WithKey(signer.Key)));
    }

    [TestMethod]
    public void Ed25519_FromAFile_IsReadWholeAndVerifies()
    {
        // A file can be read whole when the key needs it (the command line verifies files this way).
        var signer = KeySigner.Create(KeyType.Ed25519);
        var bundle = signer.Sign(TestSigstore.DefaultArtifact);
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllBytes(path, TestSigstore.DefaultArtifact);
            Assert.IsNotNull(Sigstore.Verifier().Verify(bundle, VerificationPolicy.ForArtifactFile(path).WithKey(signer.Key)).KeySha256);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [TestMethod]
    public void Ed25519_FromAFileOverTheCap_IsRefusedUnread()
    {
        var signer = KeySigner.Create(KeyType.Ed25519);
        var bundle = signer.Sign(TestSigstore.DefaultArtifact);
        var path = Path.GetTempFileName();
        try
        {
            using (var sparse = File.OpenWrite(path))
            {
                sparse.SetLength(VerificationPolicy.MaxEd25519ArtifactBytes + 1);
            }

            var ex = Assert.ThrowsExactly<SigstoreException>(() => Sigstore.Verifier().Verify(bundle, VerificationPolicy.ForArtifactFile(path).WithKey(signer.Key)));
            Assert.AreEqual(SetupCodes.InputTooLarge, ex.Code, ex.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [TestMethod]
    public void Ed25519Key_OverAnEcdsaBundle_InvalidSignature()
    {
        var bundle = KeySigner.Create(KeyType.EcdsaP256).Sign(TestSigstore.DefaultArtifact);
        Expect.Rejects(KeyCodes.InvalidSignature, () => Sigstore.Verifier().Verify(bundle, VerificationPolicy.ForArtifact(TestSigstore.DefaultArtifact).WithKey(KeySigner.Create(KeyType.Ed25519).Key)));
    }

    /// <summary>A bare key of one type, the hash it signs with, and a builder for v0.3 hashedrekord bundles logged in Rekor v1.</summary>
    private sealed class KeySigner
    {
        private KeySigner(VerificationKey key, HashAlgorithmName hash, Func<byte[], byte[]> signArtifact)
        {
            Key = key;
            HashAlgorithm = hash;
            SignArtifact = signArtifact;
        }

        public VerificationKey Key { get; }

        public HashAlgorithmName HashAlgorithm { get; }

        public string DigestName => VerificationPolicy.HashName(HashAlgorithm);

        private Func<byte[], byte[]> SignArtifact { get; }

        public static KeySigner Create(KeyType type)
        {
            switch (type)
            {
                case KeyType.EcdsaP256:
                case KeyType.EcdsaP384:
                case KeyType.EcdsaP521:
                {
                    var (curve, hash) = type switch
                    {
                        KeyType.EcdsaP256 => (ECCurve.NamedCurves.nistP256, HashAlgorithmName.SHA256),
                        KeyType.EcdsaP384 => (ECCurve.NamedCurves.nistP384, HashAlgorithmName.SHA384),
                        _ => (ECCurve.NamedCurves.nistP521, HashAlgorithmName.SHA512),
                    };
                    var ecdsa = ECDsa.Create(curve);
                    return new KeySigner(VerificationKey.FromSubjectPublicKeyInfo(ecdsa.ExportSubjectPublicKeyInfo()), hash,
                        artifact => ecdsa.SignData(artifact, hash, DSASignatureFormat.Rfc3279DerSequence));
                }

                case KeyType.RsaPkcs1:
                case KeyType.RsaPss:
                {
                    var rsa = RSA.Create(2048);
                    var pss = type == KeyType.RsaPss;
                    var details = pss ? "PKIX_RSA_PSS_2048_SHA256" : "PKIX_RSA_PKCS1V15_2048_SHA256";
                    var padding = pss ? RSASignaturePadding.Pss : RSASignaturePadding.Pkcs1;
                    return new KeySigner(VerificationKey.FromSubjectPublicKeyInfo(rsa.ExportSubjectPublicKeyInfo(), details), HashAlgorithmName.SHA256,
                        artifact => rsa.SignData(artifact, HashAlgorithmName.SHA256, padding));
                }

                default:
                {
                    var generator = new Ed25519KeyPairGenerator();
                    generator.Init(new Ed25519KeyGenerationParameters(new SecureRandom()));
                    var pair = generator.GenerateKeyPair();
                    var spki = Org.BouncyCastle.X509.SubjectPublicKeyInfoFactory.CreateSubjectPublicKeyInfo(pair.Public).GetDerEncoded();
                    return new KeySigner(VerificationKey.FromSubjectPublicKeyInfo(spki), HashAlgorithmName.SHA256, artifact =>
                    {
                        var signer = new Ed25519Signer();
                        signer.Init(true, (Ed25519PrivateKeyParameters)pair.Private);
                        signer.BlockUpdate(artifact, 0, artifact.Length);
                        return signer.GenerateSignature();
                    });
                }
            }
        }

        public byte[] Hash(byte[] artifact) =>
            HashAlgorithm == HashAlgorithmName.SHA256 ? SHA256.HashData(artifact)
            : HashAlgorithm == HashAlgorithmName.SHA384 ? SHA384.HashData(artifact)
            : SHA512.HashData(artifact);

        /// <summary>
        /// A v0.3 key bundle over <paramref name="artifact"/>. The hashedrekord entry is appended to the log unchecked,
        /// because a real Rekor v1 cannot check an Ed25519 signature against a digest; the verifier checks it instead.
        /// </summary>
        public Bundle Sign(byte[] artifact, bool includeDigestHint = true)
        {
            var digest = Hash(artifact);
            var signature = SignArtifact(artifact);
            var pem = PemEncoding.WriteString("PUBLIC KEY", Key.SubjectPublicKeyInfo) + "\n";
            var body = TestSigstore.HashedRekordV1(digest, signature, pem);
            body["spec"]!["data"]!["hash"]!["algorithm"] = DigestName;
            var messageSignature = new JsonObject { ["signature"] = TestSigstore.B64(signature) };
            if (includeDigestHint)
            {
                messageSignature["messageDigest"] = new JsonObject
                {
                    ["algorithm"] = "SHA2_" + DigestName[3..],
                    ["digest"] = TestSigstore.B64(digest),
                };
            }

            var json = new JsonObject
            {
                ["mediaType"] = Bundle.MediaTypeV03,
                ["verificationMaterial"] = new JsonObject
                {
                    ["publicKey"] = new JsonObject { ["hint"] = "test-key" },
                    ["tlogEntries"] = new JsonArray(Sigstore.LogV1Raw(Encoding.UTF8.GetBytes(body.ToJsonString()))),
                },
                ["messageSignature"] = messageSignature,
            };
            return BundleSerializer.Parse(json.ToJsonString());
        }
    }
}
