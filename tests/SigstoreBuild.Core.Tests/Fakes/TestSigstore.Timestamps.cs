using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.Cms;
using Org.BouncyCastle.Asn1.Ess;
using Org.BouncyCastle.Asn1.Pkcs;
using Org.BouncyCastle.Asn1.Tsp;
using Org.BouncyCastle.Asn1.X509;
using Org.BouncyCastle.Cms;
using Org.BouncyCastle.Crypto.Operators;
using Org.BouncyCastle.Security;
using Org.BouncyCastle.Utilities.Collections;
using Org.BouncyCastle.X509;
using SigstoreBuild.Bundles;
using SigstoreBuild.LocalStack.Timestamping;
using SigstoreBuild.Trust;

namespace SigstoreBuild.Tests;

internal sealed partial class TestSigstore
{
    /// <summary>
    /// A timestamp authority made in the test (<see cref="NewTsa"/>), and a hand-built RFC 3161 token whose every part a
    /// test can forge (no ESS attribute, another imprint algorithm, another signer, missing or extra certificates), which
    /// LocalStack's well-behaved TSA never produces.
    /// </summary>
    internal sealed class Tsa : IDisposable
    {
        public const string Sha256 = "2.16.840.1.101.3.4.2.1";

        public Tsa(DateTimeOffset? notBefore = null, DateTimeOffset? notAfter = null, bool timeStampingEku = true, string name = "Test TSA")
        {
            Authority = NewTsa(name, notBefore ?? DateTimeOffset.UtcNow.AddYears(-1), notAfter ?? DateTimeOffset.UtcNow.AddYears(1), TimeProvider.System, timeStampingEku);
        }

        public TimestampAuthority Authority { get; }

        public ECDsa RootKey => Authority.RootKey;

        public ECDsa LeafKey => Authority.SigningKey;

        public X509Certificate2 Root => Authority.Root;

        public X509Certificate2 Leaf => Authority.SigningCertificate;

        public CertificateAuthorityDocument TrustPart(DateTimeOffset? validFrom = null, DateTimeOffset? validTo = null, bool includeLeaf = true) =>
            AuthorityPart("https://tsa.example.test", includeLeaf ? [Leaf, Root] : [Root], validFrom ?? DateTimeOffset.UnixEpoch, validTo);

        public static TrustedRoot TrustOnly(params CertificateAuthorityDocument[] authorities) =>
            TrustedRoot.FromDocument(TrustedRootFrom(timestampAuthorities: authorities));

        /// <summary>A TimeStampToken (CMS ContentInfo) over <paramref name="data"/>.</summary>
        public byte[] Token(
            byte[] data,
            DateTimeOffset? genTime = null,
            bool embedLeaf = true,
            bool signingCertificateAttribute = true,
            X509Certificate2? essCertFor = null,
            string imprintAlgorithm = Sha256,
            X509Certificate2[]? extraCertificates = null,
            ECDsa? signingKey = null,
            bool emptySigningCertificate = false)
        {
            var imprint = imprintAlgorithm switch
            {
                Sha256 => SHA256.HashData(data),
                "1.3.14.3.2.26" => SHA1.HashData(data),
                _ => SHA512.HashData(data),
            };
            var info = new TstInfo(
                new DerObjectIdentifier("1.3.6.1.4.1.57264.2"),
                new MessageImprint(new AlgorithmIdentifier(new DerObjectIdentifier(imprintAlgorithm)), imprint),
                new DerInteger(new Org.BouncyCastle.Math.BigInteger(1, RandomNumberGenerator.GetBytes(8))), // a positive serial: raw random bytes can be a malformed INTEGER
                new Asn1GeneralizedTime((genTime ?? DateTimeOffset.UtcNow).UtcDateTime),
                null, null, null, null, null);

            var attributes = new Asn1EncodableVector();
            if (signingCertificateAttribute)
            {
                var essCert = emptySigningCertificate
                    ? new SigningCertificateV2(Array.Empty<EssCertIDv2>())
                    : new SigningCertificateV2(new EssCertIDv2(SHA256.HashData((essCertFor ?? Leaf).RawData)));
                attributes.Add(new Org.BouncyCastle.Asn1.Cms.Attribute(PkcsObjectIdentifiers.IdAASigningCertificateV2, new DerSet(essCert)));
            }

            var leaf = new X509CertificateParser().ReadCertificate(Leaf.RawData);
            var key = PrivateKeyFactory.CreateKey((signingKey ?? LeafKey).ExportPkcs8PrivateKey());
            var generator = new CmsSignedDataGenerator();
            generator.AddSignerInfoGenerator(new SignerInfoGeneratorBuilder()
                .WithSignedAttributeGenerator(new DefaultSignedAttributeTableGenerator(new Org.BouncyCastle.Asn1.Cms.AttributeTable(attributes)))
                .Build(new Asn1SignatureFactory("SHA256WITHECDSA", key), leaf));
            var certificates = new List<Org.BouncyCastle.X509.X509Certificate>();
            if (embedLeaf)
            {
                certificates.Add(leaf);
            }

            foreach (var extra in extraCertificates ?? [])
            {
                certificates.Add(new X509CertificateParser().ReadCertificate(extra.RawData));
            }

            generator.AddCertificates(CollectionUtilities.CreateStore(certificates));
            var signed = generator.Generate(new CmsProcessableByteArray(PkcsObjectIdentifiers.IdCTTstInfo, info.GetDerEncoded()), true);
            return signed.ContentInfo.GetDerEncoded();
        }

        /// <summary>A TimeStampResp wrapping <paramref name="token"/> with the given PKIStatus.</summary>
        public static byte[] Response(byte[] token, int status = 0) =>
            new Org.BouncyCastle.Asn1.Tsp.TimeStampResp(
                new Org.BouncyCastle.Asn1.Cmp.PkiStatusInfo(status),
                Org.BouncyCastle.Asn1.Cms.ContentInfo.GetInstance(token)).GetEncoded();

        public void Dispose()
        {
            RootKey.Dispose();
            LeafKey.Dispose();
            Root.Dispose();
            Leaf.Dispose();
        }
    }
}
