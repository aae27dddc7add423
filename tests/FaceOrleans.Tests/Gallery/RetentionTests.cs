using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using FaceOrleans.Tests.Api;
using FaceOrleans.Tests.Cluster;

namespace FaceOrleans.Tests.Gallery;

/// <summary>
/// Retention on the real API process with real photos: data is made due by restarting the service with its data
/// clock moved ahead (<c>FaceOrleans:Retention:ClockOffset</c>, the test-only seam), and the restarted service's
/// first sweep erases what is due, through the delete path, and keeps the rest.
/// </summary>
public sealed class RetentionTests
{
    private const string Tenant = "retained";

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Due_photos_subjects_and_audit_entries_are_erased_after_a_restart_and_the_rest_is_kept(bool onRedis)
    {
        await using var redis = onRedis ? await RedisServer.StartAsync() : null;
        var data = Directory.CreateTempSubdirectory("faceorleans-retention-");
        var settings = ApiProcess.Settings(data.FullName);
        ApiProcess.Pin(settings, Tenant);
        ApiProcess.UseRedis(settings, redis);
        settings["FaceOrleans:Retention:FirstSweepDelay"] = "00:00:01";

        try
        {
            // Day 0: subjects not refreshed for 30 days, photos after 10 and audit entries after 25 are due.
            string annFace;
            await using (var api = await ApiProcess.StartAsync(settings))
            {
                using var client = api.Client();
                Assert.Equal(HttpStatusCode.OK, (await client.PutAsJsonAsync($"/v1/{Tenant}/config",
                    new { store_enrollment_photos = true, face_retention_days = 30, photo_retention_days = 10, audit_retention_days = 25 })).StatusCode);
                var refused = await client.PutAsJsonAsync($"/v1/{Tenant}/config", new { face_retention_days = 0 });
                Assert.Equal("face_retention_days", (await ProblemAssert.IsProblemAsync(refused, HttpStatusCode.BadRequest, "invalid-parameter")).GetProperty("field").GetString());
                annFace = await EnrollAsync(client, "ann", "img10.jpg");
                await EnrollAsync(client, "bob", "img12.jpg");
                Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"/v1/{Tenant}/subjects/ann/faces/{annFace}/photo")).StatusCode);
                await api.KillAsync();
            }

            // Day 20, after a restart: the photos are due and erased, the faces and the trail are not.
            settings["FaceOrleans:Retention:ClockOffset"] = "20.00:00:00";
            await using (var api = await ApiProcess.StartAsync(settings))
            {
                using var client = api.Client();
                await WaitForAsync(async () => (await client.GetAsync($"/v1/{Tenant}/subjects/ann/faces/{annFace}/photo")).StatusCode == HttpStatusCode.NotFound);
                Assert.Equal("ann", await MatchAsync(client, "img10.jpg"));
                Assert.Equal("bob", await MatchAsync(client, "img12.jpg"));
                var trail = await TrailAsync(client);
                Assert.Equal(1, trail[0].GetProperty("sequence").GetInt64());
                var erased = Assert.Single(trail, e => e.GetProperty("action").GetString() == "retention.erase");
                Assert.Contains("photos older than 10 days: 2", erased.GetProperty("detail").GetString(), StringComparison.Ordinal);

                // A subject refreshed now: its clock starts at day 20.
                await EnrollAsync(client, "cy", "img11.jpg");
                await api.KillAsync();
            }

            // Day 35, after another restart: ann and bob (day 0) are due and erased everywhere, cy (day 20) is kept;
            // the trail's day-0 entries are due, its day-20 entries kept, and it still verifies.
            settings["FaceOrleans:Retention:ClockOffset"] = "35.00:00:00";
            await using (var api = await ApiProcess.StartAsync(settings))
            {
                using var client = api.Client();
                await WaitForAsync(async () => (await ApiFixture.OkJsonAsync(await client.GetAsync($"/v1/{Tenant}/subjects"))).GetProperty("total").GetInt64() == 1);
                var subjects = await ApiFixture.OkJsonAsync(await client.GetAsync($"/v1/{Tenant}/subjects"));
                Assert.Equal("cy", Assert.Single(subjects.GetProperty("items").EnumerateArray()).GetProperty("id").GetString());
                Assert.Equal("cy", await MatchAsync(client, "img10.jpg"));
                Assert.Equal("unknown", await MatchAsync(client, "img12.jpg"));

                await WaitForAsync(async () => (await TrailAsync(client))[0].GetProperty("sequence").GetInt64() > 1);
                var trail = await TrailAsync(client);
                // Day 20's entries are kept, its sweep among them (the photo reads polled before that sweep may come first).
                Assert.Contains(trail, e => e.GetProperty("action").GetString() == "retention.erase" && e.GetProperty("detail").GetString()!.Contains("photos older than 10 days: 2", StringComparison.Ordinal));
                Assert.All(trail, e => Assert.True(e.GetProperty("time").GetDateTimeOffset() > DateTimeOffset.UtcNow.AddDays(35 - 25)));
                Assert.Contains(trail, e => e.GetProperty("action").GetString() == "audit.retention");
                Assert.Contains(trail, e => e.GetProperty("action").GetString() == "retention.erase"
                    && e.GetProperty("subjects").EnumerateArray().Select(s => s.GetProperty("subject").GetString()).Order().SequenceEqual(["ann", "bob"]));
                Assert.Contains(trail, e => e.GetProperty("action").GetString() == "face.enroll" && e.GetProperty("subjects")[0].GetProperty("subject").GetString() == "cy");
                Assert.DoesNotContain(trail, e => e.GetProperty("action").GetString() == "tenant.configure");
                var verification = await ApiFixture.OkJsonAsync(await client.GetAsync($"/v1/{Tenant}/audit/verify"));
                Assert.True(verification.GetProperty("ok").GetBoolean(), verification.GetRawText());

                // Erased as a delete erases: ann's face id is in no file of the service but its logs (on Redis: the shard caches).
                var id = Encoding.UTF8.GetBytes(annFace);
                Assert.All(data.EnumerateFiles("*", SearchOption.AllDirectories).Where(f => f.Extension != ".log"),
                    f => Assert.True(ErasureTests.ReadUnlocked(f.FullName).AsSpan().IndexOf(id) < 0, $"{f.Name} still holds ann's face id"));
            }
        }
        finally
        {
            data.Delete(recursive: true);
        }
    }

    private static async Task<string> EnrollAsync(HttpClient client, string subject, string photo)
    {
        Assert.Equal(HttpStatusCode.Created, (await client.PostAsJsonAsync($"/v1/{Tenant}/subjects", new { id = subject })).StatusCode);
        var enrolled = await ApiFixture.OkJsonAsync(await client.PostAsync($"/v1/{Tenant}/subjects/{subject}/faces", ApiFixture.Form(("image", photo))));
        return enrolled.GetProperty("face_id").GetString()!;
    }

    private static async Task<string?> MatchAsync(HttpClient client, string photo) =>
        (await ApiFixture.OkJsonAsync(await client.PostAsync($"/v1/{Tenant}/identify", ApiFixture.Form(("image", photo)))))
            .GetProperty("faces")[0].GetProperty("match").GetString();

    private static async Task<JsonElement[]> TrailAsync(HttpClient client) =>
        (await ApiFixture.OkJsonAsync(await client.GetAsync($"/v1/{Tenant}/audit?limit=1000"))).GetProperty("entries").EnumerateArray().ToArray();

    private static async Task WaitForAsync(Func<Task<bool>> condition)
    {
        for (var attempt = 0; attempt < 300; attempt++)
        {
            if (await condition())
            {
                return;
            }

            await Task.Delay(100);
        }

        Assert.Fail("the restarted service's retention sweep never erased what was due");
    }
}
