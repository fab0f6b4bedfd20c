using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using SigstoreBuild.Diagnostics;
using SigstoreBuild.LocalStack.Pki;
using SigstoreBuild.LocalStack.Trust;
using SigstoreBuild.Verification;

namespace SigstoreBuild.Tests.ThreatModel;

/// <summary>Threat model rows C-01..C-05: chain, X.509 constraints, validity windows, SCTs, ambiguous identity data.</summary>
[TestClass]
public sealed class CertificateThreatTests
{
    private const string FulcioOid = "1.3.6.1.4.1.57264.1.";

    private static TestSigstore Sigstore => TestSigstore.Shared;

    // ---- C-01: chain from the trusted root only ----

    [TestMethod]
    public void C01_BundleChainWithRoot_Rejected()
    {
        var twin = Sigstore.Sign(new BundleSpec { Version = 2 });
        twin.Material["x509CertificateChain"]!["certificates"]!.AsArray().Add(new JsonObject { ["rawBytes"] = TestSigstore.B64(Sigstore.Services.Ca.Intermediate.RawData) });
        Expect.TwinVerifies_BrokenRejected(twin,
            b => b.Material["x509CertificateChain"]!["certificates"]!.AsArray().Add(new JsonObject { ["rawBytes"] = TestSigstore.B64(Sigstore.Services.Ca.Root.RawData) }),
            CertificateCodes.UntrustedChainCertificate);
    }

    [TestMethod]
    public void C01_BundleChainWithAttackerIntermediate_Rejected()
    {
        var (_, attackerIntermediate, _) = RogueCa();
        var twin = Sigstore.Sign(new BundleSpec { Version = 2 });
        Expect.TwinVerifies_BrokenRejected(twin,
            b => b.Material["x509CertificateChain"]!["certificates"]!.AsArray().Add(new JsonObject { ["rawBytes"] = TestSigstore.B64(attackerIntermediate.RawData) }),
            CertificateCodes.UntrustedChainCertificate);
        var broken = twin.Clone();
        broken.Material["x509CertificateChain"]!["certificates"]!.AsArray().Add(new JsonObject { ["rawBytes"] = TestSigstore.B64(attackerIntermediate.RawData) });
        StringAssert.Contains(Assert.ThrowsExactly<VerificationException>(() => Sigstore.Verifier().Verify(broken.Parse(), broken.Policy())).Message,
            "a CA certificate that is not in the trusted root");
    }

    // Neither is a CA certificate, and the message says what it is (it used to call a repeated leaf a CA certificate).
    [TestMethod]
    [DataRow(true, "repeats the signing certificate (at position 1)")]
    [DataRow(false, "at position 1, a certificate that is not a CA certificate")]
    public void C01_BundleChainWithALeafAfterTheLeaf_Rejected_AndNamedSo(bool sameLeaf, string message)
    {
        var twin = Sigstore.Sign(new BundleSpec { Version = 2 });
        var other = sameLeaf ? twin.Signer.Leaf : Sigstore.NewSigner().Leaf;
        var broken = twin.Clone();
        broken.Material["x509CertificateChain"]!["certificates"]!.AsArray().Add(new JsonObject { ["rawBytes"] = TestSigstore.B64(other) });
        Expect.Verifies(twin);
        var ex = Assert.ThrowsExactly<VerificationException>(() => Sigstore.Verifier().Verify(broken.Parse(), broken.Policy()));
        Assert.AreEqual(CertificateCodes.UntrustedChainCertificate, ex.Code);
        StringAssert.Contains(ex.Message, message);
        Assert.DoesNotContain("CA certificate that is not in the trusted root", ex.Message);
    }

    [TestMethod]
    public void C01_EmptyChain_Rejected() => Expect.TwinVerifies_BrokenRejected(Sigstore.Sign(new BundleSpec { Version = 2 }),
        b => b.Material["x509CertificateChain"]!["certificates"] = new JsonArray(), BundleCodes.InvalidVerificationMaterial);

    [TestMethod]
    public void C01_LeafFromRogueCaWithTheTrustedName_Untrusted()
    {
        var (_, intermediate, key) = RogueCa(Sigstore.Services.Ca.Intermediate.SubjectName.Name);
        Expect.Verifies(Sigstore.Sign());
        Expect.Rejects(CertificateCodes.Untrusted, Sigstore.Sign(new BundleSpec { Leaf = t => { t.SigningKey = key; t.Issuer = intermediate; } }));
    }

    // ---- C-02: X.509 constraints ----

