using System.Text.Json;
using System.Text.Json.Serialization;

namespace SigstoreBuild.Diagnostics;

/// <summary>
/// A coded warning (<c>SSBnnnn</c>) from verification or trust loading, e.g. an Unsafe option was used or the trust root
/// came from the cache offline. The library never logs: the CLI and MSBuild adapters print it under its code.
/// </summary>
[JsonConverter(typeof(VerificationWarningJsonConverter))]
public sealed record VerificationWarning(string Code, string Message)
{
    public override string ToString() => $"{Code}: {Message}";
}

/// <summary>Written as the one string <c>"SSBnnnn: message"</c>, the shape the CLI's JSON output has always had.</summary>
internal sealed class VerificationWarningJsonConverter : JsonConverter<VerificationWarning>
{
    public override VerificationWarning Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        throw new NotSupportedException("Verification warnings are written, never read.");

    public override void Write(Utf8JsonWriter writer, VerificationWarning value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value.ToString());
}
