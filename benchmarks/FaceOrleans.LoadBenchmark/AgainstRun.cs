using FaceOrleans.Vision;
using System.Globalization;

namespace FaceOrleans.LoadBenchmark;

/// <summary>One thing the same pairs are run against: a service over HTTP or the pipeline in this process.</summary>
/// <param name="Cpu">CPU time of the process(es) doing the work, when this tool can read it.</param>
/// <param name="Failures">" (503: 2)" since the last call; empty when none or not by status.</param>
/// <param name="ClientCpu">
/// This tool's own CPU time where it is only the client (the HTTP targets): it shares the machine's cores with the
/// service, which the in-process pipeline's callers do not pay, so a ratio to raw includes it. Null for raw.
/// </param>
internal sealed record CompareTarget(
    string Name, Func<LabelledPair, Task<bool>> Call, Func<TimeSpan>? Cpu, DecisionTally Decisions, Func<string> Failures, Func<TimeSpan>? ClientCpu = null);

/// <summary>
/// A further FaceOrleans service started beside the first: its name, extra arguments, environment, and optionally
/// another build of the API (e.g. the commit before a change, for a before/after ratio in one run).
/// </summary>
internal sealed record ServiceVariant(string Name, IReadOnlyList<string> Arguments, IReadOnlyDictionary<string, string> Environment, string? ApiAssembly)
{
    private const string ApiPrefix = "api=";

    /// <summary>
    /// "NAME --FaceOrleans:Slice:ConcurrentCalls=3 DOTNET_gcServer=0 api=/tmp/before/Api/bin/Release/net10.0/FaceOrleans.Api.dll":
    /// arguments start with --, api= names the embedded default's assembly (FaceOrleans.Silo.dll, or an older build's FaceOrleans.Api.dll), the rest are environment variables.
    /// </summary>
    public static ServiceVariant Parse(string text)
    {
        var parts = text.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var arguments = parts.Skip(1).Where(p => p.StartsWith("--", StringComparison.Ordinal)).ToArray();
        var api = parts.Skip(1).FirstOrDefault(p => p.StartsWith(ApiPrefix, StringComparison.Ordinal))?[ApiPrefix.Length..];
        var environment = parts.Skip(1).Where(p => !p.StartsWith("--", StringComparison.Ordinal) && !p.StartsWith(ApiPrefix, StringComparison.Ordinal))
            .Select(p => p.Split('=', 2) is [{ Length: > 0 } name, var value] ? (name, value) : throw new FormatException(
                $"--variant \"{text}\": '{p}' is neither an --argument, a VAR=value nor api=PATH (a variant's name is its first word)"))
            .ToDictionary(p => p.name, p => p.value, StringComparer.Ordinal);
        return new ServiceVariant(parts[0], arguments, environment, api is null ? null : Path.GetFullPath(api));
    }
}

/// <summary>
/// The same pairs, with the same client, against several targets in one run: FaceOrleans over HTTP (the service this
/// tool started or reached), each <c>--variant</c> of it, a second service (<c>--against</c>), and the pipeline in
/// this process at its best (<see cref="RawPipeline"/>). Level by level, the targets run one after the other, the order
/// reversed each round, so machine noise hits them alike; each row gives its ratio to the first target.
/// </summary>
internal sealed class AgainstRun(LoadSettings settings, Workload workload, ApiProcess? service, CompareClient faceOrleans)
{
    /// <summary>
    /// Compares per target before measuring, unless <c>--warmup N</c> says otherwise: enough for the per-request methods
    /// to pass tiered compilation's call counts (30) several times over, so their re-compilation happens here rather
    /// than in the first level. A started service still compiles 1-2 % of its CPU's worth for a minute more under load
    /// (perf, issue 22); <c>--warmup 520</c> (every pair once) measures it nearer its steady state.
    /// </summary>
    private const int DefaultWarmup = 120;

    /// <summary>
    /// A .NET process keeps re-compiling its hot methods (tiered compilation, on its own thread) for a minute or more
    /// after its first requests: 9 % of a core for the started service, more than its idle cost. After the warm-up a
    /// target is measured once its process idles under this share of one core, so the first level does not pay for it.
    /// </summary>
    private const double SettledShare = 0.03;

