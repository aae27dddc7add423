using System.Globalization;
using FaceOrleans.Grains.Slices;
using FaceOrleans.Vision;
using Microsoft.Extensions.Configuration;

namespace FaceOrleans.LoadBenchmark;

/// <summary>
/// HTTP <c>/v1/{tenant}/compare</c> over the shared pairs at each concurrency, against the same compares run on an
/// in-process <see cref="FacePipeline"/> in this process, level by level so both see the same machine.
/// </summary>
internal sealed class LoadCommand(LoadSettings settings)
{
    private const int WarmupRequests = 16;

    /// <summary>Callers during the warm-up; the started service must admit at least this many requests at once.</summary>
    private const int WarmupCallers = 2;

    public async Task<int> RunAsync()
    {
        var workload = Workload.Load(settings.Pairs);
        using var service = settings.Url is null ? await ApiProcess.StartAsync(settings.Tenant, Math.Max(settings.Levels.Max(), WarmupCallers), settings.ServiceArguments) : null;
        var url = settings.Url ?? service!.Url;
        var key = settings.Key ?? service?.Key ?? throw new ArgumentException("--key is required with --url");
        using var client = new CompareClient(url, $"v1/{settings.Tenant}/compare", key, settings.Levels.Max(), workload);
        if (settings.Against is not null || settings.Variants.Count > 0)
        {
            return await new AgainstRun(settings, workload, service, client).RunAsync();
        }

        return settings.HttpOnly ? await RunHttpOnlyAsync(workload, client) : await RunSideBySideAsync(workload, service, client);
    }