    [TestMethod]
    public void C02_LeafThatIsACa_Rejected() => TwinAndBrokenLeaf(t => t.BasicConstraints = new X509BasicConstraintsExtension(true, false, 0, true), CertificateCodes.LeafIsCertificateAuthority);

    [TestMethod]
    public void C02_LeafWithoutCodeSigningEku_Rejected() => TwinAndBrokenLeaf(t =>
    {
        t.ExtendedKeyUsages.Clear();
        t.ExtendedKeyUsages.Add("1.3.6.1.5.5.7.3.1");
    }, CertificateCodes.MissingCodeSigningUsage);

    [TestMethod]
    public void C02_LeafWithoutEku_Rejected() => TwinAndBrokenLeaf(t => t.ExtendedKeyUsages.Clear(), CertificateCodes.MissingCodeSigningUsage);

    [TestMethod]
    public void C02_LeafWithoutDigitalSignature_Rejected() => TwinAndBrokenLeaf(t => t.KeyUsage = X509KeyUsageFlags.KeyEncipherment, CertificateCodes.MissingDigitalSignatureUsage);

    [TestMethod]
    public void C02_LeafSignedByAnotherLeaf_Untrusted()
    {
        // An attacker holding a genuine Fulcio leaf's key uses it as a CA.
        var victim = Sigstore.NewSigner();
        Expect.Verifies(Sigstore.Sign(new BundleSpec { Signer = victim }));
        Expect.Rejects(CertificateCodes.Untrusted, Sigstore.Sign(new BundleSpec { Leaf = t => { t.SigningKey = victim.Key; t.Issuer = victim.Certificate.Leaf; } }));
    }

    [TestMethod]
    public void C02_TrustedChainWithNonCaIntermediate_Unusable() => CustomChain(isCa: false, pathLength: null, ekus: [CertificateAuthority.CodeSigningEku], CertificateCodes.InvalidAuthorityChain);

    [TestMethod]
    public void C02_TrustedChainPathLengthViolated_Unusable() => CustomChain(isCa: true, pathLength: 0, ekus: [CertificateAuthority.CodeSigningEku], CertificateCodes.InvalidAuthorityChain);

    [TestMethod]
    public void C02_TrustedIntermediateEkuWithoutCodeSigning_Unusable() => CustomChain(isCa: true, pathLength: null, ekus: ["1.3.6.1.5.5.7.3.1"], CertificateCodes.InvalidAuthorityChain);

    [TestMethod]
    public void C02_TrustedRootWithNonCriticalBasicConstraints_Unusable() => CustomChain(isCa: true, pathLength: null, ekus: [CertificateAuthority.CodeSigningEku], CertificateCodes.InvalidAuthorityChain, rootBasicConstraintsCritical: false);

    // ---- C-03: time ----

    [TestMethod]
    public void C03_LeafExpiredBeforeTheSignatureTime_Rejected()
    {
        Expect.Verifies(Sigstore.Sign());
        var now = DateTimeOffset.UtcNow;
        Expect.Rejects(CertificateCodes.NotValidAtTime, Sigstore.Sign(new BundleSpec { Leaf = t => { t.NotBefore = now.AddMinutes(-30); t.NotAfter = now.AddMinutes(-20); } }));
    }

    [TestMethod]
    public void C03_LeafNotYetValidAtTheSignatureTime_Rejected()
    {
        var now = DateTimeOffset.UtcNow;
        Expect.Rejects(CertificateCodes.NotValidAtTime, Sigstore.Sign(new BundleSpec { Leaf = t => { t.NotBefore = now.AddMinutes(3); t.NotAfter = now.AddMinutes(13); } }));
    }

    [TestMethod]
    public void C03_FulcioCaOutsideValidFor_Rejected()
    {
        var bundle = Sigstore.Sign();
        Expect.Verifies(bundle, verifier: Verifier(ValidFor("certificateAuthorities", null, DateTimeOffset.UtcNow.AddHours(1))));
        Expect.Rejects(CertificateCodes.AuthorityNotValidAtTime, bundle, verifier: Verifier(ValidFor("certificateAuthorities", null, DateTimeOffset.UtcNow.AddHours(-1))));
    }

