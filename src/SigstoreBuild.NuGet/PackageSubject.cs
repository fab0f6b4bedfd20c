using NuGet.Versioning;

namespace SigstoreBuild.NuGet;

/// <summary>The in-toto subject name of a package: the package URL <c>pkg:nuget/&lt;id&gt;@&lt;normalised version&gt;</c>.</summary>
internal static class PackageSubject
{
    public const string Prefix = "pkg:nuget/";

    public static string Name(string id, NuGetVersion version)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        ArgumentNullException.ThrowIfNull(version);
        return $"{Prefix}{Uri.EscapeDataString(id)}@{Uri.EscapeDataString(version.ToNormalizedString())}";
    }

    /// <summary>
    /// True when <paramref name="subjectName"/> names exactly this package: ids compare as NuGet compares them (case-insensitively),
    /// versions by NuGet version equality after normalisation; nothing else may follow (no qualifiers or subpath).
    /// </summary>
    public static bool Matches(string subjectName, string id, NuGetVersion version)
    {
        if (!subjectName.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return false;
        }

        var rest = subjectName[Prefix.Length..];
        var at = rest.LastIndexOf('@');
        if (at <= 0 || rest.IndexOfAny(['?', '#', '/']) >= 0)
        {
            return false;
        }

        var subjectId = Uri.UnescapeDataString(rest[..at]);
        var versionText = Uri.UnescapeDataString(rest[(at + 1)..]);
        return string.Equals(subjectId, id, StringComparison.OrdinalIgnoreCase)
            && NuGetVersion.TryParseStrict(versionText, out var subjectVersion)
            && string.Equals(subjectVersion.ToNormalizedString(), versionText, StringComparison.Ordinal)
            && VersionComparer.Default.Equals(subjectVersion, version);
    }
}
