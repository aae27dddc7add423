using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using FaceOrleans.Grains;
using FaceOrleans.Grains.Gallery;
using FaceOrleans.Tests.Api;
using FaceOrleans.Tests.Cluster;
using Microsoft.Data.Sqlite;

namespace FaceOrleans.Tests.Gallery;

/// <summary>
/// The tenant's audit trail on the real API process with real photos: what each call leaves in it (and what it must
/// never hold), paging and filters, who may read it, and a chain that names the entry someone altered or removed
/// straight in the store (the SQLite file, a Redis hash field).
/// </summary>
public sealed class AuditTrailTests
{
    private const string Tenant = "audited";

    private static readonly string[] ExpectedActions =
        ["key.issue", "key.issue", "tenant.configure", "subject.create", "subject.create", "face.enroll", "face.enroll", "identify", "verify", "compare", "subject.delete"];

    [Fact]
    public Task Calls_leave_entries_with_who_what_and_scores_never_a_photo_or_embedding_and_the_trail_pages_filters_and_needs_an_admin() => WithApiAsync(async (api, data) =>
    {
        using var admin = api.Client();
        var (tenantAdmin, tenantUser) = (api.Client(await IssueKeyAsync(admin, "TenantAdmin")), api.Client(await IssueKeyAsync(admin, "Tenant")));
        Assert.Equal(HttpStatusCode.OK, (await admin.PutAsJsonAsync($"/v1/{Tenant}/config", new { identification_threshold = 0.5 })).StatusCode);
        foreach (var subject in (string[])["ann", "bob"])
        {
            Assert.Equal(HttpStatusCode.Created, (await admin.PostAsJsonAsync($"/v1/{Tenant}/subjects", new { id = subject })).StatusCode);
        }

        Assert.Equal(HttpStatusCode.Created, (await tenantUser.PostAsync($"/v1/{Tenant}/subjects/ann/faces", ApiFixture.Form(("image", "img10.jpg")))).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await admin.PostAsync($"/v1/{Tenant}/subjects/bob/faces", ApiFixture.Form(("image", "img2.jpg")))).StatusCode);
        var identified = await ApiFixture.OkJsonAsync(await tenantUser.PostAsync($"/v1/{Tenant}/identify", ApiFixture.Form(("image", "img10.jpg"))));
        var verified = await ApiFixture.OkJsonAsync(await admin.PostAsync($"/v1/{Tenant}/subjects/bob/verify", ApiFixture.Form(("image", "img10.jpg"))));
        var compared = await ApiFixture.OkJsonAsync(await admin.PostAsync($"/v1/{Tenant}/compare", ApiFixture.Form(("image1", "img10.jpg"), ("image2", "img2.jpg"))));
        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync($"/v1/{Tenant}/subjects/bob")).StatusCode);
        // Refused calls decide nothing and are not recorded.
        Assert.Equal(HttpStatusCode.NotFound, (await admin.DeleteAsync($"/v1/{Tenant}/subjects/nobody")).StatusCode);

        // Only the tenant's admins read or verify it.
        await ProblemAssert.IsProblemAsync(await tenantUser.GetAsync($"/v1/{Tenant}/audit"), HttpStatusCode.Forbidden, "forbidden");
        await ProblemAssert.IsProblemAsync(await tenantUser.GetAsync($"/v1/{Tenant}/audit/verify"), HttpStatusCode.Forbidden, "forbidden");

        var entries = await AllAsync(tenantAdmin, "");
        Assert.Equal(ExpectedActions, entries.Select(e => e.GetProperty("action").GetString()));
        Assert.Equal(Enumerable.Range(1, entries.Count).Select(i => (long)i), entries.Select(e => e.GetProperty("sequence").GetInt64()));
        Assert.All(entries, e =>
        {
            Assert.Equal("127.0.0.1", e.GetProperty("client_address").GetString());
            Assert.False(string.IsNullOrEmpty(e.GetProperty("key_id").GetString()));
            Assert.False(string.IsNullOrEmpty(e.GetProperty("request_id").GetString()));
        });
        Assert.Equal(entries.Count, entries.Select(e => e.GetProperty("request_id").GetString()).Distinct().Count());
        Assert.Contains("\"identification_threshold\":0.5", entries[2].GetProperty("detail").GetString(), StringComparison.Ordinal);

        // Who enrolled: the tenant user's key for ann, the admin's for bob.
        var userKey = entries[7].GetProperty("key_id").GetString();
        Assert.Equal(userKey, entries[5].GetProperty("key_id").GetString());
        Assert.NotEqual(userKey, entries[6].GetProperty("key_id").GetString());
        Assert.Equal("POST /v1/{tenant}/subjects/{id}/faces", entries[5].GetProperty("route").GetString());
        Assert.Equal(201, entries[5].GetProperty("status").GetInt32());
        Assert.Equal("ann", Assert.Single(entries[5].GetProperty("subjects").EnumerateArray()).GetProperty("subject").GetString());

        // The decisions, with the subjects and scores the answers gave.
        var candidate = identified.GetProperty("faces")[0].GetProperty("candidates")[0];
        var top = entries[7].GetProperty("subjects")[0];
        Assert.Equal(("ann", candidate.GetProperty("similarity").GetSingle(), true),
            (top.GetProperty("subject").GetString(), top.GetProperty("score").GetSingle(), top.GetProperty("match").GetBoolean()));
        var verify = Assert.Single(entries[8].GetProperty("subjects").EnumerateArray());
        Assert.Equal(("bob", verified.GetProperty("similarity").GetSingle(), verified.GetProperty("is_match").GetBoolean()),
            (verify.GetProperty("subject").GetString(), verify.GetProperty("score").GetSingle(), verify.GetProperty("match").GetBoolean()));
        var compare = Assert.Single(entries[9].GetProperty("subjects").EnumerateArray());
        Assert.Equal(compared.GetProperty("similarity").GetSingle(), compare.GetProperty("score").GetSingle());

        // Never an image or an embedding: not in the answers, not in the trail's file.
        var text = string.Join("\n", entries.Select(e => e.GetRawText()));
        Assert.DoesNotContain("embedding", text, StringComparison.OrdinalIgnoreCase);
        var probes = await ErasureTests.ProbesAsync(admin, Tenant);
        var trailFiles = data.EnumerateFiles("*-audit.db*").Select(f => f.FullName).ToArray();
        Assert.Contains(trailFiles, f => ErasureTests.ReadUnlocked(f).AsSpan().IndexOf("\"subject.delete\""u8) >= 0);
        Assert.All(trailFiles, f => Assert.All(probes, p => Assert.True(ErasureTests.ReadUnlocked(f).AsSpan().IndexOf(p) < 0, $"{f} holds a photo's or an embedding's bytes")));

        // Pages of three walk the same entries; filters keep only what they name.
        Assert.Equal(entries.Select(e => e.GetRawText()), (await AllAsync(tenantAdmin, "&limit=3")).Select(e => e.GetRawText()));
        var ofBob = (await AllAsync(tenantAdmin, "&subject=bob&limit=2")).Select(e => e.GetProperty("sequence").GetInt64()).ToArray();
        Assert.Equal(entries.Where(e => e.GetProperty("subjects").EnumerateArray().Any(s => s.GetProperty("subject").GetString() == "bob"))
            .Select(e => e.GetProperty("sequence").GetInt64()), ofBob);
        Assert.Subset(ofBob.ToHashSet(), new HashSet<long> { 5, 7, 9, 11 });
        Assert.Equal(8L, Assert.Single(await AllAsync(tenantAdmin, "&action=identify&subject=ann")).GetProperty("sequence").GetInt64());
        var (from, to) = (entries[3].GetProperty("time").GetDateTimeOffset(), entries[8].GetProperty("time").GetDateTimeOffset());
        var inRange = await AllAsync(tenantAdmin, $"&from={Uri.EscapeDataString(from.ToString("O"))}&to={Uri.EscapeDataString(to.ToString("O"))}");
        Assert.Equal(entries.Where(e => e.GetProperty("time").GetDateTimeOffset() >= from && e.GetProperty("time").GetDateTimeOffset() < to).Select(e => e.GetRawText()),
            inRange.Select(e => e.GetRawText()));
        Assert.NotEmpty(inRange);

        var badCursor = await ProblemAssert.IsProblemAsync(await tenantAdmin.GetAsync($"/v1/{Tenant}/audit?cursor=abc"), HttpStatusCode.BadRequest, "invalid-parameter");
        Assert.Equal("cursor", badCursor.GetProperty("field").GetString());
        var badTime = await ProblemAssert.IsProblemAsync(await tenantAdmin.GetAsync($"/v1/{Tenant}/audit?from=yesterday"), HttpStatusCode.BadRequest, "invalid-parameter");
        Assert.Equal("from", badTime.GetProperty("field").GetString());
        await ProblemAssert.IsProblemAsync(await tenantAdmin.GetAsync($"/v1/{Tenant}/audit?limit=0"), HttpStatusCode.BadRequest, "invalid-parameter");

        var verification = await ApiFixture.OkJsonAsync(await tenantAdmin.GetAsync($"/v1/{Tenant}/audit/verify"));
        Assert.True(verification.GetProperty("ok").GetBoolean(), verification.GetRawText());
        Assert.Equal(entries.Count, verification.GetProperty("entries").GetInt64());
        Assert.Equal(entries[^1].GetProperty("hash").GetString(), verification.GetProperty("head_hash").GetString());
    });

    [Fact]
    public Task Concurrent_decisions_each_get_one_entry_on_one_unbroken_chain() => WithApiAsync(async (api, _) =>
    {
        using var admin = api.Client();
        var answers = await Task.WhenAll(Enumerable.Range(0, 12).Select(_ =>
            admin.PostAsync($"/v1/{Tenant}/compare", ApiFixture.Form(("image1", "img10.jpg"), ("image2", "img2.jpg")))));
        // Over the tenant's concurrency limit some are refused (429): those decided nothing and leave no entry.
        var served = answers.Count(a => a.StatusCode == HttpStatusCode.OK);
        Assert.All(answers, a => Assert.Contains(a.StatusCode, (HttpStatusCode[])[HttpStatusCode.OK, HttpStatusCode.TooManyRequests]));
        Assert.True(served >= 4, $"only {served} of 12 compares were served");
        var entries = await AllAsync(admin, "&action=compare");
        Assert.Equal(served, entries.Count);
        Assert.Equal(served, entries.Select(e => e.GetProperty("request_id").GetString()).Distinct().Count());
        Assert.True((await ApiFixture.OkJsonAsync(await admin.GetAsync($"/v1/{Tenant}/audit/verify"))).GetProperty("ok").GetBoolean());
    });

    [Fact]
    public Task An_entry_altered_or_removed_in_the_sqlite_file_is_named_by_verify_and_a_deleted_tenant_keeps_only_its_deletion() => WithApiAsync(async (api, data) =>
    {
        using var admin = api.Client();
        await RecordSomeAsync(admin);
        var file = Assert.Single(data.EnumerateFiles("*-audit.db")).FullName;
        using var sqlite = new SqliteConnection($"Data Source={file}");
        sqlite.Open();
        // As the service's own connections: what this one deletes must not stay readable in the file either.
        using (var secure = sqlite.CreateCommand())
        {
            secure.CommandText = "PRAGMA secure_delete = ON";
            secure.ExecuteNonQuery();
        }

        void Execute(string sql)
        {
            using var command = sqlite.CreateCommand();
            command.CommandText = sql;
            Assert.Equal(1, command.ExecuteNonQuery());
        }

        // Altered: a subject renamed in the entry's content.
        Execute($"UPDATE audit_entries SET content = replace(content, '\"ann\"', '\"eve\"') WHERE tenant = '{Tenant}' AND seq = 3");
        await AssertBrokenAsync(admin, 3, "altered");
        Execute($"UPDATE audit_entries SET content = replace(content, '\"eve\"', '\"ann\"') WHERE tenant = '{Tenant}' AND seq = 3");
        Assert.True((await ApiFixture.OkJsonAsync(await admin.GetAsync($"/v1/{Tenant}/audit/verify"))).GetProperty("ok").GetBoolean());

        // Removed: the last one (only the recorded head knows it was there), then one from the middle.
        Execute($"DELETE FROM audit_entries WHERE tenant = '{Tenant}' AND seq = 5");
        await AssertBrokenAsync(admin, 5, "missing");
        Execute($"DELETE FROM audit_entries WHERE tenant = '{Tenant}' AND seq = 2");
        await AssertBrokenAsync(admin, 2, "missing");

        // The tenant's deletion erases the trail, subject ids included, and leaves itself as the one entry.
        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync($"/v1/{Tenant}?confirm={Tenant}")).StatusCode);
        var left = Assert.Single(await AllAsync(admin, ""));
        Assert.Equal("tenant.delete", left.GetProperty("action").GetString());
        var verification = await ApiFixture.OkJsonAsync(await admin.GetAsync($"/v1/{Tenant}/audit/verify"));
        Assert.True(verification.GetProperty("ok").GetBoolean(), verification.GetRawText());
        Assert.Equal(left.GetProperty("sequence").GetInt64(), verification.GetProperty("first_sequence").GetInt64());
        Assert.All(data.EnumerateFiles("*-audit.db*"), f => Assert.True(ErasureTests.ReadUnlocked(f.FullName).AsSpan().IndexOf("\"ann\""u8) < 0, $"{f.Name} still names ann"));
    });

    [Fact]
    public async Task An_entry_altered_or_removed_in_redis_is_named_by_verify()
    {
        await using var redis = await RedisServer.StartAsync();
        await WithApiAsync(async (api, _) =>
        {
            using var admin = api.Client();
            await RecordSomeAsync(admin);
            using var connection = RedisGalleryStore.Connect(redis.StoreConnectionString);
            var db = connection.GetDatabase();
            var key = connection.GetServers().Single().Keys(pattern: $"*:audit:{Tenant}:entries").Single();
            var stored = (string)(await db.HashGetAsync(key, 3))!;
            await db.HashSetAsync(key, 3, stored.Replace("ann", "eve", StringComparison.Ordinal));
            await AssertBrokenAsync(admin, 3, "altered");
            await db.HashSetAsync(key, 3, stored);
            Assert.True((await ApiFixture.OkJsonAsync(await admin.GetAsync($"/v1/{Tenant}/audit/verify"))).GetProperty("ok").GetBoolean());
            Assert.True(await db.HashDeleteAsync(key, 4));
            await AssertBrokenAsync(admin, 4, "missing");
        }, redis);
    }

    /// <summary>Three subjects created and ann's face enrolled: five entries, ann named in the third.</summary>
    private static async Task RecordSomeAsync(HttpClient admin)
    {
        foreach (var subject in (string[])["bob", "cy", "ann"])
        {
            Assert.Equal(HttpStatusCode.Created, (await admin.PostAsJsonAsync($"/v1/{Tenant}/subjects", new { id = subject })).StatusCode);
        }

        Assert.Equal(HttpStatusCode.Created, (await admin.PostAsync($"/v1/{Tenant}/subjects/ann/faces", ApiFixture.Form(("image", "img10.jpg")))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await admin.PostAsync($"/v1/{Tenant}/identify", ApiFixture.Form(("image", "img10.jpg")))).StatusCode);
        Assert.True((await ApiFixture.OkJsonAsync(await admin.GetAsync($"/v1/{Tenant}/audit/verify"))).GetProperty("ok").GetBoolean());
    }

    private static async Task AssertBrokenAsync(HttpClient admin, long at, string problem)
    {
        var verification = await ApiFixture.OkJsonAsync(await admin.GetAsync($"/v1/{Tenant}/audit/verify"));
        Assert.False(verification.GetProperty("ok").GetBoolean(), verification.GetRawText());
        Assert.Equal(at, verification.GetProperty("broken_at").GetInt64());
        Assert.Contains(problem, verification.GetProperty("problem").GetString(), StringComparison.Ordinal);
    }

    /// <summary>Every entry the query string selects, walked page by page through next_cursor.</summary>
    private static async Task<List<JsonElement>> AllAsync(HttpClient client, string query)
    {
        var entries = new List<JsonElement>();
        string? cursor = null;
        do
        {
            var page = await ApiFixture.OkJsonAsync(await client.GetAsync($"/v1/{Tenant}/audit?cursor={cursor}{query}"));
            entries.AddRange(page.GetProperty("entries").EnumerateArray());
            cursor = page.GetProperty("next_cursor").ValueKind == JsonValueKind.Null ? null : page.GetProperty("next_cursor").GetString();
        }
        while (cursor is not null);
        return entries;
    }

    private static async Task<string> IssueKeyAsync(HttpClient admin, string role) =>
        (await ApiFixture.OkJsonAsync(await admin.PostAsJsonAsync("/v1/keys", new { tenant = Tenant, role }))).GetProperty("key").GetString()!;

    private static Task WithApiAsync(Func<ApiProcess, DirectoryInfo, Task> test, RedisServer? redis = null) =>
        ApiProcess.RunAsync("faceorleans-audit-", settings =>
        {
            ApiProcess.Pin(settings, Tenant);
            ApiProcess.UseRedis(settings, redis);
        }, test);
}
