// Load benchmark (not a test). Commands, each printing a Markdown table:
//   load   (default) HTTP /v1/{tenant}/compare over the shared pairs at concurrency 1, 2, 4 and 8 against the embedded
//          service (started here on free ports with a temporary data folder and its own keys, or --url and --key), beside
//          the same compares on an in-process FacePipeline, as a ratio.
//          With --against and/or --variant: the same pairs with the same client against FaceOrleans HTTP, each variant of
//          it, a second service and the raw in-process pipeline, one row per target and level with its ratio to the first.
//   raw    the project's pipeline alone in this process at its best: N callers, model calls on their own threads, 1
//          intra-op thread each (the figure the service is held to).
//   levers the pipeline's cost levers side by side in one process, alternating, as CPU ms per compare and ratios.
// Usage: dotnet run -c Release --project benchmarks/FaceOrleans.LoadBenchmark -- [load|raw|levers] [--levels 1,2,4,8]
//        [--pairs N] [--tenant attendance] [--url http://host:port --key KEY] [--rounds N] [--warmup N] [--only TEXT]
//        [--http-only [--slice ID]]   (load: the service alone, with the mean batch size per level of slice ID, or of
//                                      all slices; for a GPU service; with --against: no in-process row)
//        [--against URL|start:COMMAND [--against-key KEY]]   (load: a second service's base URL, posted at URL/compare;
//                                      start:COMMAND starts it here, e.g. start:benchmarks/seed-service/start.sh)
//        [--variant "NAME --FaceOrleans:...=value VAR=value"]...   (load: a further FaceOrleans started beside the first)
//        [--FaceOrleans:Slice:Setting=value ...]   (load: given to the started services and to the in-process pipeline)
using System.Globalization;
using FaceOrleans.LoadBenchmark;

var command = args.FirstOrDefault(a => !a.StartsWith("--", StringComparison.Ordinal)) ?? "load";
var levels = (Option("--levels") ?? "1,2,4,8").Split(',').Select(l => int.Parse(l, CultureInfo.InvariantCulture)).ToArray();
var pairs = Option("--pairs") is { } p ? int.Parse(p, CultureInfo.InvariantCulture) : (int?)null;
var rounds = Option("--rounds") is { } r ? int.Parse(r, CultureInfo.InvariantCulture) : (int?)null;
var warmup = Option("--warmup") is { } w ? int.Parse(w, CultureInfo.InvariantCulture) : (int?)null;
var serviceArguments = args.Where(a => a.StartsWith("--FaceOrleans:", StringComparison.Ordinal)).ToArray();
return command switch
{
    "load" => await new LoadCommand(new LoadSettings(
        levels, pairs, Option("--tenant") ?? "attendance", Option("--url") is { } url ? new Uri(url.TrimEnd('/') + "/") : null, Option("--key"),
        serviceArguments, args.Contains("--http-only"), Option("--slice"), Option("--against"), Option("--against-key"),
        Options("--variant").Select(ServiceVariant.Parse).ToArray(), rounds ?? 1, warmup)).RunAsync(),
    "raw" => await RunRawAsync(),
    "levers" => await new LeversCommand(pairs, rounds ?? 4, Option("--only")).RunAsync(),
    _ => Usage(),
};

async Task<int> RunRawAsync()
{
    var workload = Workload.Load(pairs);
    using var raw = new RawPipeline(workload, serviceArguments);
    return await AgainstRun.MeasureAsync(workload, [new CompareTarget("in-process pipeline (raw)", raw.CompareAsync, ProcessTreeCpu.ThisProcess, raw.Decisions, () => "")],
        levels, rounds ?? 1,
        $"{workload.Pairs.Count} pairs per run from pairs.csv; {Environment.ProcessorCount} cores; FacePipeline.CompareAsync with ModelDefaults in this " +
        $"process, each model call on its caller's thread with 1 intra-op thread; slice settings: {(serviceArguments.Length == 0 ? "defaults" : string.Join(" ", serviceArguments))}.", warmup);
}

string? Option(string name)
{
    var at = Array.IndexOf(args, name);
    return at >= 0 && at + 1 < args.Length ? args[at + 1] : null;
}

IEnumerable<string> Options(string name) =>
    args.Select((a, i) => (a, i)).Where(x => x.a == name && x.i + 1 < args.Length).Select(x => args[x.i + 1]);

static int Usage()
{
    Console.Error.WriteLine("usage: FaceOrleans.LoadBenchmark [load|raw|levers] [--levels 1,2,4,8] [--pairs N] [--tenant T] [--url URL --key KEY] " +
        "[--http-only [--slice ID]] [--against URL|start:COMMAND [--against-key KEY]] [--variant \"NAME ARGS\"]... [--rounds N] [--only TEXT]");
    return 2;
}