    [TestMethod]
    public void C03_RekorKeyOutsideValidFor_Rejected_EndInclusive()
    {
        var bundle = Sigstore.Sign();
        var integrated = DateTimeOffset.FromUnixTimeSeconds(long.Parse(bundle.Entry["integratedTime"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture));
        Expect.Verifies(bundle, verifier: Verifier(ValidFor("tlogs", null, integrated, index: 0)));
        Expect.Rejects(TlogCodes.IntegratedTimeOutsideLogValidity, bundle, verifier: Verifier(ValidFor("tlogs", null, integrated.AddSeconds(-1), index: 0)));
    }

    [TestMethod]
    public void C03_RekorV2KeyOutsideValidFor_Rejected()
    {
        var bundle = Sigstore.Sign(new BundleSpec { Rekor = Rekor.V2 });
        Expect.Verifies(bundle, verifier: Verifier(ValidFor("tlogs", null, DateTimeOffset.UtcNow.AddHours(1), index: 1)));
        Expect.Rejects(TlogCodes.IntegratedTimeOutsideLogValidity, bundle, verifier: Verifier(ValidFor("tlogs", null, DateTimeOffset.UtcNow.AddHours(-1), index: 1)));
    }

    [TestMethod]
    public void C03_CtKeyOutsideValidFor_SctDoesNotCount()
    {
        var bundle = Sigstore.Sign();
        Expect.Verifies(bundle, verifier: Verifier(ValidFor("ctlogs", null, DateTimeOffset.UtcNow.AddHours(1))));
        Expect.Rejects(CertificateCodes.SctThresholdNotMet, bundle, verifier: Verifier(ValidFor("ctlogs", null, DateTimeOffset.UtcNow.AddHours(-1))));
    }

    [TestMethod]
    public void C03_TsaOutsideValidFor_Rejected()
    {
        var bundle = Sigstore.Sign(new BundleSpec { Rekor = Rekor.V2 });
        Expect.Verifies(bundle, verifier: Verifier(ValidFor("timestampAuthorities", null, DateTimeOffset.UtcNow.AddHours(1))));
        Expect.Rejects(TimestampCodes.OutsideAuthorityValidity, bundle, verifier: Verifier(ValidFor("timestampAuthorities", null, DateTimeOffset.UtcNow.AddHours(-1))));
    }

    // Log keys only (conformance: trust-root-tlog-missing-validity-start); a CA's window is optional, see below.
    [TestMethod]
    [DataRow("tlogs")]
    [DataRow("ctlogs")]
    public void C03_LogKeyValidForWithoutStart_MalformedTrustedRoot(string array)
    {
        Sigstore.EditedTrust(ValidFor(array, DateTimeOffset.UtcNow.AddDays(-2), null));
        Expect.Rejects(BundleCodes.MalformedTrustedRoot, () => Sigstore.EditedTrust(json =>
        {
            foreach (var item in json[array]!.AsArray())
            {
                ValidForNode(item!.AsObject(), array).Remove("start");
            }
        }));
    }

    // protobuf-specs leaves a CA's validFor optional, and sigstore-go, -python and -js read a CA or TSA without one (or
    // without its start) as valid from the beginning; an end, when given, still applies.
    [TestMethod]
    [DataRow(false)]
    [DataRow(true)]
    public void C03_AuthoritiesWithoutValidForOrStart_ValidFromTheBeginning_EndStillApplies(bool keepEnd)
    {
        var bundle = Sigstore.Sign(new BundleSpec { Rekor = Rekor.V2 });
        Action<JsonObject> Window(DateTimeOffset caEnd, DateTimeOffset tsaEnd) => json =>
        {
            foreach (var (array, end) in new[] { ("certificateAuthorities", caEnd), ("timestampAuthorities", tsaEnd) })
            {
                foreach (var item in json[array]!.AsArray())
                {
                    if (keepEnd)
                    {
                        item!["validFor"] = new JsonObject { ["end"] = TrustDocuments.Timestamp(end) };
                    }
                    else
                    {
                        item!.AsObject().Remove("validFor");
                    }
                }
            }
        };

        var later = DateTimeOffset.UtcNow.AddHours(1);
        var earlier = DateTimeOffset.UtcNow.AddHours(-1);
        Expect.Verifies(bundle, verifier: Verifier(Window(later, later)));
        if (keepEnd)
        {
            Expect.Rejects(CertificateCodes.AuthorityNotValidAtTime, bundle, verifier: Verifier(Window(earlier, later)));
            Expect.Rejects(TimestampCodes.OutsideAuthorityValidity, bundle, verifier: Verifier(Window(later, earlier)));
        }
    }

    // ---- C-04: SCTs ----

    [TestMethod]
    public void C04_NoSct_Rejected() => TwinAndBrokenLeaf(t => t.EmbedSct = false, CertificateCodes.SctThresholdNotMet);

    [TestMethod]
    public void C04_ForgedSct_Rejected() => TwinAndBrokenLeaf(t => t.CorruptSctSignature = true, CertificateCodes.SctThresholdNotMet);

    [TestMethod]
    public void C04_SctFromUnknownCtLog_Rejected()
    {
        var rogue = new CtLog(ECDsa.Create(ECCurve.NamedCurves.nistP256), TimeProvider.System);
        TwinAndBrokenLeaf(t => t.CtLog = rogue, CertificateCodes.SctThresholdNotMet);
    }

    [TestMethod]
    public void C04_TwoSctsFromOneLog_CountOnce()
    {
        var secondLog = new CtLog(ECDsa.Create(ECCurve.NamedCurves.nistP256), TimeProvider.System);
        var trustWithSecondLog = Sigstore.EditedTrust(json => json["ctlogs"]!.AsArray().Add(new JsonObject
        {
            ["baseUrl"] = "https://ct2.sigstore.test",
            ["hashAlgorithm"] = "SHA2_256",
            ["publicKey"] = new JsonObject { ["rawBytes"] = TestSigstore.B64(secondLog.PublicKeySpki), ["keyDetails"] = "PKIX_ECDSA_P256_SHA_256", ["validFor"] = new JsonObject { ["start"] = "2020-01-01T00:00:00Z" } },
            ["logId"] = new JsonObject { ["keyId"] = TestSigstore.B64(secondLog.LogId) },
        }));
        var threshold2 = VerifierOptions.PublicGood with { CertificateTransparencyLogThreshold = 2 };

        var distinct = Sigstore.Sign(new BundleSpec { Signer = SignerWithScts(Sigstore.Services.CtLog, secondLog) });
        Expect.Verifies(distinct, verifier: Sigstore.Verifier(threshold2, trustWithSecondLog));

        var duplicated = Sigstore.Sign(new BundleSpec { Signer = SignerWithScts(Sigstore.Services.CtLog, Sigstore.Services.CtLog) });
        Expect.Verifies(duplicated);
        Expect.Rejects(CertificateCodes.SctThresholdNotMet, duplicated, verifier: Sigstore.Verifier(threshold2, trustWithSecondLog));
    }

    // ---- C-05: ambiguous identity data ----

    [TestMethod]
    public void C05_LegacyIssuerConflictsWith18_Rejected()
    {
        var agreeing = Sigstore.DefaultIdentity;
        Expect.Verifies(Sigstore.Sign(new BundleSpec { Identity = agreeing }));
        var conflicting = Sigstore.DefaultIdentity;
        conflicting.LegacyExtensions[FulcioOid + "1"] = "https://evil.test";
        Expect.Rejects(CertificateCodes.ConflictingIssuer, Sigstore.Sign(new BundleSpec { Identity = conflicting }));
    }

    [TestMethod]
    public void C05_RepeatedExtension_Rejected()
    {
        // .NET refuses to build a certificate with a repeated extension, so the CA's TBS is extended and re-signed by the CA key.
        var signer = Sigstore.NewSigner();
        Expect.Verifies(Sigstore.Sign(new BundleSpec { Signer = signer }));
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            writer.WriteObjectIdentifier(FulcioOid + "8");
            writer.WriteOctetString(CertificateAuthority.DerUtf8String("https://evil.test"));
        }

        var leaf = ResignWithExtraExtension(signer.Leaf, writer.Encode());
        var broken = signer with { Certificate = signer.Certificate with { Leaf = X509CertificateLoader.LoadCertificate(leaf) } };
        Expect.Rejects(CertificateCodes.DuplicateExtension, Sigstore.Sign(new BundleSpec { Signer = broken }));
    }

