// Gallery benchmark (not a test): synthetic L2-normalised 512-d embeddings in galleries of 10k, 100k and 1M faces,
// through the same pieces a tenant's shard grains use: SqliteGalleryStore (one record per face) and GalleryIndex
// (exact SIMD cosine search), with the shards searched in parallel as the gallery grain fans out to them.
// Usage: dotnet run -c Release --project benchmarks/FaceOrleans.GalleryBenchmark -- [sizes...] [--shards 8] [--dir /tmp/x]
using System.Diagnostics;
using System.Globalization;
using FaceOrleans.Grains;
using FaceOrleans.Grains.Gallery;
using FaceOrleans.Vision;

var sizes = args.Where(a => int.TryParse(a, out _)).Select(int.Parse).DefaultIfEmpty(10_000).ToList();
if (!args.Any(a => int.TryParse(a, out _)))
{
    sizes = [10_000, 100_000, 1_000_000];
}

var shards = Option("--shards", 8);
var folder = args.SkipWhile(a => a != "--dir").Skip(1).FirstOrDefault() ?? Path.Combine(Path.GetTempPath(), "faceorleans-gallery-bench");
const int Dimension = 512;
const int Enrollments = 2_000;
const int FacesPerSubject = 2;

Console.WriteLine($"shards {shards}, {Dimension}-d float32, {Enrollments} timed single-record enrollments per size, {Environment.ProcessorCount} cores");
Console.WriteLine();
Console.WriteLine("| faces | enroll (faces/s, one durable record each) | identify p50 | identify p99 | memory per face (index) | database file per face | load after restart |");
Console.WriteLine("|---:|---:|---:|---:|---:|---:|---:|");
foreach (var size in sizes)
{
    Console.WriteLine(Run(size));
}

string Run(int size)
{
    Directory.CreateDirectory(folder);
    var database = Path.Combine(folder, $"gallery-{size}.db");
    foreach (var file in Directory.GetFiles(folder, $"gallery-{size}.db*"))
    {
        File.Delete(file);
    }

    var store = new SqliteGalleryStore(database);
    var random = new Random(size);
    var tenant = "bench";
    var subjects = Enumerable.Range(0, size / FacesPerSubject + 1)
        .Select(i => new SubjectInfo($"s{i}", null, null, DateTimeOffset.UnixEpoch.AddSeconds(i), 0)).ToArray();
    store.ImportSubjectsAsync(tenant, subjects).GetAwaiter().GetResult();

    // Seed all but the timed enrollments through the import path, shard by shard.
    var seeded = size - Enrollments;
    var faces = new List<StoredFace>[shards];
    for (var s = 0; s < shards; s++)
    {
        faces[s] = [];
    }

    for (var i = 0; i < seeded; i++)
    {
        var face = new StoredFace($"f{i}", $"s{i / FacesPerSubject}", UnitVector(random));
        faces[GalleryOptions.ShardOf(face.FaceId, shards)].Add(face);
    }

    // One shard at a time: SQLite has a single writer, and a long import would time the others out.
    for (var s = 0; s < shards; s++)
    {
        store.ImportFacesAsync(tenant, s, faces[s]).GetAwaiter().GetResult();
        faces[s] = [];
    }


    // Timed: enrollments one durable record at a time, as the API does, 8 callers at once.
    var enrollClock = Stopwatch.StartNew();
    Task.WaitAll(Enumerable.Range(0, 8).Select(caller => Task.Run(async () =>
    {
        var local = new Random(caller);
        for (var i = seeded + caller; i < size; i += 8)
        {
            var face = new StoredFace($"f{i}", $"s{i / FacesPerSubject}", UnitVector(local));
            await store.AddFaceAsync(tenant, GalleryOptions.ShardOf(face.FaceId, shards), face);
        }
    })).ToArray());
    var enrollRate = Enrollments / enrollClock.Elapsed.TotalSeconds;
    store.CheckpointAsync().GetAwaiter().GetResult();

    // Timed: a restart, i.e. every shard loading its records into a fresh index, all shards at once.
    GC.Collect();
    var before = GC.GetTotalMemory(forceFullCollection: true);
    var loadClock = Stopwatch.StartNew();
    var indexes = Enumerable.Range(0, shards).Select(s => Task.Run(async () =>
    {
        var index = new GalleryIndex();
        await foreach (var face in store.LoadShardAsync(tenant, s))
        {
            index.Add(face.FaceId, face.SubjectId, face.Embedding);
        }

        index.TrimExcess();
        return index;
    })).Select(t => t.Result).ToArray();
    var loadSeconds = loadClock.Elapsed.TotalSeconds;
    var bytesPerFace = (GC.GetTotalMemory(forceFullCollection: true) - before) / (double)size;
    var loaded = indexes.Sum(i => i.Count);
    if (loaded != size)
    {
        throw new InvalidOperationException($"loaded {loaded} faces, stored {size}");
    }

    // Timed: identify, i.e. the top 5 subjects over all shards in parallel, merged.
    var queries = size >= 1_000_000 ? 60 : 300;
    var latencies = new List<double>(queries);
    for (var q = 0; q < queries + 5; q++)
    {
        var query = UnitVector(random);
        var clock = Stopwatch.StartNew();
        var top = indexes.AsParallel().SelectMany(i => i.Search(query, 5))
            .GroupBy(c => c.SubjectId).Select(g => g.MaxBy(c => c.Similarity)!).OrderByDescending(c => c.Similarity).Take(5).ToArray();
        if (q >= 5 && top.Length == 5)
        {
            latencies.Add(clock.Elapsed.TotalMilliseconds);
        }
    }

    latencies.Sort();
    var disk = new FileInfo(database).Length / (double)size;
    GC.KeepAlive(indexes);
    return string.Create(CultureInfo.InvariantCulture,
        $"| {size:N0} | {enrollRate:N0} | {Percentile(latencies, 0.5):0.0} ms | {Percentile(latencies, 0.99):0.0} ms | {bytesPerFace:N0} B | {disk:N0} B | {loadSeconds:0.0} s |");
}

static double Percentile(List<double> sorted, double p) => sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];

static float[] UnitVector(Random random)
{
    var vector = new float[Dimension];
    for (var i = 0; i < vector.Length; i++)
    {
        // Box-Muller: Gaussian components give directions uniform on the sphere.
        vector[i] = (float)(Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble()));
    }

    FaceRecognizer.Normalize(vector);
    return vector;
}

int Option(string name, int fallback)
{
    var at = Array.IndexOf(args, name);
    return at >= 0 && at + 1 < args.Length ? int.Parse(args[at + 1], CultureInfo.InvariantCulture) : fallback;
}