    private static readonly TimeSpan SettleWindow = TimeSpan.FromSeconds(3);

    private static readonly TimeSpan SettleLimit = TimeSpan.FromSeconds(120);

    public async Task<int> RunAsync()
    {
        var owned = new List<IDisposable>();
        try
        {
            var targets = new List<CompareTarget>
            {
                Http("FaceOrleans HTTP", faceOrleans, service is null ? null : () => service.Cpu),
            };
            foreach (var variant in settings.Variants)
            {
                var started = await ApiProcess.StartAsync(settings.Tenant, settings.Levels.Max() * 2,
                    settings.ServiceArguments.Concat(variant.Arguments), variant.Environment, variant.ApiAssembly);
                owned.Add(started);
                var client = new CompareClient(started.Url, $"v1/{settings.Tenant}/compare", started.Key, settings.Levels.Max(), workload);
                owned.Add(client);
                targets.Add(Http($"FaceOrleans HTTP, {variant.Name}", client, () => started.Cpu));
            }

            if (settings.Against is { } against)
            {
                targets.Add(await AgainstAsync(against, owned));
            }

            if (!settings.HttpOnly)
            {
                var raw = new RawPipeline(workload, settings.ServiceArguments);
                owned.Add(raw);
                targets.Add(new CompareTarget("in-process pipeline (raw)", raw.CompareAsync, ProcessTreeCpu.ThisProcess, raw.Decisions, () => ""));
            }

            return await MeasureAsync(workload, targets, settings.Levels, settings.Rounds, Describe(targets), settings.Warmup);
        }
        finally
        {
            foreach (var disposable in Enumerable.Reverse(owned))
            {
                disposable.Dispose();
            }
        }
    }

    /// <summary>Warms every target up, then prints one row per level and target, with the ratio to the first target.</summary>
    public static async Task<int> MeasureAsync(Workload workload, IReadOnlyList<CompareTarget> targets, IReadOnlyList<int> levels, int rounds, string header, int? warmupCompares)
    {
        var warmupPairs = warmupCompares ?? DefaultWarmup;
        foreach (var target in targets)
        {
            var pairs = workload.Cycle(warmupPairs);
            var warmup = await Driver.RunAsync(pairs, 2, target.Call, null);
            target.Decisions.Take();
            if (warmup.Failures > 0)
            {
                Console.Error.WriteLine($"warm-up of {target.Name}: {warmup.Failures} of {warmup.Requests} compares failed{target.Failures()}");
                return 1;
            }
        }

        var settled = new List<string>();
        foreach (var target in targets.Where(t => t.Cpu is not null))
        {
            settled.Add($"{target.Name} {await SettleAsync(target.Cpu!)}");
        }

        Console.WriteLine(header);
        Console.WriteLine($"Idle after {warmupPairs} warm-up compares per target (share of one core over {SettleWindow.TotalSeconds:0} s, once under {SettledShare:P0} or after {SettleLimit.TotalSeconds:0} s): {string.Join("; ", settled)}.");
        Console.WriteLine();
        Console.WriteLine("| concurrency | target | compares/s | vs first | vs first by round: median (range) | p50 / p95 / p99 ms | CPU ms per compare | CPU busy | client CPU ms per compare | right decisions | failed |");
        Console.WriteLine("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        var failed = 0;
        foreach (var level in levels)
        {
            var results = targets.ToDictionary(t => t, _ => new List<RunResult>());
            var clientCpu = targets.ToDictionary(t => t, _ => TimeSpan.Zero);
            for (var round = 0; round < rounds; round++)
            {
                foreach (var target in round % 2 == 0 ? targets : targets.Reverse())
                {
                    var clientBefore = target.ClientCpu?.Invoke() ?? TimeSpan.Zero;
                    results[target].Add(await Driver.RunAsync(workload.Pairs, level, target.Call, target.Cpu));
                    clientCpu[target] += (target.ClientCpu?.Invoke() ?? TimeSpan.Zero) - clientBefore;
                }
            }

            var first = RunResult.Sum(results[targets[0]]);
            foreach (var target in targets)
            {
                var result = RunResult.Sum(results[target]);
                failed += result.Failures;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {level} | {target.Name} | {result.PerSecond:0.0} | {result.PerSecond / first.PerSecond:P0} | {(target == targets[0] ? "–" : ByRound(results[target], results[targets[0]]))} " +
                    $"| {result.Percentile(0.5):0} / {result.Percentile(0.95):0} / {result.Percentile(0.99):0} " +
                    $"| {Driver.Ms(result.CpuMsPerRequest)} | {Driver.Fixed(result.CpuShare, "P0")} " +
                    $"| {Driver.Fixed(target.ClientCpu is null ? null : clientCpu[target].TotalMilliseconds / result.Requests, "0.0")} " +
                    $"| {target.Decisions.Take()} | {result.Failures}{target.Failures()} |"));
            }
        }

