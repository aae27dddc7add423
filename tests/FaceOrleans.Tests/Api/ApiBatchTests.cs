using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using FaceOrleans.Vision;
using OpenCvSharp;

namespace FaceOrleans.Tests.Api;

/// <summary>The batch routes over HTTP on real photos: one answer per image, in order, equal to the single routes' answers.</summary>
[Collection(ApiGroup.Name)]
public sealed class ApiBatchTests(ApiFixture fixture)
{
    private static readonly byte[] NotAnImage = "name,age\nann,3\n"u8.ToArray();

    /// <summary>Good photos, a file that is not an image, a photo with no face, and the other field name: the batch every test sends.</summary>
    private static readonly (string Field, string FileName, byte[] Bytes)[] Mixed =
    [
        ("images", "img10.jpg", TestPaths.Photo("img10.jpg")),
        ("images", "people.csv", NotAnImage),
        ("images", "couple.jpg", TestPaths.Photo("couple.jpg")),
        ("images", "red-carpet.jpg", NoFacePhoto()),
        ("image", "img4.jpg", TestPaths.Photo("img4.jpg")),
    ];

    private HttpClient Client() => fixture.Client(fixture.DemoKeys["ATTENDANCE_KEY"]);

    [Fact]
    public async Task A_detect_batch_answers_each_image_in_order_as_the_detect_route_does()
    {
        using var client = Client();

        var batch = await Ok(await client.PostAsync("/v1/attendance/detect/batch", Form(Mixed)));

        var results = batch.GetProperty("results").EnumerateArray().ToArray();
        Assert.Equal((5, 1, "cpu-0"), (batch.GetProperty("images").GetInt32(), batch.GetProperty("failed").GetInt32(), batch.GetProperty("slice").GetString()));
        Assert.Equal(["images[0]", "images[1]", "images[2]", "images[3]", "image[4]"], results.Select(r => r.GetProperty("image").GetString()));
        Assert.Equal([200, 415, 200, 200, 200], results.Select(r => r.GetProperty("status").GetInt32()));
        Assert.Equal([1, 2, 0, 1], results.Where(r => r.GetProperty("status").GetInt32() == 200).Select(r => r.GetProperty("result").GetProperty("count").GetInt32()));
        await AssertSameProblemAsTheSingleRouteAsync(client, "/v1/attendance/detect", results[1]);

        foreach (var index in new[] { 0, 2, 3, 4 })
        {
            var single = await Ok(await client.PostAsync("/v1/attendance/detect", ApiFixture.Form("image", Mixed[index].Bytes, Mixed[index].FileName)));
            Assert.Equal(index, results[index].GetProperty("index").GetInt32());
            Assert.Equal(Mixed[index].FileName, results[index].GetProperty("filename").GetString());
            AssertSameFaces(Mixed[index].Bytes, single.GetProperty("faces"), results[index].GetProperty("result").GetProperty("faces"));
        }
    }

    [Fact]
    public async Task An_embed_batch_gives_the_embed_routes_vectors_for_each_image()
    {
        using var client = Client();
        var before = await ModelCallsAsync();

        var batch = await Ok(await client.PostAsync("/v1/attendance/embed/batch", Form(Mixed)));
        var calls = await ModelCallsAsync() - before;
        var packed = await Ok(await client.PostAsync("/v1/attendance/embed/batch?encoding=base64", Form(Mixed[..1])));

        // Four images that decode and their five faces: one detector call and one recognizer call for the whole batch.
        Assert.Equal(2, calls);
        var results = batch.GetProperty("results").EnumerateArray().ToArray();
        Assert.Equal((512, "json", 1), (batch.GetProperty("dimensions").GetInt32(), batch.GetProperty("encoding").GetString(), batch.GetProperty("failed").GetInt32()));
        await AssertSameProblemAsTheSingleRouteAsync(client, "/v1/attendance/embed", results[1]);
        foreach (var index in new[] { 0, 2, 3, 4 })
        {
            var single = (await Ok(await client.PostAsync("/v1/attendance/embed", ApiFixture.Form("image", Mixed[index].Bytes, Mixed[index].FileName))))
                .GetProperty("faces").EnumerateArray().ToArray();
            var batched = results[index].GetProperty("result").GetProperty("faces").EnumerateArray().ToArray();
            Assert.Equal(single.Length, batched.Length);
            AssertSameFaces(Mixed[index].Bytes, single.Select(f => f.GetProperty("face")), batched.Select(f => f.GetProperty("face")));
            for (var f = 0; f < single.Length; f++)
            {
                var (one, many) = (Vector(single[f]), Vector(batched[f]));
                Assert.Equal(512, many.Length);
                Assert.All(one.Zip(many), pair => Assert.Equal(pair.First, pair.Second, 1e-4));
            }
        }

        Assert.Equal("base64-float32le", packed.GetProperty("encoding").GetString());
        Assert.Equal(512 * 4, Convert.FromBase64String(packed.GetProperty("results")[0].GetProperty("result").GetProperty("faces")[0].GetProperty("embedding_base64").GetString()!).Length);
    }

