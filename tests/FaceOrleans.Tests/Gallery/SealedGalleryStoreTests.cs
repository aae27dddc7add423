using FaceOrleans.Contracts;
using FaceOrleans.Contracts.Hosting;
using FaceOrleans.Grains.Gallery;
using FaceOrleans.Grains.Protection;
using FaceOrleans.Tests.Cluster;

namespace FaceOrleans.Tests.Gallery;

/// <summary>
/// The gallery stores sealing their rows, on a real SQLite file and a real Redis server: nothing of an embedding, a
/// photo or a subject's name and metadata is stored in the clear, everything reads back exactly, and the background
/// re-sealing (a gallery in the clear, then a key rotation) can be stopped part way by a restart and finishes after it.
/// </summary>
public sealed class SealedGalleryStoreTests : IDisposable
{
    private const string Tenant = "sealed";
    private const int Dimension = 512;
    private static readonly EmbeddingModel Model = new("arcface_r100", "1", Dimension);
    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("faceorleans-sealed-");
    private readonly string _masterKey = MasterKeyProvider.NewKeyText();

    [Theory]
    [InlineData("sqlite")]
    [InlineData("redis")]
    public async Task Sealed_rows_hold_no_plaintext_read_back_exactly_and_do_not_open_under_another_tenant_or_master_key(string kind)
    {
        await using var redis = kind == "redis" ? await RedisServer.StartAsync(Directory.CreateDirectory(Path.Combine(_folder.FullName, "redis")).FullName) : null;
        var store = Open(redis, KeysOf(_masterKey));
        var photo = TestPaths.Photo("img10.jpg");
        var metadata = new Dictionary<string, string> { ["employee"] = "E-4711-unmistakable" };
        Assert.True(await store.CreateSubjectAsync(Tenant, new SubjectInfo("ann", "Ann Unmistakable-Name", metadata, DateTimeOffset.UtcNow, 0)));
        var face = new StoredFace("face-1", "ann", Embedding(new Random(5)), Model);
        Assert.True(await store.AddFaceAsync(Tenant, 0, face, photo));

        Assert.Equal(face.Embedding, Assert.Single(await store.GetFacesAsync(Tenant, 0, ["face-1"])).Embedding);
        Assert.Equal(photo, await store.GetPhotoAsync(Tenant, "ann", "face-1"));
        var subject = await store.GetSubjectAsync(Tenant, "ann");
        Assert.Equal("Ann Unmistakable-Name", subject!.DisplayName);
        Assert.Equal(metadata, subject.Metadata);
        Assert.All(await store.CountSealedRowsAsync(Tenant), rows => Assert.Equal(1, rows.KeyId));

        await store.EraseRemnantsAsync();
        await PersistAsync(redis);
        var probes = Probes(face.Embedding, photo, "Unmistakable-Name", "E-4711-unmistakable");
        Assert.Empty(Found(probes));

        // The same rows under another master key do not open: start-up refuses the key before reading a row.
        var wrong = KeysOf(MasterKeyProvider.NewKeyText());
        var key = (await Open(redis, wrong).AnyDataKeyAsync())!.Value;
        await Assert.ThrowsAsync<MasterKeyException>(() => wrong.UnwrapAsync(key.Tenant, key.Key.Wrapped));
        await Assert.ThrowsAsync<MasterKeyException>(() => KeysOf(_masterKey).UnwrapAsync("another-tenant", key.Key.Wrapped));
    }

