// Gallery benchmark (not a test): identify over galleries of 10k, 100k and 1M faces, the compact int8 index
// with exact re-rank (what the shards run) side by side with the exact float32 scan (what they ran before, and
// the reference), every answer compared, memory and restart measured. See docs/gallery-benchmark.md.
// Usage: dotnet run -c Release --project benchmarks/FaceOrleans.GalleryBenchmark -- [sizes...] [--shards 8]
//        [--queries 100] [--dir /tmp/x] [--models models] [--faces ../shared/testdata/faces]
//        or with --encryption: encryption at rest off and on side by side (docs/data-protection.md), nothing else.
using System.Globalization;
using FaceOrleans.GalleryBenchmark;

if (args.FirstOrDefault() == RestartProcess.Flag)
{
    return await RestartProcess.MainAsync(args);
}

var sizes = args.TakeWhile(a => !a.StartsWith("--", StringComparison.Ordinal)).Select(a => int.Parse(a, CultureInfo.InvariantCulture)).ToList();
if (sizes.Count == 0)
{
    sizes = [10_000, 100_000, 1_000_000];
}

var settings = new BenchmarkSettings(
    Shards: Option("--shards", 8),
    SyntheticQueries: Option("--queries", 100),
    Folder: Text("--dir") ?? Path.Combine(Path.GetTempPath(), "faceorleans-gallery-bench"));

Console.WriteLine($"{Environment.ProcessorCount} cores, {settings.Shards} shards, {GalleryRun.Dimension}-d, " +
    $"{settings.SyntheticQueries} synthetic queries per size, top {GalleryRun.TopK}, .NET {Environment.Version}, server GC {System.Runtime.GCSettings.IsServerGC}");
if (args.Contains("--encryption"))
{
    Console.WriteLine("| faces | identify p50: clear | sealed | ratio | identify p99: clear | sealed | enroll (faces/s, one durable record each): clear | sealed | ratio | cold load: clear | sealed |");
    Console.WriteLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    foreach (var size in sizes)
    {
        Console.WriteLine($"{size:N0}: start, load average {LoadAverage()}");
        var r = await new EncryptionRun(size, settings).RunAsync();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| {r.Faces:N0} | {r.Clear.P50:0.00} ms | {r.Sealed.P50:0.00} ms | {r.Sealed.P50 / r.Clear.P50:0.000} | {r.Clear.P99:0.00} ms | {r.Sealed.P99:0.00} ms " +
            $"| {r.ClearEnrollRate:N0} | {r.SealedEnrollRate:N0} | {r.SealedEnrollRate / r.ClearEnrollRate:0.000} | {r.ClearLoad.TotalSeconds:0.0} s | {r.SealedLoad.TotalSeconds:0.0} s |"));
        Console.WriteLine($"{size:N0}: done, load average {LoadAverage()}");
    }

    return 0;
}

var photos = await RealFaces.EmbedAsync(Text("--models") ?? "models", Text("--faces") ?? Path.Combine("..", "shared", "testdata", "faces"));
Console.WriteLine($"{photos.Count} real faces embedded from the shared photos; {GalleryRun.CopiesPerPhoto} near-duplicates of each enrolled, " +
    $"{2 * photos.Count} real probes per size");

var results = new List<GalleryResult>();
foreach (var size in sizes)
{
    Console.WriteLine($"{size:N0}: start, load average {LoadAverage()}");
    results.Add(await new GalleryRun(size, settings, photos).RunAsync());
    Console.WriteLine($"{size:N0}: done, load average {LoadAverage()}");
    GC.Collect();
}

Console.WriteLine();
Console.WriteLine("| faces | identify p50: exact float32 | compact | ratio | identify p99: exact float32 | compact | ratio | top-1 mismatches (synthetic + real) | top-k mismatches (synthetic + real) |");
Console.WriteLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
foreach (var r in results)
{
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"| {r.Faces:N0} | {r.Exact.P50:0.0} ms | {r.Compact.P50:0.0} ms | {r.Compact.P50 / r.Exact.P50:0.00} | {r.Exact.P99:0.0} ms | {r.Compact.P99:0.0} ms | {r.Compact.P99 / r.Exact.P99:0.00} " +
        $"| {r.Top1Mismatches.Synthetic} of {r.Queries.Synthetic} + {r.Top1Mismatches.Real} of {r.Queries.Real} | {r.TopKMismatches.Synthetic} + {r.TopKMismatches.Real} |"));
}

Console.WriteLine();
Console.WriteLine("| faces | memory per face: exact float32 (GC heap) | compact (GC heap) | compact (process RSS) | load after restart: exact, from SQLite | compact, snapshot + reconcile | compact, cold from SQLite | enroll (faces/s, one durable record each) | disk per face: SQLite, vectors, snapshot |");
Console.WriteLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
foreach (var r in results)
{
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"| {r.Faces:N0} | {r.ExactBytesPerFace:N0} B | {r.CompactHeapBytesPerFace:N0} B | {r.CompactRssBytesPerFace:N0} B | {r.ExactLoad.TotalSeconds:0.0} s " +
        $"| {r.SnapshotLoad.TotalSeconds:0.0} s | {r.ColdLoad.TotalSeconds:0.0} s | {r.EnrollRate:N0} | {r.DiskPerFace.Sqlite:N0} B, {r.DiskPerFace.Vectors:N0} B, {r.DiskPerFace.Snapshot:N0} B |"));
}

return 0;

// The machine's load while measuring (Linux): figures from a busy machine are not comparable with a quiet one's.
static string LoadAverage() => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";

int Option(string name, int fallback) => Text(name) is { } value ? int.Parse(value, CultureInfo.InvariantCulture) : fallback;

string? Text(string name)
{
    var at = Array.IndexOf(args, name);
    return at >= 0 && at + 1 < args.Length ? args[at + 1] : null;
}
