using System.Diagnostics;
using FaceOrleans.Contracts;
using FaceOrleans.Grains.Gallery;

namespace FaceOrleans.GalleryBenchmark;

/// <summary>
/// One gallery size, through the pieces a tenant's shard grains run: <see cref="SqliteGalleryStore"/> (one
/// record per face), <see cref="GalleryShardLoader"/> and <see cref="GalleryIndex"/> per shard, the shards
/// searched in parallel and merged as the gallery grain merges them. Orleans messaging (microseconds within a
/// silo) and detecting and embedding the probe photo (30–150 ms, see benchmarks.md) are left out.
/// </summary>
internal sealed class GalleryRun(int size, BenchmarkSettings settings, IReadOnlyList<(string Photo, float[] Embedding)> photos)
{
    public const int Dimension = 512;

    // The store records each embedding's recognizer; the benchmark reads them back only through the store, so one label serves.
    public static readonly EmbeddingModel Model = new("face_embed_512d", "benchmark", Dimension);
    public const int TopK = 5;
    public const int CopiesPerPhoto = 40;
    public const int FacesPerSubject = 2;
    public const int Enrollments = 2_000;
    public const string Tenant = "bench";

    private readonly Random _random = new(size);
    private readonly List<float[]> _enrolledSamples = [];
    private string _database = string.Empty;
    private string _indexRoot = string.Empty;

    public async Task<GalleryResult> RunAsync()
    {
        _database = Path.Combine(settings.Folder, $"gallery-{size}.db");
        _indexRoot = Path.Combine(settings.Folder, $"index-{size}");
        Reset();
        var store = new SqliteGalleryStore(_database);
        var enrollRate = await FillAsync(store);
        Console.WriteLine($"{size:N0}: stored");

        // A first start (or one after losing the snapshots): every shard reads and quantises its records.
        var (cold, coldLoad) = await LoadCompactAsync(store, settings.Shards, _indexRoot, size);
        await Task.WhenAll(cold.Select((index, s) => Task.Run(() => index.WriteSnapshot(ShardDirectory(_indexRoot, s), Tenant, s))));
        DisposeAll(cold);
        var snapshotBytes = Directory.EnumerateFiles(_indexRoot, GalleryIndex.SnapshotFileName, SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);
        var vectorBytes = Directory.EnumerateFiles(_indexRoot, "*.f32", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);
        Console.WriteLine($"{size:N0}: compact loaded from the store and snapshotted");

        // A restart, in a fresh process so that its memory is what the index takes and nothing left over.
        var restart = await RestartProcess.RunAsync(_database, _indexRoot, size, settings.Shards);
        Console.WriteLine($"{size:N0}: restarted in a fresh process");
        var (compact, _) = await LoadCompactAsync(store, settings.Shards, _indexRoot, size);

        var (heapBefore, _) = Memory();
        var (exact, exactLoad) = await LoadExactAsync(store);
        var (heapWithExact, _) = Memory();
        Console.WriteLine($"{size:N0}: exact loaded");

        var synthetic = Enumerable.Range(0, settings.SyntheticQueries)
            .Select(q => q % 2 == 0 ? Synthetic.UnitVector(_random, Dimension) : Synthetic.NearDuplicate(_random, _enrolledSamples[q % _enrolledSamples.Count], 0.3))
            .ToArray();
        var real = RealFaces.Probes(photos, _random).ToArray();
        var (exactTimes, compactTimes, top1, topK) = await CompareAsync(exact, compact, synthetic, real);
        DisposeAll(compact);
        GC.KeepAlive(exact);
        var disk = (new FileInfo(_database).Length / (double)size, vectorBytes / (double)size, snapshotBytes / (double)size);
        Reset(); // a million faces take 5 GB of disk

        return new GalleryResult(size, exactTimes, compactTimes, (synthetic.Length, real.Length), top1, topK,
            (heapWithExact - heapBefore) / (double)size, restart.HeapBytes / (double)size, restart.RssBytes / (double)size,
            exactLoad, restart.Load, coldLoad, enrollRate, disk);
    }

