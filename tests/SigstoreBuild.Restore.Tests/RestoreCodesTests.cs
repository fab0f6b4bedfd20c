using System.Reflection;
using SigstoreBuild.NuGet.Restore;

namespace SigstoreBuild.Restore.Tests;

[TestClass]
public sealed class RestoreCodesTests
{
    private static IEnumerable<string> Errors() => typeof(RestoreCodes).GetFields(BindingFlags.Public | BindingFlags.Static)
        .Where(f => f.IsLiteral && f.FieldType == typeof(string)).Select(f => (string)f.GetRawConstantValue()!);

    [TestMethod]
    public void EveryCodeAndItsAuditWarningIsDocumented()
    {
        var root = typeof(RestoreCodesTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "RepoRoot").Value!;
        var text = File.ReadAllText(Path.Combine(root, "docs", "diagnostics", "restore.md"));
        var codes = Errors().ToList();
        Assert.HasCount(codes.Count, codes.Distinct());
        foreach (var code in codes)
        {
            Assert.IsTrue(code.StartsWith("SSB5", StringComparison.Ordinal) && code.Length == 7, code);
            var number = int.Parse(code.AsSpan(3), System.Globalization.CultureInfo.InvariantCulture);
            Assert.IsTrue(number is (>= 5100 and <= 5499) or (>= 5600 and <= 5999), $"{code} is outside the restore ranges.");
            StringAssert.Contains(text, $"| {code} |");
            var audit = RestoreCodes.ToAuditWarning(code);
            if (number < 5500 && code is not (RestoreCodes.PolicyInvalid or RestoreCodes.AssetsFileInvalid or RestoreCodes.PreviousVerificationFailed or RestoreCodes.LockFileInvalid or RestoreCodes.SourceInvalid or RestoreCodes.TrustConfigurationInvalid or RestoreCodes.TrustedKeyUnreadable))
            {
                StringAssert.Contains(text, $"| {audit} |", $"The audit warning of {code} is not documented.");
            }
        }
    }
}
