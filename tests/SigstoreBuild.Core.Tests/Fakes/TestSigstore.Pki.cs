using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using SigstoreBuild.Attestations;
using SigstoreBuild.Bundles;
using SigstoreBuild.LocalStack.Pki;
using SigstoreBuild.Trust;
using SigstoreBuild.Verification;
using SigstoreBuild.Verification.Timestamps;
using SigstoreBuild.Verification.Tlog;
using CertificateAuthority = SigstoreBuild.LocalStack.Pki.CertificateAuthority;

namespace SigstoreBuild.Tests;

internal sealed partial class TestSigstore
{
    /// <summary>
    /// A Fulcio-like PKI stopped at <see cref="SigningTime"/> (<see cref="NewCa"/>), with a leaf builder whose extensions
    /// each test can bend. Leaves get an RFC 6962 embedded SCT encoded by LocalStack's <see cref="CtLog"/> (independently of
    /// the code under test). Log entries and timestamps are faked (<see cref="CreateVerifier"/>) so the rest of the pipeline runs alone.
    /// </summary>
    internal sealed class Pki
    {
        public const string Issuer = "https://token.test";
        public const string San = "https://github.com/org/repo/.github/workflows/release.yml@refs/tags/v1.0.0";
        public static readonly DateTimeOffset SigningTime = new(2025, 6, 1, 12, 0, 0, TimeSpan.Zero);
        private static readonly DateTimeOffset KeysValidFrom = new(2020, 1, 1, 0, 0, 0, TimeSpan.Zero);

        public Pki()
        {
            Ca = NewCa("O=sigstore.test, CN=test-root", "O=sigstore.test, CN=test-intermediate", SigningTime.AddYears(-2), SigningTime.AddYears(8),
                SigningTime.AddYears(-1), SigningTime.AddYears(4), new FixedTime(SigningTime));
            RekorKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            Trust = TrustedRoot.Parse(Encoding.UTF8.GetBytes(TrustedRootJson()));
        }

        public CertificateAuthority Ca { get; }
        public ECDsa RootKey => Ca.RootKey;
        public X509Certificate2 Root => Ca.Root;
        public ECDsa IntermediateKey => Ca.IntermediateKey;
        public X509Certificate2 Intermediate => Ca.Intermediate;
        public ECDsa CtKey => Ca.CtLog.Key;
        public byte[] CtLogId => Ca.CtLog.LogId;
        public ECDsa RekorKey { get; }
        public TrustedRoot Trust { get; }

        /// <summary>This PKI's trusted root; a test may move the CA's validity, swap its chain or end the CT key's validity.</summary>
        public string TrustedRootJson(DateTimeOffset? caStart = null, DateTimeOffset? caEnd = null, IEnumerable<X509Certificate2>? caChain = null, DateTimeOffset? ctEnd = null) =>
            ToJson(TrustedRootFrom(
                tlogs: [LogPart("https://rekor.test", RekorKey.ExportSubjectPublicKeyInfo(), KeysValidFrom)],
                ctlogs: [LogPart("https://ct.test", CtKey.ExportSubjectPublicKeyInfo(), KeysValidFrom, ctEnd)],
                certificateAuthorities: [AuthorityPart("https://fulcio.test", caChain ?? [Intermediate, Root], caStart ?? SigningTime.AddYears(-1), caEnd,
                    new DistinguishedNameDocument { Organization = "sigstore.test", CommonName = "test-root" })],
                timestampAuthorities: [AuthorityPart("https://tsa.test", [Root], KeysValidFrom, subject: new DistinguishedNameDocument { Organization = "sigstore.test", CommonName = "test-tsa" })]));

        public LeafSpec NewLeaf() => new(this);

        public static byte[] Utf8StringValue(string value) => CertificateAuthority.DerUtf8String(value);

