using System.Text.Json;
using SigstoreBuild.Attestations;
using SigstoreBuild.Bundles;
using SigstoreBuild.Diagnostics;

namespace SigstoreBuild.Tasks;

/// <summary>
/// Incrementality by digest: an existing bundle whose statement already names exactly these subjects is kept. This only
/// saves work (the bundle is not trusted for anything); a stale or unreadable bundle is simply signed again.
/// </summary>
internal static class BundleFreshness
{
    public static bool IsUpToDate(string bundlePath, IReadOnlyList<InTotoSubject> subjects, string? predicateType = null, JsonElement? predicate = null) =>
        File.Exists(bundlePath) && IsUpToDate(() => BundleSerializer.Load(bundlePath), subjects, predicateType, predicate);

    public static bool IsUpToDate(byte[] bundleJson, IReadOnlyList<InTotoSubject> subjects, string? predicateType = null, JsonElement? predicate = null) =>
        IsUpToDate(() => BundleSerializer.Parse(bundleJson), subjects, predicateType, predicate);

    /// <summary>With <paramref name="predicate"/>, the signed predicate must also be that JSON (compared as JSON, not bytes).</summary>
    private static bool IsUpToDate(Func<Bundle> read, IReadOnlyList<InTotoSubject> subjects, string? predicateType, JsonElement? predicate)
    {
        try
        {
            if (read().DsseEnvelope?.Payload is not { } payload)
            {
                return false;
            }

            var parsed = InTotoStatement.Parse(payload);
            if (predicateType is not null && parsed.PredicateType != predicateType)
            {
                return false;
            }

            if (predicate is { } expected && (parsed.Predicate is not { } actual || !JsonElement.DeepEquals(expected, actual)))
            {
                return false;
            }

            var existing = parsed.Subjects;
            return existing.Count == subjects.Count && existing.Zip(subjects).All(pair =>
                pair.First.Name == pair.Second.Name
                && pair.First.Digest.Count == pair.Second.Digest.Count
                && pair.Second.Digest.All(d => pair.First.Digest.TryGetValue(d.Key, out var v) && v == d.Value));
        }
        catch (Exception ex) when (ex is SigstoreException or JsonException or IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}
