using System.Reflection;
using System.Text;
using System.Text.RegularExpressions;
using SigstoreBuild.Cli;

namespace SigstoreBuild.NuGet.Tests;

/// <summary>
/// Every hint in a user-facing message works as written: each `sigstore ...` command parses with the real command line
/// (its verb and options exist), and each MSBuild property a message tells the user to set is one the package's targets
/// read. Messages carry no doubled words. The messages are found by scanning the string literals of the sources (and
/// the Text of the targets' errors), so a new message is covered without registering it.
/// </summary>
[TestClass]
public sealed partial class MessageHintTests
{
    private static readonly string[] MessageProjects = ["SigstoreBuild.Core", "SigstoreBuild.NuGet", "SigstoreBuild.Tasks", "SigstoreBuild.Cli"];

    private static string RepoRoot { get; } =
        typeof(MessageHintTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "RepoRoot").Value!;

    /// <summary>Each message text with where it is: string literals of the .cs files, Text="..." of the package's targets.</summary>
    internal static IEnumerable<(string Where, string Text)> Messages()
    {
        foreach (var project in MessageProjects)
        {
            var directory = Path.Combine(RepoRoot, "src", project);
            foreach (var file in Directory.EnumerateFiles(directory, "*.cs", SearchOption.AllDirectories).Where(f => !IsBuildOutput(f)))
            {
                var lines = File.ReadAllLines(file);
                for (var i = 0; i < lines.Length; i++)
                {
                    if (lines[i].TrimStart().StartsWith("//", StringComparison.Ordinal))
                    {
                        continue;
                    }

                    foreach (Match literal in StringLiteral().Matches(lines[i]))
                    {
                        yield return ($"{Path.GetRelativePath(RepoRoot, file)}:{i + 1}", literal.Value[1..^1]);
                    }
                }
            }
        }

        foreach (var file in TargetsFiles())
        {
            foreach (Match text in TargetsText().Matches(File.ReadAllText(file)))
            {
                yield return (Path.GetRelativePath(RepoRoot, file), text.Groups[1].Value);
            }
        }
    }