    /// <summary>Synthetic faces (two per subject) plus the real near-duplicates, imported shard by shard; then timed enrollments.</summary>
    private async Task<double> FillAsync(SqliteGalleryStore store)
    {
        var realFaces = RealFaces.Copies(photos, CopiesPerPhoto, _random).ToList();
        var synthetic = size - realFaces.Count - Enrollments;
        if (synthetic < 0)
        {
            throw new ArgumentException($"A gallery of {size} faces cannot hold {realFaces.Count} real faces and {Enrollments} enrollments.");
        }

        var subjects = Enumerable.Range(0, ((synthetic + Enrollments) / FacesPerSubject) + 1).Select(i => $"s{i}")
            .Concat(realFaces.Select(f => f.SubjectId))
            .Select((id, i) => new SubjectInfo(id, null, null, DateTimeOffset.UnixEpoch.AddSeconds(i), 0)).ToArray();
        await store.ImportSubjectsAsync(Tenant, subjects);

        // In chunks, one transaction per shard each: SQLite has one writer, and 1M float arrays would not fit twice.
        var faces = realFaces.Select(f => new StoredFace(f.FaceId, f.SubjectId, f.Vector, Model))
            .Concat(Enumerable.Range(0, synthetic).Select(i => new StoredFace($"f{i}", $"s{i / FacesPerSubject}", SampledUnitVector(i), Model)));
        foreach (var chunk in faces.Chunk(50_000))
        {
            foreach (var shard in chunk.GroupBy(f => GalleryOptions.ShardOf(f.FaceId, settings.Shards)))
            {
                await store.ImportFacesAsync(Tenant, shard.Key, shard.ToArray());
            }
        }

        return await EnrollAsync(store, synthetic, Enrollments, settings.Shards);
    }

