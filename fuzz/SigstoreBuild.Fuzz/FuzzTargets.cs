using System.Security.Cryptography;
using System.Text;
using SigstoreBuild.Attestations;
using SigstoreBuild.Bundles;
using SigstoreBuild.Diagnostics;
using SigstoreBuild.NuGet;
using SigstoreBuild.NuGet.Restore;
using SigstoreBuild.Signing;
using SigstoreBuild.Trust;
using SigstoreBuild.Tuf;
using SigstoreBuild.Verification;
using SigstoreBuild.Verification.Certificates;
using SigstoreBuild.Verification.Timestamps;
using SigstoreBuild.Verification.Tlog;

namespace SigstoreBuild.Fuzz;

/// <summary>One parser of untrusted bytes, driven through the project's own entry point.</summary>
/// <param name="Name">The command-line name (also the seed folder's name).</param>
/// <param name="Reads">What the bytes are, for --list and the README.</param>
internal sealed record FuzzTarget(string Name, string Reads, Action<byte[]> Run);

/// <summary>
/// The targets. Each calls what verification, restore or signing calls on bytes from outside; where the parser is the
/// first step of a check against trust material, the check runs too (against each trusted root), so that the code after
/// the parser sees fuzzed values as well. Nothing here may run code of the instrumented assemblies before SharpFuzz has
/// set up the coverage map (that is an access violation), hence the Lazy fields.
/// </summary>
internal static class FuzzTargets
{
    /// <summary>A fixed "now", so that a run does not depend on the day (validity windows, expiries).</summary>
    internal static readonly DateTimeOffset ReferenceTime = new(2025, 7, 1, 0, 0, 0, TimeSpan.Zero);

    public static readonly IReadOnlyList<FuzzTarget> All =
    [
        new("bundle", "a Sigstore bundle (.sigstore.json), parsed and verified", Bundle),
        new("trusted-root", "a trusted_root.json", TrustedRootDocument),
        new("signing-config", "a signing_config.json (v0.2) and the service selection over it", SigningConfig),
        new("tuf", "TUF metadata: an initial root (self-signed), timestamp, snapshot, targets", TufMetadata),
        new("certificate", "a DER X.509 signing certificate, its Fulcio extensions and embedded SCTs", Certificate),
        new("timestamp", "an RFC 3161 timestamp token or response; byte 0 is the length of the signature it covers, which follows", Timestamp),
        new("checkpoint", "a signed note carrying a transparency log checkpoint", Checkpoint),
        new("rekor-body", "a Rekor entry's canonicalized body; byte 0 selects the entry kind and content type", RekorBody),
        new("nupkg", "a .nupkg (the strict zip reader, the nuspec, the embedded bundle)", Nupkg),
        new("intoto", "an in-toto statement and its SLSA provenance predicate", InToto),
        new("assets", "a project.assets.json", Assets),
        new("oci", "what a registry serves: byte 0 selects an image manifest or index, a referrers index, a referrer's bundle layout, an image config, or a WWW-Authenticate challenge", Oci),
    ];

    public static FuzzTarget? Find(string name) => All.FirstOrDefault(t => string.Equals(t.Name, name, StringComparison.Ordinal));

    /// <summary>
    /// More trusted_root.json files to check against, beside the embedded public-good one: the seeds command writes the
    /// local instance's, so that the bundles it signed verify all the way and mutations reach the last checks. Set before
    /// the first input (paths only: reading them is instrumented code).
    /// </summary>
    public static IReadOnlyList<string> ExtraTrustedRoots { get; set; } = [];

    private static readonly Lazy<IReadOnlyList<TrustedRoot>> Trust = new(() =>
        [TrustedRoot.Parse(EmbeddedTrust.PublicGoodTrustedRoot), .. ExtraTrustedRoots.Select(TrustedRoot.Load)]);

