using System.Diagnostics;
using System.Globalization;
using FaceOrleans.Benchmarks;
using FaceOrleans.Vision;

namespace FaceOrleans.LoadBenchmark;

/// <summary>The shared pairs with their photos read into memory once, so no run measures the disk.</summary>
internal sealed class Workload
{
    private readonly Dictionary<string, byte[]> _photos;

    private Workload(IReadOnlyList<LabelledPair> pairs, Dictionary<string, byte[]> photos)
    {
        Pairs = pairs;
        _photos = photos;
    }

    public IReadOnlyList<LabelledPair> Pairs { get; }

    public static Workload Load(int? limit)
    {
        var pairs = LabelledPair.ReadCsv(Path.Combine(BenchmarkPaths.FacesDirectory, "pairs.csv"));
        if (limit is { } n)
        {
            pairs = pairs.Take(n).ToArray();
        }

        var photos = pairs.SelectMany(p => new[] { p.ImageA, p.ImageB }).Distinct(StringComparer.Ordinal)
            .ToDictionary(name => name, BenchmarkPaths.ReadPhoto, StringComparer.Ordinal);
        return new Workload(pairs, photos);
    }

    public byte[] Photo(string name) => _photos[name];

    /// <summary><paramref name="count"/> pairs from the <paramref name="start"/>th on, starting over at the end of the list as often as needed.</summary>
    public LabelledPair[] Cycle(int count, int start = 0) => Enumerable.Range(start, count).Select(i => Pairs[i % Pairs.Count]).ToArray();
}

/// <summary>What one run at one concurrency measured.</summary>
internal sealed record RunResult(int Requests, int Failures, TimeSpan Wall, IReadOnlyList<double> LatenciesMs, TimeSpan? Cpu)
{
    public double PerSecond => Requests / Wall.TotalSeconds;

    /// <summary>Several runs of the same target as one: requests, wall and CPU time added, latencies pooled.</summary>
    public static RunResult Sum(IReadOnlyList<RunResult> runs) => new(
        runs.Sum(r => r.Requests), runs.Sum(r => r.Failures), TimeSpan.FromTicks(runs.Sum(r => r.Wall.Ticks)),
        runs.SelectMany(r => r.LatenciesMs).ToArray(), runs.All(r => r.Cpu is not null) ? TimeSpan.FromTicks(runs.Sum(r => r.Cpu!.Value.Ticks)) : null);

    /// <summary>CPU time of the measured process per request, in ms.</summary>
    public double? CpuMsPerRequest => Cpu is { } cpu ? cpu.TotalMilliseconds / Requests : null;

    /// <summary>Share of the machine's cores the measured process kept busy.</summary>
    public double? CpuShare => Cpu is { } cpu ? cpu.TotalSeconds / (Wall.TotalSeconds * Environment.ProcessorCount) : null;

    public double Percentile(double p)
    {
        var sorted = LatenciesMs.Order().ToArray();
        return sorted.Length == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];
    }
}

/// <summary>Runs a request function over the pairs with a fixed number of callers and measures it.</summary>
internal static class Driver
{
    /// <param name="call">One request; false counts as a failure.</param>
    /// <param name="cpu">CPU time of the process doing the work, read before and after.</param>
    public static async Task<RunResult> RunAsync(
        IReadOnlyList<LabelledPair> pairs, int concurrency, Func<LabelledPair, Task<bool>> call, Func<TimeSpan>? cpu)
    {
        var next = -1;
        var failures = 0;
        var latencies = new double[pairs.Count];
        var cpuBefore = cpu?.Invoke();
        var clock = Stopwatch.StartNew();
        var callers = Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
        {
            for (var i = Interlocked.Increment(ref next); i < pairs.Count; i = Interlocked.Increment(ref next))
            {
                var started = Stopwatch.GetTimestamp();
                var ok = await call(pairs[i]);
                latencies[i] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                if (!ok)
                {
                    Interlocked.Increment(ref failures);
                }
            }
        })).ToArray();
        await Task.WhenAll(callers);
        var wall = clock.Elapsed;
        return new RunResult(pairs.Count, failures, wall, latencies, cpu is null ? null : cpu() - cpuBefore);
    }

    public static string Ms(double? value) => value is { } v ? v.ToString("0", CultureInfo.InvariantCulture) : "–";

    public static string Fixed(double? value, string format) => value is { } v ? v.ToString(format, CultureInfo.InvariantCulture) : "–";
}
