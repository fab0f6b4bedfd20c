using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using SigstoreBuild.LocalStack.Pki;

namespace SigstoreBuild.LocalStack.Tests;

/// <summary>Starts an instance in a fresh temp directory and offers the client-side steps tests need.</summary>
internal sealed class Instance : IAsyncDisposable
{
    private readonly bool _ownsDirectory;

    private Instance(LocalSigstore sigstore, string directory, bool ownsDirectory)
    {
        _ownsDirectory = ownsDirectory;
        Sigstore = sigstore;
        Directory = directory;
        Http = new HttpClient { BaseAddress = new Uri(sigstore.BaseUrl + "/"), Timeout = TimeSpan.FromSeconds(30) };
    }

    public LocalSigstore Sigstore { get; }

    public string Directory { get; }

    public HttpClient Http { get; }

    public static async Task<Instance> StartAsync(string? directory = null, LocalSigstoreOptions? options = null)
    {
        var owns = directory is null;
        directory ??= NewDirectory();
        var sigstore = await LocalSigstore.StartAsync(options ?? new LocalSigstoreOptions { DataDirectory = directory });
        return new Instance(sigstore, directory, owns);
    }

    public static string NewDirectory() => System.IO.Directory.CreateTempSubdirectory("ssb-localstack-").FullName;

