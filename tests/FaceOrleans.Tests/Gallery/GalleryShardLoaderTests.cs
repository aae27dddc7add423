using FaceOrleans.Contracts;
using FaceOrleans.Grains.Gallery;
using FaceOrleans.Tests.Cluster;

namespace FaceOrleans.Tests.Gallery;

/// <summary>
/// A shard's restart: its snapshot read back and reconciled with a real store (SQLite, and a real Redis server),
/// and every way a snapshot can be unusable falling back to the store without losing or inventing a face.
/// </summary>
public sealed class GalleryShardLoaderTests : IDisposable
{
    private const string Tenant = "loader";
    private const int Shard = 3;
    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("faceorleans-loader-");

    private string IndexDirectory => GalleryShardLoader.ShardDirectory(Path.Combine(_folder.FullName, "index"), Tenant, Shard);

    [Theory]
    [InlineData("sqlite")]
    [InlineData("redis")]
    public async Task A_snapshot_from_before_changes_is_reconciled_with_the_store_and_answers_exactly(string kind)
    {
        await using var redis = kind == "redis" ? await RedisServer.StartAsync() : null;
        IGalleryStore store = redis is null
            ? new SqliteGalleryStore(Path.Combine(_folder.FullName, "gallery.db"))
            : new RedisGalleryStore(RedisGalleryStore.Connect(redis.StoreConnectionString), "loader-tests");
        var random = new Random(41);
        var faces = await StoreFacesAsync(store, random, 0, 900);

        var (first, firstReport) = await GalleryShardLoader.LoadAsync(store, Tenant, Shard, Directory.CreateDirectory(IndexDirectory).FullName);
        Assert.False(firstReport.FromSnapshot);
        Assert.True(firstReport.Changed);
        first.WriteSnapshot(IndexDirectory, Tenant, Shard);
        first.Dispose();

        // While the shard was down: 100 faces deleted, 150 enrolled.
        foreach (var face in faces.Take(100))
        {
            Assert.Equal(Shard, await store.DeleteFaceAsync(Tenant, face.SubjectId, face.FaceId));
        }

        var current = faces.Skip(100).Concat(await StoreFacesAsync(store, random, 900, 150)).ToList();
        var (index, report) = await GalleryShardLoader.LoadAsync(store, Tenant, Shard, IndexDirectory);
        using (index)
        {
            Assert.Equal((true, 150, 100, current.Count), (report.FromSnapshot, report.AddedFromStore, report.DroppedAsStale, report.Faces));
            Assert.Equal(current.Select(f => f.FaceId).Order(), index.FaceIds.Order());
            await AssertExactAsync(index, current, random);
        }
    }

    [Fact]
    public async Task An_unusable_snapshot_falls_back_to_the_store()
    {
        var store = new SqliteGalleryStore(Path.Combine(_folder.FullName, "gallery.db"));
        var random = new Random(43);
        var faces = await StoreFacesAsync(store, random, 0, 300);
        var (index, _) = await GalleryShardLoader.LoadAsync(store, Tenant, Shard, Directory.CreateDirectory(IndexDirectory).FullName);
        index.WriteSnapshot(IndexDirectory, Tenant, Shard);
        var snapshot = Path.Combine(IndexDirectory, GalleryIndex.SnapshotFileName);

        // Its vector file is held by a live activation: a second one must not share it.
        var (second, whileHeld) = await GalleryShardLoader.LoadAsync(store, Tenant, Shard, IndexDirectory);
        Assert.False(whileHeld.FromSnapshot);
        Assert.NotEqual(index.Vectors!.Path, second.Vectors!.Path);
        second.Dispose();
        index.Dispose();

        // Another shard's snapshot, or a damaged one, is refused.
        Assert.Null(GalleryIndex.TryReadSnapshot(IndexDirectory, Tenant, Shard + 1));
        Assert.Null(GalleryIndex.TryReadSnapshot(IndexDirectory, "another-tenant", Shard));
        var bytes = await File.ReadAllBytesAsync(snapshot);
        bytes[bytes.Length / 2] ^= 0x40;
        await File.WriteAllBytesAsync(snapshot, bytes);
        Assert.Null(GalleryIndex.TryReadSnapshot(IndexDirectory, Tenant, Shard));

        var (reloaded, report) = await GalleryShardLoader.LoadAsync(store, Tenant, Shard, IndexDirectory);
        using (reloaded)
        {
            Assert.False(report.FromSnapshot);
            Assert.Equal(faces.Select(f => f.FaceId).Order(), reloaded.FaceIds.Order());
            await AssertExactAsync(reloaded, faces, random);
            GalleryShardLoader.DeleteUnusedVectorFiles(IndexDirectory, reloaded);
            Assert.Equal([reloaded.Vectors!.Path], Directory.GetFiles(IndexDirectory, "*.f32"));
        }
    }

    [Fact]
    public async Task An_emptied_shard_leaves_no_snapshot_behind()
    {
        var store = new SqliteGalleryStore(Path.Combine(_folder.FullName, "gallery.db"));
        var faces = await StoreFacesAsync(store, new Random(47), 0, 20);
        var (index, _) = await GalleryShardLoader.LoadAsync(store, Tenant, Shard, Directory.CreateDirectory(IndexDirectory).FullName);
        using (index)
        {
            index.WriteSnapshot(IndexDirectory, Tenant, Shard);
            Assert.True(File.Exists(Path.Combine(IndexDirectory, GalleryIndex.SnapshotFileName)));
            foreach (var face in faces)
            {
                index.Remove(face.FaceId);
            }

            index.WriteSnapshot(IndexDirectory, Tenant, Shard);
            Assert.False(File.Exists(Path.Combine(IndexDirectory, GalleryIndex.SnapshotFileName)));
        }
    }

    private static async Task<List<StoredFace>> StoreFacesAsync(IGalleryStore store, Random random, int first, int count)
    {
        var faces = Enumerable.Range(first, count).Select(i => new StoredFace($"f{i}", $"s{i % 250}", GalleryIndexTests.UnitVector(random, 128), ShippedModels.Identity("mobilefacenet_128d"))).ToList();
        foreach (var subject in faces.Select(f => f.SubjectId).Distinct())
        {
            await store.CreateSubjectAsync(Tenant, new SubjectInfo(subject, null, null, DateTimeOffset.UtcNow, 0));
        }

        foreach (var face in faces)
        {
            Assert.True(await store.AddFaceAsync(Tenant, Shard, face));
        }

        return faces;
    }

    private static async Task AssertExactAsync(GalleryIndex index, IReadOnlyList<StoredFace> faces, Random random)
    {
        var exact = new ExactGalleryIndex(128);
        foreach (var face in faces)
        {
            exact.Add(face.FaceId, face.SubjectId, face.Embedding);
        }

        var queries = Enumerable.Range(0, 10).Select(_ => GalleryIndexTests.UnitVector(random, 128)).ToArray();
        var found = await index.SearchAsync(queries, 5);
        for (var q = 0; q < queries.Length; q++)
        {
            Assert.Equal(exact.Search(queries[q], 5), found[q]);
        }
    }

    public void Dispose() => _folder.Delete(recursive: true);
}
