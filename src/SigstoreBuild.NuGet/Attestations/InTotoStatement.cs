using System.Text.Json;
using System.Text.Json.Nodes;
using SigstoreBuild.Diagnostics;

namespace SigstoreBuild.NuGet.Attestations;

/// <summary>in-toto Statement v1: writing (deterministic JSON) and strict reading of the fields a verifier relies on.</summary>
public sealed class InTotoStatement
{
    public const string StatementTypeV1 = "https://in-toto.io/Statement/v1";
    public const string PayloadType = "application/vnd.in-toto+json";
    public const int MaxSubjects = 100_000;

    private static readonly JsonDocumentOptions ReadOptions = new() { AllowDuplicateProperties = false, MaxDepth = 64 };

    public InTotoStatement(IReadOnlyList<StatementSubject> subjects, string predicateType, JsonObject? predicate)
    {
        ArgumentNullException.ThrowIfNull(subjects);
        ArgumentException.ThrowIfNullOrEmpty(predicateType);
        Subjects = subjects;
        PredicateType = predicateType;
        Predicate = predicate;
    }

    public IReadOnlyList<StatementSubject> Subjects { get; }

    public string PredicateType { get; }

    public JsonObject? Predicate { get; }

    /// <summary>Compact UTF-8 JSON, subjects in the given order and digests sorted by algorithm.</summary>
    public byte[] ToJson()
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("_type", StatementTypeV1);
            writer.WriteStartArray("subject");
            foreach (var subject in Subjects)
            {
                writer.WriteStartObject();
                writer.WriteString("name", subject.Name);
                writer.WriteStartObject("digest");
                foreach (var (algorithm, value) in subject.Digest.OrderBy(d => d.Key, StringComparer.Ordinal))
                {
                    writer.WriteString(algorithm, value);
                }

                writer.WriteEndObject();
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteString("predicateType", PredicateType);
            if (Predicate is not null)
            {
                writer.WritePropertyName("predicate");
                Predicate.WriteTo(writer);
            }

            writer.WriteEndObject();
        }

        return buffer.ToArray();
    }

    /// <summary>Reads a statement; anything other than a well-formed v1 statement is SSB5411.</summary>
    public static InTotoStatement Parse(ReadOnlyMemory<byte> utf8Json)
    {
        try
        {
            using var document = JsonDocument.Parse(utf8Json, ReadOptions);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw Invalid("it is not a JSON object");
            }

            if (!root.TryGetProperty("_type", out var type) || type.ValueKind != JsonValueKind.String || type.GetString() != StatementTypeV1)
            {
                throw Invalid($"its _type is not {StatementTypeV1}");
            }

            if (!root.TryGetProperty("predicateType", out var predicateType) || predicateType.ValueKind != JsonValueKind.String
                || string.IsNullOrEmpty(predicateType.GetString()))
            {
                throw Invalid("it has no predicateType");
            }

            if (!root.TryGetProperty("subject", out var subjectArray) || subjectArray.ValueKind != JsonValueKind.Array
                || subjectArray.GetArrayLength() == 0)
            {
                throw Invalid("it has no subjects");
            }

            if (subjectArray.GetArrayLength() > MaxSubjects)
            {
                throw Invalid("it has too many subjects");
            }

            var subjects = new List<StatementSubject>();
            foreach (var subject in subjectArray.EnumerateArray())
            {
                subjects.Add(ParseSubject(subject));
            }

            JsonObject? predicate = null;
            if (root.TryGetProperty("predicate", out var predicateElement))
            {
                predicate = predicateElement.ValueKind == JsonValueKind.Object
                    ? JsonObject.Create(predicateElement.Clone())
                    : throw Invalid("its predicate is not an object");
            }

            return new InTotoStatement(subjects, predicateType.GetString()!, predicate);
        }
        catch (JsonException ex)
        {
            throw new SigstoreException(PackageCodes.InvalidStatement, $"The attestation is not valid JSON ({ex.Message}). Re-create it with the signer.", ex);
        }
    }

    private static StatementSubject ParseSubject(JsonElement subject)
    {
        if (subject.ValueKind != JsonValueKind.Object
            || !subject.TryGetProperty("digest", out var digestElement) || digestElement.ValueKind != JsonValueKind.Object)
        {
            throw Invalid("a subject has no digest");
        }

        var name = subject.TryGetProperty("name", out var nameElement) && nameElement.ValueKind == JsonValueKind.String
            ? nameElement.GetString()!
            : string.Empty;
        var digest = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var property in digestElement.EnumerateObject())
        {
            if (property.Value.ValueKind != JsonValueKind.String)
            {
                throw Invalid("a subject digest is not a string");
            }

            digest[property.Name] = property.Value.GetString()!;
        }

        return new StatementSubject(name, digest);
    }

    private static SigstoreException Invalid(string what) =>
        new(PackageCodes.InvalidStatement, $"The attestation is not an in-toto v1 statement: {what}. Re-create it with the signer.");
}