        return failed == 0 ? 0 : 1;
    }

    /// <summary>
    /// The ratio to the first target round by round, where the two ran back to back: its median and range say how far
    /// the machine's noise moves a ratio within one run, which the whole run's figure hides.
    /// </summary>
    private static string ByRound(IReadOnlyList<RunResult> target, IReadOnlyList<RunResult> first)
    {
        var ratios = target.Zip(first, (t, f) => t.PerSecond / f.PerSecond).Order().ToArray();
        var median = ratios.Length % 2 == 1 ? ratios[ratios.Length / 2] : (ratios[ratios.Length / 2 - 1] + ratios[ratios.Length / 2]) / 2;
        return string.Create(CultureInfo.InvariantCulture, $"{median:P0} ({ratios[0]:P0}-{ratios[^1]:P0})");
    }

    /// <summary>Waits until the process idles under <see cref="SettledShare"/> of a core; says what it last measured and when.</summary>
    public static async Task<string> SettleAsync(Func<TimeSpan> cpu)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            var before = cpu();
            await Task.Delay(SettleWindow);
            var share = (cpu() - before) / SettleWindow;
            if (share < SettledShare || clock.Elapsed >= SettleLimit)
            {
                return string.Create(CultureInfo.InvariantCulture, $"{share:P1} after {clock.Elapsed.TotalSeconds:0} s");
            }
        }
    }

    private static CompareTarget Http(string name, CompareClient client, Func<TimeSpan>? cpu) =>
        new(name, client.CompareAsync, cpu, client.Decisions, client.TakeFailures, ProcessTreeCpu.ThisProcess);

    /// <summary>The second service: started here from <c>start:COMMAND</c> (its CPU then read from /proc), or reached at a URL.</summary>
    private async Task<CompareTarget> AgainstAsync(string against, List<IDisposable> owned)
    {
        const string startPrefix = "start:";
        Uri url;
        Func<TimeSpan>? cpu = null;
        if (against.StartsWith(startPrefix, StringComparison.Ordinal))
        {
            var external = await ExternalService.StartAsync(against[startPrefix.Length..]);
            owned.Add(external);
            (url, cpu) = (external.Url, () => external.Cpu);
        }
        else
        {
            url = new Uri(against.TrimEnd('/') + "/");
        }

        var client = new CompareClient(url, "compare", settings.AgainstKey, settings.Levels.Max(), workload);
        owned.Add(client);
        return Http($"second service ({client.CompareUrl})", client, cpu);
    }

    private string Describe(IReadOnlyList<CompareTarget> targets) =>
        $"{workload.Pairs.Count} pairs per run from pairs.csv, {settings.Rounds} round(s) per level and target, the order reversed each round; " +
        $"{Environment.ProcessorCount} cores; FaceOrleans settings: {(settings.ServiceArguments.Count == 0 ? "defaults" : string.Join(" ", settings.ServiceArguments))}; " +
        $"targets: {string.Join("; ", targets.Select(t => t.Name))}. " +
        "CPU ms per compare: the serving process tree's CPU time (user + system) over the compares, where this tool started it; " +
        "busy: that CPU over wall time times the cores; client CPU: this tool's own, driving an HTTP target on the same cores. Right decisions: is_same_person equal to the pair's label.";
}
