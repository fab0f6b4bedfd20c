using BenchmarkDotNet.Running;
using SigstoreBuild.Benchmarks;

// dotnet run -c Release --project benchmarks/SigstoreBuild.Benchmarks -- --filter '*'
// dotnet run -c Release --project benchmarks/SigstoreBuild.Benchmarks -- --interleaved [rounds]   (Floor/Fresh/Shared, busy machines)
if (args is ["--interleaved", ..])
{
    Interleaved.Run(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 60,
        ["happy-path-v0.3", "happy-path-intoto-in-dsse-v3", "rekor2-happy-path"]);
    return;
}

if (args is ["--steps", ..])
{
    foreach (var name in args.Length > 1 ? args[1..] : ["happy-path-v0.3", "rekor2-happy-path"])
    {
        Steps.Run(name);
    }

    return;
}

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
