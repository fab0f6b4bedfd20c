using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using SigstoreBuild.Identity;
using SigstoreBuild.LocalStack;
using SigstoreBuild.LocalStack.Faults;
using SigstoreBuild.LocalStack.Pki;
using CertificateAuthority = SigstoreBuild.LocalStack.Pki.CertificateAuthority;
using SigstoreBuild.LocalStack.Timestamping;
using SigstoreBuild.LocalStack.Transparency;
using SigstoreBuild.Signing;
using SigstoreBuild.Tests.Signing;
using SigstoreBuild.Trust;

namespace SigstoreBuild.Tests;

public enum FulcioFault { None, WrongKey, RogueCa, WrongSan, NoSct, WrongIssuer, EchoTokenIn400 }

public enum RekorFault { None, BadBody, BadProof, WrongCheckpointKey, UntrustedLog, BadSet }

public enum TsaFault { None, WrongImprint, UntrustedTsa }

internal sealed partial class TestSigstore
{
    /// <summary>
    /// A <see cref="TestSigstore"/> with empty logs (under the shared instance's keys) served on 127.0.0.1: Fulcio,
    /// Rekor v1/v2 and TSA answered in-process by its LocalStack CA, logs and TSA. Transport faults are queued per request
    /// on <see cref="Faults"/>; the fault properties bend every response (the threat model's F-01..F-12).
    /// </summary>
    internal sealed class Http : IDisposable
    {
        public const string Issuer = "https://issuer.example";
        public const string Email = "alice@example.com";

        private const long GlobalIndexOffset = 1000;

        private readonly TestHttpServer _server;
        private readonly TestSigstore _instance;

        // What the faults sign with: a CA, a TSA and a log key the trusted root does not name.
        private readonly CertificateAuthority _rogueCa = NewCa("CN=rogue root", "CN=rogue intermediate", DateTimeOffset.UtcNow.AddDays(-2), DateTimeOffset.UtcNow.AddYears(1),
            DateTimeOffset.UtcNow.AddDays(-2), DateTimeOffset.UtcNow.AddYears(1), TimeProvider.System);
        private readonly TimestampAuthority _rogueTsa = NewTsa("rogue-tsa", DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1), TimeProvider.System);
        private readonly ECDsa _otherLogKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        private int _unauthorizedLeft;

        public Http()
        {
            _server = new TestHttpServer(HandleAsync);
            _instance = new TestSigstore(BaseUrl.AbsoluteUri, keysOf: Shared);
        }

        private LocalSigstoreServices Services => _instance.Services;

        private RekorV1Log RekorV1 => Services.RekorV1;

        private RekorV2Log RekorV2 => Services.RekorV2;

        public Uri BaseUrl => _server.BaseUrl;

        /// <summary>Transport faults, one per request in order (503, 429 with Retry-After, commit-then-503, a late TSA), and request counts.</summary>
        public FaultPlan Faults { get; } = new();

        public FulcioFault FulcioFault { get; set; }

        public RekorFault RekorFault { get; set; }

        public TsaFault TsaFault { get; set; }

        public TimeSpan CertificateLifetime { get; set; } = TimeSpan.FromMinutes(10);

        public int FulcioRequests => Faults.RequestCount(SigstoreService.Fulcio);

        public int RekorRequests => Faults.RequestCount(SigstoreService.RekorV1) + Faults.RequestCount(SigstoreService.RekorV2);

        public int TsaRequests => Faults.RequestCount(SigstoreService.Tsa);

        public readonly ConcurrentQueue<byte[]> RekorBodies = new();
        public readonly ConcurrentQueue<string> FulcioAuthorizations = new();

        public int V1EntryCount => (int)RekorV1.Log.Size;

        public int V2EntryCount => (int)RekorV2.Log.Size;

        /// <summary>The next N Fulcio calls answer 401 (no <see cref="FaultKind"/> says that).</summary>
        public void UnauthorizedFulcio(int times) => _unauthorizedLeft = times;

        public SigningTrust Trust => new(_instance.Trust, SigningConfig());

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
            _instance.Dispose();
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
            var fault = TakeFault(SigstoreService.Fulcio);
            FulcioAuthorizations.Enqueue(context.Request.Headers["Authorization"] ?? string.Empty);
            var body = await TestHttpServer.ReadBodyAsync(context.Request);
            if (await RespondedWithFaultAsync(context, fault, "{\"message\":\"unavailable\"}"u8.ToArray()))
            {
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
            var issued = (FulcioFault == FulcioFault.RogueCa ? _rogueCa : Services.Ca).IssueLeaf(
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
            var fault = TakeFault(SigstoreService.RekorV1);
            var posted = await TestHttpServer.ReadBodyAsync(context.Request);
            RekorBodies.Enqueue(posted);
            if (await RespondedWithFaultAsync(context, fault, "{}"u8.ToArray()))
            {
                return;
            }

            // Rekor v1 is LocalStack's own log: its validation, canonical bodies, proofs, SETs and signed checkpoints.
            var (body, artifactDigest) = RekorV1Log.Canonicalize(JsonNode.Parse(posted));
            var (record, existed) = RekorV1.Log.Append(RekorFault == RekorFault.BadBody ? WithWrongDigest(body) : body, artifactDigest);
            var location = new Dictionary<string, string> { ["Location"] = "/api/v1/log/entries/" + RekorV1.Uuid(record) };
            if (existed)
            {
                await TestHttpServer.RespondAsync(context, 409, "{\"message\":\"entry already exists\"}"u8.ToArray(), headers: location);
                return;
            }

            if (fault?.Kind == FaultKind.CommitThenServiceUnavailable)
            {
                await TestHttpServer.RespondAsync(context, 503, "{}"u8.ToArray());
                return;
            }

            await TestHttpServer.RespondAsync(context, 201, V1Entry(record), headers: location);
        }

        private async Task RekorV1GetAsync(HttpListenerContext context, string uuid)
        {
            // A v1 UUID is the tree ID (16 hex digits) then the leaf hash.
            var record = uuid.Length >= 64 ? RekorV1.Log.FindByLeafHash(Convert.FromHexString(uuid[^64..])) : null;
            await (record is null ? TestHttpServer.RespondAsync(context, 404) : TestHttpServer.RespondAsync(context, 200, V1Entry(record)));
        }

        /// <summary>A log that commits another digest than the one submitted: its proof, SET and checkpoint all hold.</summary>
        private static byte[] WithWrongDigest(byte[] body)
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

            return Encoding.UTF8.GetBytes(node.ToJsonString());
        }

