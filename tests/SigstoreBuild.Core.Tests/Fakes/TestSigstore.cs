using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using SigstoreBuild.Attestations;
using SigstoreBuild.Bundles;
using SigstoreBuild.LocalStack;
using SigstoreBuild.LocalStack.Pki;
using SigstoreBuild.LocalStack.Timestamping;
using SigstoreBuild.LocalStack.Transparency;
using SigstoreBuild.LocalStack.Trust;
using SigstoreBuild.Trust;
using SigstoreBuild.Verification;

using SigstoreBuild.Tests.ThreatModel;

namespace SigstoreBuild.Tests;

/// <summary>
/// An in-process Sigstore instance built from the LocalStack primitives (test Fulcio CA, CT log, Rekor v1 and v2 logs,
/// TSA) in a temporary directory, its trusted root, and a factory for valid bundles of every supported shape that
/// tests then break in exactly one place.
/// </summary>
internal sealed partial class TestSigstore : IDisposable
{
    public static readonly byte[] DefaultArtifact = Encoding.UTF8.GetBytes("SigstoreBuild threat-model artifact\n");

    private static readonly Lazy<TestSigstore> SharedInstance = new(() => new TestSigstore("https://sigstore.test"));
    private static readonly Lazy<TestSigstore> OtherInstance = new(() => new TestSigstore("https://other-sigstore.test"));

    private readonly string _directory;

    private TestSigstore(string baseUrl, TestSigstore? keysOf = null)
    {
        _directory = Path.Combine(Path.GetTempPath(), "ssb-threats-" + Guid.NewGuid().ToString("N"));
        if (keysOf is not null)
        {
            // LocalStack reuses the keys it finds in the data directory: an instance with its own logs, opened in milliseconds.
            var keys = Directory.CreateDirectory(Path.Combine(_directory, "keys")).FullName;
            foreach (var file in Directory.GetFiles(Path.Combine(keysOf.Services.DataDirectory, "keys")))
            {
                File.Copy(file, Path.Combine(keys, Path.GetFileName(file)));
            }
        }

        BaseUrl = baseUrl;
        Services = LocalSigstoreServices.Open(_directory, baseUrl, TimeProvider.System);
        Trust = TrustedRoot.Parse(Encoding.UTF8.GetBytes(TrustedRootJson().ToJsonString()));
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Dispose();
    }

    /// <summary>A new instance whose logs are empty (its first entry has index 0); the caller disposes it.</summary>
    public static TestSigstore Fresh(string baseUrl = "https://fresh-sigstore.test") => new(baseUrl);

    /// <summary>The instance every test signs with (one per test run: key generation is the slow part).</summary>
    public static TestSigstore Shared => SharedInstance.Value;

    /// <summary>A second, unrelated instance (B-05, T-07).</summary>
    public static TestSigstore Other => OtherInstance.Value;

    public string BaseUrl { get; }

    public LocalSigstoreServices Services { get; }

    public TrustedRoot Trust { get; }

    public static string Email => "alice@example.test";

    public FulcioIdentity DefaultIdentity => FulcioIdentity.ForEmail(BaseUrl, Email);

    /// <summary>The instance's trusted_root.json, fresh each call so that a test may edit it.</summary>
    public JsonObject TrustedRootJson() => TrustDocuments.TrustedRoot(Services, BaseUrl);

    public TrustedRoot EditedTrust(Action<JsonObject> edit)
    {
        var json = TrustedRootJson();
        edit(json);
        return TrustedRoot.Parse(Encoding.UTF8.GetBytes(json.ToJsonString()));
    }

    public SigstoreVerifier Verifier(VerifierOptions? options = null, TrustedRoot? trust = null) =>
        new(trust ?? Trust, options ?? VerifierOptions.PublicGood, TimeProvider.System);

    public Signer NewSigner(FulcioIdentity? identity = null, Action<LeafCertificateTemplate>? leaf = null, ECDsa? key = null)
    {
        key ??= ECDsa.Create(ECCurve.NamedCurves.nistP256);
        identity ??= DefaultIdentity;
        return new Signer(key, Services.Ca.IssueLeaf(key.ExportSubjectPublicKeyInfo(), identity, leaf), identity);
    }