        /// <summary>SubjectAltName extension value with the given GeneralNames: (tag 1 email | 6 URI | 0 otherName 1.7).</summary>
        public static byte[] SanValue(params (int Tag, string Value)[] names)
        {
            var writer = new AsnWriter(AsnEncodingRules.DER);
            using (writer.PushSequence())
            {
                foreach (var (tag, value) in names)
                {
                    if (tag == 0)
                    {
                        using (writer.PushSequence(new Asn1Tag(TagClass.ContextSpecific, 0, true)))
                        {
                            writer.WriteObjectIdentifier("1.3.6.1.4.1.57264.1.7");
                            using (writer.PushSequence(new Asn1Tag(TagClass.ContextSpecific, 0, true)))
                            {
                                writer.WriteCharacterString(UniversalTagNumber.UTF8String, value);
                            }
                        }
                    }
                    else
                    {
                        writer.WriteCharacterString(UniversalTagNumber.IA5String, value, new Asn1Tag(TagClass.ContextSpecific, tag));
                    }
                }
            }

            return writer.Encode();
        }

        /// <summary>The leaf's certificate, signing key, and a bundle-building helper.</summary>
        internal sealed class LeafSpec
        {
            private readonly Pki _pki;

            public LeafSpec(Pki pki)
            {
                _pki = pki;
                Extensions =
                [
                    new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true),
                    new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.3")], false),
                    new X509Extension("2.5.29.17", SanValue((6, San)), true),
                    new X509Extension(FulcioExtensions.Issuer, Utf8StringValue(Issuer), false),
                    new X509Extension(FulcioExtensions.SourceRepositoryUri, Utf8StringValue("https://github.com/org/repo"), false),
                    new X509Extension(FulcioExtensions.SourceRepositoryIdentifier, Utf8StringValue("1234"), false),
                    new X509Extension(FulcioExtensions.SourceRepositoryOwnerIdentifier, Utf8StringValue("5678"), false),
                    new X509Extension(FulcioExtensions.SourceRepositoryRef, Utf8StringValue("refs/tags/v1.0.0"), false),
                    new X509Extension(FulcioExtensions.BuildTrigger, Utf8StringValue("push"), false),
                    new X509Extension(FulcioExtensions.RunnerEnvironment, Utf8StringValue("github-hosted"), false),
                ];
            }

            public List<X509Extension> Extensions { get; }
            public DateTimeOffset NotBefore { get; set; } = SigningTime.AddMinutes(-5);
            public DateTimeOffset NotAfter { get; set; } = SigningTime.AddMinutes(5);
            public bool EmbedSct { get; set; } = true;
            public int SctCount { get; set; } = 1;
            public Func<byte[], byte[]>? MutateSctSignedData { get; set; }
            public byte[]? SctExtensions { get; set; }
            public ECDsa Key { get; } = ECDsa.Create(ECCurve.NamedCurves.nistP256);

            public LeafSpec Replace(string oid, X509Extension? replacement)
            {
                var index = Extensions.FindIndex(e => e.Oid!.Value == oid);
                if (index >= 0)
                {
                    Extensions.RemoveAt(index);
                    if (replacement is not null)
                    {
                        Extensions.Insert(index, replacement);
                    }
                }
                else if (replacement is not null)
                {
                    Extensions.Add(replacement);
                }

                return this;
            }

            public byte[] Issue()
            {
                var serial = RandomNumberGenerator.GetBytes(16);
                serial[0] &= 0x7f;
                var request = Request();
                var precert = request.Create(_pki.Intermediate, NotBefore, NotAfter, serial);
                if (!EmbedSct)
                {
                    return precert.RawData;
                }

                var tbs = X509Der.GetTbsCertificate(precert.RawData);
                var issuerKeyHash = SHA256.HashData(_pki.Intermediate.PublicKey.ExportSubjectPublicKeyInfo());
                var list = new List<byte[]>();
                for (var i = 0; i < SctCount; i++)
                {
                    list.Add(Sct(tbs, issuerKeyHash));
                }

                var final = Request();
                final.CertificateExtensions.Add(new X509Extension(FulcioExtensions.EmbeddedSctList, SctListValue(list), false));
                return final.Create(_pki.Intermediate, NotBefore, NotAfter, serial).RawData;
            }

            private CertificateRequest Request()
            {
                var request = new CertificateRequest(new X500DistinguishedName(string.Empty), Key, HashAlgorithmName.SHA384);
                foreach (var extension in Extensions)
                {
                    request.CertificateExtensions.Add(extension);
                }

                return request;
            }

