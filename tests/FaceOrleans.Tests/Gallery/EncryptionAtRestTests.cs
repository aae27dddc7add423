using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using FaceOrleans.Grains.Protection;
using FaceOrleans.Tests.Api;
using FaceOrleans.Tests.Cluster;

namespace FaceOrleans.Tests.Gallery;

/// <summary>
/// Encryption at rest in the real API process on real photos: a gallery written in the clear is sealed at the next
/// start (its master key file created), after which no run of img10.jpg's embedding (as /embed gives it) or of the
/// photo is found in any file of the data folder, and identify answers exactly as before; a key rotation re-seals
/// everything under the new key; a wrong or missing master key stops start-up with one line and changes no data file.
/// </summary>
public sealed class EncryptionAtRestTests : IDisposable
{
    private const string Tenant = ErasureTests.Tenant;
    private readonly DirectoryInfo _data = Directory.CreateTempSubdirectory("faceorleans-sealed-api-");

    [Fact]
    public async Task A_clear_gallery_is_sealed_at_the_next_start_rotates_needs_its_master_key_and_identifies_exactly_as_before()
    {
        var settings = ApiProcess.Settings(_data.FullName);
        settings["FaceOrleans:Protection:Enabled"] = "false";
        string before, faceId;
        byte[][] probes;
        await using (var clear = await ApiProcess.StartAsync(settings))
        {
            using var client = clear.Client();
            Assert.Equal(HttpStatusCode.OK, (await client.PutAsJsonAsync($"/v1/{Tenant}/config", new { store_enrollment_photos = true })).StatusCode);
            faceId = await EnrollAsync(client, "ann", "img10.jpg");
            await EnrollAsync(client, "bob", "img2.jpg");
            probes = await ErasureTests.ProbesAsync(client);
            before = await IdentifyAsync(client);
            // In the clear, the probe finds the embedding and the photo: a sealed gallery's "none found" means something.
            Assert.All(probes, p => Assert.NotEmpty(ErasureTests.Search(_data, probes, faceId)[p]));
            Assert.False(File.Exists(KeyFile), "a gallery that seals nothing needs no master key");
        }

        settings.Remove("FaceOrleans:Protection:Enabled");
        await using (var sealedApi = await ApiProcess.StartAsync(settings))
        {
            using var client = sealedApi.Client();
            var status = await SealedAsync(client, activeKey: 1);
            Assert.Equal(2 + 2 + 2, status.GetProperty("rows").GetInt64()); // two subjects, two faces, two photos
            if (!OperatingSystem.IsWindows())
            {
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(KeyFile));
            }

            AssertNoReadableCopy(probes, faceId);
            Assert.Equal(before, await IdentifyAsync(client));

            var rotated = await ApiFixture.OkJsonAsync(await client.PostAsync($"/v1/{Tenant}/data-keys/rotate", null));
            Assert.Equal(2, rotated.GetProperty("active_key_id").GetInt32());
            await SealedAsync(client, activeKey: 2);
            Assert.Equal(before, await IdentifyAsync(client));

            // Admin only.
            var issued = await ApiFixture.OkJsonAsync(await client.PostAsJsonAsync("/v1/keys", new { tenant = Tenant, role = "TenantAdmin" }));
            using var tenantAdmin = sealedApi.Client(issued.GetProperty("key").GetString());
            await ProblemAssert.IsProblemAsync(await tenantAdmin.PostAsync($"/v1/{Tenant}/data-keys/rotate", null), HttpStatusCode.Forbidden, "forbidden");
        }

        // A wrong master key, then none: start-up stops with one line naming it, and no data file changes.
        var files = DataFiles();
        var wrong = await RunApiAsync(settings, $"--FaceOrleans:Protection:MasterKey={MasterKeyProvider.NewKeyText()}");
        Assert.Equal(1, wrong.ExitCode);
        Assert.Contains("error: the API cannot start: the master key (FaceOrleans:Protection:MasterKey", wrong.Stderr, StringComparison.Ordinal);
        Assert.Contains("is not the one that sealed the gallery's data keys", wrong.Stderr, StringComparison.Ordinal);
        Assert.Equal(files, DataFiles());
        File.Move(KeyFile, KeyFile + ".away");
        var missing = await RunApiAsync(settings);
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains($"error: the API cannot start: the master key file {KeyFile} does not exist", missing.Stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(KeyFile), "a lost key file must not be replaced by a new one");
        Assert.Equal(files.Where(f => f.Key != KeyFile), DataFiles());
        File.Move(KeyFile + ".away", KeyFile);

