using System.Buffers.Text;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace SigstoreBuild.Serialization;

/// <summary>proto3 JSON int64: written as a string, read from a string or a number; null is the default, 0.</summary>
internal sealed class ProtoInt64Converter : JsonConverter<long>
{
    public override long Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return 0;
        }

        if (reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var n))
        {
            return n;
        }

        if (reader.TokenType == JsonTokenType.String)
        {
            ReadOnlySpan<byte> span = reader.HasValueSequence ? System.Buffers.BuffersExtensions.ToArray(reader.ValueSequence) : reader.ValueSpan;
            if (Utf8Parser.TryParse(span, out long value, out var consumed) && consumed == span.Length && span.Length > 0)
            {
                return value;
            }
        }

        throw new JsonException("Expected an int64 (a decimal string or number).");
    }

    public override void Write(Utf8JsonWriter writer, long value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value.ToString(CultureInfo.InvariantCulture));
}

/// <summary>proto3 JSON uint32: written as a number, read from a number or a decimal string; null is the default, 0.</summary>
internal sealed class ProtoUInt32Converter : JsonConverter<int>
{
    public override int Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return 0;
        }

        if (reader.TokenType == JsonTokenType.Number && reader.TryGetUInt32(out var n) && n <= int.MaxValue)
        {
            return (int)n;
        }

        if (reader.TokenType == JsonTokenType.String)
        {
            ReadOnlySpan<byte> span = reader.HasValueSequence ? System.Buffers.BuffersExtensions.ToArray(reader.ValueSequence) : reader.ValueSpan;
            if (Utf8Parser.TryParse(span, out uint value, out var consumed) && consumed == span.Length && span.Length > 0 && value <= int.MaxValue)
            {
                return (int)value;
            }
        }

        throw new JsonException("Expected a uint32 (a number or decimal string).");
    }

    public override void Write(Utf8JsonWriter writer, int value, JsonSerializerOptions options) => writer.WriteNumberValue(value);
}

/// <summary>
/// A list whose length is capped while reading, so that a hostile document cannot make the parser materialise
/// thousands of elements (threat model B-03).
/// </summary>
internal sealed class BoundedListConverter<T> : JsonConverter<List<T>>
{
    public const int MaxElements = 32;

    public override List<T> Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            throw new JsonException("Expected an array.");
        }

        var list = new List<T>();
        var elementInfo = options.GetTypeInfo(typeof(T));
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (list.Count == MaxElements)
            {
                throw new JsonException($"Too many elements in an array (more than {MaxElements}).");
            }

            var item = (T?)JsonSerializer.Deserialize(ref reader, elementInfo)
                ?? throw new JsonException("Null array element.");
            list.Add(item);
        }

        return list;
    }

    public override void Write(Utf8JsonWriter writer, List<T> value, JsonSerializerOptions options)
    {
        var elementInfo = options.GetTypeInfo(typeof(T));
        writer.WriteStartArray();
        foreach (var item in value)
        {
            JsonSerializer.Serialize(writer, item, elementInfo);
        }

        writer.WriteEndArray();
    }
}