    /// <summary>Each trust root with the key of its newest Fulcio intermediate, which signs the SCTs' precertificates.</summary>
    private static readonly Lazy<IReadOnlyList<(TrustedRoot Root, IssuerKey FulcioKey)>> TrustWithFulcioKeys = new(() =>
        [.. Trust.Value.Select(root => (root, new IssuerKey(root.CertificateAuthorities[^1].Chain[0].PublicKey.ExportSubjectPublicKeyInfo())))]);

    /// <summary>Runs <paramref name="check"/> against every trust root; each must pass or fail with its code.</summary>
    private static void ForEachTrust(Action<TrustedRoot> check) => Steps.Each([.. Trust.Value.Select(root => (Action)(() => check(root)))]);

    private static readonly FixedTime Clock = new(ReferenceTime);

    private static readonly Lazy<VerificationPolicy> AnySigner = new(() => VerificationPolicy.UnsafeWithoutArtifact().UnsafeWithoutIdentity());

    private static void Bundle(byte[] input)
    {
        var bundle = BundleSerializer.Parse(input);
        // A verifier per input: its certificate cache would make the same input take another path the second time.
        ForEachTrust(root => new SigstoreVerifier(root, VerifierOptions.PublicGood, Clock).Verify(bundle, AnySigner.Value));
    }

    private static void TrustedRootDocument(byte[] input)
    {
        var root = TrustedRoot.Parse(input);
        // The verifier reads the CA chains with the project's own DER reader.
        FulcioAuthorities.For(root);
    }

    private static void SigningConfig(byte[] input) =>
        ServiceSelector.Select(TrustDocumentSerializer.ParseSigningConfig(input), ReferenceTime);

    private static void TufMetadata(byte[] input) => Steps.Each(
        () => _ = new TrustedMetadataSet(input, ReferenceTime),
        () => TimestampMetadata.Parse(input),
        () => SnapshotMetadata.Parse(input),
        () => TargetsMetadata.Parse(input));

    private static void Certificate(byte[] input)
    {
        var leaf = FulcioLeaf.Parse(input);
        _ = leaf.Identity;
        Steps.Each([.. TrustWithFulcioKeys.Value.Select(t => (Action)(() => EmbeddedSctVerifier.Verify(leaf.Certificate, t.FulcioKey, t.Root)))]);
    }

    private static void Timestamp(byte[] input)
    {
        // The token only verifies over the signature it was issued for, so the input carries that signature too; otherwise
        // every mutated token would stop at the message imprint.
        var header = Math.Min(input.Length, 1);
        var signatureLength = header == 0 ? 0 : Math.Min(input[0], input.Length - 1);
        var signature = input.AsSpan(header, signatureLength).ToArray();
        var token = input.AsSpan(header + signatureLength).ToArray();
        ForEachTrust(root => TimestampVerifier.Verify(token, signature, root));
    }

    private static void Checkpoint(byte[] input)
    {
        var checkpoint = SignedCheckpoint.Parse(Encoding.UTF8.GetString(input));
        var actions = new List<Action>();
        foreach (var log in Trust.Value.SelectMany(root => root.TransparencyLogs))
        {
            actions.Add(() => checkpoint.Verify(log, rekorV2: false, checkpoint.Size, checkpoint.RootHash));
            actions.Add(() => checkpoint.Verify(log, rekorV2: true, checkpoint.Size, checkpoint.RootHash));
        }

        Steps.Each([.. actions]);
    }

    private static void RekorBody(byte[] input)
    {
        if (input.Length == 0)
        {
            return;
        }

        var (kind, version) = RekorKinds.All[(input[0] >> 1) % RekorKinds.All.Length];
        var isDsse = (input[0] & 1) == 1;
        LogEntryBody.CheckKind(kind, version, isDsse);
        LogEntryBody.Bind(input.AsMemory(1), kind, version, isDsse ? RekorKinds.DsseContent : RekorKinds.MessageContent);
    }

    private static void Nupkg(byte[] input)
    {
        using var stream = new MemoryStream(input, writable: false);
        var inspection = PackageInspector.Inspect(stream);
        if (inspection.EmbeddedBundle is not null)
        {
            EmbeddedBundle.Parse(inspection);
        }
    }