    [TestMethod]
    public void C05_IssuerNotUtf8String_Rejected()
    {
        var identity = Sigstore.DefaultIdentity;
        identity.Extensions.Remove(FulcioOid + "8");
        var writer = new AsnWriter(AsnEncodingRules.DER);
        writer.WriteCharacterString(UniversalTagNumber.IA5String, Sigstore.BaseUrl);
        TwinAndBrokenLeaf(t =>
        {
            t.Identity = identity;
            t.ExtraExtensions.Add(new X509Extension(FulcioOid + "8", writer.Encode(), false));
        }, CertificateCodes.InvalidExtensionEncoding);
    }

    [TestMethod]
    public void C05_TwoSans_Rejected() => TwinAndBrokenLeaf(t => t.ExtraEmailSans.Add("mallory@example.test"), CertificateCodes.InvalidSubjectAlternativeName);

    [TestMethod]
    public void C05_UriSanWhereEmailExpected_Rejected()
    {
        var uri = new FulcioIdentity { Issuer = Sigstore.BaseUrl, Uri = "https://example.test/alice", Principal = "x", Extensions = { [FulcioOid + "8"] = Sigstore.BaseUrl } };
        var bundle = Sigstore.Sign(new BundleSpec { Identity = uri });
        Expect.Verifies(bundle);
        Expect.Rejects(PolicyCodes.SubjectAlternativeNameMismatch, bundle, VerificationPolicy.ForArtifact(bundle.Artifact).RequireIdentity(CertificateIdentity.Exact(TestSigstore.Email, Sigstore.BaseUrl)));
    }

