using System.Text.Json;
using System.Text.Unicode;

namespace SigstoreBuild.Serialization;

/// <summary>
/// Builds a <see cref="JsonDocument"/> from bytes that came from outside. System.Text.Json builds a document over a string
/// value that is invalid UTF-8, or that escapes a lone surrogate (<c>"\ud800"</c>), and only fails when that string is read,
/// with an InvalidOperationException that no parser expects. Here such text is refused up front, as the
/// <see cref="JsonException"/> every caller already turns into its own coded error.
/// </summary>
internal static class UntrustedJson
{
    public static JsonDocument Parse(ReadOnlyMemory<byte> utf8Json, JsonDocumentOptions options)
    {
        RequireValidText(utf8Json.Span, options);
        return JsonDocument.Parse(utf8Json, options);
    }

    private static void RequireValidText(ReadOnlySpan<byte> utf8Json, JsonDocumentOptions options)
    {
        if (!Utf8.IsValid(utf8Json))
        {
            throw new JsonException("The JSON text is not valid UTF-8.");
        }

        var reader = new Utf8JsonReader(utf8Json, new JsonReaderOptions
        {
            MaxDepth = options.MaxDepth,
            CommentHandling = options.CommentHandling,
            AllowTrailingCommas = options.AllowTrailingCommas,
        });
        while (reader.Read())
        {
            if (reader.TokenType is JsonTokenType.String or JsonTokenType.PropertyName && reader.ValueIsEscaped)
            {
                try
                {
                    _ = reader.GetString();
                }
                catch (InvalidOperationException ex)
                {
                    throw new JsonException("The JSON text escapes an invalid UTF-16 sequence (a lone surrogate).", ex);
                }
            }
        }
    }
}
