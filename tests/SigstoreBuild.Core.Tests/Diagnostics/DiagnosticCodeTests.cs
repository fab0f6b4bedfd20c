using System.Reflection;
using System.Text.RegularExpressions;

namespace SigstoreBuild.Tests.Diagnostics;

/// <summary>Every SSB code is unique, well-formed and documented in docs/diagnostics/.</summary>
[TestClass]
public sealed partial class DiagnosticCodeTests
{
    private static IEnumerable<(string Owner, string Name, string Code)> AllCodes() =>
        new[] { typeof(SigstoreBuild.Diagnostics.SigstoreException).Assembly }
            .SelectMany(a => a.GetTypes())
            .Where(t => t.Namespace == "SigstoreBuild.Diagnostics" && t.Name.EndsWith("Codes", StringComparison.Ordinal))
            .SelectMany(t => t.GetFields(BindingFlags.Public | BindingFlags.Static)
                .Where(f => f.IsLiteral && f.FieldType == typeof(string))
                .Select(f => (t.Name, f.Name, (string)f.GetRawConstantValue()!)));

    [TestMethod]
    public void Codes_AreWellFormedAndUnique()
    {
        var codes = AllCodes().ToList();
        Assert.IsNotEmpty(codes);
        foreach (var (owner, name, code) in codes)
        {
            Assert.IsTrue(CodePattern().IsMatch(code), $"{owner}.{name} = '{code}' is not SSB followed by four digits.");
        }

        var duplicates = codes.GroupBy(c => c.Code).Where(g => g.Count() > 1).Select(g => $"{g.Key}: {string.Join(", ", g.Select(c => c.Owner + "." + c.Name))}").ToList();
        Assert.IsEmpty(duplicates, "Codes used twice: " + string.Join("; ", duplicates));
    }

    [TestMethod]
    public void Codes_AreDocumented()
    {
        var docs = Path.Combine(RepoRoot(), "docs", "diagnostics");
        var text = string.Concat(Directory.GetFiles(docs, "*.md").Select(File.ReadAllText));
        var missing = AllCodes().Where(c => !text.Contains($"| {c.Code} |", StringComparison.Ordinal)).Select(c => $"{c.Code} ({c.Owner}.{c.Name})").ToList();
        Assert.IsEmpty(missing, "Undocumented codes (add a table row to docs/diagnostics/<area>.md): " + string.Join(", ", missing));
    }

    private static string RepoRoot() => typeof(DiagnosticCodeTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "RepoRoot").Value!;

    [GeneratedRegex("^SSB[0-9]{4}$")]
    private static partial Regex CodePattern();
}
