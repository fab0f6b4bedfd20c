using System.Diagnostics;
using System.Globalization;

namespace SigstoreBuild.Benchmarks;

/// <summary>
/// Floor, Fresh, CachedFloor and Shared of <see cref="VerificationBenchmarks"/> timed in interleaved rounds (the order rotates each
/// round), so that load from other processes hits all three alike. Reports the median per method and the median of the
/// per-round ratios Fresh/Floor and Shared/CachedFloor: on a busy machine these are steadier than BenchmarkDotNet's one-method-after-another runs.
/// </summary>
internal static class Interleaved
{
    public static void Run(int rounds, string[] cases)
    {
        Console.WriteLine($"interleaved: {rounds} rounds of ~20 ms per method; load {File.ReadAllText("/proc/loadavg").Trim()}");
        Console.WriteLine();
        Console.WriteLine("| Case | Floor (us) | Fresh (us) | CachedFloor (us) | Shared (us) | Fresh/Floor | Shared/CachedFloor |");
        Console.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var name in cases)
        {
            var bench = new VerificationBenchmarks { Case = name };
            bench.Setup();
            Action[] methods = [() => bench.Floor(), () => bench.Fresh(), () => bench.CachedFloor(), () => bench.Shared()];
            var batch = methods.Select(Calibrate).ToArray();
            var times = methods.Select(_ => new List<double>()).ToArray();
            for (var round = 0; round < rounds; round++)
            {
                for (var k = 0; k < methods.Length; k++)
                {
                    var m = (k + round) % methods.Length;
                    times[m].Add(Time(methods[m], batch[m]));
                }
            }

            var fresh = Median(times[1].Zip(times[0], (a, b) => a / b));
            var shared = Median(times[3].Zip(times[2], (a, b) => a / b));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {name} | {Median(times[0]):F0} | {Median(times[1]):F0} | {Median(times[2]):F0} | {Median(times[3]):F0} | {fresh:F2} | {shared:F2} |"));
        }

        Console.WriteLine();
        Console.WriteLine($"load after: {File.ReadAllText("/proc/loadavg").Trim()}");
    }

    private static int Calibrate(Action method)
    {
        for (var i = 0; i < 50; i++)
        {
            method(); // warm up (tiered JIT)
        }

        var n = 1;
        while (Time(method, n) * n < 20_000)
        {
            n *= 2;
        }

        return n;
    }

    /// <returns>Microseconds per call.</returns>
    private static double Time(Action method, int n)
    {
        var start = Stopwatch.GetTimestamp();
        for (var i = 0; i < n; i++)
        {
            method();
        }

        return Stopwatch.GetElapsedTime(start).TotalMicroseconds / n;
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }
}

/// <summary>Median microseconds of the sub-steps of one verification (--steps), to find non-crypto cost.</summary>
internal static class Steps
{
    public static void Run(string name)
    {
        var s = new VerificationStepBenchmarks { Case = name };
        s.Setup();
        var parts = s.Parts().ToList();
        for (var warm = 0; warm < 2; warm++)
        {
            // Long enough for tiered compilation to reach tier 1 before anything is timed.
            foreach (var (_, action) in parts)
            {
                for (var i = 0; i < 200; i++)
                {
                    action();
                }
            }

            Thread.Sleep(300);
        }

        foreach (var (label, action) in parts)
        {

            var samples = new List<double>();
            for (var r = 0; r < 15; r++)
            {
                var start = System.Diagnostics.Stopwatch.GetTimestamp();
                for (var i = 0; i < 20; i++)
                {
                    action();
                }

                samples.Add(System.Diagnostics.Stopwatch.GetElapsedTime(start).TotalMicroseconds / 20);
            }

            samples.Sort();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name,-30} {label,-28} {samples[samples.Count / 2],9:F1} us (min {samples[0]:F1})"));
        }
    }
}