    [Theory]
    [InlineData("sqlite")]
    [InlineData("redis")]
    public async Task A_gallery_in_the_clear_and_then_a_rotation_are_resealed_across_restarts_and_read_back_the_same(string kind)
    {
        await using var redis = kind == "redis" ? await RedisServer.StartAsync() : null;
        var clear = Open(redis, keys: null);
        var random = new Random(17);
        var faces = new List<StoredFace>();
        for (var s = 0; s < 60; s++)
        {
            Assert.True(await clear.CreateSubjectAsync(Tenant, new SubjectInfo($"s{s}", $"Subject {s}", null, DateTimeOffset.UtcNow, 0)));
            for (var f = 0; f < 20; f++)
            {
                var face = new StoredFace($"f{s}-{f}", $"s{s}", Embedding(random), Model);
                Assert.True(await clear.AddFaceAsync(Tenant, f % 2, face, f == 0 ? [1, 2, 3, (byte)s] : null));
                faces.Add(face);
            }
        }

        // First start with a master key: one batch re-sealed, then the process stops.
        var first = Open(redis, KeysOf(_masterKey));
        Assert.Equal([Tenant], await first.TenantsToSealAsync());
        // SQLite stops at the batch's size, Redis after the hash in which it reached it: either way, part of 1320 rows.
        Assert.InRange(await first.SealBatchAsync(Tenant, 500), 500, 1319);
        await AssertReadsBackAsync(first, faces);

        // A restart finishes the job, and finds nothing left to do.
        var second = Open(redis, KeysOf(_masterKey));
        await SweepAsync(second);
        Assert.All(await second.CountSealedRowsAsync(Tenant), rows => Assert.Equal(1, rows.KeyId));
        await AssertReadsBackAsync(second, faces);

        // A rotation: new rows under key 2 at once, old ones re-sealed by a sweep that a restart interrupts.
        Assert.Equal(2, await second.Cipher!.RotateAsync(Tenant));
        var late = new StoredFace("late", "s0", Embedding(random), Model);
        Assert.True(await second.AddFaceAsync(Tenant, 0, late));
        faces.Add(late);
        Assert.Contains(await second.CountSealedRowsAsync(Tenant), rows => rows is { KeyId: 2, Kind: "faces", Rows: 1 });
        Assert.InRange(await second.SealBatchAsync(Tenant, 100), 100, 1319);

        var third = Open(redis, KeysOf(_masterKey));
        await SweepAsync(third);
        Assert.All(await third.CountSealedRowsAsync(Tenant), rows => Assert.Equal(2, rows.KeyId));
        await AssertReadsBackAsync(third, faces);
        Assert.Equal([1, 2, 3, 0], await third.GetPhotoAsync(Tenant, "s0", "f0-0"));
        Assert.Equal("Subject 7", (await third.GetSubjectAsync(Tenant, "s7"))!.DisplayName);

        // Deleting the tenant deletes its data keys with its rows.
        await third.DeleteTenantAsync(Tenant);
        Assert.Empty(await third.GetDataKeysAsync(Tenant));
        Assert.Null(await third.AnyDataKeyAsync());
    }

    public void Dispose() => _folder.Delete(recursive: true);

    private IProtectedGalleryStore Open(RedisServer? redis, MasterKeyProvider? keys) => redis is null
        ? new SqliteGalleryStore(Path.Combine(_folder.FullName, "gallery.db"), keys: keys)
        : new RedisGalleryStore(RedisGalleryStore.Connect(redis.StoreConnectionString), "sealed-tests", keys: keys);

    private static MasterKeyProvider KeysOf(string masterKey) => MasterKeyProvider.FromBase64(masterKey);

    /// <summary>Sweeps until a call re-seals nothing and the store names no tenant left to seal (Redis: once the new key is older than a ring's lifetime).</summary>
    private static async Task SweepAsync(IProtectedGalleryStore store)
    {
        while (await store.SealBatchAsync(Tenant, 500) > 0)
        {
        }

        await store.EraseRemnantsAsync();
    }

    private static async Task AssertReadsBackAsync(IGalleryStore store, List<StoredFace> faces)
    {
        var stored = new Dictionary<string, StoredFace>();
        foreach (var shard in (int[])[0, 1])
        {
            await foreach (var face in store.LoadShardAsync(Tenant, shard))
            {
                stored.Add(face.FaceId, face);
            }
        }

        Assert.Equal(faces.Count, stored.Count);
        Assert.All(faces, face =>
        {
            Assert.Equal(face.SubjectId, stored[face.FaceId].SubjectId);
            Assert.Equal(face.Embedding, stored[face.FaceId].Embedding);
        });
    }

    private static async Task PersistAsync(RedisServer? redis)
    {
        if (redis is not null)
        {
            await using var connection = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(redis.ConnectionString + ",allowAdmin=true");
            // SAVE in the foreground: the dump is on disk when it answers.
            await connection.GetServer(redis.ConnectionString).ExecuteAsync("SAVE");
        }
    }

    private static byte[][] Probes(float[] embedding, byte[] photo, params string[] texts)
    {
        var bytes = System.Runtime.InteropServices.MemoryMarshal.AsBytes(embedding.AsSpan()).ToArray();
        return [.. ((int[])[0, 700, 1400, 2000]).Select(o => bytes[o..(o + 32)]),
            .. ((int[])[1, 3, 5, 7]).Select(i => photo[(photo.Length * i / 8)..(photo.Length * i / 8 + 32)]),
            .. texts.Select(System.Text.Encoding.UTF8.GetBytes)];
    }

    /// <summary>The files under the test's folder (the SQLite file and its log, or Redis's dump and append-only files) holding any probe.</summary>
    private List<string> Found(byte[][] probes) => _folder.EnumerateFiles("*", SearchOption.AllDirectories)
        .Where(file => probes.Any(probe => File.ReadAllBytes(file.FullName).AsSpan().IndexOf(probe) >= 0))
        .Select(file => file.FullName).ToList();

    private static float[] Embedding(Random random)
    {
        var vector = new float[Dimension];
        for (var i = 0; i < vector.Length; i++)
        {
            vector[i] = (float)(random.NextDouble() * 2 - 1);
        }

        var norm = MathF.Sqrt(vector.Sum(v => v * v));
        return vector.Select(v => v / norm).ToArray();
    }
}
