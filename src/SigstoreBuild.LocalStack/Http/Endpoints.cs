using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using SigstoreBuild.Diagnostics;
using SigstoreBuild.LocalStack.Faults;
using SigstoreBuild.LocalStack.Oidc;
using SigstoreBuild.LocalStack.Pki;
using SigstoreBuild.LocalStack.Timestamping;
using SigstoreBuild.LocalStack.Transparency;

namespace SigstoreBuild.LocalStack.Http;

/// <summary>The HTTP surface: OIDC, Fulcio v2, Rekor v1 and v2, RFC 3161 TSA, the trust documents and their TUF repository.</summary>
internal static class Endpoints
{
    private const string FaultItem = "SigstoreBuild.LocalStack.Fault";
    private const long MaxBodyBytes = 4 * 1024 * 1024;

    public static void Map(WebApplication app, Func<LocalSigstoreServices> services, FaultPlan plan)
    {
        app.Use(async (context, next) =>
        {
            var service = Classify(context.Request.Path);
            if (service is null || !plan.TryTake(service.Value, out var fault))
            {
                await next(context);
                return;
            }

            await ApplyFault(context, next, fault);
        });

        app.MapGet("/.well-known/openid-configuration", () => Results.Json(services().Oidc.DiscoveryDocument()));
        app.MapGet("/.well-known/jwks", () => Results.Json(services().Oidc.Jwks()));
        app.MapGet("/token", (HttpContext context) => Guard(() => MintToken(context, services())));

        app.MapPost("/api/v2/signingCert", Handler(context => GuardAsync(() => SigningCertificate(context, services()))));
        app.MapGet("/api/v2/trustBundle", () =>
        {
            var ca = services().Ca;
            return Results.Json(new JsonObject
            {
                ["chains"] = new JsonArray(new JsonObject { ["certificates"] = new JsonArray(Pem.Certificate(ca.Intermediate), Pem.Certificate(ca.Root)) }),
            });
        });

        app.MapPost("/api/v1/log/entries", Handler(context => GuardAsync(() => CreateRekorV1Entry(context, services()))));
        app.MapGet("/api/v1/log/entries/{uuid}", (string uuid, HttpContext context) => Guard(() => GetRekorV1Entry(uuid, context, services())));
        app.MapGet("/api/v1/log/entries", (HttpContext context) => Guard(() =>
        {
            var v1 = services().RekorV1;
            var record = long.TryParse(context.Request.Query["logIndex"], NumberStyles.None, CultureInfo.InvariantCulture, out var index) ? v1.Log.Get(index) : null;
            return record is null ? Error(404, "No entry has that logIndex.") : Results.Json(new JsonObject { [v1.Uuid(record)] = v1.ToLogEntry(record) });
        }));
        app.MapPost("/api/v1/log/entries/retrieve", Handler(context => GuardAsync(() => RetrieveRekorV1Entries(context, services()))));
        app.MapPost("/api/v1/index/retrieve", Handler(context => GuardAsync(() => SearchIndex(context, services()))));
        app.MapGet("/api/v1/log", () =>
        {
            var v1 = services().RekorV1;
            var (size, root, checkpoint) = v1.Log.Head();
            return Results.Json(new JsonObject
            {
                ["rootHash"] = Convert.ToHexStringLower(root),
                ["signedTreeHead"] = checkpoint,
                ["treeID"] = v1.TreeId.ToString(CultureInfo.InvariantCulture),
                ["treeSize"] = size,
                ["inactiveShards"] = new JsonArray(),
            });
        });
        app.MapGet("/api/v1/log/publicKey", () => Results.Text(Pem.PublicKey(services().RekorV1.Key.ExportSubjectPublicKeyInfo()), "application/x-pem-file"));
        app.MapGet("/api/v1/log/proof", (HttpContext context) => Guard(() => ConsistencyProof(context, services())));

        app.MapPost("/api/v2/log/entries", Handler(context => GuardAsync(() => CreateRekorV2Entry(context, services()))));
        app.MapGet("/api/v2/checkpoint", () => Results.Text(services().RekorV2.Log.Head().Checkpoint, "text/plain"));

        app.MapPost("/api/v1/timestamp", Handler(context => GuardAsync(() => Timestamp(context, services()))));
        app.MapGet("/api/v1/timestamp/certchain", () =>
            Results.Text(string.Concat(services().Tsa.Chain.Select(Pem.Certificate)), "application/pem-certificate-chain"));

        app.MapGet("/trusted_root.json", () => Results.File(services().TrustedRootPath, "application/json"));
        app.MapGet("/signing_config.json", () => Results.File(services().SigningConfigPath, "application/json"));

        app.MapGet("/tuf/{**path}", (string? path) =>
        {
            var tuf = services().Tuf;
            tuf.RenewExpiring();
            var body = tuf.ReadPublished(path ?? string.Empty);
            return body is null ? Results.NotFound() : Results.Bytes(body, "application/json");
        });
    }

