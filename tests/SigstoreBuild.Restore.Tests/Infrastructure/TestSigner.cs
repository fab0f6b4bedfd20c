using System.Security.Cryptography;
using System.Text.Json.Nodes;
using SigstoreBuild.Diagnostics;
using SigstoreBuild.NuGet.Restore;

namespace SigstoreBuild.Restore.Tests.Infrastructure;

/// <summary>
/// A stand-in for a Sigstore bundle in unit tests, with real ECDSA: a "bundle" binds a signer identity to a package
/// subject and content hash, signed by a key the <see cref="TestVerifier"/> trusts. It tests the restore logic around
/// verification (policy, lock, cache, integrity), not Sigstore verification itself (the verifier's own tests do that).
/// </summary>
internal sealed class TestSigner : IDisposable
{
    public const string GitHubIssuer = "https://token.actions.githubusercontent.com";

    public ECDsa Key { get; } = ECDsa.Create(ECCurve.NamedCurves.nistP256);

    public static string Workflow(string repo, string gitRef = "refs/tags/v1") => $"https://github.com/contoso/{repo}/.github/workflows/release.yml@{gitRef}";

    public byte[] Sign(string id, string version, byte[] contentHash, string subject, string issuer = GitHubIssuer, string? repositoryId = "1001", string? ownerId = "2002")
    {
        var payload = Payload(id, version, contentHash, issuer, subject, repositoryId, ownerId);
        var signature = Key.SignData(System.Text.Encoding.UTF8.GetBytes(payload), HashAlgorithmName.SHA256);
        return System.Text.Encoding.UTF8.GetBytes(new JsonObject
        {
            ["id"] = id,
            ["version"] = version,
            ["issuer"] = issuer,
            ["subject"] = subject,
            ["repositoryId"] = repositoryId,
            ["ownerId"] = ownerId,
            ["signature"] = Convert.ToBase64String(signature),
        }.ToJsonString());
    }

    internal static string Payload(string id, string version, byte[] hash, string issuer, string subject, string? repositoryId, string? ownerId) =>
        $"pkg:nuget/{id}@{version}|{Convert.ToHexStringLower(hash)}|{issuer}|{subject}|{repositoryId}|{ownerId}";

    public void Dispose() => Key.Dispose();
}

internal sealed class TestVerifier(ECDsa key) : IPackageSignatureVerifier
{
    private int _calls;

    public int Calls => _calls;

    public string TrustRootFingerprint { get; set; } = "test-root-1";

    public SignerIdentity Verify(PackageLocation package, ReadOnlyMemory<byte> bundleJson, IReadOnlyList<TrustedIdentity> acceptable)
    {
        Interlocked.Increment(ref _calls);
        var bundle = JsonNode.Parse(bundleJson.Span)!.AsObject();
        var issuer = (string)bundle["issuer"]!;
        var san = (string)bundle["subject"]!;
        var repositoryId = (string?)bundle["repositoryId"];
        var ownerId = (string?)bundle["ownerId"];
        var payload = TestSigner.Payload(package.Id, package.Version, package.ContentHash, issuer, san, repositoryId, ownerId);
        if (!key.VerifyData(System.Text.Encoding.UTF8.GetBytes(payload), Convert.FromBase64String((string)bundle["signature"]!), HashAlgorithmName.SHA256))
        {
            throw new VerificationException("SSB3400", "The signature does not verify over this package's content hash.");
        }

        var extensions = new Dictionary<string, string>();
        if (repositoryId is not null)
        {
            extensions[SignerExtensions.SourceRepositoryIdentifier.Oid] = repositoryId;
        }

        if (ownerId is not null)
        {
            extensions[SignerExtensions.OwnerIdentifier.Oid] = ownerId;
        }

        return new SignerIdentity(issuer, san, extensions);
    }
}
