using System.Net;
using System.Net.Http.Json;
using OpenCvSharp;

namespace FaceOrleans.Tests.Api;

[Collection(ApiGroup.Name)]
public sealed class ApiErrorTests(ApiFixture fixture)
{
    private HttpClient Client() => fixture.Client(fixture.DemoKeys["ATTENDANCE_KEY"]);

    [Fact]
    public async Task A_missing_or_malformed_field_is_400_naming_it()
    {
        using var client = Client();
        var form = ApiFixture.Form(("image1", "img10.jpg"), ("image2", "img2.jpg"));
        form.Add(new StringContent("abc"), "threshold");

        var missing = await client.PostAsync("/v1/attendance/compare", ApiFixture.Form(("image1", "img10.jpg")));
        var malformed = await client.PostAsync("/v1/attendance/compare", form);
        var outOfRange = await client.PostAsync("/v1/attendance/compare", ApiFixture.WithField(ApiFixture.Form(("image1", "img10.jpg"), ("image2", "img2.jpg")), "threshold", "1.5"));
        var badConfig = await client.PutAsJsonAsync("/v1/attendance/config", new { det_threshold = 7 });
        var notJson = await client.PutAsync("/v1/attendance/config", new StringContent("{not json", System.Text.Encoding.UTF8, "application/json"));

        Assert.Equal("image2", (await ProblemAssert.IsProblemAsync(missing, HttpStatusCode.BadRequest, "missing-field")).GetProperty("field").GetString());
        Assert.Equal("threshold", (await ProblemAssert.IsProblemAsync(malformed, HttpStatusCode.BadRequest, "invalid-parameter")).GetProperty("field").GetString());
        await ProblemAssert.IsProblemAsync(outOfRange, HttpStatusCode.BadRequest, "invalid-parameter");
        await ProblemAssert.IsProblemAsync(badConfig, HttpStatusCode.BadRequest, "invalid-parameter");
        await ProblemAssert.IsProblemAsync(notJson, HttpStatusCode.BadRequest, "bad-request");
    }

    [Fact]
    public async Task An_upload_over_the_limit_is_413()
    {
        using var client = Client();

        var response = await client.PostAsync("/v1/attendance/detect", ApiFixture.Form(("image", "img1.jpg"))); // 2.3 MB > 2 MB

        var problem = await ProblemAssert.IsProblemAsync(response, HttpStatusCode.RequestEntityTooLarge, "upload-too-large");
        Assert.Equal("image", problem.GetProperty("field").GetString());
    }

    [Fact]
    public async Task A_file_that_is_not_an_image_is_415_and_a_truncated_one_too()
    {
        using var client = Client();
        var photo = TestPaths.Photo("img10.jpg");

        var text = await client.PostAsync("/v1/attendance/detect", ApiFixture.Form("image", "name,age\nann,3\n"u8.ToArray(), "people.csv"));
        var truncated = await client.PostAsync("/v1/attendance/detect", ApiFixture.Form("image", photo[..(photo.Length / 2)], "cut.jpg"));

        await ProblemAssert.IsProblemAsync(text, HttpStatusCode.UnsupportedMediaType, "not-an-image");
        await ProblemAssert.IsProblemAsync(truncated, HttpStatusCode.UnsupportedMediaType, "corrupt-image");
    }

    [Fact]
    public async Task No_face_in_one_image_is_422_saying_which()
    {
        using var client = Client();
        using var blank = new Mat(300, 300, MatType.CV_8UC3, Scalar.All(90));
        var form = ApiFixture.Form(("image1", "img10.jpg"));
        form.Add(new ByteArrayContent(blank.ImEncode(".png")), "image2", "wall.png");

        var response = await client.PostAsync("/v1/attendance/compare", form);

        var problem = await ProblemAssert.IsProblemAsync(response, HttpStatusCode.UnprocessableEntity, "no-face");
        Assert.Equal("image2", problem.GetProperty("image").GetString());
        Assert.Contains("image2", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_tenant_over_its_concurrency_quota_gets_429_with_retry_after()
    {
        var key = await fixture.IssueKeyAsync("burst", FaceOrleans.Contracts.ApiKeyRole.Tenant);
        using var client = fixture.Client(key);
        using var scraper = fixture.Client();
        var series = MetricsText.QuotaRejections("burst", "concurrency");
        var before = MetricsText.Value(await scraper.GetStringAsync("/metrics"), series);

        var responses = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ =>
            client.PostAsync("/v1/burst/compare", ApiFixture.Form(("image1", "img40.jpg"), ("image2", "img35.jpg")))));
        var after = MetricsText.Value(await scraper.GetStringAsync("/metrics"), series);

        Assert.Contains(responses, r => r.StatusCode == HttpStatusCode.OK);
        var rejected = responses.Where(r => r.StatusCode == HttpStatusCode.TooManyRequests).ToArray();
        Assert.NotEmpty(rejected);
        var problem = await ProblemAssert.IsProblemAsync(rejected[0], HttpStatusCode.TooManyRequests, "tenant-over-quota");
        Assert.Equal("concurrency", problem.GetProperty("limit").GetString());
        Assert.Equal(TimeSpan.FromSeconds(1), rejected[0].Headers.RetryAfter?.Delta);
        Assert.Equal(before + rejected.Length, after);
    }

    [Fact]
    public async Task A_bad_request_leaves_stored_configuration_untouched()
    {
        using var admin = fixture.Client(ApiFixture.AdminKey);
        await admin.PutAsJsonAsync("/v1/attendance/config", new { display_name = "Kept", similarity_threshold = 0.42 });

        await admin.PutAsJsonAsync("/v1/attendance/config", new { similarity_threshold = -3 });
        await admin.PostAsync("/v1/attendance/compare", ApiFixture.Form("image1", [0xFF, 0xD8, 0xFF, 0x00], "broken.jpg"));
        var state = await admin.GetFromJsonAsync<System.Text.Json.JsonElement>("/v1/attendance");

        Assert.Equal("Kept", state.GetProperty("config").GetProperty("display_name").GetString());
        Assert.Equal(0.42f, state.GetProperty("config").GetProperty("similarity_threshold").GetSingle());
        await admin.PutAsJsonAsync("/v1/attendance/config", new { });
    }

}
