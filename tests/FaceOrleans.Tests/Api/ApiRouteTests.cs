using System.Net;
using System.Net.Http.Json;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace FaceOrleans.Tests.Api;

[Collection(ApiGroup.Name)]
public sealed class ApiRouteTests(ApiFixture fixture)
{
    private string AttendanceKey => fixture.DemoKeys["ATTENDANCE_KEY"];

    [Fact]
    public async Task Compare_answers_the_tutorials_fields_and_the_faces()
    {
        using var client = fixture.Client(AttendanceKey);

        var same = await Json(await client.PostAsync("/v1/attendance/compare", ApiFixture.Form(("image1", "img10.jpg"), ("image2", "img2.jpg"))));
        var different = await Json(await client.PostAsync("/v1/attendance/compare", ApiFixture.Form(("image1", "img10.jpg"), ("image2", "img12.jpg"))));

        Assert.True(same.GetProperty("is_same_person").GetBoolean());
        Assert.InRange(same.GetProperty("similarity").GetSingle(), 0.4f, 1f);
        Assert.Equal(ShippedModels.DefaultRecognizer.Threshold, same.GetProperty("threshold").GetSingle());
        Assert.StartsWith("Same person", same.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal("cpu-0", same.GetProperty("slice").GetString());
        Assert.True(same.GetProperty("timing_ms").GetDouble() > 0);
        var face = Assert.Single(same.GetProperty("faces").GetProperty("image1").EnumerateArray());
        Assert.True(face.GetProperty("box").GetProperty("width").GetSingle() > 50);
        Assert.InRange(face.GetProperty("score").GetSingle(), 0.7f, 1f);
        Assert.Equal(2, face.GetProperty("landmarks").GetProperty("left_eye").GetArrayLength());
        Assert.Single(same.GetProperty("faces").GetProperty("image2").EnumerateArray());
        Assert.False(different.GetProperty("is_same_person").GetBoolean());
    }

    [Fact]
    public async Task The_tutorials_routes_keep_working()
    {
        using var client = fixture.Client(AttendanceKey);

        var perTenant = await Json(await client.PostAsync("/attendance/compare", ApiFixture.Form(("image1", "img10.jpg"), ("image2", "img2.jpg"))));
        var keyTenant = await Json(await client.PostAsync("/compare", ApiFixture.Form(("image1", "img10.jpg"), ("image2", "img2.jpg"))));

        Assert.True(perTenant.GetProperty("is_same_person").GetBoolean());
        Assert.True(keyTenant.GetProperty("is_same_person").GetBoolean());
        Assert.Equal(perTenant.GetProperty("similarity").GetSingle(), keyTenant.GetProperty("similarity").GetSingle(), 4);
    }

    [Fact]
    public async Task Detect_returns_every_face_and_per_call_threshold_applies()
    {
        using var client = fixture.Client(AttendanceKey);

        var couple = await Json(await client.PostAsync("/v1/attendance/detect", ApiFixture.Form(("image", "couple.jpg"))));
        var strict = await Json(await client.PostAsync("/v1/attendance/detect", ApiFixture.WithField(ApiFixture.Form(("image", "img54.jpg")), "det_threshold", "0.9")));

        Assert.Equal(2, couple.GetProperty("count").GetInt32());
        Assert.Equal(2, couple.GetProperty("faces").GetArrayLength());
        Assert.Equal(1, strict.GetProperty("count").GetInt32());
    }

    [Fact]
    public async Task Embed_returns_one_unit_vector_per_face_as_json_or_base64()
    {
        using var client = fixture.Client(AttendanceKey);

        var json = await Json(await client.PostAsync("/v1/attendance/embed", ApiFixture.Form(("image", "img2.jpg"))));
        var packed = await Json(await client.PostAsync("/v1/attendance/embed?encoding=base64", ApiFixture.Form(("image", "img2.jpg"))));

        Assert.Equal(512, json.GetProperty("dimensions").GetInt32());
        Assert.Equal("face_embed_512d", json.GetProperty("model").GetString());
        var vector = Assert.Single(json.GetProperty("faces").EnumerateArray()).GetProperty("embedding").EnumerateArray().Select(v => v.GetSingle()).ToArray();
        Assert.Equal(512, vector.Length);
        Assert.Equal(1.0, Math.Sqrt(vector.Sum(v => (double)v * v)), 3);
        Assert.Equal("base64-float32le", packed.GetProperty("encoding").GetString());
        var base64 = Assert.Single(packed.GetProperty("faces").EnumerateArray()).GetProperty("embedding_base64").GetString()!;
        var decoded = MemoryMarshal.Cast<byte, float>(Convert.FromBase64String(base64)).ToArray();
        Assert.Equal(vector, decoded);
    }

    [Fact]
    public async Task Every_embedding_answer_names_the_recognizer_by_its_manifest_id_and_version()
    {
        using var client = fixture.Client(AttendanceKey);
        var shipped = ShippedModels.DefaultIdentity;

        var single = await Json(await client.PostAsync("/v1/attendance/embed", ApiFixture.Form(("image", "img2.jpg"))));
        var batch = await Json(await client.PostAsync("/v1/attendance/embed/batch", ApiFixture.Form(("images", "img2.jpg"), ("images", "img10.jpg"))));

        // The same identity the gallery records for each stored face, so a client keeping vectors can tell two models' apart.
        foreach (var answer in new[] { single, batch })
        {
            Assert.Equal((shipped.Name, shipped.Version, shipped.Dimension),
                (answer.GetProperty("model").GetString(), answer.GetProperty("model_version").GetString(), answer.GetProperty("dimensions").GetInt32()));
        }
    }

    [Fact]
    public async Task Tenant_state_and_configuration_round_trip()
    {
        using var client = fixture.Client(fixture.DemoKeys["ACCESS_KEY"]);
        await client.PostAsync("/v1/access/detect", ApiFixture.Form(("image", "img10.jpg")));

        var put = await client.PutAsJsonAsync("/v1/access/config", new { display_name = "Door control", similarity_threshold = 0.5, det_threshold = 0.8 });
        var state = await Json(await client.GetAsync("/v1/access"));

        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        Assert.Equal("access", state.GetProperty("tenant").GetString());
        Assert.Equal("Door control", state.GetProperty("config").GetProperty("display_name").GetString());
        Assert.Equal(0.5f, state.GetProperty("config").GetProperty("similarity_threshold").GetSingle());
        Assert.True(state.GetProperty("requests").GetProperty("detect").GetInt64() >= 1);
        Assert.True(state.GetProperty("faces_detected").GetInt64() >= 1);
        Assert.Equal("cpu-0", state.GetProperty("slice").GetProperty("slice_id").GetString());
        Assert.NotEqual(JsonValueKind.Null, state.GetProperty("last_activity").ValueKind);
        await client.PutAsJsonAsync("/v1/access/config", new { });
    }

    [Fact]
    public async Task Cluster_view_shows_silos_slices_tenants_and_queues()
    {
        using var admin = fixture.Client(ApiFixture.AdminKey);

        var cluster = await Json(await admin.GetAsync("/v1/cluster"));

        Assert.Equal(1, cluster.GetProperty("silos").GetInt32());
        var slice = Assert.Single(cluster.GetProperty("slices").EnumerateArray());
        Assert.Equal("cpu-0", slice.GetProperty("slice").GetString());
        Assert.Contains("attendance", slice.GetProperty("tenants").EnumerateArray().Select(t => t.GetString()));
        Assert.Equal(0, slice.GetProperty("stats").GetProperty("queued").GetInt32());
        Assert.Equal("CPU", slice.GetProperty("stats").GetProperty("execution_provider").GetString());
    }

    [Fact]
    public async Task Health_endpoints_answer()
    {
        using var client = fixture.Client();

        var live = await client.GetAsync("/health/live");
        var ready = await Json(await client.GetAsync("/health/ready"));
        var health = await Json(await client.GetAsync("/health"));

        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.Equal("healthy", ready.GetProperty("status").GetString());
        Assert.Equal("healthy", health.GetProperty("status").GetString());
        Assert.StartsWith("ok", ready.GetProperty("checks").GetProperty("cluster").GetProperty("data").GetProperty("cpu-0").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Each_tenants_requests_are_also_logged_to_its_own_file_with_the_request_id()
    {
        using var attendance = fixture.Client(AttendanceKey);
        using var access = fixture.Client(fixture.DemoKeys["ACCESS_KEY"]);

        var response = await attendance.GetAsync("/v1/attendance");
        await access.GetAsync("/v1/access");
        var requestId = JsonDocument.Parse(await (await attendance.GetAsync("/v1/nobody")).Content.ReadAsStringAsync())
            .RootElement.GetProperty("request_id").GetString();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        // Each line is written once the response has gone, so wait for the last one.
        var log = await LogWithAsync("attendance", $"[{requestId}] GET /v1/nobody answered 403");
        Assert.Contains("GET /v1/attendance answered 200", log, StringComparison.Ordinal);
        Assert.DoesNotContain("GET /v1/access ", log, StringComparison.Ordinal);
        await LogWithAsync("access", "GET /v1/access answered 200");
        // A refused attempt on another tenant's route is the caller's business, not a file named after the route.
        Assert.False(File.Exists(Path.Combine(fixture.TenantLogDirectory, "nobody.log")));
    }

    private async Task<string> LogWithAsync(string tenant, string line)
    {
        var path = Path.Combine(fixture.TenantLogDirectory, tenant + ".log");
        for (var attempt = 0; attempt < 100; attempt++)
        {
            if (File.Exists(path))
            {
                await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
                var text = await new StreamReader(stream).ReadToEndAsync();
                if (text.Contains(line, StringComparison.Ordinal))
                {
                    return text;
                }
            }

            await Task.Delay(50);
        }

        throw new Xunit.Sdk.XunitException($"'{line}' never appeared in {path}");
    }

    private static async Task<JsonElement> Json(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }
}
