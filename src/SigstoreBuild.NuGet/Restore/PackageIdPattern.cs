using System.Text.RegularExpressions;
using SigstoreBuild.Diagnostics;

namespace SigstoreBuild.NuGet.Restore;

/// <summary>
/// A package ID glob: case-insensitive (like NuGet IDs), matches the whole ID, '*' stands for any run of characters.
/// The most specific pattern wins, as in package source mapping: an exact ID beats any glob, a longer literal part
/// beats a shorter one.
/// </summary>
public sealed class PackageIdPattern : IEquatable<PackageIdPattern>
{
    private readonly Regex _regex;

    private PackageIdPattern(string text)
    {
        Text = text;
        var literal = text.Count(c => c != '*');
        Specificity = text.Contains('*', StringComparison.Ordinal) ? literal : 100_000 + literal;
        var body = string.Join(".*", text.Split('*').Select(Regex.Escape));
        _regex = new Regex(@"\A(?:" + body + @")\z", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant | RegexOptions.NonBacktracking);
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

    public bool IsMatch(string packageId) => _regex.IsMatch(packageId);

    public bool Equals(PackageIdPattern? other) => other is not null && string.Equals(Text, other.Text, StringComparison.OrdinalIgnoreCase);

    public override bool Equals(object? obj) => Equals(obj as PackageIdPattern);

    public override int GetHashCode() => StringComparer.OrdinalIgnoreCase.GetHashCode(Text);

    public override string ToString() => Text;
}