    [Fact]
    public async Task Bulk_enrollment_stores_each_good_photo_and_refuses_each_bad_one_on_its_own()
    {
        using var client = Client();
        var subject = "bulk-" + Guid.NewGuid().ToString("N")[..6];
        await client.PostAsJsonAsync("/v1/attendance/subjects", new { id = subject });

        var batch = await Ok(await client.PostAsync($"/v1/attendance/subjects/{subject}/faces/batch", Form(Mixed)));
        var identified = await Ok(await client.PostAsync("/v1/attendance/identify", ApiFixture.Form(("image", "img2.jpg"))));
        var page = await Ok(await client.GetAsync("/v1/attendance/subjects?page=1&size=1000"));

        var results = batch.GetProperty("results").EnumerateArray().ToArray();
        Assert.Equal((subject, 2, 3), (batch.GetProperty("subject").GetString(), batch.GetProperty("enrolled").GetInt32(), batch.GetProperty("failed").GetInt32()));
        Assert.Equal([201, 415, 422, 422, 201], results.Select(r => r.GetProperty("status").GetInt32()));
        Assert.Equal(["not-an-image", "several-faces", "no-face"], results.Where(r => r.TryGetProperty("problem", out _))
            .Select(r => r.GetProperty("problem").GetProperty("type").GetString()!.Split('/')[^1]));
        Assert.Equal("images[3]", results[3].GetProperty("problem").GetProperty("image").GetString());
        var faceIds = results.Where(r => r.GetProperty("status").GetInt32() == 201).Select(r => r.GetProperty("result").GetProperty("face_id").GetString()).ToArray();
        Assert.Equal($"/v1/attendance/subjects/{subject}/faces/{faceIds[0]}", results[0].GetProperty("location").GetString());

        var face = Assert.Single(identified.GetProperty("faces").EnumerateArray());
        Assert.Equal(subject, face.GetProperty("match").GetString());
        Assert.Contains(face.GetProperty("candidates")[0].GetProperty("face_id").GetString(), faceIds);
        Assert.Equal(2, page.GetProperty("items").EnumerateArray().Single(s => s.GetProperty("id").GetString() == subject).GetProperty("face_count").GetInt32());
        await client.DeleteAsync($"/v1/attendance/subjects/{subject}");
    }