    /// <summary>Requests a certificate for <paramref name="key"/> with a token for <paramref name="subject"/>.</summary>
    public async Task<(HttpResponseMessage Response, X509Certificate2[] Chain)> RequestCertificateAsync(ECDsa key, string token, string principal)
    {
        var proof = key.SignData(Encoding.UTF8.GetBytes(principal), HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        var request = new JsonObject
        {
            ["credentials"] = new JsonObject { ["oidcIdentityToken"] = token },
            ["publicKeyRequest"] = new JsonObject
            {
                ["publicKey"] = new JsonObject { ["algorithm"] = "ECDSA", ["content"] = key.ExportSubjectPublicKeyInfoPem() },
                ["proofOfPossession"] = Convert.ToBase64String(proof),
            },
        };
        var response = await Http.PostAsJsonAsync("api/v2/signingCert", request);
        if (!response.IsSuccessStatusCode)
        {
            return (response, []);
        }

        var json = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        var chain = json["signedCertificateEmbeddedSct"]!["chain"]!["certificates"]!.AsArray()
            .Select(c => X509Certificate2.CreateFromPem(c!.GetValue<string>())).ToArray();
        return (response, chain);
    }

    public async Task<X509Certificate2> IssueCertificateAsync(ECDsa key, string email = "alice@example.com")
    {
        var (response, chain) = await RequestCertificateAsync(key, Sigstore.MintToken(email), email);
        Assert.AreEqual(System.Net.HttpStatusCode.Created, response.StatusCode, await response.Content.ReadAsStringAsync());
        return chain[0];
    }

    public static JsonObject HashedRekordV1(X509Certificate2 certificate, ECDsa key, byte[] artifact)
    {
        var digest = SHA256.HashData(artifact);
        var signature = key.SignData(artifact, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        return new JsonObject
        {
            ["apiVersion"] = "0.0.1",
            ["kind"] = "hashedrekord",
            ["spec"] = new JsonObject
            {
                ["data"] = new JsonObject { ["hash"] = new JsonObject { ["algorithm"] = "sha256", ["value"] = Convert.ToHexStringLower(digest) } },
                ["signature"] = new JsonObject
                {
                    ["content"] = Convert.ToBase64String(signature),
                    ["publicKey"] = new JsonObject { ["content"] = Convert.ToBase64String(Encoding.ASCII.GetBytes(certificate.ExportCertificatePem())) },
                },
            },
        };
    }

    public static JsonObject HashedRekordV2(X509Certificate2 certificate, ECDsa key, byte[] artifact) => new()
    {
        ["hashedRekordRequestV002"] = new JsonObject
        {
            ["digest"] = Convert.ToBase64String(SHA256.HashData(artifact)),
            ["signature"] = new JsonObject
            {
                ["content"] = Convert.ToBase64String(key.SignData(artifact, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence)),
                ["verifier"] = new JsonObject
                {
                    ["x509Certificate"] = new JsonObject { ["rawBytes"] = Convert.ToBase64String(certificate.RawData) },
                    ["keyDetails"] = "PKIX_ECDSA_P256_SHA_256",
                },
            },
        },
    };

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await Sigstore.DisposeAsync();
        if (!_ownsDirectory)
        {
            return;
        }

        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>Client-side checks written independently of the instance's code paths where it matters (SCT, checkpoints).</summary>
internal static class Checks
{
    /// <summary>Verifies the embedded SCT the way RFC 6962 clients do: strip the SCT extension, hash the issuer key.</summary>
    public static bool SctVerifies(X509Certificate2 leaf, X509Certificate2 issuer, ECDsa ctKey)
    {
        var tbs = X509Der.GetTbsCertificate(leaf.RawData);
        var extension = leaf.Extensions[CtLog.SctListExtensionOid];
        if (extension is null)
        {
            return false;
        }

        var list = new System.Formats.Asn1.AsnReader(extension.RawData, System.Formats.Asn1.AsnEncodingRules.DER).ReadOctetString();
        var sct = list.AsSpan(4, (list[2] << 8) | list[3]).ToArray();
        var timestamp = System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(sct.AsSpan(33, 8));
        var signatureLength = (sct[45] << 8) | sct[46];
        var signature = sct.AsSpan(47, signatureLength).ToArray();
        var signed = CtLog.SignedData(timestamp, SHA256.HashData(issuer.PublicKey.ExportSubjectPublicKeyInfo()),
            X509Der.RemoveExtension(tbs, CtLog.SctListExtensionOid));
        return ctKey.VerifyData(signed, signature, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
    }

    public static bool ChainsTo(X509Certificate2 leaf, X509Certificate2 intermediate, X509Certificate2 root, DateTime? at = null)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(root);
        chain.ChainPolicy.ExtraStore.Add(intermediate);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationTime = at ?? leaf.NotBefore.AddSeconds(1);
        return chain.Build(leaf);
    }

    /// <summary>Parses "origin\nsize\nroot\n\n— name sig" and verifies the signature with <paramref name="verify"/>.</summary>
    public static (string Origin, long Size, byte[] Root) VerifyCheckpoint(string checkpoint, Func<byte[], byte[], bool> verify, byte[] keyId)
    {
        var split = checkpoint.IndexOf("\n\n", StringComparison.Ordinal);
        Assert.IsGreaterThan(0, split, "checkpoint has no blank line");
        var note = checkpoint[..(split + 1)];
        var signatureLine = checkpoint[(split + 2)..].TrimEnd('\n');
        StringAssert.StartsWith(signatureLine, "\u2014 ");
        var blob = Convert.FromBase64String(signatureLine.Split(' ')[2]);
        CollectionAssert.AreEqual(keyId[..4], blob[..4], "key hint");
        Assert.IsTrue(verify(Encoding.UTF8.GetBytes(note), blob[4..]), "checkpoint signature");
        var lines = note.Split('\n');
        return (lines[0], long.Parse(lines[1], System.Globalization.CultureInfo.InvariantCulture), Convert.FromBase64String(lines[2]));
    }
}

internal static class SanExtensions
{
    public static IEnumerable<string> EnumerateEmailAddresses(this X509SubjectAlternativeNameExtension extension) => Names(extension, 1);

    public static IEnumerable<string> EnumerateUris(this X509SubjectAlternativeNameExtension extension) => Names(extension, 6);

    private static List<string> Names(X509Extension extension, int tag)
    {
        var names = new List<string>();
        var reader = new System.Formats.Asn1.AsnReader(extension.RawData, System.Formats.Asn1.AsnEncodingRules.DER).ReadSequence();
        while (reader.HasData)
        {
            var next = reader.PeekTag();
            if (next.TagClass == System.Formats.Asn1.TagClass.ContextSpecific && next.TagValue == tag)
            {
                names.Add(reader.ReadCharacterString(System.Formats.Asn1.UniversalTagNumber.IA5String, next));
            }
            else
            {
                reader.ReadEncodedValue();
            }
        }

        return names;
    }
}