    public SignedBundle Sign(BundleSpec? spec = null)
    {
        spec ??= new BundleSpec();
        var signer = spec.Signer ?? NewSigner(spec.Identity, spec.Leaf);
        var json = new JsonObject
        {
            ["mediaType"] = spec.Version switch
            {
                1 => Bundle.MediaTypeV01,
                2 => Bundle.MediaTypeV02,
                _ => Bundle.MediaTypeV03,
            },
        };

        var material = new JsonObject();
        if (spec.KeyOnly)
        {
            material["publicKey"] = new JsonObject { ["hint"] = "test-key" };
        }
        else if (spec.Version >= 3)
        {
            material["certificate"] = new JsonObject { ["rawBytes"] = B64(signer.Leaf) };
        }
        else
        {
            material["x509CertificateChain"] = new JsonObject { ["certificates"] = new JsonArray(new JsonObject { ["rawBytes"] = B64(signer.Leaf) }) };
        }

        json["verificationMaterial"] = material;

        byte[] signature;
        JsonObject? entry = null;
        if (!spec.Dsse)
        {
            var digest = SHA256.HashData(spec.Artifact);
            signature = signer.Key.SignHash(digest, DSASignatureFormat.Rfc3279DerSequence);
            json["messageSignature"] = new JsonObject
            {
                ["messageDigest"] = new JsonObject { ["algorithm"] = "SHA2_256", ["digest"] = B64(digest) },
                ["signature"] = B64(signature),
            };
            if (spec.Rekor == ThreatModel.Rekor.V1)
            {
                entry = LogV1(HashedRekordV1(digest, signature, SignerPem(signer, spec.KeyOnly)), spec.LogRecord);
            }
            else if (spec.Rekor == ThreatModel.Rekor.V2)
            {
                entry = LogV2(HashedRekordV2(digest, signature, signer, spec.KeyOnly));
            }
        }
        else
        {
            var payload = spec.Payload ?? Statement(spec.Artifact);
            var pae = DssePae.Encode(spec.PayloadType, payload);
            signature = signer.Key.SignData(spec.DsseSignedBytes?.Invoke(pae) ?? pae, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
            var envelope = new JsonObject
            {
                ["payload"] = B64(payload),
                ["payloadType"] = spec.PayloadType,
                ["signatures"] = new JsonArray(new JsonObject { ["sig"] = B64(signature) }),
            };
            json["dsseEnvelope"] = envelope;
            if (spec.Rekor == ThreatModel.Rekor.V1)
            {
                entry = LogV1(DsseV1(envelope, SignerPem(signer, spec.KeyOnly)), spec.LogRecord);
            }
            else if (spec.Rekor == ThreatModel.Rekor.V2)
            {
                entry = LogV2(DsseV2(envelope, signer, spec.KeyOnly));
            }
        }

        material["tlogEntries"] = entry is null ? new JsonArray() : new JsonArray(entry);
        var timestamps = spec.Timestamps ?? (spec.Rekor == ThreatModel.Rekor.V2 ? 1 : 0);
        if (timestamps > 0)
        {
            var tokens = new JsonArray();
            for (var i = 0; i < timestamps; i++)
            {
                tokens.Add(new JsonObject { ["signedTimestamp"] = B64(Timestamp(spec.TimestampedBytes?.Invoke(signature) ?? signature, spec.TimestampOptions)) });
            }

            material["timestampVerificationData"] = new JsonObject { ["rfc3161Timestamps"] = tokens };
        }

        return new SignedBundle { Json = json, Artifact = spec.Artifact, Signer = signer, Signature = signature, Spec = spec };
    }

    /// <summary>An in-toto v1 statement with the given subjects (default: the artifact's SHA-256 under a NuGet purl).</summary>
    public static byte[] Statement(byte[] artifact, string predicateType = "https://slsa.dev/provenance/v1", JsonArray? subjects = null, string type = "https://in-toto.io/Statement/v1")
    {
        subjects ??= new JsonArray(new JsonObject
        {
            ["name"] = "pkg:nuget/Contoso.Widgets@1.2.3",
            ["digest"] = new JsonObject { ["sha256"] = Convert.ToHexStringLower(SHA256.HashData(artifact)) },
        });
        return Encoding.UTF8.GetBytes(new JsonObject
        {
            ["_type"] = type,
            ["subject"] = subjects,
            ["predicateType"] = predicateType,
            ["predicate"] = new JsonObject { ["buildDefinition"] = new JsonObject { ["buildType"] = "https://example.test/build" } },
        }.ToJsonString());
    }

    /// <summary>RFC 3161 token (the TimeStampToken, not the response) over SHA-256(<paramref name="data"/>).</summary>
    public byte[] Timestamp(byte[] data, TimestampOptions? options = null, bool includeCertificates = true)
    {
        var response = Services.Tsa.RespondForDigest(SHA256.HashData(data), "sha256", includeCertificates, options: options);
        return new Org.BouncyCastle.Tsp.TimeStampResponse(response).TimeStampToken.GetEncoded();
    }

    /// <summary>Submits a proposed Rekor v1 entry through the log's own validation; returns the bundle's TransparencyLogEntry.</summary>
    public JsonObject LogV1(JsonObject proposed, Func<LogRecord, LogRecord>? edit = null)
    {
        var (record, _) = Services.RekorV1.Append(proposed);
        return Services.RekorV1.ToTransparencyLogEntry(edit?.Invoke(record) ?? record);
    }

    /// <summary>Appends a body the log does not check (a lenient or compromised log): genuine SET, proof and checkpoint.</summary>
    public JsonObject LogV1Raw(byte[] body, Func<LogRecord, LogRecord>? edit = null)
    {
        var (record, _) = Services.RekorV1.Log.Append(body, null);
        return Services.RekorV1.ToTransparencyLogEntry(edit?.Invoke(record) ?? record);
    }

    public JsonObject LogV2(JsonObject request)
    {
        var (record, _) = Services.RekorV2.Append(request);
        return Services.RekorV2.ToTransparencyLogEntry(record);
    }

    public JsonObject LogV2Raw(byte[] body)
    {
        var (record, _) = Services.RekorV2.Log.Append(body, null);
        return Services.RekorV2.ToTransparencyLogEntry(record);
    }

    /// <summary>The same logged entry with a fresh proof and checkpoint against the log's current (larger) tree.</summary>
    public JsonObject Reprove(JsonObject entry)
    {
        var body = Convert.FromBase64String(entry["canonicalizedBody"]!.GetValue<string>());
        var leafHash = MerkleTree.HashLeaf(body);
        if (Services.RekorV1.Log.FindByLeafHash(leafHash) is { } v1)
        {
            return Services.RekorV1.ToTransparencyLogEntry(v1);
        }

        return Services.RekorV2.ToTransparencyLogEntry(Services.RekorV2.Log.FindByLeafHash(leafHash)!);
    }

    public static JsonObject HashedRekordV1(byte[] digest, byte[] signature, string signerPem) => new()
    {
        ["apiVersion"] = "0.0.1",
        ["kind"] = "hashedrekord",
        ["spec"] = new JsonObject
        {
            ["data"] = new JsonObject { ["hash"] = new JsonObject { ["algorithm"] = "sha256", ["value"] = Convert.ToHexStringLower(digest) } },
            ["signature"] = new JsonObject
            {
                ["content"] = B64(signature),
                ["publicKey"] = new JsonObject { ["content"] = B64(Encoding.UTF8.GetBytes(signerPem)) },
            },
        },
    };

    public static JsonObject DsseV1(JsonObject envelope, string signerPem) => new()
    {
        ["apiVersion"] = "0.0.1",
        ["kind"] = "dsse",
        ["spec"] = new JsonObject
        {
            ["proposedContent"] = new JsonObject
            {
                ["envelope"] = envelope.ToJsonString(),
                ["verifiers"] = new JsonArray(B64(Encoding.UTF8.GetBytes(signerPem))),
            },
        },
    };

    public static JsonObject HashedRekordV2(byte[] digest, byte[] signature, Signer signer, bool keyOnly = false) => new()
    {
        ["hashedRekordRequestV002"] = new JsonObject
        {
            ["digest"] = B64(digest),
            ["signature"] = new JsonObject { ["content"] = B64(signature), ["verifier"] = VerifierV2(signer, keyOnly) },
        },
    };

    public static JsonObject DsseV2(JsonObject envelope, Signer signer, bool keyOnly = false) => new()
    {
        ["dsseRequestV002"] = new JsonObject
        {
            ["envelope"] = envelope.DeepClone(),
            ["verifiers"] = new JsonArray(VerifierV2(signer, keyOnly)),
        },
    };

    public static string SignerPem(Signer signer, bool keyOnly) =>
        keyOnly ? PemEncoding.WriteString("PUBLIC KEY", signer.Key.ExportSubjectPublicKeyInfo()) + "\n" : signer.CertificatePem;

    public static string B64(byte[] bytes) => Convert.ToBase64String(bytes);

    public static JsonObject ObjectAt(JsonObject root, params string[] path)
    {
        var node = root;
        foreach (var name in path)
        {
            node = node[name]!.AsObject();
        }

        return node;
    }

    /// <summary>Decodes an entry's canonicalizedBody to JSON.</summary>
    public static JsonObject Body(JsonObject entry) =>
        JsonNode.Parse(Convert.FromBase64String(entry["canonicalizedBody"]!.GetValue<string>()))!.AsObject();

    public void Dispose()
    {
        Services.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // best effort: a temp directory
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private static JsonObject VerifierV2(Signer signer, bool keyOnly) => keyOnly
        ? new JsonObject { ["publicKey"] = new JsonObject { ["rawBytes"] = B64(signer.Key.ExportSubjectPublicKeyInfo()) }, ["keyDetails"] = "PKIX_ECDSA_P256_SHA_256" }
        : new JsonObject { ["x509Certificate"] = new JsonObject { ["rawBytes"] = B64(signer.Leaf) }, ["keyDetails"] = "PKIX_ECDSA_P256_SHA_256" };
}