    // ---- helpers ----

    private static void TwinAndBrokenLeaf(Action<LeafCertificateTemplate> breakLeaf, string code)
    {
        Expect.Verifies(Sigstore.Sign());
        Expect.Rejects(code, Sigstore.Sign(new BundleSpec { Leaf = breakLeaf }));
    }

    private static SigstoreVerifier Verifier(Action<JsonObject> edit) => Sigstore.Verifier(trust: Sigstore.EditedTrust(edit));

    private static JsonObject ValidForNode(JsonObject item, string array) =>
        array is "tlogs" or "ctlogs" ? item["publicKey"]!["validFor"]!.AsObject() : item["validFor"]!.AsObject();

    private static Action<JsonObject> ValidFor(string array, DateTimeOffset? start, DateTimeOffset? end, int? index = null) => json =>
    {
        var items = json[array]!.AsArray();
        for (var i = 0; i < items.Count; i++)
        {
            if (index is null || index == i)
            {
                var node = ValidForNode(items[i]!.AsObject(), array);
                if (start is { } s)
                {
                    node["start"] = TrustDocuments.Timestamp(s);
                }

                if (end is { } e)
                {
                    node["end"] = TrustDocuments.Timestamp(e);
                }
            }
        }
    };

    private static (X509Certificate2 Root, X509Certificate2 Intermediate, ECDsa IntermediateKey) RogueCa(string? intermediateName = null)
    {
        var rootKey = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        var now = DateTimeOffset.UtcNow;
        var root = CertificateAuthority.CreateRoot("CN=Rogue Root", rootKey, now.AddDays(-1), now.AddDays(1));
        var intermediate = CertificateAuthority.CreateIntermediate(intermediateName ?? "CN=Rogue Intermediate", key, root, rootKey, now.AddDays(-1), now.AddDays(1), [CertificateAuthority.CodeSigningEku]);
        return (root, intermediate, key);
    }

