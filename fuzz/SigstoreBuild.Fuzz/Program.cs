using System.Diagnostics;
using SharpFuzz;
using SigstoreBuild.Fuzz;

// fuzz/README.md explains the commands; fuzz/run.sh is what normally runs them.
// --trusted-root FILE (repeatable) adds trust roots to check against; see FuzzTargets.ExtraTrustedRoots.
var trustedRoots = new List<string>();
var rest = new List<string>();
for (var i = 0; i < args.Length; i++)
{
    if (args[i] == "--trusted-root" && i + 1 < args.Length)
    {
        trustedRoots.Add(Path.GetFullPath(args[++i]));
    }
    else
    {
        rest.Add(args[i]);
    }
}

FuzzTargets.ExtraTrustedRoots = trustedRoots;
return rest.ToArray() switch
{
    ["list"] => List(),
    ["fuzz", var name] => WithTarget(name, Fuzz),
    ["replay", var name, .. var paths] when paths.Length > 0 => WithTarget(name, target => Replay(target, paths)),
    ["seeds", var output, .. var options] => await WriteSeedsAsync(output, options),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("""
        usage: SigstoreBuild.Fuzz list
               SigstoreBuild.Fuzz fuzz TARGET [--trusted-root FILE]                 (under afl-fuzz: reads each input from it)
               SigstoreBuild.Fuzz replay TARGET [--trusted-root FILE] FILE|DIR...   (runs inputs once each, prints what happened)
               SigstoreBuild.Fuzz seeds OUTDIR [--conformance DIR] [--assets project.assets.json]
        """);
    return 2;
}

static int List()
{
    foreach (var target in FuzzTargets.All)
    {
        Console.WriteLine($"{target.Name,-15} {target.Reads}");
    }

    return 0;
}

static int WithTarget(string name, Func<FuzzTarget, int> run)
{
    if (FuzzTargets.Find(name) is { } target)
    {
        return run(target);
    }

    Console.Error.WriteLine($"Unknown target '{name}'. Targets: {string.Join(", ", FuzzTargets.All.Select(t => t.Name))}");
    return 2;
}

static int Fuzz(FuzzTarget target)
{
    // Instrumented code may only run inside Fuzzer.Run, where the coverage map exists. The first input warms up (loads
    // the trust material, JIT-compiles the common path) so that it is not charged to the allocation bound.
    var warm = false;
    Fuzzer.Run(stream =>
    {
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        try
        {
            if (!warm)
            {
                InputContract.Check(target, []);
                warm = true;
            }

            InputContract.Check(target, buffer.ToArray());
        }
        catch (Exception ex)
        {
            // SharpFuzz reports the crash to afl-fuzz without saying what it was; AFL_DEBUG_CHILD=1 shows this.
            Console.Error.WriteLine(ex);
            throw;
        }
    });
    return 0;
}

static int Replay(FuzzTarget target, string[] paths)
{
    var findings = 0;
    // afl-fuzz leaves a README.txt in its crashes folder.
    var files = paths.SelectMany(p => Directory.Exists(p) ? Directory.EnumerateFiles(p).Where(f => Path.GetFileName(f) != "README.txt").Order(StringComparer.Ordinal) : (IEnumerable<string>)[p]);
    foreach (var file in files)
    {
        var input = File.ReadAllBytes(file);
        var clock = Stopwatch.StartNew();
        string outcome;
        try
        {
            outcome = InputContract.Check(target, input) ?? "ok";
        }
        catch (Exception ex)
        {
            findings++;
            outcome = "FINDING " + ex;
        }

        Console.WriteLine($"{file}: {outcome} ({clock.ElapsedMilliseconds} ms)");
    }

    return findings == 0 ? 0 : 1;
}

static async Task<int> WriteSeedsAsync(string output, string[] options)
{
    string? Option(string name) => options.SkipWhile(o => o != name).Skip(1).FirstOrDefault();
    var seeds = new Seeds(output);
    await seeds.WriteAsync(Option("--conformance"), Option("--assets"), CancellationToken.None);
    Console.WriteLine($"{seeds.Written} seeds in {output}");
    return 0;
}
