using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using FaceOrleans.Grains.Gallery;
using FaceOrleans.Tests.Api;
using FaceOrleans.Tests.Cluster;

namespace FaceOrleans.Tests.Gallery;

/// <summary>
/// An erased face leaves no copy on disk: the real API process in the embedded default (SQLite gallery, shard
/// snapshot and vector files) with its own data folder, searched byte by byte for the photo's embedding, its
/// enrollment photo and its face id before and after a delete of the face, the subject or the whole tenant.
/// </summary>
public sealed class ErasureTests
{
    internal const string Tenant = "erasure";

    // Four runs spread over the embedding, and four over the photo past its headers (which any JPEG may share).
    private static readonly int[] EmbeddingOffsets = [0, 500, 1000, 1900];
    private static readonly int[] PhotoEighths = [1, 3, 5, 7];

    [Fact]
    public Task Deleting_a_face_or_a_subject_leaves_no_copy_of_its_embedding_photo_or_id_on_disk() => WithApiAsync(async (api, data) =>
    {
        using var client = api.Client();
        Assert.Equal(HttpStatusCode.OK, (await client.PutAsJsonAsync($"/v1/{Tenant}/config", new { store_enrollment_photos = true })).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await client.PostAsJsonAsync($"/v1/{Tenant}/subjects", new { id = "ann" })).StatusCode);

        var probes = await ProbesAsync(client);

        // By the face route: found in the store and the vector file first (so the probe can find them), gone after.
        var faceId = await EnrollAsync(client);
        var before = Search(data, probes, faceId);
        Assert.All(probes, p => Assert.Contains(before[p], f => f.EndsWith("-gallery.db", StringComparison.Ordinal) || f.EndsWith("-gallery.db-wal", StringComparison.Ordinal)));
        Assert.All(probes[..4], p => Assert.Contains(before[p], f => Path.GetFileName(f).StartsWith("vectors-", StringComparison.Ordinal)));
        // The grain state (tenant records, keys) never holds a face.
        Assert.All(probes, p => Assert.DoesNotContain(before[p], f => Path.GetFileName(f).StartsWith("state.db", StringComparison.Ordinal)));
        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync($"/v1/{Tenant}/subjects/ann/faces/{faceId}")).StatusCode);
        AssertNoCopy(data, probes, faceId);

        // By the subject route, once the shard's snapshot has been written with the face in it.
        faceId = await EnrollAsync(client);
        await WaitForAsync(() => Search(data, [], faceId)[faceId].Any(f => f.EndsWith("index.snapshot", StringComparison.Ordinal)));
        Assert.All(probes, p => Assert.NotEmpty(Search(data, probes, faceId)[p]));
        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync($"/v1/{Tenant}/subjects/ann")).StatusCode);
        AssertNoCopy(data, probes, faceId);

        // The erasure answered before anything could write the face back, and nothing did afterwards.
        await Task.Delay(TimeSpan.FromSeconds(3));
        AssertNoCopy(data, probes, faceId);
        var identified = await client.PostAsync($"/v1/{Tenant}/identify", ApiFixture.Form(("image", "img10.jpg")));
        Assert.DoesNotContain("\"ann\"", await identified.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    });

    [Fact]
    public Task Deleting_a_pinned_tenant_needs_an_admin_and_its_name_leaves_nothing_of_it_on_disk_and_brings_it_back_empty() => WithApiAsync(async (api, data) =>
    {
        using var admin = api.Client();
        Assert.Equal(HttpStatusCode.OK, (await admin.PutAsJsonAsync($"/v1/{Tenant}/config", new { store_enrollment_photos = true })).StatusCode);
        var issued = await ApiFixture.OkJsonAsync(await admin.PostAsJsonAsync("/v1/keys", new { tenant = Tenant, role = "TenantAdmin" }));
        using var tenantAdmin = api.Client(issued.GetProperty("key").GetString());
        Assert.Equal(HttpStatusCode.Created, (await admin.PostAsJsonAsync($"/v1/{Tenant}/subjects", new { id = "ann" })).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await admin.PostAsJsonAsync($"/v1/{Tenant}/subjects", new { id = "bob" })).StatusCode);
        var faceId = await EnrollAsync(admin);
        var other = await admin.PostAsync($"/v1/{Tenant}/subjects/bob/faces", ApiFixture.Form(("image", "img2.jpg")));
        Assert.Equal(HttpStatusCode.Created, other.StatusCode);
        var probes = await ProbesAsync(admin);
        await WaitForAsync(() => Search(data, [], faceId)[faceId].Any(f => f.EndsWith("index.snapshot", StringComparison.Ordinal)));
        Assert.All(probes, p => Assert.NotEmpty(Search(data, probes, faceId)[p]));

        // Refused, and nothing erased: without the confirmation, with the wrong one, or by the tenant's own admin.
        var missing = await ProblemAssert.IsProblemAsync(await admin.DeleteAsync($"/v1/{Tenant}"), HttpStatusCode.BadRequest, "invalid-parameter");
        Assert.Equal("confirm", missing.GetProperty("field").GetString());
        await ProblemAssert.IsProblemAsync(await admin.DeleteAsync($"/v1/{Tenant}?confirm=other"), HttpStatusCode.BadRequest, "invalid-parameter");
        await ProblemAssert.IsProblemAsync(await tenantAdmin.DeleteAsync($"/v1/{Tenant}?confirm={Tenant}"), HttpStatusCode.Forbidden, "forbidden");
        Assert.Equal(2, (await ApiFixture.OkJsonAsync(await admin.GetAsync($"/v1/{Tenant}/subjects"))).GetProperty("total").GetInt64());

        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync($"/v1/{Tenant}?confirm={Tenant}")).StatusCode);
        AssertNoCopy(data, probes, faceId);
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(data.FullName, "gallery-index"), "*", SearchOption.AllDirectories));

        // Its keys are revoked; the tenant, pinned by configuration, answers again, empty, with the default settings.
        await ProblemAssert.IsProblemAsync(await tenantAdmin.GetAsync($"/v1/{Tenant}"), HttpStatusCode.Unauthorized, "invalid-api-key");
        var tenant = await ApiFixture.OkJsonAsync(await admin.GetAsync($"/v1/{Tenant}"));
        Assert.False(tenant.GetProperty("config").GetProperty("store_enrollment_photos").GetBoolean());
        await ProblemAssert.IsProblemAsync(await admin.GetAsync("/v1/other"), HttpStatusCode.NotFound, "unknown-tenant");
        Assert.Equal(0, (await ApiFixture.OkJsonAsync(await admin.GetAsync($"/v1/{Tenant}/subjects"))).GetProperty("total").GetInt64());
        await Task.Delay(TimeSpan.FromSeconds(3));
        AssertNoCopy(data, probes, faceId);
    }, pinned: true);

    [Fact]
    public async Task Deleting_a_tenant_on_redis_deletes_every_key_of_its_gallery_and_no_other_tenants()
    {
        await using var redis = await RedisServer.StartAsync();
        await WithApiAsync(async (api, data) =>
        {
            using var admin = api.Client();
            foreach (var tenant in (string[])[Tenant, "kept"])
            {
                Assert.Equal(HttpStatusCode.Created, (await admin.PostAsJsonAsync($"/v1/{tenant}/subjects", new { id = "ann" })).StatusCode);
                Assert.Equal(HttpStatusCode.Created, (await admin.PostAsync($"/v1/{tenant}/subjects/ann/faces", ApiFixture.Form(("image", "img10.jpg")))).StatusCode);
            }

            using var connection = RedisGalleryStore.Connect(redis.StoreConnectionString);
            var server = connection.GetServers().Single();
            int KeysOf(string tenant) => server.Keys(pattern: $"*:gallery:{tenant}:*").Count();
            Assert.True(KeysOf(Tenant) >= 3, "the gallery's keys were not where the test looks");
            var kept = KeysOf("kept");

            Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync($"/v1/{Tenant}?confirm={Tenant}")).StatusCode);
            Assert.Equal(0, KeysOf(Tenant));
            Assert.Equal(kept, KeysOf("kept"));
            var cache = Path.Combine(data.FullName, "gallery-index");
            Assert.DoesNotContain(Directory.EnumerateFiles(cache, "*", SearchOption.AllDirectories), f => Path.GetRelativePath(cache, f).StartsWith($"{Tenant}-", StringComparison.Ordinal));
            Assert.Contains(Directory.EnumerateFiles(cache, "vectors-*", SearchOption.AllDirectories), f => Path.GetRelativePath(cache, f).StartsWith("kept-", StringComparison.Ordinal));
            Assert.Equal(0, (await ApiFixture.OkJsonAsync(await admin.GetAsync($"/v1/{Tenant}/subjects"))).GetProperty("total").GetInt64());
            var identified = await admin.PostAsync("/v1/kept/identify", ApiFixture.Form(("image", "img10.jpg")));
            Assert.Contains("\"ann\"", await identified.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }, redis);
    }

    /// <summary>Runs <paramref name="test"/> against a fresh API process with a data folder of its own, on SQLite or on <paramref name="redis"/>, the tenant pinned or open.</summary>
    private static Task WithApiAsync(Func<ApiProcess, DirectoryInfo, Task> test, RedisServer? redis = null, bool pinned = false) =>
        ApiProcess.RunAsync("faceorleans-erasure-", settings =>
        {
            if (pinned)
            {
                ApiProcess.Pin(settings, Tenant);
            }

            // Snapshots every second, so a shard's snapshot holds the face before it is deleted.
            settings["FaceOrleans:Gallery:SnapshotInterval"] = "00:00:01";
            // Erasure is shown on a gallery in the clear, where the probe sees every copy before the delete (a sealed
            // gallery keeps no snapshot and no readable copy at all: EncryptionAtRestTests).
            settings["FaceOrleans:Protection:Enabled"] = "false";
            ApiProcess.UseRedis(settings, redis);
        }, test);

    /// <summary>Runs of img10.jpg's embedding (as <paramref name="tenant"/>'s /embed gives it) and of the photo's own bytes.</summary>
    internal static async Task<byte[][]> ProbesAsync(HttpClient client, string tenant = Tenant)
    {
        var embedded = await ApiFixture.OkJsonAsync(await client.PostAsync($"/v1/{tenant}/embed?encoding=base64", ApiFixture.Form(("image", "img10.jpg"))));
        var embedding = Convert.FromBase64String(Assert.Single(embedded.GetProperty("faces").EnumerateArray()).GetProperty("embedding_base64").GetString()!);
        Assert.Equal(512 * sizeof(float), embedding.Length);
        var photo = TestPaths.Photo("img10.jpg");
        return EmbeddingOffsets.Select(o => embedding[o..(o + 32)])
            .Concat(PhotoEighths.Select(i => photo[(photo.Length * i / 8)..(photo.Length * i / 8 + 32)])).ToArray();
    }

    private static async Task<string> EnrollAsync(HttpClient client)
    {
        var enrolled = await client.PostAsync($"/v1/{Tenant}/subjects/ann/faces", ApiFixture.Form(("image", "img10.jpg")));
        Assert.Equal(HttpStatusCode.Created, enrolled.StatusCode);
        return (await enrolled.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("face_id").GetString()!;
    }

    private static void AssertNoCopy(DirectoryInfo data, IReadOnlyList<byte[]> probes, string faceId)
    {
        var found = Search(data, probes, faceId);
        Assert.All(found, f => Assert.True(f.Value.Count == 0, $"a copy is still on disk, in {string.Join(", ", f.Value)}"));
    }

    /// <summary>For each probe (and the face id's UTF-8 bytes, keyed by the id), the files under the data folder that contain it.</summary>
    internal static Dictionary<object, List<string>> Search(DirectoryInfo data, IReadOnlyList<byte[]> probes, string faceId)
    {
        var id = Encoding.UTF8.GetBytes(faceId);
        var found = probes.ToDictionary(p => (object)p, _ => new List<string>());
        found[faceId] = [];
        foreach (var file in data.EnumerateFiles("*", SearchOption.AllDirectories))
        {
            var bytes = ReadUnlocked(file.FullName);
            foreach (var probe in probes)
            {
                if (bytes.AsSpan().IndexOf(probe) >= 0)
                {
                    found[probe].Add(file.FullName);
                }
            }

            // The id is in request lines of the tenant's log by design; the gallery's files must not keep it.
            if (!file.Name.EndsWith(".log", StringComparison.Ordinal) && bytes.AsSpan().IndexOf(id) >= 0)
            {
                found[faceId].Add(file.FullName);
            }
        }

        return found;
    }

    /// <summary>
    /// The file's bytes as another process sees them: through cat, because .NET takes an advisory lock on every file
    /// it opens and the shard holds its vector file exclusively.
    /// </summary>
    internal static byte[] ReadUnlocked(string path)
    {
        using var cat = Process.Start(new ProcessStartInfo("cat", [path]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        using var bytes = new MemoryStream();
        cat.StandardOutput.BaseStream.CopyTo(bytes);
        cat.WaitForExit();
        // A file removed between listing and reading (a snapshot's temporary) holds nothing.
        return cat.ExitCode == 0 ? bytes.ToArray() : [];
    }

    private static async Task WaitForAsync(Func<bool> condition)
    {
        for (var attempt = 0; attempt < 300 && !condition(); attempt++)
        {
            await Task.Delay(100);
        }

        Assert.True(condition(), "the shard never wrote its snapshot");
    }
}
