// Load benchmark (not a test). Two commands, each printing a Markdown table:
//   load   (default) HTTP /v1/{tenant}/compare over the shared pairs at concurrency 1, 2, 4 and 8 against the embedded
//          service (started here on free ports with a temporary data folder and its own keys, or --url and --key), beside
//          the same compares on an in-process FacePipeline, as a ratio.
//   levers the pipeline's cost levers side by side in one process, alternating, as CPU ms per compare and ratios.
// Usage: dotnet run -c Release --project benchmarks/FaceOrleans.LoadBenchmark -- [load|levers] [--levels 1,2,4,8]
//        [--pairs N] [--tenant attendance] [--url http://host:port --key KEY] [--rounds N] [--only TEXT]
//        [--http-only [--slice ID]]   (load: the service alone, with the mean batch size per level of slice ID, or of
//                                      all slices; for a GPU service)
//        [--FaceOrleans:Slice:Setting=value ...]   (load: given to the started service and to the in-process pipeline)
using System.Globalization;
using FaceOrleans.LoadBenchmark;

var command = args.FirstOrDefault(a => !a.StartsWith("--", StringComparison.Ordinal)) ?? "load";
var levels = (Option("--levels") ?? "1,2,4,8").Split(',').Select(l => int.Parse(l, CultureInfo.InvariantCulture)).ToArray();
var pairs = Option("--pairs") is { } p ? int.Parse(p, CultureInfo.InvariantCulture) : (int?)null;
return command switch
{
    "load" => await new LoadCommand(new LoadSettings(
        levels, pairs, Option("--tenant") ?? "attendance", Option("--url") is { } url ? new Uri(url.TrimEnd('/') + "/") : null, Option("--key"),
        args.Where(a => a.StartsWith("--FaceOrleans:", StringComparison.Ordinal)).ToArray(), args.Contains("--http-only"), Option("--slice"))).RunAsync(),
    "levers" => await new LeversCommand(pairs, Option("--rounds") is { } r ? int.Parse(r, CultureInfo.InvariantCulture) : 4, Option("--only")).RunAsync(),
    _ => Usage(),
};

string? Option(string name)
{
    var at = Array.IndexOf(args, name);
    return at >= 0 && at + 1 < args.Length ? args[at + 1] : null;
}

static int Usage()
{
    Console.Error.WriteLine("usage: FaceOrleans.LoadBenchmark [load|levers] [--levels 1,2,4,8] [--pairs N] [--tenant T] [--url URL --key KEY] [--http-only [--slice ID]] [--rounds N] [--only TEXT]");
    return 2;
}
