using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using SigstoreBuild.Diagnostics;
using SigstoreBuild.IO;
using SigstoreBuild.Serialization;

namespace SigstoreBuild.Bundles;

/// <summary>Reads and writes bundles. Reading is strict and checks the bundle's shape before any cryptography.</summary>
public static class BundleSerializer
{
    /// <summary>Bundles larger than this are refused unread (threat model B-03).</summary>
    public const int MaxBundleBytes = 16 * 1024 * 1024;

    /// <summary>A bundle file, refused unread past <see cref="MaxBundleBytes"/>.</summary>
    internal static readonly InputKind FileKind = new("bundle", MaxBundleBytes, "Check that the file is a Sigstore bundle (.sigstore.json).") { TooLargeCode = BundleCodes.TooLarge };

    private static readonly JsonTypeInfo<Bundle> StrictTypeInfo = (JsonTypeInfo<Bundle>)SigstoreJson.Strict.GetTypeInfo(typeof(Bundle));
    private static readonly JsonTypeInfo<Bundle> IndentedTypeInfo = (JsonTypeInfo<Bundle>)SigstoreJson.Indented.GetTypeInfo(typeof(Bundle));

    public static Bundle Parse(ReadOnlySpan<byte> utf8Json)
    {
        if (utf8Json.Length > MaxBundleBytes)
        {
            throw new VerificationException(BundleCodes.TooLarge, $"The bundle is larger than {MaxBundleBytes} bytes. Check that the file is a Sigstore bundle.");
        }

        Bundle? bundle;
        try
        {
            bundle = JsonSerializer.Deserialize(utf8Json, StrictTypeInfo);
        }
        catch (JsonException ex)
        {
            throw new VerificationException(BundleCodes.Malformed, $"The bundle is not valid Sigstore bundle JSON: {ex.Message} Regenerate it with a Sigstore client.", ex);
        }

        if (bundle is null)
        {
            throw new VerificationException(BundleCodes.Malformed, "The bundle is empty (JSON null). Regenerate it with a Sigstore client.");
        }

        BundleShape.Validate(bundle);
        return bundle;
    }

    public static Bundle Parse(string json) => Parse(System.Text.Encoding.UTF8.GetBytes(json));

    public static Bundle Load(string path) => Parse(InputFile.ReadAllBytes(path, FileKind));

    public static byte[] Serialize(Bundle bundle, bool indented = true) =>
        JsonSerializer.SerializeToUtf8Bytes(bundle, indented ? IndentedTypeInfo : StrictTypeInfo);
}
