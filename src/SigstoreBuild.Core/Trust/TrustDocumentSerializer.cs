using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using SigstoreBuild.Diagnostics;
using SigstoreBuild.IO;
using SigstoreBuild.Serialization;

namespace SigstoreBuild.Trust;

/// <summary>Reads <c>trusted_root.json</c> and <c>signing_config.json</c> documents.</summary>
public static class TrustDocumentSerializer
{
    private const int MaxBytes = 4 * 1024 * 1024;

    public static readonly InputKind TrustedRootFile = new("trusted root", MaxBytes, "Check that it is the trusted_root.json of the Sigstore instance.") { Code = TufCodes.InvalidTrustFile };

    internal static readonly InputKind SigningConfigFile = new("signing config", MaxBytes, "Check that it is the signing_config.json (v0.2) of the Sigstore instance.") { Code = TufCodes.InvalidTrustFile };

    internal static TrustedRootDocument ParseTrustedRoot(ReadOnlySpan<byte> utf8Json)
    {
        var doc = Parse<TrustedRootDocument>(utf8Json, BundleCodes.MalformedTrustedRoot, "trusted root");
        if (doc.MediaType is not (TrustedRootDocument.MediaTypeV01 or TrustedRootDocument.MediaTypeV02))
        {
            throw new VerificationException(BundleCodes.MalformedTrustedRoot, $"Unsupported trusted root media type '{doc.MediaType}'. Use a trusted_root.json from a Sigstore TUF repository.");
        }

        return doc;
    }

    internal static SigningConfigDocument ParseSigningConfig(ReadOnlySpan<byte> utf8Json)
    {
        var doc = Parse<SigningConfigDocument>(utf8Json, BundleCodes.MalformedSigningConfig, "signing config");
        if (doc.MediaType != SigningConfigDocument.MediaTypeV02)
        {
            throw new VerificationException(BundleCodes.MalformedSigningConfig, $"Unsupported signing config media type '{doc.MediaType}'. Use a signing_config v0.2 document.");
        }

        return doc;
    }

    internal static byte[] Serialize(TrustedRootDocument document) =>
        JsonSerializer.SerializeToUtf8Bytes(document, (JsonTypeInfo<TrustedRootDocument>)SigstoreJson.Indented.GetTypeInfo(typeof(TrustedRootDocument)));

    internal static byte[] Serialize(SigningConfigDocument document) =>
        JsonSerializer.SerializeToUtf8Bytes(document, (JsonTypeInfo<SigningConfigDocument>)SigstoreJson.Indented.GetTypeInfo(typeof(SigningConfigDocument)));

    private static T Parse<T>(ReadOnlySpan<byte> utf8Json, string code, string what)
        where T : class
    {
        if (utf8Json.Length > MaxBytes)
        {
            throw new VerificationException(code, $"The {what} document is larger than {MaxBytes} bytes.");
        }

        try
        {
            return JsonSerializer.Deserialize(utf8Json, (JsonTypeInfo<T>)SigstoreJson.Tolerant.GetTypeInfo(typeof(T)))
                ?? throw new VerificationException(code, $"The {what} document is empty.");
        }
        catch (JsonException ex)
        {
            throw new VerificationException(code, $"The {what} document is not valid JSON of the expected form: {ex.Message}", ex);
        }
    }
}