            /// <summary>The SCT as LocalStack's CT log encodes it, with this test's extensions and signed-data knob.</summary>
            private byte[] Sct(byte[] tbs, byte[] issuerKeyHash)
            {
                var timestamp = (ulong)SigningTime.ToUnixTimeMilliseconds();
                var data = CtLog.SignedData(timestamp, issuerKeyHash, tbs, SctExtensions);
                data = MutateSctSignedData?.Invoke(data) ?? data;
                var signature = _pki.CtKey.SignData(data, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
                return CtLog.EncodeSct(_pki.CtLogId, timestamp, signature, SctExtensions);
            }
        }

        /// <summary>Re-signs a certificate after rewriting its TBS (for encodings the BCL refuses to produce).</summary>
        public byte[] Resign(byte[] der, Func<byte[], byte[]> rewriteTbs) => Resign(der, rewriteTbs, IntermediateKey);

        /// <summary>Re-signs a certificate with <paramref name="issuerKey"/> after rewriting its TBS.</summary>
        public static byte[] Resign(byte[] der, Func<byte[], byte[]> rewriteTbs, ECDsa issuerKey)
        {
            var certificate = new AsnReader(der, AsnEncodingRules.DER).ReadSequence();
            var tbs = rewriteTbs(certificate.ReadEncodedValue().ToArray());
            var algorithm = certificate.ReadEncodedValue().ToArray();
            var writer = new AsnWriter(AsnEncodingRules.DER);
            using (writer.PushSequence())
            {
                writer.WriteEncodedValue(tbs);
                writer.WriteEncodedValue(algorithm);
                writer.WriteBitString(issuerKey.SignData(tbs, HashAlgorithmName.SHA384, DSASignatureFormat.Rfc3279DerSequence));
            }

            return writer.Encode();
        }

        /// <summary>Appends an extension (raw DER Extension) to a TBSCertificate's extension list.</summary>
        public static byte[] AppendExtension(byte[] tbs, string oid, byte[] value, bool critical = false)
        {
            var reader = new AsnReader(tbs, AsnEncodingRules.DER).ReadSequence();
            var writer = new AsnWriter(AsnEncodingRules.DER);
            var tag = new Asn1Tag(TagClass.ContextSpecific, 3, true);
            using (writer.PushSequence())
            {
                while (reader.HasData)
                {
                    if (!reader.PeekTag().HasSameClassAndValue(tag))
                    {
                        writer.WriteEncodedValue(reader.ReadEncodedValue().Span);
                        continue;
                    }

                    var list = reader.ReadSequence(tag).ReadSequence();
                    using (writer.PushSequence(tag))
                    using (writer.PushSequence())
                    {
                        while (list.HasData)
                        {
                            writer.WriteEncodedValue(list.ReadEncodedValue().Span);
                        }

                        using (writer.PushSequence())
                        {
                            writer.WriteObjectIdentifier(oid);
                            if (critical)
                            {
                                writer.WriteBoolean(true);
                            }

                            writer.WriteOctetString(value);
                        }
                    }
                }
            }

            return writer.Encode();
        }

        public static byte[] SctListValue(IReadOnlyList<byte[]> scts) => CtLog.EncodeSctListExtensionValue(scts);

        // ---- bundles and the substituted log/timestamp verifiers ----

        public static readonly byte[] Artifact = Encoding.UTF8.GetBytes("hello, sigstore\n");

        public Bundle MessageBundle(byte[] leafDer, ECDsa signer, byte[]? artifact = null, string version = "0.0.1", int entries = 1)
        {
            artifact ??= Artifact;
            var digest = SHA256.HashData(artifact);
            return new Bundle
            {
                MediaType = Bundle.MediaTypeV03,
                VerificationMaterial = new VerificationMaterial { Certificate = new X509CertificateBytes { RawBytes = leafDer }, TlogEntries = Entries(entries, "hashedrekord", version) },
                MessageSignature = new MessageSignature
                {
                    MessageDigest = new HashOutput { Algorithm = "SHA2_256", Digest = digest },
                    Signature = signer.SignHash(digest, DSASignatureFormat.Rfc3279DerSequence),
                },
            };
        }