    /// <summary>HTTP beside the same compares in this process, level by level, as ratios.</summary>
    private async Task<int> RunSideBySideAsync(Workload workload, ApiProcess? service, CompareClient client)
    {
        // The same slice settings on both sides: --FaceOrleans:Slice:... arguments go to the service and bind here.
        var slice = new SliceOptions();
        new ConfigurationBuilder().AddCommandLine(settings.ServiceArguments.ToArray()).Build().GetSection(SliceOptions.Section).Bind(slice);
        using var sessions = new OnnxSessionFactory(ModelCatalog.Locate(Benchmarks.BenchmarkPaths.ModelsDirectory), slice.ToInferenceOptions());
        var inline = FacePipeline.Create(sessions, sides: slice.DetectionSides);
        using var scheduler = new SliceScheduler("benchmark", slice.ToSchedulerOptions());
        var scheduled = FacePipeline.Create(sessions, sides: slice.DetectionSides, runner: scheduler.For(settings.Tenant));

        Func<LabelledPair, Task<bool>> overHttp = client.CompareAsync;
        Func<LabelledPair, Task<bool>> inProcess = pair => CompareInProcessAsync(inline, workload, pair);
        Func<LabelledPair, Task<bool>> inProcessScheduled = pair => CompareInProcessAsync(scheduled, workload, pair);
        Func<TimeSpan>? serviceCpu = service is null ? null : () => service.Cpu;
        Func<TimeSpan> ownCpu = ProcessTreeCpu.ThisProcess;

        PrintHeader(client.CompareUrl, workload, scheduler.Options);
        var warmup = workload.Cycle(settings.Warmup ?? WarmupRequests);
        foreach (var (name, call) in new[] { ("HTTP", overHttp), ("in-process", inProcess), ("in-process scheduled", inProcessScheduled) })
        {
            var result = await Driver.RunAsync(warmup, WarmupCallers, call, null);
            if (result.Failures > 0)
            {
                Console.Error.WriteLine($"warm-up over {name}: {result.Failures} of {result.Requests} compares failed{client.TakeFailures()}{(service is null ? "" : $"; see {service.LogFile}")}");
                return 1;
            }
        }

        if (service is not null)
        {
            // What the service burns doing nothing (runtime, Orleans, ONNX Runtime threads) shows in CPU per compare at
            // low load; measured once its tiered JIT has settled (AgainstRun.SettleAsync).
            Console.WriteLine($"Idle service after warm-up, as a share of one core: {await AgainstRun.SettleAsync(() => service.Cpu)}.");
            Console.WriteLine();
        }

        Console.WriteLine("| concurrency | HTTP compares/s | p50 / p95 / p99 ms | HTTP CPU ms per compare (busy) | in-process compares/s | p50 ms | in-process CPU ms per compare | HTTP / in-process | in-process through the slice's scheduler: compares/s | HTTP / scheduled |");
        Console.WriteLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        var failed = 0;
        foreach (var level in settings.Levels)
        {
            // Alternated per level so that both sides of each ratio run on the same machine state.
            var overHttpResult = await Driver.RunAsync(workload.Pairs, level, overHttp, serviceCpu);
            var inProcessResult = await Driver.RunAsync(workload.Pairs, level, inProcess, ownCpu);
            var scheduledResult = await Driver.RunAsync(workload.Pairs, level, inProcessScheduled, ownCpu);
            failed += overHttpResult.Failures + inProcessResult.Failures + scheduledResult.Failures;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {level} | {overHttpResult.PerSecond:0.0} | {overHttpResult.Percentile(0.5):0} / {overHttpResult.Percentile(0.95):0} / {overHttpResult.Percentile(0.99):0} " +
                $"| {Driver.Ms(overHttpResult.CpuMsPerRequest)} ({Driver.Fixed(overHttpResult.CpuShare, "P0")}) " +
                $"| {inProcessResult.PerSecond:0.0} | {inProcessResult.Percentile(0.5):0} | {Driver.Ms(inProcessResult.CpuMsPerRequest)} " +
                $"| {overHttpResult.PerSecond / inProcessResult.PerSecond:P0} | {scheduledResult.PerSecond:0.0} | {overHttpResult.PerSecond / scheduledResult.PerSecond:P0} |"));
        }

        if (failed > 0)
        {
            Console.Error.WriteLine($"{failed} compares failed{(service is null ? "" : $"; see {service.LogFile}")}");
        }

        return failed == 0 ? 0 : 1;
    }

    /// <summary>
    /// HTTP alone, for a service on another device (a GPU slice) where the in-process columns would measure this
    /// machine's CPU: compares/s, images/s (two per compare, each detected and its face embedded), latency
    /// percentiles, failures, and the mean batch size the slice's scheduler formed during each level.
    /// </summary>
    private async Task<int> RunHttpOnlyAsync(Workload workload, CompareClient client)
    {
        Func<LabelledPair, Task<bool>> overHttp = client.CompareAsync;
        var http = client.Http;
        // Failures do not stop the run here: refusals (a slice at its memory cap, a dead slice) are what some runs
        // measure, so they are counted by status in the table, and the exit code says that any happened.
        var warmup = await Driver.RunAsync(workload.Cycle(settings.Warmup ?? WarmupRequests), WarmupCallers, overHttp, null);
        if (warmup.Failures > 0)
        {
            Console.Error.WriteLine($"warm-up: {warmup.Failures} of {warmup.Requests} compares failed{client.TakeFailures()}");
        }

        Console.WriteLine($"{workload.Pairs.Count} pairs per level from pairs.csv; client on {Environment.ProcessorCount} cores; " +
            $"HTTP only: POST {client.CompareUrl}; settings: " +
            $"{(settings.ServiceArguments.Count == 0 ? "the service's own" : string.Join(" ", settings.ServiceArguments))}.");
        Console.WriteLine();
        Console.WriteLine("| concurrency | compares/s | images/s | p50 / p95 / p99 ms | failed | mean batch (inputs per model call) |");
        Console.WriteLine("|---:|---:|---:|---:|---:|---:|");
        var failed = 0;
        client.TakeFailures();
        foreach (var level in settings.Levels)
        {
            var before = await SliceBatchMetrics.ReadAsync(http, settings.Slice);
            var result = await Driver.RunAsync(workload.Pairs, level, overHttp, null);
            var after = await SliceBatchMetrics.ReadAsync(http, settings.Slice);
            failed += result.Failures;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {level} | {result.PerSecond:0.0} | {2 * result.PerSecond:0} | {result.Percentile(0.5):0.0} / {result.Percentile(0.95):0.0} / {result.Percentile(0.99):0.0} " +
                $"| {result.Failures}{client.TakeFailures()} | {Driver.Fixed(after?.MeanBatchSince(before), "0.00")} |"));
        }

        return failed == 0 ? 0 : 1;
    }

    private void PrintHeader(Uri url, Workload workload, SchedulerOptions policy)
    {
        Console.WriteLine($"{workload.Pairs.Count} pairs per run from pairs.csv; {Environment.ProcessorCount} cores; settings: " +
            $"{(settings.ServiceArguments.Count == 0 ? "defaults" : string.Join(" ", settings.ServiceArguments))}; " +
            $"HTTP: POST {url}{(settings.Url is null ? " (embedded service started by this tool)" : "")}; " +
            "in-process: FacePipeline.CompareAsync in this process with the slice's default settings, model calls run " +
            "concurrently on the callers' threads (scheduled: through a SliceScheduler with the slice's policy, " +
            $"{Describe(policy)}, as the service runs them).");
        Console.WriteLine();
    }

    private static string Describe(SchedulerOptions policy) => string.Create(CultureInfo.InvariantCulture,
        $"{policy.ConcurrentCalls} model call(s) at once, up to {policy.MaxBatch} inputs per call, waiting {policy.MaxWait.TotalMilliseconds:0.#} ms for a batch");

    private static async Task<bool> CompareInProcessAsync(FacePipeline pipeline, Workload workload, LabelledPair pair)
    {
        // Off the caller's thread, as the InferenceGrain runs it.
        var result = await Task.Run(() => pipeline.CompareAsync(workload.Photo(pair.ImageA), workload.Photo(pair.ImageB), pipeline.ModelDefaults));
        return result.Similarity is not null;
    }
}

/// <param name="ServiceArguments">Configuration for the started service (<c>--FaceOrleans:...=value</c>); the slice's also applies in process.</param>
/// <param name="HttpOnly">Measure the service alone (no in-process columns), with the slice's mean batch size per level.</param>
/// <param name="Slice">The slice whose batches the HTTP-only table reports; null sums every slice.</param>
/// <param name="Against">A second service to run the same pairs against: its base URL, or <c>start:COMMAND</c> to start it here.</param>
/// <param name="Variants">Further FaceOrleans services started here, each with its own settings, measured beside the first.</param>
internal sealed record LoadSettings(
    IReadOnlyList<int> Levels, int? Pairs, string Tenant, Uri? Url, string? Key, IReadOnlyList<string> ServiceArguments, bool HttpOnly, string? Slice,
    string? Against = null, string? AgainstKey = null, IReadOnlyList<ServiceVariant>? VariantList = null, int Rounds = 1, int? Warmup = null)
{
    public IReadOnlyList<ServiceVariant> Variants => VariantList ?? [];
}
