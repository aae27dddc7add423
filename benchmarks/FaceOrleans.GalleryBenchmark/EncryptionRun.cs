using System.Diagnostics;
using FaceOrleans.Contracts;
using FaceOrleans.Grains.Gallery;
using FaceOrleans.Grains.Protection;

namespace FaceOrleans.GalleryBenchmark;

/// <summary>
/// Encryption at rest side by side (<c>--encryption</c>): the same synthetic gallery stored twice in SQLite, rows in
/// the clear and sealed under a data key (AES-GCM), the same timed durable enrollments into each, each loaded cold
/// from its store as its shards load it (the sealed one with no snapshot and sealed vector files), then the same
/// queries against both in alternating order, so both see the same machine.
/// </summary>
internal sealed class EncryptionRun(int size, BenchmarkSettings settings)
{
    public async Task<EncryptionResult> RunAsync()
    {
        var keys = MasterKeyProvider.FromBase64(MasterKeyProvider.NewKeyText());
        var sides = new List<(GalleryIndex[] Indexes, double EnrollRate, TimeSpan Load)>();
        var samples = new List<float[]>();
        foreach (var seal in (bool[])[false, true])
        {
            var name = seal ? "sealed" : "clear";
            var folder = Path.Combine(settings.Folder, $"encryption-{size}-{name}");
            Reset(folder);
            var store = new SqliteGalleryStore(Path.Combine(folder, "gallery.db"), keys: keys, seal: seal);
            samples.Clear();
            var synthetic = await FillAsync(store, samples);
            var rate = await GalleryRun.EnrollAsync(store, synthetic, GalleryRun.Enrollments, settings.Shards);
            var (indexes, load) = await GalleryRun.LoadCompactAsync(store, settings.Shards, Path.Combine(folder, "index"), size, sealVectors: seal);
            sides.Add((indexes, rate, load));
            Console.WriteLine($"{size:N0}: {name} stored and loaded");
        }

        var random = new Random(size);
        var queries = Enumerable.Range(0, settings.SyntheticQueries)
            .Select(q => q % 2 == 0 ? Synthetic.UnitVector(random, GalleryRun.Dimension) : Synthetic.NearDuplicate(random, samples[q % samples.Count], 0.3))
            .ToArray();
        var times = new[] { new List<double>(), new List<double>() };
        for (var i = -5; i < queries.Length; i++)
        {
            foreach (var side in i % 2 == 0 ? new[] { 0, 1 } : [1, 0])
            {
                var clock = Stopwatch.StartNew();
                var perShard = await Task.WhenAll(sides[side].Indexes.Select(index => index.SearchAsync([queries[Math.Max(i, 0)]], GalleryRun.TopK)));
                _ = SubjectRanking.Merge(perShard.SelectMany(r => r[0]), GalleryRun.TopK);
                if (i >= 0)
                {
                    times[side].Add(clock.Elapsed.TotalMilliseconds);
                }
            }
        }

        foreach (var (indexes, _, _) in sides)
        {
            GalleryRun.DisposeAll(indexes);
        }

        // Pooled connections would keep the deleted files open, and hand them to the next run of the same size.
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        foreach (var seal in (bool[])[false, true])
        {
            Reset(Path.Combine(settings.Folder, $"encryption-{size}-{(seal ? "sealed" : "clear")}"));
        }

        return new EncryptionResult(size, GalleryRun.Percentiles(times[0]), GalleryRun.Percentiles(times[1]),
            sides[0].EnrollRate, sides[1].EnrollRate, sides[0].Load, sides[1].Load);
    }

    /// <summary>Synthetic faces, two per subject, imported shard by shard (sealed by the store when it seals); the first face id left for enrollments.</summary>
    private async Task<int> FillAsync(SqliteGalleryStore store, List<float[]> samples)
    {
        var random = new Random(size);
        var synthetic = size - GalleryRun.Enrollments;
        var subjects = Enumerable.Range(0, (size / GalleryRun.FacesPerSubject) + 1)
            .Select(i => new SubjectInfo($"s{i}", null, null, DateTimeOffset.UnixEpoch.AddSeconds(i), 0)).ToArray();
        await store.ImportSubjectsAsync(GalleryRun.Tenant, subjects);
        var faces = Enumerable.Range(0, synthetic).Select(i =>
        {
            var vector = Synthetic.UnitVector(random, GalleryRun.Dimension);
            if (i % Math.Max(1, size / 1000) == 0)
            {
                samples.Add(vector);
            }

            return new StoredFace($"f{i}", $"s{i / GalleryRun.FacesPerSubject}", vector, GalleryRun.Model);
        });
        foreach (var chunk in faces.Chunk(50_000))
        {
            foreach (var shard in chunk.GroupBy(f => GalleryOptions.ShardOf(f.FaceId, settings.Shards)))
            {
                await store.ImportFacesAsync(GalleryRun.Tenant, shard.Key, shard.ToArray());
            }
        }

        return synthetic;
    }

    private static void Reset(string folder)
    {
        if (Directory.Exists(folder))
        {
            Directory.Delete(folder, recursive: true);
        }

        Directory.CreateDirectory(folder);
    }
}

internal sealed record EncryptionResult(int Faces, Latency Clear, Latency Sealed, double ClearEnrollRate, double SealedEnrollRate, TimeSpan ClearLoad, TimeSpan SealedLoad);