        public Bundle DsseBundle(byte[] leafDer, ECDsa signer, string statementJson, string payloadType = DssePae.InTotoPayloadType, int signatures = 1)
        {
            var payload = Encoding.UTF8.GetBytes(statementJson);
            var pae = DssePae.Encode(payloadType, payload);
            return new Bundle
            {
                MediaType = Bundle.MediaTypeV03,
                VerificationMaterial = new VerificationMaterial { Certificate = new X509CertificateBytes { RawBytes = leafDer }, TlogEntries = Entries(1, "dsse", "0.0.1") },
                DsseEnvelope = new DsseEnvelope
                {
                    Payload = payload,
                    PayloadType = payloadType,
                    Signatures = Enumerable.Range(0, signatures).Select(_ => new DsseSignature { Sig = signer.SignData(pae, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence) }).ToList(),
                },
            };
        }

        public static string Statement(byte[] artifact, string predicateType = "https://slsa.dev/provenance/v1", string type = "https://in-toto.io/Statement/v1") =>
            $$$"""{"_type":"{{{type}}}","subject":[{"name":"pkg:nuget/Test@1.0.0","digest":{"sha256":"{{{Convert.ToHexStringLower(SHA256.HashData(artifact))}}}"}}],"predicateType":"{{{predicateType}}}","predicate":{}}""";

        private List<TransparencyLogEntry> Entries(int count, string kind, string version) =>
            Enumerable.Range(0, count).Select(i => new TransparencyLogEntry
            {
                LogIndex = 100 + i,
                LogId = new LogId { KeyId = Trust.TransparencyLogs[0].LogId },
                KindVersion = new KindVersion { Kind = kind, Version = version },
                IntegratedTime = SigningTime.ToUnixTimeSeconds(),
                InclusionProof = new InclusionProof { LogIndex = 100 + i, TreeSize = 1000, RootHash = new byte[32], Hashes = [], Checkpoint = new Checkpoint { Envelope = "rekor.test\n1000\nAAAA\n" } },
                CanonicalizedBody = [1],
            }).ToList();

        /// <summary>
        /// A verifier whose log entries are "verified" by trusting their integrated time (v0.0.1) and whose timestamps all
        /// come from the root's one TSA at <see cref="TimestampTimes"/>. Everything else is the real pipeline.
        /// </summary>
        public SigstoreVerifier CreateVerifier(VerifierOptions? options = null, TrustedRoot? trust = null, List<SignedContent>? seen = null) =>
            new(trust ?? Trust, options ?? VerifierOptions.PublicGood, new FixedTime(SigningTime.AddDays(30)), FakeLog(seen), FakeTimestamp);

        public List<DateTimeOffset> TimestampTimes { get; } = [];

        public static Func<TransparencyLogEntry, SignedContent, TrustedRoot, int, VerifiedLogEntry> FakeLog(List<SignedContent>? seen = null) =>
            (entry, content, trust, _) =>
            {
                seen?.Add(content);
                var log = trust.FindTransparencyLog(entry.LogId!.KeyId!) ?? throw new InvalidOperationException("unknown log in test");
                var time = entry.KindVersion!.Version == "0.0.1" ? DateTimeOffset.FromUnixTimeSeconds(entry.IntegratedTime) : (DateTimeOffset?)null;
                return new VerifiedLogEntry(log, entry.LogIndex, entry.KindVersion.Kind!, entry.KindVersion.Version!, time, true);
            };

        private VerifiedTimestamp FakeTimestamp(byte[] token, byte[] signature, TrustedRoot trust) =>
            new(TimestampTimes[token[0]], trust.TimestampAuthorities[0], [token[0]]);

        /// <summary>Adds a fake RFC 3161 token whose (fake) verification yields <paramref name="time"/>.</summary>
        public void AddTimestamp(Bundle bundle, DateTimeOffset time)
        {
            TimestampTimes.Add(time);
            var data = bundle.VerificationMaterial!.TimestampVerificationData ??= new TimestampVerificationData { Rfc3161Timestamps = [] };
            data.Rfc3161Timestamps!.Add(new Rfc3161SignedTimestamp { SignedTimestamp = [(byte)(TimestampTimes.Count - 1)] });
        }
    }
}