    [Fact]
    public async Task Bulk_enrolled_faces_are_on_disk_when_the_batch_answers_and_identified_after_the_embedded_host_restarts()
    {
        var data = Directory.CreateTempSubdirectory("faceorleans-batch-restart-");
        var settings = ApiFixture.Settings(data.FullName);
        try
        {
            string[] enrolled;
            await using (var first = await EmbeddedApiHost.StartAsync(settings))
            {
                using var admin = await Client(first);
                Assert.Equal(HttpStatusCode.Created, (await admin.PostAsJsonAsync("/v1/access/subjects", new { id = "ann" })).StatusCode);
                var batch = await Ok(await admin.PostAsync("/v1/access/subjects/ann/faces/batch", Form([Mixed[0], Mixed[4]])));
                enrolled = batch.GetProperty("results").EnumerateArray().Select(r => r.GetProperty("result").GetProperty("face_id").GetString()!).ToArray();

                // Stored before the answer: while the host still runs, a connection of our own finds every reported face in the file.
                Assert.Equal(enrolled.Order(StringComparer.Ordinal), StoredFaceIds(Path.Combine(data.FullName, "state-gallery.db"), "access", "ann"));
            }

            await using var second = await EmbeddedApiHost.StartAsync(settings);
            using var client = await Client(second);
            var face = Assert.Single((await Ok(await client.PostAsync("/v1/access/identify", ApiFixture.Form(("image", "img2.jpg"))))).GetProperty("faces").EnumerateArray());
            var stranger = (await Ok(await client.PostAsync("/v1/access/identify", ApiFixture.Form(("image", "img12.jpg"))))).GetProperty("faces")[0];

            Assert.Equal(2, enrolled.Length);
            Assert.Equal("ann", face.GetProperty("match").GetString());
            Assert.Contains(face.GetProperty("candidates")[0].GetProperty("face_id").GetString(), enrolled);
            Assert.Equal("unknown", stranger.GetProperty("match").GetString());
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            data.Delete(recursive: true);
        }


        static string[] StoredFaceIds(string database, string tenant, string subject)
        {
            using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={database};Mode=ReadOnly;Pooling=False");
            connection.Open();
            using var select = connection.CreateCommand();
            select.CommandText = "SELECT face_id FROM gallery_faces WHERE tenant = $tenant AND subject_id = $subject ORDER BY face_id";
            select.Parameters.AddWithValue("$tenant", tenant);
            select.Parameters.AddWithValue("$subject", subject);
            using var reader = select.ExecuteReader();
            var ids = new List<string>();
            while (reader.Read())
            {
                ids.Add(reader.GetString(0));
            }

            return [.. ids];
        }

        static async Task<HttpClient> Client(EmbeddedApiHost host)
        {
            var client = await OpenApiContractHandler.CheckedClientAsync(host.CreateDefaultClient);
            client.DefaultRequestHeaders.Add("X-Api-Key", ApiFixture.AdminKey);
            return client;
        }
    }

    [Fact]
    public async Task A_batch_with_too_many_images_or_none_is_refused_whole()
    {
        using var client = Client();
        var tooMany = Enumerable.Repeat(Mixed[0], ApiFixture.MaxBatchImages + 1).ToArray();

        var refused = await client.PostAsync("/v1/attendance/detect/batch", Form(tooMany));
        var none = await client.PostAsync("/v1/attendance/embed/batch", ApiFixture.Form(("photo", "img10.jpg")));
        var unknownSubject = await client.PostAsync("/v1/attendance/subjects/nobody/faces/batch", Form(Mixed[..1]));
        var badThreshold = await client.PostAsync("/v1/attendance/detect/batch", ApiFixture.WithField(Form(Mixed[..1]), "det_threshold", "2"));

        var problem = await ProblemAssert.IsProblemAsync(refused, HttpStatusCode.RequestEntityTooLarge, "too-many-images");
        Assert.Equal((ApiFixture.MaxBatchImages, ApiFixture.MaxBatchImages + 1), (problem.GetProperty("limit").GetInt32(), problem.GetProperty("count").GetInt32()));
        Assert.Equal("images", (await ProblemAssert.IsProblemAsync(none, HttpStatusCode.BadRequest, "missing-field")).GetProperty("field").GetString());
        await ProblemAssert.IsProblemAsync(unknownSubject, HttpStatusCode.NotFound, "unknown-subject");
        await ProblemAssert.IsProblemAsync(badThreshold, HttpStatusCode.BadRequest, "invalid-parameter");
    }

    [Fact]
    public async Task An_empty_or_oversized_part_is_that_parts_own_problem()
    {
        using var client = Client();

        var batch = await Ok(await client.PostAsync("/v1/attendance/detect/batch",
            Form([Mixed[0], ("images", "empty.jpg", []), ("images", "img1.jpg", TestPaths.Photo("img1.jpg"))]))); // 2.3 MB > 2 MB

        var results = batch.GetProperty("results").EnumerateArray().ToArray();
        Assert.Equal([200, 400, 413], results.Select(r => r.GetProperty("status").GetInt32()));
        Assert.Equal("images[1]", results[1].GetProperty("problem").GetProperty("field").GetString());
        Assert.EndsWith("/empty-file", results[1].GetProperty("problem").GetProperty("type").GetString(), StringComparison.Ordinal);
        Assert.EndsWith("/upload-too-large", results[2].GetProperty("problem").GetProperty("type").GetString(), StringComparison.Ordinal);
        Assert.Equal(ApiFixture.MaxUploadBytes, results[2].GetProperty("problem").GetProperty("limit_bytes").GetInt64());
    }