        private byte[] V1Entry(LogRecord record)
        {
            // Like a sharded Rekor, the global log index is not the tree index (the proof's); the SET covers the global one.
            var global = record with { Index = record.Index + GlobalIndexOffset };
            var entry = RekorV1.ToLogEntry(record);
            entry["logIndex"] = global.Index;
            entry["verification"]!["signedEntryTimestamp"] = Convert.ToBase64String(RekorV1.SignEntryTimestamp(global));
            switch (RekorFault)
            {
                case RekorFault.BadProof:
                    Corruptions.ApplyToRekorV1(FaultKind.CorruptInclusionProof, entry, RekorV1.Log);
                    break;
                case RekorFault.WrongCheckpointKey:
                    Corruptions.ApplyToRekorV1(FaultKind.UntrustedCheckpointKey, entry, RekorV1.Log);
                    break;
                case RekorFault.BadSet:
                    Corruptions.ApplyToRekorV1(FaultKind.CorruptSignedEntryTimestamp, entry, RekorV1.Log);
                    break;
                case RekorFault.UntrustedLog:
                    // The whole entry as a log the trusted root does not name would sign it.
                    var logId = SHA256.HashData(_otherLogKey.ExportSubjectPublicKeyInfo());
                    var proof = entry["verification"]!["inclusionProof"]!;
                    entry["logID"] = Convert.ToHexStringLower(logId);
                    entry["verification"]!["signedEntryTimestamp"] = Convert.ToBase64String(_otherLogKey.SignData(
                        RekorV1Log.SetPayload(global.Body, global.IntegratedTime, logId, global.Index), HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence));
                    proof["checkpoint"] = NoteSigner.ForEcdsa(BaseUrl.Authority, _otherLogKey).SignCheckpoint(RekorV1.Log.Origin,
                        proof["treeSize"]!.GetValue<long>(), Convert.FromHexString(proof["rootHash"]!.GetValue<string>()));
                    break;
            }

            return Encoding.UTF8.GetBytes(new JsonObject { [RekorV1.Uuid(record)] = entry }.ToJsonString());
        }

        private async Task RekorV2PostAsync(HttpListenerContext context)
        {
            var fault = TakeFault(SigstoreService.RekorV2);
            var posted = await TestHttpServer.ReadBodyAsync(context.Request);
            RekorBodies.Enqueue(posted);
            if (await RespondedWithFaultAsync(context, fault, "{}"u8.ToArray()))
            {
                return;
            }

            var (record, _) = RekorV2.Append(JsonNode.Parse(posted));
            await TestHttpServer.RespondAsync(context, 201, Encoding.UTF8.GetBytes(RekorV2.ToTransparencyLogEntry(record).ToJsonString()));
        }

        private async Task TsaAsync(HttpListenerContext context)
        {
            var fault = TakeFault(SigstoreService.Tsa);
            var posted = await TestHttpServer.ReadBodyAsync(context.Request);
            if (await RespondedWithFaultAsync(context, fault, [], "application/timestamp-reply"))
            {
                return;
            }

            var options = new TimestampOptions
            {
                // Late by an hour: after a fresh certificate's 10 minutes (F-09), not so far ahead that the token looks forged.
                GenTime = fault?.Kind == FaultKind.GenTimeOutsideValidity ? DateTimeOffset.UtcNow.AddHours(1) : DateTimeOffset.UtcNow.AddSeconds(-1),
                ExtraCertificates = [],
                ReplaceImprint = TsaFault == TsaFault.WrongImprint ? SHA256.HashData("other data"u8.ToArray()) : null,
            };
            var response = (TsaFault == TsaFault.UntrustedTsa ? _rogueTsa : Services.Tsa).Respond(posted, options);
            await TestHttpServer.RespondAsync(context, 200, response, "application/timestamp-reply");
        }

        private Fault? TakeFault(SigstoreService service) => Faults.TryTake(service, out var fault) ? fault : null;

        /// <summary>Answers the faults that replace the response (503, 429); the others are applied while answering.</summary>
        private static async Task<bool> RespondedWithFaultAsync(HttpListenerContext context, Fault? fault, byte[] body, string contentType = "application/json")
        {
            var status = fault?.Kind switch
            {
                FaultKind.ServiceUnavailable => 503,
                FaultKind.TooManyRequests => 429,
                _ => 0,
            };
            if (status == 0)
            {
                return false;
            }

            var headers = fault!.RetryAfter is { } retryAfter
                ? new Dictionary<string, string> { ["Retry-After"] = ((int)retryAfter.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture) }
                : null;
            await TestHttpServer.RespondAsync(context, status, body, contentType, headers);
            return true;
        }
    }
}
