using System.Text.Json;
using SigstoreBuild.Diagnostics;

namespace SigstoreBuild.Attestations;

/// <summary>An in-toto attestation statement (v0.1 or v1), read strictly from a DSSE payload.</summary>
public sealed class InTotoStatement
{
    public const string TypeV01 = "https://in-toto.io/Statement/v0.1";
    public const string TypeV1 = "https://in-toto.io/Statement/v1";

    /// <summary>More subjects than this are refused before they are read (threat model B-03, D-04).</summary>
    public const int MaxSubjects = 1024;

    private static readonly JsonDocumentOptions StrictOptions = new()
    {
        AllowTrailingCommas = false,
        CommentHandling = JsonCommentHandling.Disallow,
        MaxDepth = 64,
        AllowDuplicateProperties = false,
    };

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

    /// <summary>The predicate as parsed (a detached copy), if present.</summary>
    public JsonElement? Predicate { get; }

    /// <summary>Parses a statement; throws <see cref="VerificationException"/> for anything but a well-formed v0.1/v1 statement.</summary>
    public static InTotoStatement Parse(ReadOnlySpan<byte> utf8Json)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(utf8Json.ToArray(), StrictOptions);
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

    private static InTotoSubject ReadSubject(JsonElement subject)
    {
        if (subject.ValueKind != JsonValueKind.Object)
        {
            throw Malformed("a subject is not an object");
        }

        string? name = null;
        if (subject.TryGetProperty("name", out var n))
        {
            name = n.ValueKind == JsonValueKind.String ? n.GetString() : throw Malformed("a subject name is not a string");
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

/// <summary>One subject of an in-toto statement: an optional name and its digests by algorithm (lowercase hex).</summary>
public sealed record InTotoSubject(string? Name, IReadOnlyDictionary<string, string> Digest);
