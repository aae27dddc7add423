using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace FaceOrleans.Tests.Api;

[Collection(ApiGroup.Name)]
public sealed partial class ApiDocsAndMetricsTests(ApiFixture fixture)
{
    [Fact]
    public async Task The_openapi_document_lists_every_route_and_the_browsable_page_serves()
    {
        using var client = fixture.Client();

        var document = JsonDocument.Parse(await client.GetStringAsync("/openapi/v1.json")).RootElement;
        var page = await client.GetAsync("/scalar/v1");

        var paths = document.GetProperty("paths");
        (string Path, string Method)[] expected =
        [
            ("/v1/{tenant}/compare", "post"), ("/{tenant}/compare", "post"), ("/compare", "post"),
            ("/v1/{tenant}/detect", "post"), ("/v1/{tenant}/embed", "post"),
            ("/v1/{tenant}", "get"), ("/v1/{tenant}/config", "put"), ("/v1/cluster", "get"),
            ("/v1/keys", "get"), ("/v1/keys", "post"), ("/v1/keys/{id}", "delete"),
            ("/health/live", "get"), ("/health/ready", "get"), ("/health", "get"),
            ("/v1/{tenant}/subjects", "post"), ("/v1/{tenant}/subjects", "get"), ("/v1/{tenant}/subjects/{id}", "delete"),
            ("/v1/{tenant}/subjects/{id}/faces", "post"), ("/v1/{tenant}/subjects/{id}/faces/{faceId}", "delete"),
            ("/v1/{tenant}/detect/batch", "post"), ("/v1/{tenant}/embed/batch", "post"), ("/v1/{tenant}/subjects/{id}/faces/batch", "post"),
            ("/v1/{tenant}/quota", "get"), ("/v1/{tenant}/quota", "put"), ("/v1/{tenant}/quota", "delete"),
            ("/v1/{tenant}/identify", "post"), ("/v1/{tenant}/subjects/{id}/faces/{faceId}/photo", "get"), ("/v1/{tenant}/subjects/{id}/verify", "post"),
        ];
        foreach (var (path, method) in expected)
        {
            Assert.True(paths.TryGetProperty(path, out var item) && item.TryGetProperty(method, out _), $"{method.ToUpperInvariant()} {path} is missing");
        }

        var compareForm = paths.GetProperty("/v1/{tenant}/compare").GetProperty("post").GetProperty("requestBody").GetRawText();
        Assert.Contains("image1", compareForm, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
    }

    [Fact]
    public async Task Metrics_counters_move_after_requests_and_slices_are_reported()
    {
        using var client = fixture.Client(fixture.DemoKeys["ATTENDANCE_KEY"]);
        using var scraper = fixture.Client();
        var before = Value(await scraper.GetStringAsync("/metrics"), "faceorleans_http_requests_total", "attendance", "/v1/{tenant}/detect", "200");

        await client.PostAsync("/v1/attendance/detect", ApiFixture.Form(("image", "couple.jpg")));
        await client.PostAsync("/v1/attendance/detect", ApiFixture.Form(("image", "img10.jpg")));
        var after = await scraper.GetStringAsync("/metrics");

        Assert.Equal(before + 2, Value(after, "faceorleans_http_requests_total", "attendance", "/v1/{tenant}/detect", "200"));
        Assert.Contains("faceorleans_http_request_duration_seconds_bucket{tenant=\"attendance\",route=\"/v1/{tenant}/detect\"", after, StringComparison.Ordinal);
        Assert.Matches(FacesLine(), after);
        Assert.Contains("faceorleans_slice_queue_depth{slice=\"cpu-0\"}", after, StringComparison.Ordinal);
        Assert.Matches(ModelCallsLine(), after);
    }

    private static double Value(string metrics, string name, string tenant, string route, string status) =>
        MetricsText.Value(metrics, $"{name}{{tenant=\"{tenant}\",route=\"{route}\",status=\"{status}\"}}");

    [GeneratedRegex("faceorleans_faces_detected_total\\{tenant=\"attendance\"\\} [1-9]")]
    private static partial Regex FacesLine();

    [GeneratedRegex("faceorleans_slice_model_calls\\{slice=\"cpu-0\"\\} [1-9]")]
    private static partial Regex ModelCallsLine();
}
