using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using SigstoreBuild.Bundles;
using SigstoreBuild.Identity;
using SigstoreBuild.LocalStack.Pki;
using CertificateAuthority = SigstoreBuild.LocalStack.Pki.CertificateAuthority;
using SigstoreBuild.LocalStack.Timestamping;
using SigstoreBuild.LocalStack.Transparency;
using SigstoreBuild.Rekor;
using SigstoreBuild.Signing;
using SigstoreBuild.Trust;

namespace SigstoreBuild.Tests.Signing;

public enum FulcioFault { None, WrongKey, RogueCa, WrongSan, NoSct, WrongIssuer, EchoTokenIn400 }

public enum RekorFault { None, BadBody, BadProof, WrongCheckpointKey, UntrustedLog, BadSet }

public enum TsaFault { None, WrongImprint, UntrustedTsa }

/// <summary>
/// Fake Fulcio, Rekor v1/v2 and TSA on one 127.0.0.1 server, with real keys generated at run time and knobs that inject
/// the faults of the threat model (F-01..F-12).
/// </summary>
internal sealed class FakeSigstore : IDisposable
{
    public const string Issuer = "https://issuer.example";
    public const string Email = "alice@example.com";

    private readonly TestHttpServer _server;
    private readonly TimestampAuthority _tsa;
    private readonly TimestampAuthority _rogueTsa;
    private readonly CertificateAuthority _ca = CreateCa("CN=fake-fulcio");
    private readonly CertificateAuthority _rogueCa = CreateCa("CN=rogue");
    private readonly ECDsa _rekorKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly ECDsa _rekorV2Key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly ECDsa _otherLogKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly List<byte[]> _v1Leaves = [];
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "ssb-fake-" + Guid.NewGuid().ToString("N"));
    private readonly RekorV2Log _rekorV2;
    private readonly object _gate = new();
    private int _fulcioFailuresLeft;
    private int _rekorFailuresLeft;
    private int _tsaFailuresLeft;
    private int _tsaLateLeft;
    private int _rekorCommitThenFailLeft;
    private int _unauthorizedLeft;

    public FakeSigstore()
    {
        _server = new TestHttpServer(HandleAsync);
        _rekorV2 = new RekorV2Log(new LocalStack.Transparency.TransparencyLog(_directory, NoteSigner.ForEcdsa(BaseUrl.Authority, _rekorV2Key), BaseUrl.Authority, TimeProvider.System));
        _tsa = CreateTsa("CN=fake-tsa-root");
        _rogueTsa = CreateTsa("CN=rogue-tsa-root");
    }

    public Uri BaseUrl => _server.BaseUrl;

    public X509Certificate2 CaCert => _ca.Root;

    public X509Certificate2 TsaRoot => _tsa.Root;

    public X509Certificate2 TsaLeaf => _tsa.SigningCertificate;

    public FulcioFault FulcioFault { get; set; }

    public RekorFault RekorFault { get; set; }

    public TsaFault TsaFault { get; set; }

    public TimeSpan CertificateLifetime { get; set; } = TimeSpan.FromMinutes(10);

    public int FulcioRequests;
    public int RekorRequests;
    public int TsaRequests;
    public readonly ConcurrentQueue<byte[]> RekorBodies = new();
    public readonly ConcurrentQueue<string> FulcioAuthorizations = new();

    public int V1EntryCount { get { lock (_gate) { return _v1Leaves.Count; } } }

    public int V2EntryCount => (int)_rekorV2.Log.Size;

    /// <summary>The next N Fulcio calls answer 503.</summary>
    public void FailFulcio(int times) => _fulcioFailuresLeft = times;

    /// <summary>The next N Rekor POSTs answer 429 with Retry-After: 0.</summary>
    public void RateLimitRekor(int times) => _rekorFailuresLeft = times;

    /// <summary>The next N Rekor POSTs commit the entry, then answer 503 (F-04).</summary>
    public void CommitThenFailRekor(int times) => _rekorCommitThenFailLeft = times;

    public void FailTsa(int times) => _tsaFailuresLeft = times;

    /// <summary>The next N timestamps are dated an hour late, after the certificate expired (F-09).</summary>
    public void LateTsa(int times) => _tsaLateLeft = times;

    public void UnauthorizedFulcio(int times) => _unauthorizedLeft = times;

    public TrustedRoot TrustedRoot => Trust.TrustedRoot;

    public SigningTrust Trust => new(TrustedRoot.FromDocument(TrustedRootDocument()), SigningConfig());

    public TrustedRootDocument TrustedRootDocument()
    {
        var start = new TimeRangeDocument { Start = DateTimeOffset.UtcNow.AddDays(-1) };
        TransparencyLogInstance Log(ECDsa key, string url) => new()
        {
            BaseUrl = url,
            HashAlgorithm = "SHA2_256",
            PublicKey = new PublicKeyDocument { RawBytes = key.ExportSubjectPublicKeyInfo(), KeyDetails = "PKIX_ECDSA_P256_SHA_256", ValidFor = start },
            LogId = new LogId { KeyId = SHA256.HashData(key.ExportSubjectPublicKeyInfo()) },
        };
        return new TrustedRootDocument
        {
            MediaType = SigstoreBuild.Trust.TrustedRootDocument.MediaTypeV01,
            Tlogs = [Log(_rekorKey, BaseUrl.AbsoluteUri), Log(_rekorV2Key, BaseUrl.AbsoluteUri + "v2")],
            Ctlogs = [Log(_ca.CtLog.Key, BaseUrl.AbsoluteUri + "ct")],
            CertificateAuthorities = [new CertificateAuthorityDocument { Uri = BaseUrl.AbsoluteUri, CertChain = new X509CertificateChain { Certificates = [new X509CertificateBytes { RawBytes = _ca.Intermediate.RawData }, new X509CertificateBytes { RawBytes = _ca.Root.RawData }] }, ValidFor = start }],
            TimestampAuthorities = [new CertificateAuthorityDocument { Uri = BaseUrl.AbsoluteUri + "tsa", CertChain = new X509CertificateChain { Certificates = [new X509CertificateBytes { RawBytes = TsaLeaf.RawData }, new X509CertificateBytes { RawBytes = TsaRoot.RawData }] }, ValidFor = start }],
        };
    }

    public SigningConfigDocument SigningConfig(int rekorVersion = 1, bool withTsa = true)
    {
        var valid = new TimeRangeDocument { Start = DateTimeOffset.UtcNow.AddDays(-1) };
        return new SigningConfigDocument
        {
            MediaType = SigningConfigDocument.MediaTypeV02,
            CaUrls = [new ServiceDocument { Url = BaseUrl.AbsoluteUri.TrimEnd('/'), MajorApiVersion = 1, ValidFor = valid }],
            RekorTlogUrls = [new ServiceDocument { Url = BaseUrl.AbsoluteUri.TrimEnd('/'), MajorApiVersion = rekorVersion, ValidFor = valid }],
            TsaUrls = withTsa ? [new ServiceDocument { Url = BaseUrl.AbsoluteUri + "api/v1/timestamp", MajorApiVersion = 1, ValidFor = valid }] : [],
            RekorTlogConfig = new ServiceConfigurationDocument { Selector = "ANY" },
            TsaConfig = new ServiceConfigurationDocument { Selector = "ANY" },
        };
    }

    public static string MakeToken(string? email = Email, string issuer = Issuer, DateTimeOffset? expires = null, string secret = "SENTINELxTOKENxSECRET")
    {
        var claims = new JsonObject
        {
            ["iss"] = issuer,
            ["sub"] = "subject-123",
            ["aud"] = "sigstore",
            ["exp"] = (expires ?? DateTimeOffset.UtcNow.AddMinutes(10)).ToUnixTimeSeconds(),
        };
        if (email is not null)
        {
            claims["email"] = email;
            claims["email_verified"] = true;
        }

        var header = IdentityToken.Base64UrlEncode("{\"alg\":\"none\"}"u8);
        var payload = IdentityToken.Base64UrlEncode(Encoding.UTF8.GetBytes(claims.ToJsonString()));
        return $"{header}.{payload}.{secret}{Guid.NewGuid():N}";
    }

    public void Dispose()
    {
        _server.Dispose();
        _rekorV2.Log.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // best effort: a temp directory
        }
    }

    /// <summary>LocalStack's Fulcio CA (root, intermediate, CT log) under keys generated for this fake.</summary>
    private static CertificateAuthority CreateCa(string name)
    {
        var rootKey = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        var intermediateKey = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        var now = DateTimeOffset.UtcNow;
        var root = CertificateAuthority.CreateRoot(name + " root", rootKey, now.AddDays(-2), now.AddYears(1));
        var intermediate = CertificateAuthority.CreateIntermediate(name + " intermediate", intermediateKey, root, rootKey, root.NotBefore, root.NotAfter,
            [CertificateAuthority.CodeSigningEku]);
        var ctLog = new CtLog(ECDsa.Create(ECCurve.NamedCurves.nistP256), TimeProvider.System);
        return new CertificateAuthority(root, rootKey, intermediate, intermediateKey, ctLog, TimeProvider.System);
    }

    /// <summary>LocalStack's TSA with its certificate profile, under a root generated for this fake.</summary>
    private static TimestampAuthority CreateTsa(string rootName)
    {
        var rootKey = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        var signingKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var now = DateTimeOffset.UtcNow;
        var root = CertificateAuthority.CreateRoot(rootName, rootKey, now.AddDays(-2), now.AddYears(1));
        var signing = TimestampAuthority.CreateSigningCertificate(rootName + "-leaf", signingKey, root, rootKey, now.AddDays(-1), now.AddYears(1));
        return new TimestampAuthority(root, rootKey, signing, signingKey, TimeProvider.System);
    }

    private async Task HandleAsync(HttpListenerContext context)
    {
        var path = context.Request.Url!.AbsolutePath;
        switch (context.Request.HttpMethod, path)
        {
            case ("POST", "/api/v2/signingCert"):
                await FulcioAsync(context);
                break;
            case ("POST", "/api/v1/log/entries"):
                await RekorV1PostAsync(context);
                break;
            case ("GET", _) when path.StartsWith("/api/v1/log/entries/", StringComparison.Ordinal):
                await RekorV1GetAsync(context, path["/api/v1/log/entries/".Length..]);
                break;
            case ("POST", "/api/v2/log/entries"):
                await RekorV2PostAsync(context);
                break;
            case ("POST", "/api/v1/timestamp"):
                await TsaAsync(context);
                break;
            default:
                await TestHttpServer.RespondAsync(context, 404);
                break;
        }
    }

    private async Task FulcioAsync(HttpListenerContext context)
    {
        Interlocked.Increment(ref FulcioRequests);
        FulcioAuthorizations.Enqueue(context.Request.Headers["Authorization"] ?? string.Empty);
        var body = await TestHttpServer.ReadBodyAsync(context.Request);
        if (Interlocked.Decrement(ref _fulcioFailuresLeft) >= 0)
        {
            await TestHttpServer.RespondAsync(context, 503, "{\"message\":\"unavailable\"}"u8.ToArray());
            return;
        }

        if (Interlocked.Decrement(ref _unauthorizedLeft) >= 0)
        {
            await TestHttpServer.RespondAsync(context, 401, "{\"message\":\"token expired\"}"u8.ToArray());
            return;
        }

        if (FulcioFault == FulcioFault.EchoTokenIn400)
        {
            // A hostile or buggy Fulcio echoing the request: the client must not pass the token on.
            await TestHttpServer.RespondAsync(context, 400, body);
            return;
        }

        using var doc = JsonDocument.Parse(body);
        var token = IdentityToken.Parse(doc.RootElement.GetProperty("credentials").GetProperty("oidcIdentityToken").GetString()!);
        using var key = ECDsa.Create();
        if (doc.RootElement.TryGetProperty("certificateSigningRequest", out var csrB64))
        {
            var csr = CertificateRequest.LoadSigningRequestPem(Encoding.ASCII.GetString(Convert.FromBase64String(csrB64.GetString()!)), HashAlgorithmName.SHA256);
            key.ImportSubjectPublicKeyInfo(csr.PublicKey.ExportSubjectPublicKeyInfo(), out _);
        }
        else
        {
            var pkr = doc.RootElement.GetProperty("publicKeyRequest");
            key.ImportFromPem(pkr.GetProperty("publicKey").GetProperty("content").GetString());
            var proof = Convert.FromBase64String(pkr.GetProperty("proofOfPossession").GetString()!);
            if (!key.VerifyData(Encoding.UTF8.GetBytes(token.Email ?? token.Subject), proof, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence)
                && !key.VerifyData(Encoding.UTF8.GetBytes(token.Subject), proof, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence))
            {
                await TestHttpServer.RespondAsync(context, 400, "{\"message\":\"bad proof of possession\"}"u8.ToArray());
                return;
            }
        }

        // LocalStack's CA issues the leaf (its certificate profile, a genuine embedded SCT); each fault bends one input.
        using var other = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var identity = FulcioIdentity.ForEmail(
            FulcioFault == FulcioFault.WrongIssuer ? "https://evil.example" : token.Issuer,
            FulcioFault == FulcioFault.WrongSan ? "mallory@example.com" : token.Email ?? token.Subject);
        var now = DateTimeOffset.UtcNow;
        var issued = (FulcioFault == FulcioFault.RogueCa ? _rogueCa : _ca).IssueLeaf(
            (FulcioFault == FulcioFault.WrongKey ? other : key).ExportSubjectPublicKeyInfo(),
            identity,
            leaf =>
            {
                leaf.NotBefore = now.AddSeconds(-5);
                leaf.NotAfter = now + CertificateLifetime;
                leaf.EmbedSct = FulcioFault != FulcioFault.NoSct;
            });
        var response = new JsonObject
        {
            ["signedCertificateEmbeddedSct"] = new JsonObject
            {
                ["chain"] = new JsonObject
                {
                    ["certificates"] = new JsonArray(issued.Chain.Select(c => (JsonNode)PemEncoding.WriteString("CERTIFICATE", c.RawData)).ToArray()),
                },
            },
        };
        await TestHttpServer.RespondAsync(context, 201, Encoding.UTF8.GetBytes(response.ToJsonString()));
    }

    private async Task RekorV1PostAsync(HttpListenerContext context)
    {
        Interlocked.Increment(ref RekorRequests);
        var posted = await TestHttpServer.ReadBodyAsync(context.Request);
        RekorBodies.Enqueue(posted);
        if (Interlocked.Decrement(ref _rekorFailuresLeft) >= 0)
        {
            await TestHttpServer.RespondAsync(context, 429, "{}"u8.ToArray(), headers: new Dictionary<string, string> { ["Retry-After"] = "0" });
            return;
        }

        var body = CanonicalV1Body(posted);
        int index;
        bool existed;
        lock (_gate)
        {
            index = _v1Leaves.FindIndex(b => b.AsSpan().SequenceEqual(body));
            existed = index >= 0;
            if (!existed)
            {
                _v1Leaves.Add(body);
                index = _v1Leaves.Count - 1;
            }
        }

        var uuid = Convert.ToHexStringLower(MerkleTree.HashLeaf(body));
        var location = new Dictionary<string, string> { ["Location"] = "/api/v1/log/entries/" + uuid };
        if (existed)
        {
            await TestHttpServer.RespondAsync(context, 409, "{\"message\":\"entry already exists\"}"u8.ToArray(), headers: location);
            return;
        }

        if (Interlocked.Decrement(ref _rekorCommitThenFailLeft) >= 0)
        {
            await TestHttpServer.RespondAsync(context, 503, "{}"u8.ToArray());
            return;
        }

        await TestHttpServer.RespondAsync(context, 201, V1Entry(index), headers: location);
    }

    private async Task RekorV1GetAsync(HttpListenerContext context, string uuid)
    {
        int index;
        lock (_gate)
        {
            index = _v1Leaves.FindIndex(b => Convert.ToHexStringLower(MerkleTree.HashLeaf(b)) == uuid);
        }

        await (index < 0 ? TestHttpServer.RespondAsync(context, 404) : TestHttpServer.RespondAsync(context, 200, V1Entry(index)));
    }

    /// <summary>The entry body as Rekor v1 canonicalizes it (LocalStack's validation and canonical JSON).</summary>
    private static byte[] CanonicalV1Body(byte[] posted) => RekorV1Log.Canonicalize(JsonNode.Parse(posted)).Body;

    private byte[] V1Entry(int index)
    {
        List<byte[]> leaves;
        lock (_gate)
        {
            leaves = [.. _v1Leaves];
        }

        var body = leaves[index];
        if (RekorFault == RekorFault.BadBody)
        {
            var node = JsonNode.Parse(body)!;
            if (node["spec"]?["data"]?["hash"] is JsonObject hash)
            {
                hash["value"] = new string('0', 64);
            }
            else
            {
                node["spec"]!["payloadHash"]!["value"] = new string('0', 64);
            }

            body = Encoding.UTF8.GetBytes(node.ToJsonString());
            leaves[index] = body;
        }

        var hashes = leaves.Select(l => MerkleTree.HashLeaf(l)).ToList();
        var tree = Tree(hashes);
        var root = tree.RootHash();
        var path = tree.InclusionProof(index, hashes.Count);
        if (RekorFault == RekorFault.BadProof)
        {
            path = [.. path, RandomNumberGenerator.GetBytes(32)];
        }

        var logKey = RekorFault == RekorFault.UntrustedLog ? _otherLogKey : _rekorKey;
        var logId = SHA256.HashData(logKey.ExportSubjectPublicKeyInfo());
        var integrated = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var set = (RekorFault == RekorFault.BadSet ? _otherLogKey : logKey).SignData(RekorV1Log.SetPayload(body, integrated, logId, 1000 + index), HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        var checkpoint = Checkpoint(BaseUrl.Authority + " - 1", hashes.Count, root, RekorFault == RekorFault.WrongCheckpointKey ? _otherLogKey : logKey);
        var response = new JsonObject
        {
            [Convert.ToHexStringLower(MerkleTree.HashLeaf(body))] = new JsonObject
            {
                ["body"] = Convert.ToBase64String(body),
                ["integratedTime"] = integrated,
                ["logID"] = Convert.ToHexStringLower(logId),
                ["logIndex"] = 1000 + index,
                ["verification"] = new JsonObject
                {
                    ["inclusionProof"] = new JsonObject
                    {
                        ["checkpoint"] = checkpoint,
                        ["hashes"] = new JsonArray(path.Select(p => (JsonNode)Convert.ToHexStringLower(p)).ToArray()),
                        ["logIndex"] = index,
                        ["rootHash"] = Convert.ToHexStringLower(root),
                        ["treeSize"] = hashes.Count,
                    },
                    ["signedEntryTimestamp"] = Convert.ToBase64String(set),
                },
            },
        };
        return Encoding.UTF8.GetBytes(response.ToJsonString());
    }

    private async Task RekorV2PostAsync(HttpListenerContext context)
    {
        Interlocked.Increment(ref RekorRequests);
        var posted = await TestHttpServer.ReadBodyAsync(context.Request);
        RekorBodies.Enqueue(posted);
        // Rekor v2 is LocalStack's own log: its request validation, entry bodies, proofs and signed checkpoints.
        var (record, _) = _rekorV2.Append(JsonNode.Parse(posted));
        await TestHttpServer.RespondAsync(context, 201, Encoding.UTF8.GetBytes(_rekorV2.ToTransparencyLogEntry(record).ToJsonString()));
    }

    private async Task TsaAsync(HttpListenerContext context)
    {
        Interlocked.Increment(ref TsaRequests);
        var posted = await TestHttpServer.ReadBodyAsync(context.Request);
        if (Interlocked.Decrement(ref _tsaFailuresLeft) >= 0)
        {
            await TestHttpServer.RespondAsync(context, 503, [], "application/timestamp-reply");
            return;
        }

        var genTime = DateTimeOffset.UtcNow.AddSeconds(-1);
        if (Interlocked.Decrement(ref _tsaLateLeft) >= 0)
        {
            genTime = DateTimeOffset.UtcNow.AddHours(1);
        }

        var options = new TimestampOptions
        {
            GenTime = genTime,
            ExtraCertificates = [],
            ReplaceImprint = TsaFault == TsaFault.WrongImprint ? SHA256.HashData("other data"u8.ToArray()) : null,
        };
        var response = (TsaFault == TsaFault.UntrustedTsa ? _rogueTsa : _tsa).Respond(posted, options);
        await TestHttpServer.RespondAsync(context, 200, response, "application/timestamp-reply");
    }

    /// <summary>The log's signed note, as LocalStack's logs sign theirs (the key may be the wrong one: a fault).</summary>
    private static string Checkpoint(string origin, int size, byte[] root, ECDsa key) =>
        NoteSigner.ForEcdsa(origin.Split(' ')[0], key).SignCheckpoint(origin, size, root);

    private static MerkleTree Tree(IEnumerable<byte[]> leafHashes)
    {
        var tree = new MerkleTree();
        foreach (var hash in leafHashes)
        {
            tree.AppendLeafHash(hash);
        }

        return tree;
    }
}