    private static Delegate Handler(Func<HttpContext, Task<IResult>> handler) => handler;

    internal static SigstoreService? Classify(PathString path)
    {
        var p = path.Value ?? string.Empty;
        if (p.StartsWith("/token", StringComparison.Ordinal) || p.StartsWith("/.well-known", StringComparison.Ordinal))
        {
            return SigstoreService.Oidc;
        }

        if (p.StartsWith("/api/v2/signingCert", StringComparison.Ordinal) || p.StartsWith("/api/v2/trustBundle", StringComparison.Ordinal))
        {
            return SigstoreService.Fulcio;
        }

        if (p.StartsWith("/api/v1/timestamp", StringComparison.Ordinal))
        {
            return SigstoreService.Tsa;
        }

        if (p.StartsWith("/api/v1/log", StringComparison.Ordinal) || p.StartsWith("/api/v1/index", StringComparison.Ordinal))
        {
            return SigstoreService.RekorV1;
        }

        if (p.StartsWith("/api/v2/log", StringComparison.Ordinal) || p.StartsWith("/api/v2/checkpoint", StringComparison.Ordinal))
        {
            return SigstoreService.RekorV2;
        }

        return null;
    }

    private static async Task ApplyFault(HttpContext context, RequestDelegate next, Fault fault)
    {
        context.Response.Headers["X-SigstoreBuild-Fault"] = fault.Kind.ToString();
        switch (fault.Kind)
        {
            case FaultKind.ServiceUnavailable:
            case FaultKind.TooManyRequests:
            case FaultKind.InternalServerError:
                var status = fault.Kind switch
                {
                    FaultKind.ServiceUnavailable => 503,
                    FaultKind.TooManyRequests => 429,
                    _ => 500,
                };
                await WriteFaultStatus(context, status, fault);
                return;
            case FaultKind.DropConnection:
                context.Abort();
                return;
            case FaultKind.Delay:
                await Task.Delay(fault.Delay ?? TimeSpan.FromSeconds(1), context.RequestAborted);
                await next(context);
                return;
            case FaultKind.CommitThenDrop:
            case FaultKind.CommitThenServiceUnavailable:
                var original = context.Response.Body;
                using (var buffer = new MemoryStream())
                {
                    context.Response.Body = buffer;
                    await next(context);
                    context.Response.Body = original;
                }

                if (fault.Kind == FaultKind.CommitThenDrop)
                {
                    context.Abort();
                    return;
                }

                context.Response.Clear();
                context.Response.Headers["X-SigstoreBuild-Fault"] = fault.Kind.ToString();
                await WriteFaultStatus(context, 503, fault);
                return;
            default:
                context.Items[FaultItem] = fault;
                await next(context);
                return;
        }
    }

