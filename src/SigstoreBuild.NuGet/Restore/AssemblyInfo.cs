using System.Runtime.CompilerServices;

[assembly: InternalsVisibleTo("SigstoreBuild.Restore.Tests")]
[assembly: InternalsVisibleTo("SigstoreBuild.Restore.Benchmarks")]
