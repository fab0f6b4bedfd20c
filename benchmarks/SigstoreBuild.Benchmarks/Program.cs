using BenchmarkDotNet.Running;

// dotnet run -c Release --project benchmarks/SigstoreBuild.Benchmarks -- --filter '*'
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
