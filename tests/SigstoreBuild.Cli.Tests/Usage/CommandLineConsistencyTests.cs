using System.CommandLine;
using System.Text.RegularExpressions;
using SigstoreBuild.Cli.Commands;
using SigstoreBuild.Cli.Tests.Infrastructure;

namespace SigstoreBuild.Cli.Tests.Usage;

/// <summary>
/// The command line is consistent across verbs: one output switch, one set of trust options, help text in plain words,
/// and usage errors as a short coded line with a pointer to the verb's help.
/// </summary>
[TestClass]
public sealed partial class CommandLineConsistencyTests
{
    /// <summary>Every verb that verifies or signs, so uses a trust root.</summary>
    private static readonly string[][] TrustVerbs =
    [
        ["verify"], ["verify-bundle"], ["verify-package"], ["verify-packages"], ["verify-image"], ["lock", "update"], ["sign"], ["attest"], ["sign-bundle"], ["monitor"],
    ];

    private static RootCommand Root() => SigstoreCommand.CreateRoot(new CliConsole(TextWriter.Null, TextWriter.Null));

    /// <summary>Every command with its path, e.g. "lock update".</summary>
    private static IEnumerable<(string Path, Command Command)> AllCommands(Command command, string path = "sigstore")
    {
        yield return (path, command);
        foreach (var sub in command.Subcommands)
        {
            foreach (var nested in AllCommands(sub, path + " " + sub.Name))
            {
                yield return nested;
            }
        }
    }

    private static Command Find(RootCommand root, string[] verb) =>
        verb.Aggregate((Command)root, (command, name) => command.Subcommands.Single(c => c.Name == name));

