using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace FaceOrleans.Tests.Api;

/// <summary>The API executable started from a folder that is not its own, as the fixture starts it.</summary>
[Collection(ApiProcessGroup.Name)]
public sealed class ApiProcessTests(ApiProcessFixture api)
{
    [Fact]
    public async Task Started_from_another_folder_the_API_reads_its_own_appsettings_and_serves_the_console()
    {
        // Only Api/appsettings.json pins attendance and access to slice cpu-0: found, although the process started elsewhere.
        using var admin = api.Client(api.DemoKeys["ADMIN_KEY"]);
        var slice = Assert.Single((await admin.GetFromJsonAsync<JsonElement>("/v1/cluster")).GetProperty("slices").EnumerateArray());
        Assert.Equal("cpu-0", slice.GetProperty("slice").GetString());
        Assert.Equal(["access", "attendance"], slice.GetProperty("tenants").EnumerateArray().Select(t => t.GetString()));

        // Its log levels apply too: Orleans at Warning, so none of Orleans' start-up info lines; the host's own still show.
        Assert.Contains("info: Microsoft.Hosting.Lifetime", api.Api.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("info: Orleans", api.Api.Output, StringComparison.Ordinal);

        // The console's files come from the wwwroot beside the assembly.
        using var client = api.Client();
        var page = await client.GetAsync(new Uri("/console", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("/console/", page.RequestMessage!.RequestUri!.AbsolutePath);
        Assert.Contains("<title>FaceOrleans console</title>", await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        foreach (var file in new[] { "/console/console.js", "/console/console.css" })
        {
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(new Uri(file, UriKind.Relative))).StatusCode);
        }
    }

    [Fact]
    public async Task On_kestrel_a_batch_may_carry_more_than_a_single_routes_body_but_no_more_than_the_batch_limit()
    {
        // Kestrel refuses an oversized body before reading it and closes the connection; with Expect: 100-continue a
        // client reads that 413 instead of a broken pipe, as curl does for large uploads. The client must wait for the
        // answer rather than send the body after its default second, which a loaded machine can take.
        using var handler = new SocketsHttpHandler { Expect100ContinueTimeout = TimeSpan.FromMinutes(1) };
        using var checkedHandler = new OpenApiContractHandler(api.Contract!) { InnerHandler = handler };
        using var client = new HttpClient(checkedHandler) { BaseAddress = api.BaseAddress, Timeout = TimeSpan.FromMinutes(2) };
        client.DefaultRequestHeaders.Add("X-Api-Key", api.AttendanceKey);
        client.DefaultRequestHeaders.ExpectContinue = true;
        // 6.9 MB of photos, each under the 3 MB file limit: over the single routes' body limit (two files and a little
        // form, 6.06 MB), within the batch routes' 8 MB. One photo more (8.3 MB) is over that too.
        string[] photos = ["img26.jpg", "img1.jpg", "img33.jpg"];
        Assert.InRange(photos.Sum(p => (long)TestPaths.Photo(p).Length), (2 * ApiProcessFixture.MaxUploadBytes) + (64 * 1024), ApiProcessFixture.MaxBatchUploadBytes);

        var single = await client.PostAsync(new Uri("/v1/attendance/compare", UriKind.Relative),
            ApiFixture.Form(("image1", photos[0]), ("image2", photos[1]), ("image3", photos[2])));
        var batch = await client.PostAsync(new Uri("/v1/attendance/detect/batch", UriKind.Relative), ApiFixture.Form(photos.Select(p => ("images", p)).ToArray()));
        var tooLarge = await client.PostAsync(new Uri("/v1/attendance/detect/batch", UriKind.Relative),
            ApiFixture.Form(photos.Append("img35.jpg").Select(p => ("images", p)).ToArray()));

        Assert.Equal(HttpStatusCode.OK, batch.StatusCode);
        var results = (await batch.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("results").EnumerateArray();
        Assert.All(results, r => Assert.Equal(200, r.GetProperty("status").GetInt32()));
        // Form binding answers a body over the limit with a bare 413, which the status-code pages turn into RFC 9110's problem type.
        foreach (var refused in new[] { single, tooLarge })
        {
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, refused.StatusCode);
            Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
        }
    }

    /// <summary>
    /// A form whose length the client declares is read whole before the form is parsed (WholeBodyUploads); one sent
    /// chunked, without a length, goes to the form reader as it arrives. Both must give the same answer.
    /// </summary>
    [Fact]
    public async Task A_compare_sent_chunked_answers_as_the_same_form_with_its_length_declared()
    {
        using var client = api.Client(api.AttendanceKey);
        var compare = new Uri("/v1/attendance/compare", UriKind.Relative);

        using var declared = ApiFixture.Form(("image1", "img10.jpg"), ("image2", "img11.jpg"));
        Assert.NotNull(declared.Headers.ContentLength);
        var whole = await client.PostAsync(compare, declared);
        using var chunked = new HttpRequestMessage(HttpMethod.Post, compare) { Content = ApiFixture.Form(("image1", "img10.jpg"), ("image2", "img11.jpg")) };
        chunked.Headers.TransferEncodingChunked = true;
        var streamed = await client.SendAsync(chunked);

        Assert.Equal(HttpStatusCode.OK, whole.StatusCode);
        Assert.Equal(HttpStatusCode.OK, streamed.StatusCode);
        Assert.Null(streamed.RequestMessage!.Content!.Headers.ContentLength);
        var (first, second) = (await whole.Content.ReadFromJsonAsync<JsonElement>(), await streamed.Content.ReadFromJsonAsync<JsonElement>());
        Assert.Equal(first.GetProperty("similarity").GetSingle(), second.GetProperty("similarity").GetSingle());
        Assert.Equal(first.GetProperty("is_same_person").GetBoolean(), second.GetProperty("is_same_person").GetBoolean());
        Assert.Equal(first.GetProperty("faces").ToString(), second.GetProperty("faces").ToString());
    }

    [Fact]
    public void A_comma_separated_list_on_the_command_line_replaces_the_files_list()
    {
        // appsettings.json names attendance and access; --FaceOrleans:Api:DemoTenants=attendance leaves one demo tenant.
        Assert.Equal(["ADMIN_KEY", "ATTENDANCE_KEY"], api.DemoKeys.Keys.Order(StringComparer.Ordinal));
    }

    /// <summary>
    /// Kestrel's body limit is two uploads of MaxUploadBytes plus the form's overhead, the largest request a route
    /// takes. Within it, the form reader sees the whole upload and names the file that is too large. Above it, the
    /// server refuses the body before reading it: a client that waits for <c>100 Continue</c> before sending a large
    /// body, as curl does, gets the same problem; one that sends it regardless finds the connection closed under it.
    /// </summary>
    [Theory]
    [InlineData(11 * 1024 * 1024)] // over MaxUploadBytes (10 MB), within the body limit
    [InlineData(24 * 1024 * 1024)] // over Kestrel's body limit itself
    public async Task On_the_real_server_an_oversized_upload_gets_the_413_problem_body(int bytes)
    {
        using var client = api.Client(api.AttendanceKey);
        client.DefaultRequestHeaders.ExpectContinue = true;

        var response = await client.PostAsync(new Uri("/v1/attendance/detect", UriKind.Relative), ApiFixture.Form("image", new byte[bytes]));

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.RequestEntityTooLarge, "upload-too-large");
    }
}
