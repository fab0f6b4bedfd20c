using System.Text.Json;
using System.Text.Json.Nodes;
using SigstoreBuild.Diagnostics;
using SigstoreBuild.Serialization;

namespace SigstoreBuild.Attestations;

/// <summary>
/// An in-toto attestation statement: what every signer here writes (v1), and what the verifier reads strictly (v0.1 or
/// v1) from a DSSE payload.
/// </summary>
public sealed class InTotoStatement
{
    public const string TypeV01 = "https://in-toto.io/Statement/v0.1";
    public const string TypeV1 = "https://in-toto.io/Statement/v1";

    /// <summary>The DSSE payload type of a statement.</summary>
    public const string PayloadType = DssePae.InTotoPayloadType;

    /// <summary>
    /// The most subjects a statement may have. A verifier refuses more before reading any, so a hostile bundle cannot
    /// make it match an artifact against an unbounded list (threat model B-03, D-04); a signer refuses more before
    /// signing, so nothing is logged that a verifier would then refuse.
    /// </summary>
    public const int MaxSubjects = 1024;

    private static readonly JsonDocumentOptions StrictOptions = new()
    {
        AllowTrailingCommas = false,
        CommentHandling = JsonCommentHandling.Disallow,
        MaxDepth = 64,
        AllowDuplicateProperties = false,
    };

    /// <summary>A v1 statement to sign. Throws <see cref="SigstoreException"/> (SSB3415) for more than <see cref="MaxSubjects"/> subjects.</summary>
    public InTotoStatement(IReadOnlyList<InTotoSubject> subjects, string predicateType, JsonObject? predicate)
        : this(TypeV1, CheckSubjects(subjects), predicateType, predicate is null ? null : ToElement(predicate))
    {
        ArgumentException.ThrowIfNullOrEmpty(predicateType);
    }

    private InTotoStatement(string type, IReadOnlyList<InTotoSubject> subjects, string predicateType, JsonElement? predicate)
    {
        Type = type;
        Subjects = subjects;
        PredicateType = predicateType;
        Predicate = predicate;
    }

    /// <summary>The statement <c>_type</c>.</summary>
    public string Type { get; }

    public IReadOnlyList<InTotoSubject> Subjects { get; }

    public string PredicateType { get; }

    /// <summary>The predicate (a detached copy), if present.</summary>
    public JsonElement? Predicate { get; }

    /// <summary>The same statement about other subjects.</summary>
    public InTotoStatement WithSubjects(IReadOnlyList<InTotoSubject> subjects) => new(Type, CheckSubjects(subjects), PredicateType, Predicate);

    /// <summary>Compact UTF-8 JSON: subjects in their order, each subject's digests sorted by algorithm.</summary>
    public byte[] ToJson()
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("_type", Type);
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
            if (Predicate is { } predicate)
            {
                writer.WritePropertyName("predicate");
                predicate.WriteTo(writer);
            }

