using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using FaceOrleans.Contracts;
using FaceOrleans.Grains.Gallery;
using FaceOrleans.Grains.Protection;
using FaceOrleans.Tests.Api;
using FaceOrleans.Vision;
using Microsoft.Data.Sqlite;

namespace FaceOrleans.Tests.Gallery;

/// <summary>
/// Model identity on real photos with the two shipped recognizers: a gallery enrolled under face_embed_512d and
/// searched after the tenant's slice switched to mobilefacenet_128d answers 409 naming both, never a mixed search;
/// re-embedding from stored photos is the way forward, and refused, changing nothing, where none were kept.
/// Plus the migration of a gallery file written before model identity.
/// </summary>
public sealed class ModelIdentityTests
{
    private const string WithPhotos = "kept";
    private const string WithoutPhotos = "bare";

    [Theory]
    [InlineData("sqlite")]
    [InlineData("redis")]
    public async Task A_gallery_searched_after_the_recognizer_changed_answers_409_naming_both_models_until_it_is_reembedded(string kind)
    {
        await using var redis = kind == "redis" ? await Cluster.RedisServer.StartAsync() : null;
        var data = Directory.CreateTempSubdirectory("faceorleans-models-");
        var settings = ApiProcess.Settings(data.FullName);
        // The API seals the gallery: the test reads it back with the same master key.
        settings["FaceOrleans:Protection:MasterKey"] = MasterKeyProvider.NewKeyText();
        var keys = MasterKeyProvider.FromBase64(settings["FaceOrleans:Protection:MasterKey"]);
        IGalleryStore store = new SqliteGalleryStore(Path.Combine(data.FullName, "state-gallery.db"), keys: keys);
        if (redis is not null)
        {
            // Keeps the master key set above (the test opens the store with it).
            ApiProcess.UseRedis(settings, redis);
            store = new RedisGalleryStore(RedisGalleryStore.Connect(redis.StoreConnectionString), "faceorleans", keys: keys);
        }

        var first = ShippedModels.Identity("face_embed_512d");
        var second = ShippedModels.Identity("mobilefacenet_128d");
        var api = await ApiProcess.StartAsync(settings);
        try
        {
            using (var client = api.Client())
            {
                Assert.Equal(HttpStatusCode.OK, (await client.PutAsJsonAsync($"/v1/{WithPhotos}/config", new { store_enrollment_photos = true })).StatusCode);
                foreach (var tenant in new[] { WithPhotos, WithoutPhotos })
                {
                    Assert.Equal(HttpStatusCode.Created, (await client.PostAsJsonAsync($"/v1/{tenant}/subjects", new { id = "ann" })).StatusCode);
                    Assert.Equal(HttpStatusCode.Created, (await client.PostAsync($"/v1/{tenant}/subjects/ann/faces", ApiFixture.Form(("image", "img10.jpg")))).StatusCode);
                    Assert.Equal("ann", await MatchAsync(client, tenant, "img2.jpg"));
                }
            }

            await api.DisposeAsync();
            settings["FaceOrleans:Slice:Recognizer"] = second.Name;
            api = await ApiProcess.StartAsync(settings);
            using (var client = api.Client())
            {
                foreach (var tenant in new[] { WithPhotos, WithoutPhotos })
                {
                    var identify = await client.PostAsync($"/v1/{tenant}/identify", ApiFixture.Form(("image", "img2.jpg")));
                    AssertNamesBoth(await ProblemAssert.IsProblemAsync(identify, HttpStatusCode.Conflict, "gallery-model-mismatch"), first, second);
                    var verify = await client.PostAsync($"/v1/{tenant}/subjects/ann/verify", ApiFixture.Form(("image", "img2.jpg")));
                    AssertNamesBoth(await ProblemAssert.IsProblemAsync(verify, HttpStatusCode.Conflict, "gallery-model-mismatch"), first, second);

                    // A gallery is one embedding space: a face of the new recognizer is not stored beside the old ones.
                    Assert.Equal(HttpStatusCode.Created, (await client.PostAsJsonAsync($"/v1/{tenant}/subjects", new { id = "ben" })).StatusCode);
                    var enroll = await client.PostAsync($"/v1/{tenant}/subjects/ben/faces", ApiFixture.Form(("image", "img12.jpg")));
                    AssertNamesBoth(await ProblemAssert.IsProblemAsync(enroll, HttpStatusCode.Conflict, "gallery-model-mismatch"), first, second);
                }

                var refused = await client.PostAsync($"/v1/{WithoutPhotos}/gallery/reembed", null);
                var problem = await ProblemAssert.IsProblemAsync(refused, HttpStatusCode.Conflict, "enrollment-photos-missing");
                Assert.Contains("store_enrollment_photos", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
                await ProblemAssert.IsProblemAsync(
                    await client.PostAsync($"/v1/{WithoutPhotos}/identify", ApiFixture.Form(("image", "img2.jpg"))), HttpStatusCode.Conflict, "gallery-model-mismatch");

                // Without photos the way forward is to enroll again: once the old faces are gone, the new recognizer's are stored.
                Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync($"/v1/{WithoutPhotos}/subjects/ann")).StatusCode);
                Assert.Equal(HttpStatusCode.Created, (await client.PostAsync($"/v1/{WithoutPhotos}/subjects/ben/faces", ApiFixture.Form(("image", "img10.jpg")))).StatusCode);
                Assert.Equal("ben", await MatchAsync(client, WithoutPhotos, "img2.jpg"));

                var reembedded = await client.PostAsync($"/v1/{WithPhotos}/gallery/reembed", null);
                Assert.True(reembedded.StatusCode == HttpStatusCode.OK, $"{reembedded.StatusCode}: {await reembedded.Content.ReadAsStringAsync()}");
                var result = await reembedded.Content.ReadFromJsonAsync<JsonElement>();
                Assert.Equal((second.Name, second.Version, second.Dimension, 1, 0), (result.GetProperty("model").GetString(), result.GetProperty("model_version").GetString(),
                    result.GetProperty("dimensions").GetInt32(), result.GetProperty("reembedded").GetInt32(), result.GetProperty("unchanged").GetInt32()));
                Assert.Equal("ann", await MatchAsync(client, WithPhotos, "img2.jpg"));
                Assert.Equal(HttpStatusCode.Created, (await client.PostAsync($"/v1/{WithPhotos}/subjects/ben/faces", ApiFixture.Form(("image", "img12.jpg")))).StatusCode);
            }

            // Restarted on the re-embedded gallery: the shards' snapshots and the store agree on the new recognizer.
            await api.DisposeAsync();
            api = await ApiProcess.StartAsync(settings);
            using (var client = api.Client())
            {
                Assert.Equal("ann", await MatchAsync(client, WithPhotos, "img2.jpg"));
            }

            var stored = new List<StoredFace>();
            for (var shard = 0; shard < 8; shard++)
            {
                await foreach (var face in store.LoadShardAsync(WithPhotos, shard))
                {
                    stored.Add(face);
                }
            }

            Assert.Equal(2, stored.Count);
            Assert.All(stored, f => Assert.Equal((second, second.Dimension), (f.Model, f.Embedding.Length)));
        }
        finally
        {
            await api.DisposeAsync();
            data.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task A_gallery_file_from_before_model_identity_is_attributed_by_dimension_once_and_rewritten()
    {
        var data = Directory.CreateTempSubdirectory("faceorleans-legacy-");
        var path = Path.Combine(data.FullName, "gallery.db");
        try
        {
            var random = new Random(5);
            var faces = new[] { ("f512", GalleryIndexTests.UnitVector(random, 512)), ("f128", GalleryIndexTests.UnitVector(random, 128)) };
            WriteLegacyGallery(path, faces);

            var legacy = LegacyEmbeddings.FromManifest(ModelCatalog.Open(TestPaths.ModelsDirectory), recognizer: null);
            var store = new SqliteGalleryStore(path, legacy);
            var loaded = new List<StoredFace>();
            await foreach (var face in store.LoadShardAsync("old", 0))
            {
                loaded.Add(face);
            }

            Assert.Equal(
                [("f128", ShippedModels.Identity("mobilefacenet_128d")), ("f512", ShippedModels.Identity("face_embed_512d"))],
                loaded.OrderBy(f => f.FaceId, StringComparer.Ordinal).Select(f => (f.FaceId, f.Model)));
            Assert.Equal(faces.OrderBy(f => f.Item1, StringComparer.Ordinal).Select(f => f.Item2), loaded.OrderBy(f => f.FaceId, StringComparer.Ordinal).Select(f => f.Embedding));

            // Rewritten in the file, once: opened again without a manifest, the rows keep what the migration gave them.
            await using (var connection = new SqliteConnection($"Data Source={path};Pooling=False"))
            {
                await connection.OpenAsync();
                await using var rows = connection.CreateCommand();
                rows.CommandText = "SELECT COUNT(*) FROM gallery_faces WHERE model IS NULL OR model_version IS NULL OR dimension IS NULL";
                Assert.Equal(0L, await rows.ExecuteScalarAsync());
                // Version 2: the rows' key ids (encryption at rest) came after model identity.
                rows.CommandText = "PRAGMA user_version";
                Assert.Equal(2L, await rows.ExecuteScalarAsync());
            }

            var reopened = await new SqliteGalleryStore(path).GetFacesAsync("old", 0, ["f512", "f128"]);
            Assert.Equal(loaded.Select(f => f.Model.Key).Order().ToArray(), reopened.Select(f => f.Model.Key).Order().ToArray());
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            data.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task A_redis_value_from_before_model_identity_is_attributed_by_dimension_and_written_back_with_its_model()
    {
        await using var redis = await Cluster.RedisServer.StartAsync();
        using var connection = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(redis.ConnectionString);
        var key = "faceorleans:legacy-tests:gallery:old:shard:0";
        var embedding = GalleryIndexTests.UnitVector(new Random(7), 128);
        var subject = System.Text.Encoding.UTF8.GetBytes("p");
        byte[] legacyValue = [.. BitConverter.GetBytes(subject.Length), .. subject, .. System.Runtime.InteropServices.MemoryMarshal.AsBytes(embedding.AsSpan())];
        await connection.GetDatabase().HashSetAsync(key, "f128", legacyValue);

        var legacy = LegacyEmbeddings.FromManifest(ModelCatalog.Open(TestPaths.ModelsDirectory), recognizer: null);
        var store = new RedisGalleryStore(connection, "legacy-tests", legacy);
        var loaded = new List<StoredFace>();
        await foreach (var face in store.LoadShardAsync("old", 0))
        {
            loaded.Add(face);
        }

        var only = Assert.Single(loaded);
        Assert.Equal(("f128", "p", ShippedModels.Identity("mobilefacenet_128d")), (only.FaceId, only.SubjectId, only.Model));
        Assert.Equal(embedding, only.Embedding);
        var rewritten = (byte[])(await connection.GetDatabase().HashGetAsync(key, "f128"))!;
        Assert.NotEqual(legacyValue, rewritten);
        var again = Assert.Single(await new RedisGalleryStore(connection, "legacy-tests").GetFacesAsync("old", 0, ["f128"]));
        Assert.Equal((only.Model, only.SubjectId), (again.Model, again.SubjectId));
        Assert.Equal(embedding, again.Embedding);
    }

    [Fact]
    public async Task A_snapshot_of_another_recognizer_is_set_aside_and_a_mixed_shard_names_the_foreign_one()
    {
        var data = Directory.CreateTempSubdirectory("faceorleans-snapshot-model-");
        try
        {
            var store = new SqliteGalleryStore(Path.Combine(data.FullName, "gallery.db"));
            var directory = Directory.CreateDirectory(Path.Combine(data.FullName, "shard")).FullName;
            var (first, second) = (ShippedModels.Identity("face_embed_512d"), ShippedModels.Identity("mobilefacenet_128d"));
            var random = new Random(11);
            await store.CreateSubjectAsync("t", new SubjectInfo("p", null, null, DateTimeOffset.UtcNow, 0));
            var faces = Enumerable.Range(0, 20).Select(i => new StoredFace($"f{i}", "p", GalleryIndexTests.UnitVector(random, 512), first)).ToArray();
            await store.ImportFacesAsync("t", 0, faces);
            var (index, _) = await GalleryShardLoader.LoadAsync(store, "t", 0, directory);
            Assert.Equal(first, index.Model);
            index.WriteSnapshot(directory, "t", 0);
            index.Dispose();

            // Re-embedded in the store under the same ids: the snapshot's old vectors must not come back.
            var reembedded = faces.Select(f => f with { Embedding = GalleryIndexTests.UnitVector(random, 128), Model = second }).ToArray();
            Assert.Equal(20, await store.ReplaceEmbeddingsAsync("t", 0, reembedded));
            var (reloaded, report) = await GalleryShardLoader.LoadAsync(store, "t", 0, directory);
            using (reloaded)
            {
                Assert.Equal((false, 20, 128, second), (report.FromSnapshot, reloaded.Count, reloaded.Dimension, reloaded.Model));
                Assert.Null(report.Foreign);
            }

            // Faces of two recognizers in one shard (written before model identity): one is indexed, the other named.
            await store.ImportFacesAsync("t", 1, faces.Take(3).Select(f => f with { FaceId = "x" + f.FaceId }).ToArray());
            await store.ImportFacesAsync("t", 1, reembedded.Take(2).Select(f => f with { FaceId = "y" + f.FaceId }).ToArray());
            var (mixed, mixedReport) = await GalleryShardLoader.LoadAsync(store, "t", 1, directory: null);
            using (mixed)
            {
                Assert.NotNull(mixedReport.Foreign);
                Assert.NotEqual(mixed.Model, mixedReport.Foreign);
                Assert.Equal([first, second], new[] { mixed.Model!, mixedReport.Foreign! }.OrderByDescending(m => m.Dimension));
                Assert.Equal(mixed.Model == first ? 3 : 2, mixed.Count);
            }
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            data.Delete(recursive: true);
        }
    }

    private static void AssertNamesBoth(JsonElement problem, EmbeddingModel gallery, EmbeddingModel request)
    {
        var detail = problem.GetProperty("detail").GetString()!;
        Assert.Contains(gallery.ToString(), detail, StringComparison.Ordinal);
        Assert.Contains(request.ToString(), detail, StringComparison.Ordinal);
    }

    private static async Task<string?> MatchAsync(HttpClient client, string tenant, string photo)
    {
        var identified = await client.PostAsync($"/v1/{tenant}/identify", ApiFixture.Form(("image", photo)));
        Assert.Equal(HttpStatusCode.OK, identified.StatusCode);
        return (await identified.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("faces")[0].GetProperty("match").GetString();
    }

    /// <summary>A gallery file as SqliteGalleryStore wrote it before model identity: no model columns, schema version 0.</summary>
    private static void WriteLegacyGallery(string path, IEnumerable<(string FaceId, float[] Embedding)> faces)
    {
        using var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = """
            CREATE TABLE gallery_subjects (
                tenant TEXT NOT NULL, subject_id TEXT NOT NULL, display_name TEXT, metadata TEXT, created_utc TEXT NOT NULL,
                PRIMARY KEY (tenant, subject_id));
            CREATE TABLE gallery_faces (
                tenant TEXT NOT NULL, face_id TEXT NOT NULL, shard INTEGER NOT NULL, subject_id TEXT NOT NULL, embedding BLOB NOT NULL,
                PRIMARY KEY (tenant, face_id),
                FOREIGN KEY (tenant, subject_id) REFERENCES gallery_subjects (tenant, subject_id) ON DELETE CASCADE);
            INSERT INTO gallery_subjects VALUES ('old', 'p', NULL, NULL, '2026-01-01T00:00:00.0000000+00:00');
            """;
        command.ExecuteNonQuery();
        foreach (var (faceId, embedding) in faces)
        {
            using var insert = connection.CreateCommand();
            insert.CommandText = "INSERT INTO gallery_faces VALUES ('old', $face, 0, 'p', $embedding)";
            insert.Parameters.AddWithValue("$face", faceId);
            insert.Parameters.AddWithValue("$embedding", System.Runtime.InteropServices.MemoryMarshal.AsBytes(embedding.AsSpan()).ToArray());
            insert.ExecuteNonQuery();
        }
    }
}