    /// <summary>The public properties and items the package's props and targets read or define.</summary>
    internal static HashSet<string> PropertiesTheTargetsRead()
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var file in TargetsFiles())
        {
            foreach (Match m in TargetsName().Matches(File.ReadAllText(file)))
            {
                names.Add(m.Groups["name"].Value);
            }
        }

        return names;
    }

    [TestMethod]
    public void SigstoreCommandHints_ParseWithTheRealCommandLine()
    {
        var commands = Messages().SelectMany(m => CommandHint().Matches(m.Text).Select(c => (m.Where, Command: c.Groups[1].Value))).ToList();
        Assert.IsGreaterThanOrEqualTo(5, commands.Count, "the scan found too few `sigstore ...` hints; has the scanner broken?");
        var failures = commands.Select(c => (c.Where, c.Command, Problem: Check(Tokenize(Unescape(c.Command)))))
            .Where(c => c.Problem is not null)
            .Select(c => $"{c.Where}: `sigstore {c.Command}`: {c.Problem}")
            .ToList();
        Assert.IsEmpty(failures, string.Join(Environment.NewLine, failures));
    }

    /// <summary>
    /// Null when the verbs and options of <paramref name="args"/> exist, else why not. Read from the real command's help
    /// for that verb: --help runs nothing, but it also ignores parse errors, so the check reads what the help describes.
    /// </summary>
    internal static string? Check(IReadOnlyList<string> args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exitCode = SigstoreCommand.RunAsync([.. args, "--help"], output, error).GetAwaiter().GetResult();
        var help = output.ToString();
        var usage = help.Split('\n').SkipWhile(l => l.Trim() != "Usage:").Skip(1).FirstOrDefault()?.Trim();
        if (usage is null) // its first word is the host's name: sigstore, or this test assembly
        {
            return $"no help for it (exit {exitCode}): {error}{help}";
        }

        var verbs = usage.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).TakeWhile(w => w[0] is not ('<' or '[')).ToList();
        var words = args.TakeWhile(a => !a.StartsWith('-')).ToList();
        if (!words.Take(verbs.Count).SequenceEqual(verbs, StringComparer.Ordinal))
        {
            return $"the help is for 'sigstore {string.Join(' ', verbs)}'";
        }

        if (words.Count > verbs.Count && !usage.Contains('<', StringComparison.Ordinal))
        {
            return $"'sigstore {string.Join(' ', verbs)}' has no verb or argument '{words[verbs.Count]}'";
        }

        var missing = args.Where(a => a.StartsWith("--", StringComparison.Ordinal) && !Regex.IsMatch(help, $@"(?<![\w-]){Regex.Escape(a)}(?![\w-])")).ToList();
        return missing.Count == 0 ? null : $"'sigstore {string.Join(' ', verbs)}' has no option {string.Join(", ", missing)}";
    }

    [TestMethod]
    [DataRow("trust-root refresh")]
    [DataRow("trust-root update --cache-directory /tmp/x")]
    [DataRow("lock update --no-such-option")]
    public void TheCheck_RejectsAVerbOrOptionThatDoesNotExist(string command) => Assert.IsNotNull(Check(Tokenize(command)));

    [TestMethod]
    [DataRow("lock update")] // SSB5109 and friends: run in the project folder
    [DataRow("trust-root update --cache-dir /tmp/x")]
    [DataRow("verify-package --help")]
    public void TheCheck_AcceptsWhatExists(string command) => Assert.IsNull(Check(Tokenize(command)));

    [TestMethod]
    public void MSBuildPropertyHints_NameWhatTheTargetsRead()
    {
        var known = PropertiesTheTargetsRead();
        Assert.Contains("SigstoreOffline", known, "the scan of the targets found nothing; has the scanner broken?");
        var hints = Messages().SelectMany(m => PropertyHint().Matches(m.Text).Select(p => (m.Where, Name: p.Groups["name"].Value))).ToList();
        Assert.IsGreaterThanOrEqualTo(5, hints.Count, "the scan found too few property hints; has the scanner broken?");
        var unknown = hints.Where(h => !known.Contains(h.Name)).Select(h => $"{h.Where}: {h.Name} is not a property or item of the SigstoreBuild targets").ToList();
        Assert.IsEmpty(unknown, string.Join(Environment.NewLine, unknown));
    }

    [TestMethod]
    public void Messages_HaveNoDoubledWordsOrPlaceholders()
    {
        var problems = new List<string>();
        foreach (var (where, text) in Messages())
        {
            foreach (Match m in DoubledWord().Matches(text))
            {
                // "--root ROOT.json", "--cache-dir DIR": an option and its placeholder value.
                var (first, second) = (m.Groups[1].Value, m.Groups[2].Value);
                if (second.All(char.IsUpper) && !first.All(char.IsUpper))
                {
                    continue;
                }

                problems.Add($"{where}: doubled word \"{m.Value}\"");
            }

            if (text.Contains("(none)", StringComparison.Ordinal))
            {
                problems.Add($"{where}: \"(none)\" placeholder; say what is missing in words");
            }
        }

        Assert.IsEmpty(problems, string.Join(Environment.NewLine, problems));
    }

    [TestMethod]
    [DataRow("a b", new[] { "a", "b" })]
    [DataRow("update --cache-dir \"/tmp/x y\"", new[] { "update", "--cache-dir", "/tmp/x y" })]
    public void Tokenize_SplitsLikeAShell(string line, string[] expected) => CollectionAssert.AreEqual(expected, Tokenize(line));

    private static IEnumerable<string> TargetsFiles() =>
        new[] { "build", "buildMultiTargeting" }
            .Select(d => Path.Combine(RepoRoot, "src", "SigstoreBuild.Tasks", d))
            .Where(Directory.Exists)
            .SelectMany(d => Directory.EnumerateFiles(d, "*.*").Where(f => f.EndsWith(".props", StringComparison.Ordinal) || f.EndsWith(".targets", StringComparison.Ordinal)));

    private static bool IsBuildOutput(string path) =>
        path.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
        || path.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal);

    /// <summary>Source text to what the user reads: escaped quotes, and interpolation holes as a sample value.</summary>
    private static string Unescape(string text) => Hole().Replace(text.Replace("\\\"", "\"", StringComparison.Ordinal), "/tmp/sample");

    /// <summary>Splits a command line as a POSIX shell does for the plain words and double quotes that hints use.</summary>
    internal static List<string> Tokenize(string line)
    {
        var tokens = new List<string>();
        var current = new StringBuilder();
        var (quoted, any) = (false, false);
        foreach (var c in line)
        {
            if (c == '"')
            {
                (quoted, any) = (!quoted, true);
            }
            else if (char.IsWhiteSpace(c) && !quoted)
            {
                if (any)
                {
                    tokens.Add(current.ToString());
                    (current, any) = (new StringBuilder(), false);
                }
            }
            else
            {
                current.Append(c);
                any = true;
            }
        }

        if (any)
        {
            tokens.Add(current.ToString());
        }

        return tokens;
    }

    /// <summary>A C# string literal on one line (regular or interpolated); holes with quotes inside split it, harmlessly.</summary>
    [GeneratedRegex("\"(?:[^\"\\\\\\n]|\\\\.)*\"")]
    private static partial Regex StringLiteral();

    [GeneratedRegex("\\bText=\"([^\"]*)\"")]
    private static partial Regex TargetsText();

    /// <summary>$(Name), @(Name), &lt;Name ... &gt; (a property or item defined), Name="..." (task parameters are not public, but harmless).</summary>
    [GeneratedRegex(@"(?:\$\(|@\(|<)(?<name>Sigstore[A-Z][A-Za-z]*)\b")]
    private static partial Regex TargetsName();

    /// <summary>`sigstore ...` or 'sigstore ...' in a message.</summary>
    [GeneratedRegex("[`']sigstore ([^`']+)[`']")]
    private static partial Regex CommandHint();

    /// <summary>-p:Name=..., Name=value, "set Name", &lt;Name Include=.../&gt;.</summary>
    [GeneratedRegex(@"\b(?<name>Sigstore[A-Z][A-Za-z]*)=|\b[Ss]et (?<name>Sigstore[A-Z][A-Za-z]*)\b|<(?<name>Sigstore[A-Z][A-Za-z]*)[ />]")]
    private static partial Regex PropertyHint();

    [GeneratedRegex(@"\b([A-Za-z]+)\s+(\1)\b", RegexOptions.IgnoreCase)]
    private static partial Regex DoubledWord();

    [GeneratedRegex(@"\{[^{}]*\}")]
    private static partial Regex Hole();
}