            writer.WriteEndObject();
        }

        return buffer.ToArray();
    }

    /// <summary>Parses a statement; throws <see cref="VerificationException"/> for anything but a well-formed v0.1/v1 statement.</summary>
    public static InTotoStatement Parse(ReadOnlySpan<byte> utf8Json)
    {
        JsonDocument document;
        try
        {
            document = UntrustedJson.Parse(utf8Json.ToArray(), StrictOptions);
        }
        catch (JsonException ex)
        {
            throw Malformed($"it is not valid JSON ({ex.Message})", ex);
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw Malformed("it is not a JSON object");
            }

            var type = RequiredString(root, "_type");
            if (type is not (TypeV01 or TypeV1))
            {
                throw new VerificationException(AttestationCodes.UnsupportedStatementType, $"The in-toto statement type '{type}' is not supported. Use an in-toto Statement v0.1 or v1.");
            }

            var predicateType = RequiredString(root, "predicateType");
            if (predicateType.Length == 0)
            {
                throw Malformed("its predicateType is empty");
            }

            if (!root.TryGetProperty("subject", out var subjectArray) || subjectArray.ValueKind != JsonValueKind.Array)
            {
                throw Malformed("it has no subject array");
            }

            var count = subjectArray.GetArrayLength();
            if (count == 0)
            {
                throw Malformed("its subject array is empty");
            }

            if (count > MaxSubjects)
            {
                throw new VerificationException(AttestationCodes.TooManySubjects, $"The in-toto statement has {count} subjects, more than the {MaxSubjects} allowed. Split the attestation.");
            }

            var subjects = new List<InTotoSubject>(count);
            foreach (var subject in subjectArray.EnumerateArray())
            {
                subjects.Add(ReadSubject(subject));
            }

            JsonElement? predicate = null;
            if (root.TryGetProperty("predicate", out var p))
            {
                if (p.ValueKind is not (JsonValueKind.Object or JsonValueKind.Null))
                {
                    throw Malformed("its predicate is not an object");
                }

                predicate = p.Clone();
            }

            return new InTotoStatement(type, subjects, predicateType, predicate);
        }
    }

    private static IReadOnlyList<InTotoSubject> CheckSubjects(IReadOnlyList<InTotoSubject> subjects)
    {
        ArgumentNullException.ThrowIfNull(subjects);
        if (subjects.Count == 0)
        {
            throw new ArgumentException("A statement needs at least one subject.", nameof(subjects));
        }

        if (subjects.Count > MaxSubjects)
        {
            throw new SigstoreException(AttestationCodes.TooManySubjects, $"The statement would have {subjects.Count} subjects, more than the {MaxSubjects} a verifier accepts. Attest fewer files per statement.");
        }

        return subjects;
    }

    private static JsonElement ToElement(JsonObject predicate)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            predicate.WriteTo(writer);
        }

        using var document = JsonDocument.Parse(buffer.ToArray());
        return document.RootElement.Clone();
    }

    private static InTotoSubject ReadSubject(JsonElement subject)
    {
        if (subject.ValueKind != JsonValueKind.Object)
        {
            throw Malformed("a subject is not an object");
        }

        var name = string.Empty;
        if (subject.TryGetProperty("name", out var n))
        {
            name = n.ValueKind == JsonValueKind.String ? n.GetString()! : throw Malformed("a subject name is not a string");
        }

        if (!subject.TryGetProperty("digest", out var digest) || digest.ValueKind != JsonValueKind.Object)
        {
            throw Malformed("a subject has no digest object");
        }

        var digests = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var entry in digest.EnumerateObject())
        {
            if (entry.Value.ValueKind != JsonValueKind.String)
            {
                throw Malformed($"the subject digest '{entry.Name}' is not a string");
            }

            var value = entry.Value.GetString()!;
            if (ExpectedHexLength(entry.Name) is { } length && !IsLowerHex(value, length))
            {
                // An approved algorithm with a value we would never produce is a sign of confusion, not a mere non-match.
                throw Malformed($"the subject digest '{entry.Name}' is not {length} lowercase hex characters");
            }

            digests.Add(entry.Name, value);
        }

        if (digests.Count == 0)
        {
            throw Malformed("a subject has an empty digest set");
        }

        return new InTotoSubject(name, digests);
    }

    /// <summary>The hex length for the digest algorithms subjects may be matched by; null for any other algorithm.</summary>
    internal static int? ExpectedHexLength(string algorithm) => algorithm switch
    {
        "sha256" => 64,
        "sha384" => 96,
        "sha512" => 128,
        _ => null,
    };

    private static bool IsLowerHex(string value, int length)
    {
        if (value.Length != length)
        {
            return false;
        }

        foreach (var c in value)
        {
            if (!char.IsAsciiDigit(c) && c is not (>= 'a' and <= 'f'))
            {
                return false;
            }
        }

        return true;
    }

    private static string RequiredString(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()!
            : throw Malformed($"it has no string '{name}'");

    private static VerificationException Malformed(string why, Exception? inner = null) =>
        new(AttestationCodes.MalformedStatement, $"The DSSE payload is not a well-formed in-toto statement: {why}. Regenerate the attestation.", inner);
}

/// <summary>One subject of an in-toto statement: its name (empty when the statement gives none) and its digests by algorithm (lowercase hex).</summary>
public sealed record InTotoSubject(string Name, IReadOnlyDictionary<string, string> Digest);