    /// <summary>
    /// A trusted root whose only CA is a custom chain (intermediate, root). The twin (a proper CA chain) verifies; the
    /// chain with the given defect makes the CA unusable.
    /// </summary>
    private static void CustomChain(bool isCa, int? pathLength, string[] ekus, string code, bool rootBasicConstraintsCritical = true)
    {
        SignedBundle Build(bool broken)
        {
            var now = DateTimeOffset.UtcNow;
            using var rootKey = ECDsa.Create(ECCurve.NamedCurves.nistP384);
            var intermediateKey = ECDsa.Create(ECCurve.NamedCurves.nistP384);
            var rootRequest = new CertificateRequest("CN=Custom Root", rootKey, HashAlgorithmName.SHA384);
            rootRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, broken ? pathLength is not null : false, broken ? pathLength ?? 0 : 0, broken ? rootBasicConstraintsCritical : true));
            rootRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, true));
            using var rootWithKey = rootRequest.CreateSelfSigned(now.AddDays(-1), now.AddDays(1));
            var root = X509CertificateLoader.LoadCertificate(rootWithKey.RawData);

            var request = new CertificateRequest("CN=Custom Intermediate", intermediateKey, HashAlgorithmName.SHA384);
            request.CertificateExtensions.Add(new X509BasicConstraintsExtension(broken ? isCa : true, false, 0, true));
            request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.DigitalSignature, true));
            var oids = new OidCollection();
            foreach (var eku in broken ? ekus : [CertificateAuthority.CodeSigningEku])
            {
                oids.Add(new Oid(eku));
            }

            request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(oids, false));
            request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
            var intermediate = X509CertificateLoader.LoadCertificate(request.Create(root.SubjectName, X509SignatureGenerator.CreateForECDsa(rootKey), now.AddDays(-1), now.AddDays(1), CertificateAuthority.NewSerial()).RawData);

            var bundle = Sigstore.Sign(new BundleSpec { Leaf = t => { t.SigningKey = intermediateKey; t.Issuer = intermediate; } });
            var trust = Sigstore.EditedTrust(json => json["certificateAuthorities"]![0]!["certChain"] = new JsonObject
            {
                ["certificates"] = new JsonArray(new JsonObject { ["rawBytes"] = TestSigstore.B64(intermediate.RawData) }, new JsonObject { ["rawBytes"] = TestSigstore.B64(root.RawData) }),
            });
            _verifier = Sigstore.Verifier(trust: trust);
            return bundle;
        }

        var twin = Build(broken: false);
        Expect.Verifies(twin, verifier: _verifier);
        var brokenBundle = Build(broken: true);
        Expect.Rejects(code, brokenBundle, verifier: _verifier);
    }

    /// <summary>Appends one encoded Extension to a leaf's extension list and re-signs it with the test CA's intermediate key.</summary>
    private static byte[] ResignWithExtraExtension(byte[] leafDer, byte[] extension)
    {
        var tbs = new AsnReader(X509Der.GetTbsCertificate(leafDer), AsnEncodingRules.DER).ReadSequence();
        var extensionsTag = new Asn1Tag(TagClass.ContextSpecific, 3, isConstructed: true);
        var tbsWriter = new AsnWriter(AsnEncodingRules.DER);
        using (tbsWriter.PushSequence())
        {
            while (tbs.HasData)
            {
                if (!tbs.PeekTag().HasSameClassAndValue(extensionsTag))
                {
                    tbsWriter.WriteEncodedValue(tbs.ReadEncodedValue().Span);
                    continue;
                }

                var list = tbs.ReadSequence(extensionsTag).ReadSequence();
                using (tbsWriter.PushSequence(extensionsTag))
                using (tbsWriter.PushSequence())
                {
                    while (list.HasData)
                    {
                        tbsWriter.WriteEncodedValue(list.ReadEncodedValue().Span);
                    }

                    tbsWriter.WriteEncodedValue(extension);
                }
            }
        }

        var newTbs = tbsWriter.Encode();
        var signature = Sigstore.Services.Ca.IntermediateKey.SignData(newTbs, HashAlgorithmName.SHA384, DSASignatureFormat.Rfc3279DerSequence);
        var certificate = new AsnWriter(AsnEncodingRules.DER);
        using (certificate.PushSequence())
        {
            certificate.WriteEncodedValue(newTbs);
            using (certificate.PushSequence())
            {
                certificate.WriteObjectIdentifier("1.2.840.10045.4.3.3"); // ecdsa-with-SHA384
            }

            certificate.WriteBitString(signature);
        }

        return certificate.Encode();
    }

    [ThreadStatic]
    private static SigstoreVerifier? _verifier;

    /// <summary>A signer whose certificate embeds one SCT from each of <paramref name="logs"/> (possibly the same log twice).</summary>
    private static Signer SignerWithScts(params CtLog[] logs)
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var serial = CertificateAuthority.NewSerial();
        var now = DateTimeOffset.UtcNow;
        void Common(LeafCertificateTemplate t)
        {
            t.SerialNumber = serial;
            t.NotBefore = now;
            t.NotAfter = now.AddMinutes(10);
            t.EmbedSct = false;
        }

        // The certificate without the SCT list is exactly the precertificate TBS the SCTs sign.
        var bare = Sigstore.NewSigner(key: key, leaf: Common);
        var tbs = X509Der.GetTbsCertificate(bare.Leaf);
        var issuerKeyHash = SHA256.HashData(Sigstore.Services.Ca.Intermediate.PublicKey.ExportSubjectPublicKeyInfo());
        var scts = logs.Select((log, i) =>
        {
            var timestamp = (ulong)now.ToUnixTimeMilliseconds() + (ulong)i;
            var signature = log.Key.SignData(CtLog.SignedData(timestamp, issuerKeyHash, tbs), HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
            return CtLog.EncodeSct(log.LogId, timestamp, signature);
        }).ToArray();
        return Sigstore.NewSigner(key: key, leaf: t =>
        {
            Common(t);
            t.ExtraExtensions.Add(new X509Extension(CtLog.SctListExtensionOid, CtLog.EncodeSctListExtensionValue(scts), false));
        });
    }
}
