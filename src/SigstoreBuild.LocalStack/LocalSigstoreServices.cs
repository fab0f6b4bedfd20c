using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using SigstoreBuild.LocalStack.Oidc;
using SigstoreBuild.LocalStack.Pki;
using SigstoreBuild.LocalStack.Timestamping;
using SigstoreBuild.LocalStack.Transparency;
using SigstoreBuild.LocalStack.Trust;
using SigstoreBuild.LocalStack.Tuf;

namespace SigstoreBuild.LocalStack;

/// <summary>Which key signs Rekor v2 checkpoints.</summary>
public enum CheckpointKeyType
{
    Ed25519,
    EcdsaP256,
}

/// <summary>
/// The core primitives of the instance without HTTP: OIDC issuer, CA + CT log, Rekor v1 and v2 logs, TSA. All keys,
/// certificates and log contents live in the data directory and are reused when it is opened again.
/// </summary>
public sealed class LocalSigstoreServices : IDisposable
{
    private LocalSigstoreServices(string dataDirectory, string baseUrl, TimeProvider time, OidcIssuer oidc, CtLog ctLog,
        CertificateAuthority ca, RekorV1Log rekorV1, RekorV2Log rekorV2, TimestampAuthority tsa, TufRepository tuf)
    {
        DataDirectory = dataDirectory;
        BaseUrl = baseUrl;
        Time = time;
        Oidc = oidc;
        CtLog = ctLog;
        Ca = ca;
        RekorV1 = rekorV1;
        RekorV2 = rekorV2;
        Tsa = tsa;
        Tuf = tuf;
    }

    public string DataDirectory { get; }

    /// <summary>The base URL the instance answers on (also the OIDC issuer, and the origin of checkpoints without scheme).</summary>
    public string BaseUrl { get; }

    public TimeProvider Time { get; }

    public OidcIssuer Oidc { get; }

    public CtLog CtLog { get; }

    public CertificateAuthority Ca { get; }

    public RekorV1Log RekorV1 { get; }

    public RekorV2Log RekorV2 { get; }

    public TimestampAuthority Tsa { get; }

    /// <summary>The TUF repository publishing trusted_root.json and signing_config.v0.2.json (filled by <see cref="WriteTrustDocuments"/>).</summary>
    public TufRepository Tuf { get; }

    /// <summary>The TUF metadata URL (<c>{base}/tuf</c>); targets are below <c>{base}/tuf/targets/</c>.</summary>
    public string TufMirrorUrl => BaseUrl + "/tuf";

    /// <summary>The current TUF root, to give clients out of band (<c>--tuf-root</c>, <c>SigstoreTufRootPath</c>).</summary>
    public string TufRootPath => Tuf.InitialRootPath;

    /// <summary>The "github.com" prefix used for GitHub Actions SANs and extensions.</summary>
    public string GitHubServerUrl { get; private set; } = "https://github.com";

    /// <summary>Sets the GitHub server prefix used in GitHub Actions identities; returns this instance.</summary>
    public LocalSigstoreServices WithGitHubServerUrl(string url)
    {
        GitHubServerUrl = url.TrimEnd('/');
        return this;
    }

    public string TrustedRootPath => Path.Combine(DataDirectory, "trusted_root.json");

    public string SigningConfigPath => Path.Combine(DataDirectory, "signing_config.json");

    /// <summary>A second signing config that selects Rekor v2 (with the TSA, which v2 requires).</summary>
    public string SigningConfigRekorV2Path => Path.Combine(DataDirectory, "signing_config.rekor-v2.json");

    /// <summary>Opens (or creates) the instance's material in <paramref name="dataDirectory"/> for <paramref name="baseUrl"/>.</summary>
    public static LocalSigstoreServices Open(string dataDirectory, string baseUrl, TimeProvider? time = null,
        CheckpointKeyType rekorV2KeyType = CheckpointKeyType.Ed25519)
    {
        time ??= TimeProvider.System;
        baseUrl = baseUrl.TrimEnd('/');
        var material = new PersistedMaterial(dataDirectory);
        var oidc = new OidcIssuer(baseUrl, material.LoadOrCreateEcdsa("oidc-es256", ECCurve.NamedCurves.nistP256),
            material.LoadOrCreateRsa("oidc-rs256", 2048), time);
        var ctLog = new CtLog(material.LoadOrCreateEcdsa("ctlog", ECCurve.NamedCurves.nistP256), time);
        var ca = CertificateAuthority.LoadOrCreate(material, ctLog, time);

        var origin = new Uri(baseUrl).Authority;
        var rekorV1Key = material.LoadOrCreateEcdsa("rekor-v1", ECCurve.NamedCurves.nistP256);
        var treeId = LoadOrCreateTreeId(Path.Combine(dataDirectory, "rekor-v1"));
        var v1Log = new TransparencyLog(Path.Combine(dataDirectory, "rekor-v1"), NoteSigner.ForEcdsa(origin, rekorV1Key),
            $"{origin} - {treeId.ToString(CultureInfo.InvariantCulture)}", time);
        var v2Signer = rekorV2KeyType == CheckpointKeyType.Ed25519
            ? NoteSigner.ForEd25519(origin, material.LoadOrCreateEd25519("rekor-v2-ed25519"))
            : NoteSigner.ForEcdsa(origin, material.LoadOrCreateEcdsa("rekor-v2-ecdsa", ECCurve.NamedCurves.nistP256));
        var v2Log = new TransparencyLog(Path.Combine(dataDirectory, "rekor-v2"), v2Signer, origin, time);
        var tsa = TimestampAuthority.LoadOrCreate(material, time);
        var tuf = TufRepository.Open(dataDirectory, material, time);
        return new LocalSigstoreServices(dataDirectory, baseUrl, time, oidc, ctLog, ca, new RekorV1Log(v1Log, rekorV1Key, treeId),
            new RekorV2Log(v2Log), tsa, tuf);
    }

    /// <summary>Writes trusted_root.json and the signing configs into the data directory, and publishes them through TUF.</summary>
    public void WriteTrustDocuments()
    {
        var options = new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
        PersistedMaterial.WriteAtomically(TrustedRootPath, TrustDocuments.TrustedRoot(this, BaseUrl).ToJsonString(options) + "\n");
        var validFrom = Ca.Root.NotBefore;
        PersistedMaterial.WriteAtomically(SigningConfigPath, TrustDocuments.SigningConfig(BaseUrl, validFrom, 1).ToJsonString(options) + "\n");
        PersistedMaterial.WriteAtomically(SigningConfigRekorV2Path, TrustDocuments.SigningConfig(BaseUrl, validFrom, 2).ToJsonString(options) + "\n");
        Tuf.Publish(new Dictionary<string, byte[]>(StringComparer.Ordinal)
        {
            [TufRepository.TrustedRootTarget] = File.ReadAllBytes(TrustedRootPath),
            [TufRepository.SigningConfigTarget] = File.ReadAllBytes(SigningConfigPath),
        });
    }

    public void Dispose()
    {
        RekorV1.Log.Dispose();
        RekorV2.Log.Dispose();
        Tuf.Dispose();
    }

    private static long LoadOrCreateTreeId(string directory)
    {
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, "tree_id");
        if (File.Exists(path) && long.TryParse(File.ReadAllText(path).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var existing))
        {
            return existing;
        }

        var id = BitConverter.ToInt64(RandomNumberGenerator.GetBytes(8)) & long.MaxValue;
        PersistedMaterial.WriteAtomically(path, id.ToString(CultureInfo.InvariantCulture));
        return id;
    }
}