    private static void InToto(byte[] input)
    {
        var statement = InTotoStatement.Parse(input);
        ProvenanceConsistency.Check(statement.PredicateType, statement.Predicate, RekorKinds.GitHubExtensions);
    }

    private static void Assets(byte[] input) => AssetsFile.Parse(input, "project.assets.json");

    private static void Oci(byte[] input)
    {
        if (input.Length == 0)
        {
            return;
        }

        var body = input.AsMemory(1);
        switch (input[0] % 5)
        {
            case 0:
                _ = SigstoreBuild.Containers.ImageManifest.Parse(body.Span);
                break;
            case 1:
                _ = SigstoreBuild.Containers.Registry.RegistryClient.ReadIndexManifests(body, "the fuzzed referrers index");
                break;
            case 2:
                // A referrer manifest: what ReadBundleAsync checks before it fetches the bundle layer.
                var manifest = SigstoreBuild.Containers.ImageManifest.Parse(body.Span);
                _ = manifest.Layers.Count == 1 && SigstoreBuild.Containers.SigstoreReferrers.IsBundleMediaType(manifest.Layers[0].MediaType);
                break;
            case 3:
                _ = SigstoreBuild.Containers.ImageConfig.Parse(Encoding.UTF8.GetString(body.Span));
                break;
            default:
                _ = SigstoreBuild.Containers.Registry.RegistryClient.ChallengeParameters(Encoding.UTF8.GetString(body.Span));
                break;
        }
    }

    private sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}

/// <summary>Runs several independent entry points on one input; each must succeed or fail with a coded exception.</summary>
internal static class Steps
{
    public static void Each(params Action[] steps)
    {
        foreach (var step in steps)
        {
            try
            {
                step();
            }
            catch (SigstoreException ex)
            {
                InputContract.CheckCoded(ex);
            }
        }
    }
}

/// <summary>
/// The log entry kinds the verifier accepts, and the fixed signed content a fuzzed body is bound to. The signature is a
/// short constant so that seeds can carry it and mutations get past the signature comparison to the signer and digest.
/// </summary>
internal static class RekorKinds
{
    public static readonly (string Kind, string Version)[] All =
    [
        ("hashedrekord", "0.0.1"),
        ("hashedrekord", "0.0.2"),
        ("dsse", "0.0.1"),
        ("dsse", "0.0.2"),
        ("intoto", "0.0.2"),
    ];

    public static readonly byte[] Signature = "fuzz-signature"u8.ToArray();

    public static readonly byte[] Artifact = "fuzz-artifact"u8.ToArray();

    public static readonly SignedContent MessageContent = new()
    {
        Signature = Signature,
        SignerPublicKey = Convert.FromBase64String("MCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE="),
        ArtifactDigest = SHA256.HashData(Artifact),
        ArtifactDigestAlgorithm = HashAlgorithmName.SHA256,
    };

    public static readonly SignedContent DsseContent = new()
    {
        Signature = Signature,
        SignerPublicKey = MessageContent.SignerPublicKey,
        Envelope = new DsseEnvelope
        {
            PayloadType = "application/vnd.in-toto+json",
            Payload = "{}"u8.ToArray(),
            Signatures = [new DsseSignature { Sig = Signature }],
        },
    };

    /// <summary>Fulcio extensions of a GitHub Actions certificate, so that provenance consistency compares every field.</summary>
    public static readonly IReadOnlyDictionary<string, string> GitHubExtensions = new Dictionary<string, string>
    {
        [FulcioExtensions.BuildSignerUri] = "https://github.com/octo-org/octo-repo/.github/workflows/release.yml@refs/heads/main",
        [FulcioExtensions.SourceRepositoryUri] = "https://github.com/octo-org/octo-repo",
        [FulcioExtensions.SourceRepositoryDigest] = "0123456789abcdef0123456789abcdef01234567",
        [FulcioExtensions.SourceRepositoryRef] = "refs/heads/main",
        [FulcioExtensions.RunInvocationUri] = "https://github.com/octo-org/octo-repo/actions/runs/1/attempts/1",
    };
}
