using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using FaceOrleans.Contracts;
using FaceOrleans.Vision;
using FaceOrleans.Vision.Evaluation;
using OpenCvSharp;

namespace FaceOrleans.Tests.Api;

/// <summary><c>mode=thorough</c> per call and as a tenant setting, on a row of eight small shared faces.</summary>
[Collection(ApiGroup.Name)]
public sealed class ApiThoroughDetectionTests(ApiFixture fixture)
{
    [Fact]
    public async Task Thorough_mode_per_call_or_per_tenant_finds_small_faces_that_the_default_misses()
    {
        var (tenant, client) = await fixture.NewTenantAsync("crowd");
        using var _ = client;
        var crowd = await CrowdAsync(client, tenant);

        var byDefault = await ApiFixture.OkJsonAsync(await client.PostAsync($"/v1/{tenant}/detect", Crowd(crowd)));
        var thorough = await ApiFixture.OkJsonAsync(await client.PostAsync($"/v1/{tenant}/detect", ApiFixture.WithField(Crowd(crowd), "mode", "thorough")));
        var configured = await ApiFixture.OkJsonAsync(await client.PutAsJsonAsync($"/v1/{tenant}/config", new { detection_mode = "thorough" }));
        var byTenant = await ApiFixture.OkJsonAsync(await client.PostAsync($"/v1/{tenant}/detect", Crowd(crowd)));
        var fastCall = await ApiFixture.OkJsonAsync(await client.PostAsync($"/v1/{tenant}/detect", ApiFixture.WithField(Crowd(crowd), "mode", "fast")));

        Assert.InRange(byDefault.GetProperty("count").GetInt32(), 0, 1);
        Assert.InRange(thorough.GetProperty("count").GetInt32(), 7, 8);
        Assert.All(thorough.GetProperty("faces").EnumerateArray(), f => Assert.True(f.GetProperty("quality").GetProperty("inter_eye_px").GetSingle() < 20));
        Assert.Equal("thorough", configured.GetProperty("config").GetProperty("detection_mode").GetString());
        Assert.Equal(thorough.GetProperty("count").GetInt32(), byTenant.GetProperty("count").GetInt32());
        Assert.InRange(fastCall.GetProperty("count").GetInt32(), 0, 1);

        var badCall = await ProblemAssert.IsProblemAsync(
            await client.PostAsync($"/v1/{tenant}/detect", ApiFixture.WithField(Crowd(crowd), "mode", "sideways")), HttpStatusCode.BadRequest, "invalid-parameter");
        Assert.Equal("mode", badCall.GetProperty("field").GetString());
        var badSetting = await ProblemAssert.IsProblemAsync(
            await client.PutAsJsonAsync($"/v1/{tenant}/config", new { detection_mode = "slow" }), HttpStatusCode.BadRequest, "invalid-parameter");
        Assert.Equal("detection_mode", badSetting.GetProperty("field").GetString());
    }

    private static MultipartFormDataContent Crowd(byte[] jpeg) => ApiFixture.Form("image", jpeg, "crowd.jpg");

    /// <summary>Eight shared portraits in one row, 14 px between the eyes, on a 2310 px wide frame (JPEG).</summary>
    private static async Task<byte[]> CrowdAsync(HttpClient client, string tenant)
    {
        var portraits = new List<(Mat Bgr, FacePoint LeftEye, FacePoint RightEye)>();
        try
        {
            foreach (var photo in new[] { "img4.jpg", "img2.jpg", "img3.jpg", "img10.jpg", "img12.jpg", "img22.jpg", "img35.jpg", "img54.jpg" })
            {
                var detected = await ApiFixture.OkJsonAsync(await client.PostAsync($"/v1/{tenant}/detect", ApiFixture.Form(("image", photo))));
                var (left, right) = ApiFixture.Eyes(detected);
                portraits.Add((Cv2.ImDecode(TestPaths.Photo(photo), ImreadModes.Color), left, right));
            }

            using var crowd = CrowdMosaic.Build(portraits, columns: 8, interEye: 14, spacing: 3);
            return PhotoDegrader.EncodeJpeg(crowd.Image, 92);
        }
        finally
        {
            portraits.ForEach(p => p.Bgr.Dispose());
        }
    }
}