    /// <summary>Model calls the fixture's slice has completed (only this collection's tests use it, one at a time).</summary>
    private async Task<long> ModelCallsAsync()
    {
        using var admin = fixture.Client(ApiFixture.AdminKey);
        var cluster = await Ok(await admin.GetAsync("/v1/cluster"));
        return cluster.GetProperty("slices")[0].GetProperty("stats").GetProperty("completed").GetInt64();
    }

    /// <summary>A real photo without a face: the lower third of a red-carpet shot (dress and floor).</summary>
    private static byte[] NoFacePhoto()
    {
        using var photo = Cv2.ImDecode(TestPaths.Photo("img26.jpg"), ImreadModes.Color);
        using var lower = new Mat(photo, new Rect(0, photo.Height * 2 / 3, photo.Width, photo.Height / 3));
        return lower.ImEncode(".jpg");
    }

    private static MultipartFormDataContent Form(IEnumerable<(string Field, string FileName, byte[] Bytes)> parts)
    {
        var form = new MultipartFormDataContent();
        foreach (var (field, fileName, bytes) in parts)
        {
            form.Add(new ByteArrayContent(bytes), field, fileName);
        }

        return form;
    }

    /// <summary>The batch item's problem is the one the single route answers for the same file, naming the part instead.</summary>
    private static async Task AssertSameProblemAsTheSingleRouteAsync(HttpClient client, string singleRoute, JsonElement item)
    {
        var single = await client.PostAsync(singleRoute, ApiFixture.Form("image", NotAnImage, "people.csv"));
        var expected = await ProblemAssert.IsProblemAsync(single, HttpStatusCode.UnsupportedMediaType, "not-an-image");
        var problem = item.GetProperty("problem");
        Assert.Equal(415, item.GetProperty("status").GetInt32());
        Assert.Equal((expected.GetProperty("type").GetString(), 415), (problem.GetProperty("type").GetString(), problem.GetProperty("status").GetInt32()));
        Assert.Equal("image", expected.GetProperty("image").GetString());
        Assert.Equal(item.GetProperty("image").GetString(), problem.GetProperty("image").GetString());
        Assert.StartsWith(item.GetProperty("image").GetString() + ": ", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    /// <summary>Same faces in the same order: scores within 1e-4, coordinates within 1e-4 of the photo's size.</summary>
    private static void AssertSameFaces(byte[] photo, IEnumerable<JsonElement> expected, IEnumerable<JsonElement> actual)
    {
        var header = ImageHeader.Read(photo);
        var size = Math.Max(header.Width, header.Height);
        var pairs = expected.Zip(actual).ToArray();
        Assert.Equal(expected.Count(), actual.Count());
        foreach (var (one, many) in pairs)
        {
            Assert.Equal(one.GetProperty("score").GetSingle(), many.GetProperty("score").GetSingle(), 1e-4);
            foreach (var side in new[] { "left", "top", "right", "bottom" })
            {
                Assert.Equal(one.GetProperty("box").GetProperty(side).GetSingle() / size, many.GetProperty("box").GetProperty(side).GetSingle() / size, 1e-4);
            }

            var points = one.GetProperty("landmarks").EnumerateObject().Zip(many.GetProperty("landmarks").EnumerateObject());
            foreach (var (a, b) in points)
            {
                Assert.Equal(a.Value[0].GetSingle() / size, b.Value[0].GetSingle() / size, 1e-4);
                Assert.Equal(a.Value[1].GetSingle() / size, b.Value[1].GetSingle() / size, 1e-4);
            }
        }
    }

    private static void AssertSameFaces(byte[] photo, JsonElement expected, JsonElement actual) =>
        AssertSameFaces(photo, expected.EnumerateArray(), actual.EnumerateArray());

    private static float[] Vector(JsonElement face) => face.GetProperty("embedding").EnumerateArray().Select(v => v.GetSingle()).ToArray();

    private static async Task<JsonElement> Ok(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }
}
