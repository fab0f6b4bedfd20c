using SigstoreBuild.Diagnostics;

namespace SigstoreBuild.NuGet.Restore;

/// <summary>
/// A package ID glob: case-insensitive (like NuGet IDs), matches the whole ID, '*' stands for any run of characters.
/// The most specific pattern wins, as in package source mapping: an exact ID beats any glob, a longer literal part
/// beats a shorter one. Matched without a regex engine: building the first regex in a fresh MSBuild node cost ~50 ms, more
/// than the rest of a build in which every package is a cache hit.
/// </summary>
public sealed class PackageIdPattern : IEquatable<PackageIdPattern>
{
    private PackageIdPattern(string text)
    {
        Text = text;
        var literal = text.Count(c => c != '*');
        Specificity = text.Contains('*', StringComparison.Ordinal) ? literal : 100_000 + literal;
    }

    public string Text { get; }

    /// <summary>Higher is more specific.</summary>
    public int Specificity { get; }

    public static PackageIdPattern Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var trimmed = text.Trim();
        if (trimmed.Length == 0 || trimmed.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_' or '*')))
        {
            throw new SigstoreException(RestoreCodes.PolicyInvalid, $"'{text}' is not a package ID pattern. Use a package ID, optionally with '*' wildcards (e.g. 'Contoso.*').");
        }

        return new PackageIdPattern(trimmed);
    }

    /// <summary>
    /// The whole ID against the pattern, ASCII letters case-insensitively, anything else exactly. Wildcard matching that
    /// backtracks only to the last '*': at most pattern length x ID length steps.
    /// </summary>
    public bool IsMatch(string packageId)
    {
        ArgumentNullException.ThrowIfNull(packageId);
        var pattern = Text;
        int p = 0, s = 0, star = -1, resume = 0;
        while (s < packageId.Length)
        {
            if (p < pattern.Length && pattern[p] == '*')
            {
                star = p++;
                resume = s;
            }
            else if (p < pattern.Length && SameIgnoringAsciiCase(pattern[p], packageId[s]))
            {
                p++;
                s++;
            }
            else if (star >= 0)
            {
                p = star + 1;
                s = ++resume;
            }
            else
            {
                return false;
            }
        }

        while (p < pattern.Length && pattern[p] == '*')
        {
            p++;
        }

        return p == pattern.Length;
    }

    private static bool SameIgnoringAsciiCase(char a, char b) => a == b || (char.IsAsciiLetter(a) && (a | 0x20) == (b | 0x20));

    public bool Equals(PackageIdPattern? other) => other is not null && string.Equals(Text, other.Text, StringComparison.OrdinalIgnoreCase);

    public override bool Equals(object? obj) => Equals(obj as PackageIdPattern);

    public override int GetHashCode() => StringComparer.OrdinalIgnoreCase.GetHashCode(Text);

    public override string ToString() => Text;
}
