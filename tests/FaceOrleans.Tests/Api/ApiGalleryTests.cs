using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace FaceOrleans.Tests.Api;

[Collection(ApiGroup.Name)]
public sealed class ApiGalleryTests(ApiFixture fixture)
{
    [Fact]
    public async Task Gallery_routes_enroll_identify_verify_page_and_delete()
    {
        using var client = fixture.Client(fixture.DemoKeys["ACCESS_KEY"]);
        var subject = "ann-" + Guid.NewGuid().ToString("N")[..6];

        var created = await client.PostAsJsonAsync("/v1/access/subjects", new { id = subject, display_name = "Ann", metadata = new { badge = "42" } });
        var enrolled = await client.PostAsync($"/v1/access/subjects/{subject}/faces", ApiFixture.Form(("image", "img10.jpg")));
        var identified = await Json(await client.PostAsync("/v1/access/identify", ApiFixture.WithField(ApiFixture.Form(("image", "img2.jpg")), "top_k", "3")));
        var stranger = await Json(await client.PostAsync("/v1/access/identify", ApiFixture.Form(("image", "img12.jpg"))));
        var verified = await Json(await client.PostAsync($"/v1/access/subjects/{subject}/verify", ApiFixture.Form(("image", "img2.jpg"))));
        var page = await Json(await client.GetAsync("/v1/access/subjects?page=1&size=100"));

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal(HttpStatusCode.Created, enrolled.StatusCode);
        var faceId = JsonDocument.Parse(await enrolled.Content.ReadAsStringAsync()).RootElement.GetProperty("face_id").GetString()!;
        Assert.Equal($"/v1/access/subjects/{subject}/faces/{faceId}", enrolled.Headers.Location!.OriginalString);
        var face = Assert.Single(identified.GetProperty("faces").EnumerateArray());
        Assert.Equal(subject, face.GetProperty("match").GetString());
        Assert.Equal(subject, face.GetProperty("candidates")[0].GetProperty("subject").GetString());
        Assert.Equal(faceId, face.GetProperty("candidates")[0].GetProperty("face_id").GetString());
        Assert.Equal("unknown", stranger.GetProperty("faces")[0].GetProperty("match").GetString());
        Assert.True(verified.GetProperty("is_match").GetBoolean());
        var listed = page.GetProperty("items").EnumerateArray().Single(s => s.GetProperty("id").GetString() == subject);
        Assert.Equal(1, listed.GetProperty("face_count").GetInt32());
        Assert.Equal("42", listed.GetProperty("metadata").GetProperty("badge").GetString());
        Assert.True(page.GetProperty("total").GetInt64() >= 1);

        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync($"/v1/access/subjects/{subject}/faces/{faceId}")).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync($"/v1/access/subjects/{subject}")).StatusCode);
        var gone = await Json(await client.PostAsync("/v1/access/identify", ApiFixture.Form(("image", "img2.jpg"))));
        Assert.DoesNotContain(gone.GetProperty("faces")[0].GetProperty("candidates").EnumerateArray(), c => c.GetProperty("subject").GetString() == subject);
    }

    [Fact]
    public async Task Identify_decides_at_the_1N_threshold_and_verify_at_the_1to1_one_each_set_per_tenant_and_per_call()
    {
        using var client = fixture.Client(fixture.DemoKeys["ACCESS_KEY"]);
        var subject = "id-" + Guid.NewGuid().ToString("N")[..6];
        await client.PostAsJsonAsync("/v1/access/subjects", new { id = subject });
        await client.PostAsync($"/v1/access/subjects/{subject}/faces", ApiFixture.Form(("image", "img10.jpg")));
        var shipped = ShippedModels.DefaultRecognizer;

        var identified = await Json(await client.PostAsync("/v1/access/identify", ApiFixture.Form(("image", "img2.jpg"))));
        var verified = await Json(await client.PostAsync($"/v1/access/subjects/{subject}/verify", ApiFixture.Form(("image", "img2.jpg"))));
        var configured = await Json(await client.PutAsJsonAsync("/v1/access/config", new { identification_threshold = 0.99 }));
        var strictTenant = await Json(await client.PostAsync("/v1/access/identify", ApiFixture.Form(("image", "img2.jpg"))));
        var verifiedAfter = await Json(await client.PostAsync($"/v1/access/subjects/{subject}/verify", ApiFixture.Form(("image", "img2.jpg"))));
        var perCall = await Json(await client.PostAsync("/v1/access/identify", ApiFixture.WithField(ApiFixture.Form(("image", "img2.jpg")), "threshold", "0.35")));
        await client.PutAsJsonAsync("/v1/access/config", new { });
        await client.DeleteAsync($"/v1/access/subjects/{subject}");

        Assert.Equal(shipped.IdentificationThreshold, identified.GetProperty("threshold").GetSingle());
        Assert.Equal(subject, identified.GetProperty("faces")[0].GetProperty("match").GetString());
        Assert.Equal(shipped.Threshold, verified.GetProperty("threshold").GetSingle());
        Assert.Equal(0.99f, configured.GetProperty("config").GetProperty("identification_threshold").GetSingle());
        Assert.Equal(0.99f, strictTenant.GetProperty("threshold").GetSingle());
        Assert.Equal("unknown", strictTenant.GetProperty("faces")[0].GetProperty("match").GetString());
        // The 1:N setting leaves the 1:1 decision alone.
        Assert.Equal(shipped.Threshold, verifiedAfter.GetProperty("threshold").GetSingle());
        Assert.True(verifiedAfter.GetProperty("is_match").GetBoolean());
        Assert.Equal(0.35f, perCall.GetProperty("threshold").GetSingle());
        Assert.Equal(subject, perCall.GetProperty("faces")[0].GetProperty("match").GetString());
    }

    [Fact]
    public async Task A_stored_enrollment_photo_is_served_back_when_the_tenant_keeps_photos()
    {
        using var client = fixture.Client(fixture.DemoKeys["ACCESS_KEY"]);
        var subject = "cy-" + Guid.NewGuid().ToString("N")[..6];
        await client.PutAsJsonAsync("/v1/access/config", new { store_enrollment_photos = true });
        await client.PostAsJsonAsync("/v1/access/subjects", new { id = subject });
        var enrolled = JsonDocument.Parse(await (await client.PostAsync($"/v1/access/subjects/{subject}/faces", ApiFixture.Form(("image", "img12.jpg"))))
            .Content.ReadAsStringAsync()).RootElement.GetProperty("face_id").GetString();

        var photo = await client.GetAsync($"/v1/access/subjects/{subject}/faces/{enrolled}/photo");
        await client.PutAsJsonAsync("/v1/access/config", new { });
        var missing = await client.GetAsync($"/v1/access/subjects/{subject}/faces/nope/photo");

        Assert.Equal(HttpStatusCode.OK, photo.StatusCode);
        Assert.Equal("image/jpeg", photo.Content.Headers.ContentType?.MediaType);
        Assert.Equal(TestPaths.Photo("img12.jpg"), await photo.Content.ReadAsByteArrayAsync());
        await ProblemAssert.IsProblemAsync(missing, HttpStatusCode.NotFound, "unknown-photo");
        await client.DeleteAsync($"/v1/access/subjects/{subject}");
    }

    [Fact]
    public async Task Gallery_errors_are_problems()
    {
        using var client = fixture.Client(fixture.DemoKeys["ACCESS_KEY"]);
        using var other = fixture.Client(fixture.DemoKeys["ATTENDANCE_KEY"]);
        var subject = "bo-" + Guid.NewGuid().ToString("N")[..6];
        await client.PostAsJsonAsync("/v1/access/subjects", new { id = subject });

        await ProblemAssert.IsProblemAsync(await client.PostAsJsonAsync("/v1/access/subjects", new { id = subject }), HttpStatusCode.Conflict, "subject-exists");
        await ProblemAssert.IsProblemAsync(await client.PostAsJsonAsync("/v1/access/subjects", new { display_name = "no id" }), HttpStatusCode.BadRequest, "missing-field");
        await ProblemAssert.IsProblemAsync(await client.PostAsync("/v1/access/subjects/nobody/faces", ApiFixture.Form(("image", "img10.jpg"))), HttpStatusCode.NotFound, "unknown-subject");
        await ProblemAssert.IsProblemAsync(await client.PostAsync($"/v1/access/subjects/{subject}/faces", ApiFixture.Form(("image", "couple.jpg"))), HttpStatusCode.UnprocessableEntity, "several-faces");
        var largest = await client.PostAsync($"/v1/access/subjects/{subject}/faces", ApiFixture.WithField(ApiFixture.Form(("image", "couple.jpg")), "largest", "true"));
        await ProblemAssert.IsProblemAsync(await client.PostAsync("/v1/access/identify", ApiFixture.WithField(ApiFixture.Form(("image", "img10.jpg")), "top_k", "zero")), HttpStatusCode.BadRequest, "invalid-parameter");
        await ProblemAssert.IsProblemAsync(await client.GetAsync("/v1/access/subjects?page=0"), HttpStatusCode.BadRequest, "invalid-parameter");
        await ProblemAssert.IsProblemAsync(await other.GetAsync("/v1/access/subjects"), HttpStatusCode.Forbidden, "forbidden");

        Assert.Equal(HttpStatusCode.Created, largest.StatusCode);
    }

    private static async Task<JsonElement> Json(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    [Fact]
    public async Task Reshard_route_needs_a_tenant_admin_key_and_a_valid_count_and_moves_the_gallery()
    {
        var tenant = "shards-" + Guid.NewGuid().ToString("N")[..6];
        using var admin = fixture.Client(ApiFixture.AdminKey);
        using var plain = fixture.Client(await fixture.IssueKeyAsync(tenant, Contracts.ApiKeyRole.Tenant));
        await admin.PostAsJsonAsync($"/v1/{tenant}/subjects", new { id = "ann" });
        await admin.PostAsync($"/v1/{tenant}/subjects/ann/faces", ApiFixture.Form(("image", "img10.jpg")));

        var before = await Json(await plain.GetAsync($"/v1/{tenant}/gallery"));
        await ProblemAssert.IsProblemAsync(await plain.PostAsJsonAsync($"/v1/{tenant}/gallery/reshard", new { shards = 2 }), HttpStatusCode.Forbidden, "forbidden");
        await ProblemAssert.IsProblemAsync(await admin.PostAsJsonAsync($"/v1/{tenant}/gallery/reshard", new { }), HttpStatusCode.BadRequest, "missing-field");
        await ProblemAssert.IsProblemAsync(await admin.PostAsJsonAsync($"/v1/{tenant}/gallery/reshard", new { shards = 0 }), HttpStatusCode.BadRequest, "invalid-parameter");
        await ProblemAssert.IsProblemAsync(await admin.PostAsJsonAsync($"/v1/{tenant}/gallery/reshard", new { shards = 100_000 }), HttpStatusCode.BadRequest, "invalid-parameter");
        var started = await admin.PostAsJsonAsync($"/v1/{tenant}/gallery/reshard", new { shards = 2 });
        JsonElement after;
        do
        {
            after = await Json(await plain.GetAsync($"/v1/{tenant}/gallery"));
        }
        while (after.GetProperty("resharding_to").ValueKind != JsonValueKind.Null);

        Assert.Equal((8, 1L), (before.GetProperty("shards").GetInt32(), before.GetProperty("faces").GetInt64()));
        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        Assert.Equal((2, 1L, 0L), (after.GetProperty("shards").GetInt32(), after.GetProperty("faces").GetInt64(), after.GetProperty("faces_to_move").GetInt64()));
        var identified = await Json(await plain.PostAsync($"/v1/{tenant}/identify", ApiFixture.Form(("image", "img2.jpg"))));
        Assert.Equal("ann", identified.GetProperty("faces")[0].GetProperty("match").GetString());
    }
}
