using System.Buffers;
using System.Text;
using System.Text.Json;
using SigstoreBuild.Diagnostics;

namespace SigstoreBuild.Tuf;

/// <summary>
/// OLPC canonical JSON as securesystemslib and go-securesystemslib produce it, which is what TUF signatures cover:
/// no whitespace, object keys sorted by code point, strings escaping only <c>"</c> and <c>\</c>, integers only.
/// Computed from the parsed document, so the bytes on the wire can be stored unchanged.
/// </summary>
internal static class CanonicalJson
{
    public static byte[] Serialize(JsonElement element)
    {
        var buffer = new ArrayBufferWriter<byte>(4096);
        Write(element, buffer, depth: 0);
        return buffer.WrittenSpan.ToArray();
    }

    private static void Write(JsonElement element, ArrayBufferWriter<byte> output, int depth)
    {
        if (depth > 64)
        {
            throw Invalid("nesting is deeper than 64 levels");
        }

        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                var properties = new List<JsonProperty>();
                foreach (JsonProperty property in element.EnumerateObject())
                {
                    properties.Add(property);
                }

                properties.Sort((a, b) => CompareCodePoints(a.Name, b.Name));
                for (int i = 1; i < properties.Count; i++)
                {
                    // Duplicate names would let the signed bytes and the parsed value disagree.
                    if (properties[i].Name == properties[i - 1].Name)
                    {
                        throw Invalid($"the object key \"{properties[i].Name}\" appears twice");
                    }
                }

                Append(output, "{");
                for (int i = 0; i < properties.Count; i++)
                {
                    if (i > 0)
                    {
                        Append(output, ",");
                    }

                    WriteString(properties[i].Name, output);
                    Append(output, ":");
                    Write(properties[i].Value, output, depth + 1);
                }

                Append(output, "}");
                break;
            case JsonValueKind.Array:
                Append(output, "[");
                bool first = true;
                foreach (JsonElement item in element.EnumerateArray())
                {
                    if (!first)
                    {
                        Append(output, ",");
                    }

                    first = false;
                    Write(item, output, depth + 1);
                }

                Append(output, "]");
                break;
            case JsonValueKind.String:
                WriteString(element.GetString()!, output);
                break;
            case JsonValueKind.Number:
                if (!element.TryGetInt64(out long number) || !IsPlainInteger(element.GetRawText()))
                {
                    throw Invalid($"the number {element.GetRawText()} is not an integer; canonical JSON allows integers only");
                }

                Append(output, number.ToString(System.Globalization.CultureInfo.InvariantCulture));
                break;
            case JsonValueKind.True:
                Append(output, "true");
                break;
            case JsonValueKind.False:
                Append(output, "false");
                break;
            case JsonValueKind.Null:
                Append(output, "null");
                break;
            default:
                throw Invalid($"unexpected JSON value kind {element.ValueKind}");
        }
    }

    private static void WriteString(string value, ArrayBufferWriter<byte> output)
    {
        var builder = new StringBuilder(value.Length + 2);
        builder.Append('"');
        foreach (char c in value)
        {
            if (c is '"' or '\\')
            {
                builder.Append('\\');
            }

            builder.Append(c);
        }

        builder.Append('"');
        Append(output, builder.ToString());
    }

    private static void Append(ArrayBufferWriter<byte> output, string text)
    {
        int count = Encoding.UTF8.GetByteCount(text);
        Encoding.UTF8.GetBytes(text, output.GetSpan(count));
        output.Advance(count);
    }

    private static bool IsPlainInteger(string raw)
    {
        ReadOnlySpan<char> digits = raw.StartsWith('-') ? raw.AsSpan(1) : raw.AsSpan();
        if (digits.IsEmpty)
        {
            return false;
        }

        foreach (char c in digits)
        {
            if (c is < '0' or > '9')
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Python sorts keys by code point; UTF-16 ordinal order differs above U+FFFF.</summary>
    internal static int CompareCodePoints(string a, string b)
    {
        StringRuneEnumerator left = a.EnumerateRunes();
        StringRuneEnumerator right = b.EnumerateRunes();
        while (true)
        {
            bool hasLeft = left.MoveNext();
            bool hasRight = right.MoveNext();
            if (!hasLeft || !hasRight)
            {
                return hasLeft.CompareTo(hasRight);
            }

            int compared = left.Current.Value.CompareTo(right.Current.Value);
            if (compared != 0)
            {
                return compared;
            }
        }
    }

    private static SigstoreException Invalid(string what)
        => new(TufCodes.InvalidMetadata, $"TUF metadata cannot be put in canonical form: {what}. The repository published malformed metadata; report it to the mirror operator.");
}