    /// <summary>Timed: faces <paramref name="first"/> on enrolled one durable record at a time, as the API does, 8 callers at once; faces per second.</summary>
    public static async Task<double> EnrollAsync(SqliteGalleryStore store, int first, int count, int shards)
    {
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, 8).Select(caller => Task.Run(async () =>
        {
            var random = new Random(caller);
            for (var i = first + caller; i < first + count; i += 8)
            {
                var face = new StoredFace($"f{i}", $"s{i / FacesPerSubject}", Synthetic.UnitVector(random, Dimension), Model);
                await store.AddFaceAsync(Tenant, GalleryOptions.ShardOf(face.FaceId, shards), face);
            }
        })));
        var rate = count / clock.Elapsed.TotalSeconds;
        await store.CheckpointAsync();
        return rate;
    }

    /// <summary>A synthetic face; one in a few thousand is kept to make probes of enrolled faces from.</summary>
    private float[] SampledUnitVector(int i)
    {
        var vector = Synthetic.UnitVector(_random, Dimension);
        if (i % Math.Max(1, size / 1000) == 0)
        {
            _enrolledSamples.Add(vector);
        }

        return vector;
    }

    /// <summary>Every shard loaded at once, as the shard grains activate after a restart.</summary>
    /// <param name="sealVectors">As a sealed gallery's shards load: no snapshot, vector files sealed.</param>
    public static async Task<(GalleryIndex[] Indexes, TimeSpan Elapsed)> LoadCompactAsync(IGalleryStore store, int shards, string indexRoot, int expected, bool sealVectors = false)
    {
        var clock = Stopwatch.StartNew();
        var loaded = await Task.WhenAll(Enumerable.Range(0, shards).Select(s =>
            Task.Run(() => GalleryShardLoader.LoadAsync(store, Tenant, s, Directory.CreateDirectory(ShardDirectory(indexRoot, s)).FullName, sealVectors))));
        var elapsed = clock.Elapsed;
        var indexes = loaded.Select(l => l.Index).ToArray();
        var count = indexes.Sum(i => i.Count);
        return count == expected ? (indexes, elapsed) : throw new InvalidOperationException($"loaded {count} faces, stored {expected}");
    }

    /// <summary>What the shards did before: every float32 record read into memory, all shards at once.</summary>
    private async Task<(ExactGalleryIndex[] Indexes, TimeSpan Elapsed)> LoadExactAsync(SqliteGalleryStore store)
    {
        var clock = Stopwatch.StartNew();
        var indexes = await Task.WhenAll(Enumerable.Range(0, settings.Shards).Select(s => Task.Run(async () =>
        {
            var index = new ExactGalleryIndex(Dimension);
            await foreach (var face in store.LoadShardAsync(Tenant, s))
            {
                index.Add(face.FaceId, face.SubjectId, face.Embedding);
            }

            index.TrimExcess();
            return index;
        })));
        return (indexes, clock.Elapsed);
    }

    /// <summary>Every query through both, in alternating order; every answer compared, subjects, faces and scores.</summary>
    private static async Task<(Latency Exact, Latency Compact, (int, int) Top1, (int, int) TopK)> CompareAsync(
        ExactGalleryIndex[] exact, GalleryIndex[] compact, float[][] synthetic, float[][] real)
    {
        var exactTimes = new List<double>();
        var compactTimes = new List<double>();
        int[] top1 = [0, 0], topK = [0, 0];
        var queries = synthetic.Select(q => (Query: q, Real: 0)).Concat(real.Select(q => (Query: q, Real: 1))).ToArray();
        for (var i = -5; i < queries.Length; i++)
        {
            var (query, kind) = queries[Math.Max(i, 0)];
            List<Candidate> expected = [], found = [];
            double exactMs = 0, compactMs = 0;
            foreach (var compactFirst in i % 2 == 0 ? new[] { true, false } : [false, true])
            {
                var clock = Stopwatch.StartNew();
                if (compactFirst)
                {
                    var perShard = await Task.WhenAll(compact.Select(index => index.SearchAsync([query], TopK)));
                    found = SubjectRanking.Merge(perShard.SelectMany(r => r[0]), TopK);
                    compactMs = clock.Elapsed.TotalMilliseconds;
                }
                else
                {
                    expected = SubjectRanking.Merge(exact.AsParallel().SelectMany(index => index.Search(query, TopK)), TopK);
                    exactMs = clock.Elapsed.TotalMilliseconds;
                }
            }

            if (i < 0)
            {
                continue;
            }

            exactTimes.Add(exactMs);
            compactTimes.Add(compactMs);
            top1[kind] += expected.FirstOrDefault()?.SubjectId == found.FirstOrDefault()?.SubjectId ? 0 : 1;
            topK[kind] += expected.SequenceEqual(found) ? 0 : 1;
        }

        return (Percentiles(exactTimes), Percentiles(compactTimes), (top1[0], top1[1]), (topK[0], topK[1]));
    }

    public static Latency Percentiles(List<double> times)
    {
        times.Sort();
        double At(double p) => times[Math.Min(times.Count - 1, (int)Math.Ceiling(p * times.Count) - 1)];
        return new Latency(At(0.5), At(0.99));
    }

    public static (long Heap, long Rss) Memory()
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        return (GC.GetTotalMemory(forceFullCollection: true), Environment.WorkingSet);
    }

    private static string ShardDirectory(string indexRoot, int shard) => GalleryShardLoader.ShardDirectory(indexRoot, Tenant, shard);

    private void Reset()
    {
        Directory.CreateDirectory(settings.Folder);
        foreach (var file in Directory.GetFiles(settings.Folder, Path.GetFileName(_database) + "*"))
        {
            File.Delete(file);
        }

        if (Directory.Exists(_indexRoot))
        {
            Directory.Delete(_indexRoot, recursive: true);
        }
    }

    public static void DisposeAll(IEnumerable<GalleryIndex> indexes)
    {
        foreach (var index in indexes)
        {
            index.Dispose();
        }
    }
}