    [TestMethod]
    public void EveryTrustUsingVerb_ParsesEachTrustOption()
    {
        var dir = Directory.CreateTempSubdirectory("ssb-cli-usage-").FullName;
        try
        {
            var file = Path.Combine(dir, "root.json");
            File.WriteAllText(file, "{}");
            string[][] cases =
            [
                ["--staging"], ["--trusted-root", file], ["--tuf-mirror", "https://tuf.example.com", "--tuf-root", file], ["--cache-dir", dir], ["--offline"],
            ];
            foreach (var verb in TrustVerbs)
            {
                foreach (var options in cases)
                {
                    var parse = Root().Parse([.. verb, .. options]);
                    Assert.AreEqual(0, parse.UnmatchedTokens.Count, $"sigstore {string.Join(' ', verb)} does not accept {options[0]}: {string.Join(", ", parse.UnmatchedTokens)}");
                    foreach (var error in parse.Errors)
                    {
                        Assert.IsFalse(error.Message.Contains(options[0], StringComparison.Ordinal) || error.Message.Contains("Unrecognized", StringComparison.Ordinal),
                            $"sigstore {string.Join(' ', verb)} {string.Join(' ', options)}: {error.Message}");
                    }
                }
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [TestMethod]
    public void TrustOptions_AreOneDefinition_OnEveryVerbThatHasAny()
    {
        var root = Root();
        var descriptions = new Dictionary<string, string>(StringComparer.Ordinal);
        var withTrust = new List<string>();
        foreach (var (path, command) in AllCommands(root).Where(c => !c.Path.StartsWith("sigstore trust-root", StringComparison.Ordinal)))
        {
            var trust = command.Options.Where(o => TrustOptions.Names.Contains(o.Name)).ToList();
            if (trust.Count == 0)
            {
                continue;
            }

            withTrust.Add(path);
            CollectionAssert.AreEquivalent(TrustOptions.Names.ToList(), trust.Select(o => o.Name).ToList(), $"{path} has only some trust options");
            foreach (var option in trust)
            {
                Assert.AreEqual(descriptions.GetValueOrDefault(option.Name, option.Description!), option.Description, $"{path} {option.Name} is described differently");
                descriptions[option.Name] = option.Description!;
            }
        }

        CollectionAssert.AreEquivalent(TrustVerbs.Select(v => "sigstore " + string.Join(' ', v)).ToList(), withTrust);
    }

    [TestMethod]
    public void EveryVerbThatPrintsAResult_HasTheOneOutputSwitch()
    {
        var root = Root();
        var outputs = 0;
        foreach (var (path, command) in AllCommands(root).Where(c => c.Command.Action is not null && c.Command is not RootCommand))
        {
            Assert.IsFalse(command.Options.Any(o => o.Name == "--json" || o.Aliases.Contains("--json")), $"{path} still has --json");
            if (path == "sigstore sign-bundle")
            {
                continue; // The conformance protocol's signing verb prints nothing; the bundle file is its result.
            }

            var output = command.Options.SingleOrDefault(o => o.Name == "--output");
            Assert.IsNotNull(output, $"{path} has no --output");
            outputs++;
            Assert.IsTrue(Root().Parse([.. path.Split(' ').Skip(1), "--output", "json"]).Errors.All(e => !e.Message.Contains("--output", StringComparison.Ordinal)), $"{path} refuses --output json");
            Assert.AreEqual("How to print the result: text (default) or json.", output.Description, $"{path} has its own --output");
        }

        Assert.AreEqual(15, outputs, "every verb but sign-bundle prints a result");
    }

    [TestMethod]
    public void HelpText_SaysWhatOptionsDo_WithoutInternalIdentifiers()
    {
        var problems = new List<string>();
        foreach (var (path, command) in AllCommands(Root()))
        {
            Check(path, command.Description);
            foreach (var option in command.Options)
            {
                Check($"{path} {option.Name}", option.Description);
            }

            foreach (var argument in command.Arguments)
            {
                Check($"{path} {argument.Name}", argument.Description);
            }
        }

        Assert.AreEqual(0, problems.Count, string.Join(Environment.NewLine, problems));

        void Check(string where, string? text)
        {
            if (string.IsNullOrWhiteSpace(text))
            {
                problems.Add($"{where}: no description");
                return;
            }

            foreach (var pattern in new[] { ThreatId(), FieldNumber(), Oid(), DoubledWord(), Placeholder() })
            {
                if (pattern.Match(text) is { Success: true } match && !IsOptionAndValueName(match))
                {
                    problems.Add($"{where}: '{match.Value}' in \"{text}\"");
                }
            }
        }
    }

    /// <summary>What the command prints is written in its source: no "(none)" placeholders, no doubled words.</summary>
    [TestMethod]
    public void Messages_InTheCommandSource_HaveNoPlaceholdersOrDoubledWords()
    {
        var source = Path.Combine(SharedAssets.RepoRoot, "src", "SigstoreBuild.Cli");
        if (!Directory.Exists(source))
        {
            Assert.Inconclusive($"The CLI source is not at {source}.");
        }

        var problems = new List<string>();
        foreach (var file in Directory.EnumerateFiles(source, "*.cs", SearchOption.AllDirectories).Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)))
        {
            foreach (Match literal in StringLiteral().Matches(File.ReadAllText(file)))
            {
                foreach (var pattern in new[] { DoubledWord(), Placeholder() })
                {
                    if (pattern.Match(literal.Value) is { Success: true } match && !IsOptionAndValueName(match))
                    {
                        problems.Add($"{Path.GetFileName(file)}: '{match.Value}' in {literal.Value}");
                    }
                }
            }
        }

        Assert.AreEqual(0, problems.Count, string.Join(Environment.NewLine, problems));
    }

    [TestMethod]
    [DataRow("verify --no-such-option", "sigstore verify")]
    [DataRow("verify-package a.nupkg --certificate-identity x", "sigstore verify-package")]
    [DataRow("lock update --project a.csproj --assets b.json", "sigstore lock update")]
    [DataRow("verify a.txt --output yaml --key k.pem", "sigstore verify")]
    [DataRow("no-such-verb", "sigstore")]
    public async Task UsageError_IsAShortCodedLine_AndAPointerToHelp(string commandLine, string verb)
    {
        var run = await CliRunner.RunAsync(commandLine.Split(' '));
        Assert.AreEqual(2, run.ExitCode, run.ToString());
        Assert.AreEqual(string.Empty, run.Output, run.ToString());
        var lines = run.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        StringAssert.StartsWith(lines[0], "error SSB0002: ", run.ToString());
        Assert.AreEqual($"Run '{verb} --help' for usage.", lines[^1], run.ToString());
        Assert.IsTrue(lines.Length <= 4, "the whole help page was printed: " + run);
        Assert.IsFalse(run.Error.Contains("Options:", StringComparison.Ordinal), run.ToString());
    }

    [TestMethod]
    public async Task UsageError_FromAValidatorWithItsOwnCode_KeepsThatCode()
    {
        var run = await CliRunner.RunAsync("verify", "a.txt", "--certificate-oidc-issuer", "https://issuer.example", "--certificate-identity-regexp", "a)|(.*");
        Assert.AreEqual(2, run.ExitCode, run.ToString());
        StringAssert.StartsWith(run.Error, "error SSB3463: ", run.ToString());
        StringAssert.Contains(run.Error, "Run 'sigstore verify --help' for usage.");
    }

    [TestMethod]
    public async Task Help_StillPrintsTheWholePage()
    {
        var run = await CliRunner.RunAsync("verify", "--help");
        Assert.AreEqual(0, run.ExitCode, run.ToString());
        StringAssert.Contains(run.Output, "--output");
        StringAssert.Contains(run.Output, "--exact");
    }

    /// <summary>"--bundle BUNDLE": an option followed by the name of its value is not a doubled word.</summary>
    private static bool IsOptionAndValueName(Match match)
    {
        var words = match.Value.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        return words.Length == 2 && words[0] != words[1] && words[1].All(c => !char.IsLetter(c) || char.IsUpper(c));
    }

    [GeneratedRegex(@"\b[A-Z]{1,2}-?\d{2}\b")]
    private static partial Regex ThreatId();

    [GeneratedRegex(@"\(1\.\d+\)")]
    private static partial Regex FieldNumber();

    [GeneratedRegex(@"\b\d+\.\d+\.\d+\.\d+(\.\d+)*\b|\bOID\b")]
    private static partial Regex Oid();

    [GeneratedRegex(@"\b(\w+)\s+\1\b", RegexOptions.IgnoreCase)]
    private static partial Regex DoubledWord();

    [GeneratedRegex(@"\((none|null|n/a)\)", RegexOptions.IgnoreCase)]
    private static partial Regex Placeholder();

    /// <summary>A C# string literal on one line, verbatim or interpolated included.</summary>
    [GeneratedRegex(@"\$?@?""(?:[^""\\\n]|\\.)*""")]
    private static partial Regex StringLiteral();
}
