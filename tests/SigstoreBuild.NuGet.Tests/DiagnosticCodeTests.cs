using System.Reflection;
using System.Text.RegularExpressions;
using SigstoreBuild.Diagnostics;

namespace SigstoreBuild.NuGet.Tests;

/// <summary>The package and task codes are well-formed, unique, in their documented ranges and documented.</summary>
[TestClass]
public sealed partial class DiagnosticCodeTests
{
    private static IEnumerable<(string Name, string Code)> Codes() =>
        new[] { typeof(PackageCodes), typeof(TaskCodes) }
            .SelectMany(t => t.GetFields(BindingFlags.Public | BindingFlags.Static)
                .Where(f => f.IsLiteral && f.FieldType == typeof(string))
                .Select(f => ($"{t.Name}.{f.Name}", (string)f.GetRawConstantValue()!)));

    [TestMethod]
    public void Codes_AreUniqueInRangeAndDocumented()
    {
        var codes = Codes().ToList();
        Assert.IsNotEmpty(codes);
        Assert.AreEqual(codes.Count, codes.Select(c => c.Code).Distinct().Count(), "duplicate codes");
        var docs = File.ReadAllText(Path.Combine(RepoRoot(), "docs", "diagnostics", "packaging.md"));
        foreach (var (name, code) in codes)
        {
            Assert.IsTrue(Range().IsMatch(code), $"{name} = {code} is outside SSB54xx/SSB04xx/SSB09xx");
            Assert.Contains($"| {code} |", docs, $"{name} = {code} is not documented in docs/diagnostics/packaging.md");
        }
    }

    private static string RepoRoot() =>
        typeof(DiagnosticCodeTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "RepoRoot").Value!;

    [GeneratedRegex("^SSB(54|04|09)[0-9]{2}$")]
    private static partial Regex Range();
}