    private static async Task WriteFaultStatus(HttpContext context, int status, Fault fault)
    {
        context.Response.StatusCode = status;
        if (fault.RetryAfter is { } retryAfter)
        {
            context.Response.Headers.RetryAfter = ((long)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        }

        await context.Response.WriteAsJsonAsync(new JsonObject
        {
            ["code"] = status,
            ["message"] = $"{LocalStackCodes.FaultInjected}: fault '{fault.Kind}' injected by the test's FaultPlan.",
        });
    }

    private static FaultKind? TakenFault(HttpContext context) => context.Items.TryGetValue(FaultItem, out var value) ? ((Fault)value!).Kind : null;

    private static IResult MintToken(HttpContext context, LocalSigstoreServices services)
    {
        var query = context.Request.Query;
        var subject = query["sub"].FirstOrDefault();
        if (string.IsNullOrEmpty(subject))
        {
            return Error(400, $"{LocalStackCodes.TokenRequestInvalid}: pass sub=... (an email, a URI, or any subject with preset=github-actions).");
        }

        var claims = new Dictionary<string, JsonNode?>(StringComparer.Ordinal);
        if (string.Equals(query["preset"], "github-actions", StringComparison.Ordinal))
        {
            foreach (var (name, value) in TokenRequest.GitHubActionsClaims(query["repository"].FirstOrDefault() ?? "octo-org/octo-repo"))
            {
                claims[name] = value;
            }
        }

        foreach (var name in OidcIssuer.GitHubClaimNames)
        {
            if (query[name].FirstOrDefault() is { Length: > 0 } value)
            {
                claims[name] = value;
            }
        }

        var now = services.Time.GetUtcNow();
        var fault = TakenFault(context);
        var audience = query["aud"].FirstOrDefault() ?? query["audience"].FirstOrDefault() ?? "sigstore";
        using var rogue = fault == FaultKind.ForgedToken ? ECDsa.Create(ECCurve.NamedCurves.nistP256) : null;
        var request = new TokenRequest
        {
            Subject = subject,
            Audience = fault == FaultKind.WrongAudience ? "not-" + audience : audience,
            Email = query["email"].FirstOrDefault(),
            EmailVerified = !string.Equals(query["email_verified"], "false", StringComparison.OrdinalIgnoreCase),
            Lifetime = int.TryParse(query["ttl"], NumberStyles.None, CultureInfo.InvariantCulture, out var ttl) ? TimeSpan.FromSeconds(ttl) : TimeSpan.FromMinutes(10),
            IssuedAt = fault == FaultKind.ExpiredToken ? now.AddHours(-2) : null,
            ExpiresAt = fault == FaultKind.ExpiredToken ? now.AddHours(-1) : null,
            Algorithm = query["alg"].FirstOrDefault() ?? "ES256",
            SigningKey = rogue,
            Claims = claims,
        };
        var token = services.Oidc.Mint(request);

        // GitHub's ACTIONS_ID_TOKEN_REQUEST_URL answers {"value": token}; plain text otherwise.
        return string.Equals(query["format"], "json", StringComparison.Ordinal)
            ? Results.Json(new JsonObject { ["count"] = 1, ["value"] = token })
            : Results.Text(token, "text/plain");
    }

    private static async Task<IResult> SigningCertificate(HttpContext context, LocalSigstoreServices services)
    {
        var request = await ReadJson(context) as JsonObject ?? throw BadCertificateRequest("the body is not a JSON object");
        var token = request["credentials"]?["oidcIdentityToken"]?.GetValue<string>();
        JsonObject claims;
        try
        {
            claims = services.Oidc.Validate(token);
        }
        catch (SigstoreException ex)
        {
            return Error(401, ex.ToString());
        }

        var identity = FulcioIdentity.FromClaims(claims, services.GitHubServerUrl);
        byte[] spki;
        if (request["publicKeyRequest"] is JsonObject publicKeyRequest)
        {
            var content = publicKeyRequest["publicKey"]?["content"]?.GetValue<string>() ?? throw BadCertificateRequest("'publicKeyRequest.publicKey.content' is missing");
            try
            {
                spki = SignatureCheck.SpkiFromPemOrDer(Encoding.ASCII.GetBytes(content));
                _ = PublicKey.CreateFromSubjectPublicKeyInfo(spki, out _);
            }
            catch (Exception ex) when (ex is ArgumentException or FormatException or CryptographicException)
            {
                throw BadCertificateRequest($"the public key cannot be parsed ({ex.Message})");
            }

            var proof = publicKeyRequest["proofOfPossession"]?.GetValue<string>() ?? throw BadCertificateRequest("'proofOfPossession' is missing");
            byte[] proofBytes;
            try
            {
                proofBytes = Convert.FromBase64String(proof);
            }
            catch (FormatException)
            {
                throw BadCertificateRequest("'proofOfPossession' is not base64");
            }

            var subject = claims["sub"]?.GetValue<string>() ?? string.Empty;
            if (!SignatureCheck.VerifyMessage(spki, Encoding.UTF8.GetBytes(identity.Principal), proofBytes)
                && !SignatureCheck.VerifyMessage(spki, Encoding.UTF8.GetBytes(subject), proofBytes))
            {
                return Error(400, $"{LocalStackCodes.ProofOfPossessionFailed}: the proof of possession does not verify over the token's email or subject with the given key. Sign the exact principal with the private key.");
            }
        }
        else if (request["certificateSigningRequest"]?.GetValue<string>() is { } csrBase64)
        {
            try
            {
                var csrBytes = Convert.FromBase64String(csrBase64);
                var csrText = Encoding.ASCII.GetString(csrBytes);
                var csr = csrText.Contains("-----BEGIN", StringComparison.Ordinal)
                    ? CertificateRequest.LoadSigningRequestPem(csrText, HashAlgorithmName.SHA256, CertificateRequestLoadOptions.Default)
                    : CertificateRequest.LoadSigningRequest(csrBytes, HashAlgorithmName.SHA256, CertificateRequestLoadOptions.Default);
                spki = csr.PublicKey.ExportSubjectPublicKeyInfo();
            }
            catch (Exception ex) when (ex is FormatException or CryptographicException or ArgumentException)
            {
                return Error(400, $"{LocalStackCodes.ProofOfPossessionFailed}: the certificate signing request is invalid or its signature does not verify ({ex.Message}).");
            }
        }
        else
        {
            throw BadCertificateRequest("neither 'publicKeyRequest' nor 'certificateSigningRequest' is present");
        }

        var fault = TakenFault(context);
        using var rogueCa = fault == FaultKind.UntrustedCertificateChain ? ECDsa.Create(ECCurve.NamedCurves.nistP384) : null;
        using var otherKey = fault == FaultKind.MismatchedPublicKey ? ECDsa.Create(ECCurve.NamedCurves.nistP256) : null;
        if (fault == FaultKind.MismatchedIdentity)
        {
            identity = FulcioIdentity.ForEmail(identity.Issuer, "mallory@attacker.example");
        }

        var issued = services.Ca.IssueLeaf(otherKey?.ExportSubjectPublicKeyInfo() ?? spki, identity, template =>
        {
            if (rogueCa is not null)
            {
                template.SigningKey = rogueCa;
            }

            template.CorruptSctSignature = fault == FaultKind.CorruptSct;
        });
        return Results.Json(new JsonObject
        {
            ["signedCertificateEmbeddedSct"] = new JsonObject
            {
                ["chain"] = new JsonObject { ["certificates"] = new JsonArray(issued.Chain.Select(c => (JsonNode)Pem.Certificate(c)).ToArray()) },
            },
        }, statusCode: 201);
    }

    private static async Task<IResult> CreateRekorV1Entry(HttpContext context, LocalSigstoreServices services)
    {
        var v1 = services.RekorV1;
        var (record, existed) = v1.Append(await ReadJson(context));
        var uuid = v1.Uuid(record);
        var location = $"/api/v1/log/entries/{uuid}";
        if (existed)
        {
            context.Response.Headers.Location = location;
            return Error(409, $"An equivalent entry already exists in the transparency log with UUID {uuid}");
        }

        var entry = v1.ToLogEntry(record);
        if (TakenFault(context) is { } fault)
        {
            Corruptions.ApplyToRekorV1(fault, entry, v1.Log);
        }

        context.Response.Headers.Location = location;
        context.Response.Headers.ETag = uuid;
        return Results.Json(new JsonObject { [uuid] = entry }, statusCode: 201);
    }

    private static IResult GetRekorV1Entry(string uuid, HttpContext context, LocalSigstoreServices services)
    {
        var v1 = services.RekorV1;
        var record = FindByUuid(v1, uuid);
        if (record is null)
        {
            return Error(404, $"{LocalStackCodes.LogEntryNotFound}: no entry has UUID {uuid}.");
        }

        var entry = v1.ToLogEntry(record);
        if (TakenFault(context) is { } fault)
        {
            Corruptions.ApplyToRekorV1(fault, entry, v1.Log);
        }

        return Results.Json(new JsonObject { [v1.Uuid(record)] = entry });
    }

    private static LogRecord? FindByUuid(RekorV1Log v1, string uuid)
    {
        uuid = uuid.Trim().ToLowerInvariant();
        if (uuid.Length == 80)
        {
            if (!uuid.StartsWith(v1.TreeIdHex, StringComparison.Ordinal))
            {
                return null;
            }

            uuid = uuid[16..];
        }

        if (uuid.Length != 64)
        {
            return null;
        }

        try
        {
            return v1.Log.FindByLeafHash(Convert.FromHexString(uuid));
        }
        catch (FormatException)
        {
            return null;
        }
    }

    private static async Task<IResult> RetrieveRekorV1Entries(HttpContext context, LocalSigstoreServices services)
    {
        var v1 = services.RekorV1;
        var request = await ReadJson(context) as JsonObject ?? throw RekorV1Log.Invalid("the body is not a JSON object");
        var found = new List<LogRecord>();
        foreach (var uuid in request["entryUUIDs"] as JsonArray ?? [])
        {
            if (FindByUuid(v1, uuid!.GetValue<string>()) is { } record)
            {
                found.Add(record);
            }
        }

        foreach (var index in request["logIndexes"] as JsonArray ?? [])
        {
            if (v1.Log.Get(index!.GetValue<long>()) is { } record)
            {
                found.Add(record);
            }
        }

        foreach (var proposed in request["entries"] as JsonArray ?? [])
        {
            var (body, _) = RekorV1Log.Canonicalize(proposed);
            if (v1.Log.FindByLeafHash(MerkleTree.HashLeaf(body)) is { } record)
            {
                found.Add(record);
            }
        }

        return Results.Json(new JsonArray(found.Select(r => (JsonNode)new JsonObject { [v1.Uuid(r)] = v1.ToLogEntry(r) }).ToArray()));
    }

    private static async Task<IResult> SearchIndex(HttpContext context, LocalSigstoreServices services)
    {
        var v1 = services.RekorV1;
        var request = await ReadJson(context) as JsonObject ?? throw RekorV1Log.Invalid("the body is not a JSON object");
        var hash = request["hash"]?.GetValue<string>() ?? throw RekorV1Log.Invalid("only search by 'hash' (sha256:<hex>) is supported");
        return Results.Json(new JsonArray(v1.Log.FindByArtifact(hash).Select(r => (JsonNode)v1.Uuid(r)).ToArray()));
    }

    private static IResult ConsistencyProof(HttpContext context, LocalSigstoreServices services)
    {
        var log = services.RekorV1.Log;
        var (size, root, _) = log.Head();
        var first = long.TryParse(context.Request.Query["firstSize"], NumberStyles.None, CultureInfo.InvariantCulture, out var f) ? f : 1;
        var last = long.TryParse(context.Request.Query["lastSize"], NumberStyles.None, CultureInfo.InvariantCulture, out var l) ? l : size;
        if (first < 1 || first > last || last > size)
        {
            return Error(400, "firstSize and lastSize must satisfy 1 <= firstSize <= lastSize <= tree size.");
        }

        return Results.Json(new JsonObject
        {
            ["rootHash"] = Convert.ToHexStringLower(last == size ? root : RootAt(log, last)),
            ["hashes"] = new JsonArray(log.ConsistencyProof(first, last).Select(h => (JsonNode)Convert.ToHexStringLower(h)).ToArray()),
        });
    }

    private static byte[] RootAt(TransparencyLog log, long size) => log.RootHash(size);

    private static async Task<IResult> CreateRekorV2Entry(HttpContext context, LocalSigstoreServices services)
    {
        var v2 = services.RekorV2;
        var (record, _) = v2.Append(await ReadJson(context));
        var entry = v2.ToTransparencyLogEntry(record);
        if (TakenFault(context) is { } fault)
        {
            Corruptions.ApplyToTransparencyLogEntry(fault, entry, v2.Log);
        }

        return Results.Json(entry, statusCode: 201);
    }

    private static async Task<IResult> Timestamp(HttpContext context, LocalSigstoreServices services)
    {
        var tsa = services.Tsa;
        var fault = TakenFault(context);
        using var rogueRootKey = fault == FaultKind.UntrustedTimestampChain ? ECDsa.Create(ECCurve.NamedCurves.nistP384) : null;
        using var rogueKey = fault == FaultKind.UntrustedTimestampChain ? ECDsa.Create(ECCurve.NamedCurves.nistP256) : null;
        TimestampOptions? options = null;
        if (fault == FaultKind.UntrustedTimestampChain)
        {
            var now = services.Time.GetUtcNow();
            using var rogueRoot = CertificateAuthority.CreateRoot("CN=Rogue TSA Root", rogueRootKey!, now.AddDays(-1), now.AddYears(1));
            options = new TimestampOptions
            {
                SigningCertificate = TimestampAuthority.CreateSigningCertificate("CN=Rogue Timestamping", rogueKey!, rogueRoot, rogueRootKey!, now.AddDays(-1), now.AddYears(1)),
                SigningKey = rogueKey,
                ExtraCertificates = [],
            };
        }
        else if (fault == FaultKind.MismatchedImprint)
        {
            options = new TimestampOptions { ReplaceImprint = SHA256.HashData(RandomNumberGenerator.GetBytes(32)) };
        }
        else if (fault == FaultKind.GenTimeOutsideValidity)
        {
            options = new TimestampOptions { GenTime = services.Time.GetUtcNow().AddDays(1) };
        }

        var body = await ReadBody(context);
        byte[] response;
        if (context.Request.ContentType?.StartsWith("application/json", StringComparison.OrdinalIgnoreCase) == true)
        {
            JsonObject request;
            try
            {
                request = JsonNode.Parse(body)?.AsObject() ?? throw new JsonException("empty");
            }
            catch (JsonException ex)
            {
                return Error(400, $"{LocalStackCodes.TimestampRequestInvalid}: the JSON request cannot be parsed ({ex.Message}).");
            }

            var digest = Convert.FromBase64String(request["artifactHash"]?.GetValue<string>() ?? string.Empty);
            var algorithm = request["hashAlgorithm"]?.GetValue<string>() ?? "sha256";
            var certificates = request["certificates"]?.GetValue<bool>() ?? false;
            var nonce = request["nonce"] is JsonValue n ? new Org.BouncyCastle.Math.BigInteger(n.ToJsonString()) : null;
            response = tsa.RespondForDigest(digest, algorithm, certificates, nonce, options);
        }
        else
        {
            response = tsa.Respond(body, options);
        }

        return Results.Bytes(response, "application/timestamp-reply");
    }

    private static IResult Guard(Func<IResult> handler)
    {
        try
        {
            return handler();
        }
        catch (SigstoreException ex)
        {
            return ErrorFor(ex);
        }
    }

    private static async Task<IResult> GuardAsync(Func<Task<IResult>> handler)
    {
        try
        {
            return await handler();
        }
        catch (SigstoreException ex)
        {
            return ErrorFor(ex);
        }
        catch (JsonException ex)
        {
            return Error(400, $"The request body is not valid JSON ({ex.Message}).");
        }
        catch (InvalidOperationException ex)
        {
            // JsonNode.GetValue on a node of the wrong type.
            return Error(400, $"The request has a field of the wrong type ({ex.Message}).");
        }
        catch (FormatException ex)
        {
            return Error(400, $"The request has a malformed field ({ex.Message}).");
        }
    }

    private static IResult ErrorFor(SigstoreException ex) => ex.Code switch
    {
        LocalStackCodes.IdentityTokenRejected => Error(401, ex.ToString()),
        LocalStackCodes.LogEntryNotFound => Error(404, ex.ToString()),
        _ => Error(400, ex.ToString()),
    };

    private static IResult Error(int status, string message) =>
        Results.Json(new JsonObject { ["code"] = status, ["message"] = message }, statusCode: status);

    private static SigstoreException BadCertificateRequest(string why) =>
        new(LocalStackCodes.CertificateRequestInvalid, $"The certificate request is invalid: {why}. Send a Fulcio v2 signingCert request.");

    private static async Task<JsonNode?> ReadJson(HttpContext context) => JsonNode.Parse(await ReadBody(context));

    private static async Task<byte[]> ReadBody(HttpContext context)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await context.Request.Body.ReadAsync(chunk, context.RequestAborted)) > 0)
        {
            buffer.Write(chunk, 0, read);
            if (buffer.Length > MaxBodyBytes)
            {
                throw new SigstoreException(LocalStackCodes.LogEntryInvalid, "The request body is larger than 4 MiB. Send a smaller request.");
            }
        }

        return buffer.ToArray();
    }
}