        // With its key back, the same answers; a new enrollment is sealed at once.
        await using (var again = await ApiProcess.StartAsync(settings))
        {
            using var client = again.Client();
            Assert.Equal(before, await IdentifyAsync(client));
            var newFace = await EnrollAsync(client, "carl", "img10.jpg");
            var status = await SealedAsync(client, activeKey: 2);
            Assert.Equal(0, status.GetProperty("rows_to_seal").GetInt64());
            AssertNoReadableCopy(probes, newFace);
        }
    }

    [Fact]
    public async Task On_redis_no_dump_or_append_only_file_holds_a_face_in_the_clear_and_deleting_the_tenant_deletes_its_data_keys()
    {
        await using var redis = await RedisServer.StartAsync(Directory.CreateDirectory(Path.Combine(_data.FullName, "redis")).FullName);
        var settings = ApiProcess.Settings(_data.FullName);
        ApiProcess.UseRedis(settings, redis);
        await using var api = await ApiProcess.StartAsync(settings);
        using var client = api.Client();
        Assert.Equal(HttpStatusCode.OK, (await client.PutAsJsonAsync($"/v1/{Tenant}/config", new { store_enrollment_photos = true })).StatusCode);
        var faceId = await EnrollAsync(client, "ann", "img10.jpg");
        await EnrollAsync(client, "bob", "img2.jpg");
        var probes = await ErasureTests.ProbesAsync(client);
        await IdentifyAsync(client);

        // Every write is in the append-only file (synced on each write) and, after SAVE, in the dump: sealed in both.
        using var connection = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(redis.ConnectionString + ",allowAdmin=true");
        var server = connection.GetServer(redis.ConnectionString);
        await server.ExecuteAsync("SAVE");
        Assert.True(File.Exists(Path.Combine(_data.FullName, "redis", "dump.rdb")));
        Assert.NotEmpty(Directory.EnumerateFiles(Path.Combine(_data.FullName, "redis"), "*.aof", SearchOption.AllDirectories));
        AssertNoReadableCopy(probes, faceId);
        Assert.Single(server.Keys(pattern: $"*:gallery:{Tenant}:keys"));

        // Crypto-shredding: the tenant's wrapped data keys go with its rows.
        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync($"/v1/{Tenant}?confirm={Tenant}")).StatusCode);
        Assert.Empty(server.Keys(pattern: $"*:gallery:{Tenant}:*"));
        var status = await ApiFixture.OkJsonAsync(await client.GetAsync($"/v1/{Tenant}/data-keys"));
        Assert.Equal(JsonValueKind.Null, status.GetProperty("active_key_id").ValueKind);
        Assert.Equal(0, status.GetProperty("rows").GetInt64());
    }

    public void Dispose() => _data.Delete(recursive: true);

    private string KeyFile => Path.Combine(_data.FullName, "master.key");

    private static async Task<string> EnrollAsync(HttpClient client, string subject, string photo)
    {
        Assert.Equal(HttpStatusCode.Created, (await client.PostAsJsonAsync($"/v1/{Tenant}/subjects", new { id = subject })).StatusCode);

        var enrolled = await client.PostAsync($"/v1/{Tenant}/subjects/{subject}/faces", ApiFixture.Form(("image", photo)));
        Assert.Equal(HttpStatusCode.Created, enrolled.StatusCode);
        return (await enrolled.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("face_id").GetString()!;
    }

    /// <summary>The candidates identify gives for img10.jpg and img2.jpg, as JSON text: subjects, face ids and similarities.</summary>
    private static async Task<string> IdentifyAsync(HttpClient client)
    {
        var answers = new List<string>();
        foreach (var photo in (string[])["img10.jpg", "img2.jpg"])
        {
            var identified = await ApiFixture.OkJsonAsync(await client.PostAsync($"/v1/{Tenant}/identify", ApiFixture.Form(("image", photo))));
            answers.Add(identified.GetProperty("faces")[0].GetProperty("candidates").GetRawText());
        }

        Assert.Contains("\"ann\"", answers[0], StringComparison.Ordinal);
        return string.Join("\n", answers);
    }

    /// <summary>Waits until the background sweep has every row under <paramref name="activeKey"/>; the status then.</summary>
    private static async Task<JsonElement> SealedAsync(HttpClient client, int activeKey)
    {
        JsonElement status = default;
        for (var attempt = 0; attempt < 300; attempt++)
        {
            status = await ApiFixture.OkJsonAsync(await client.GetAsync($"/v1/{Tenant}/data-keys"));
            if (status.GetProperty("sealing").GetBoolean() && status.GetProperty("active_key_id").ValueKind == JsonValueKind.Number
                && status.GetProperty("active_key_id").GetInt32() == activeKey && status.GetProperty("rows_to_seal").GetInt64() == 0)
            {
                Assert.Equal(1.0, status.GetProperty("progress").GetDouble());
                Assert.All(status.GetProperty("keys").EnumerateArray(), key => Assert.True(key.GetProperty("key_id").ValueKind == JsonValueKind.Number
                    && (key.GetProperty("key_id").GetInt32() == activeKey || key.GetProperty("faces").GetInt64() + key.GetProperty("photos").GetInt64() + key.GetProperty("subjects").GetInt64() == 0)));
                return status;
            }

            await Task.Delay(100);
        }

        Assert.Fail($"the gallery was not re-sealed under key {activeKey}: {status}");
        return status;
    }

    private void AssertNoReadableCopy(byte[][] probes, string faceId)
    {
        // Face ids stay in the clear (they are keys, not biometric data): only the embedding's and the photo's runs count.
        var found = ErasureTests.Search(_data, probes, faceId);
        Assert.All(probes, p => Assert.True(found[p].Count == 0, $"a readable copy is on disk, in {string.Join(", ", found[p])}"));
    }

    /// <summary>The SQLite files (gallery and grain state) and the key file, by content hash.</summary>
    private Dictionary<string, string> DataFiles() => _data.EnumerateFiles("*", SearchOption.AllDirectories)
        .Where(f => f.Name.EndsWith(".db", StringComparison.Ordinal) || f.Name == "master.key")
        .ToDictionary(f => f.FullName, f => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(f.FullName))));

    private static Task<TestProcess.Result> RunApiAsync(IReadOnlyDictionary<string, string> settings, params string[] extra) =>
        TestProcess.RunAsync("dotnet",
            // The embedded default, as ApiProcess starts it: the silo's embedded command.
            [TestPaths.SiloAssembly, "embedded", $"--Urls=http://127.0.0.1:{RealHosts.FreePort().ToString(CultureInfo.InvariantCulture)}", .. settings.Select(s => $"--{s.Key}={s.Value}"), .. extra],
            Path.GetDirectoryName(TestPaths.SiloAssembly)!, TimeSpan.FromMinutes(2));
}
