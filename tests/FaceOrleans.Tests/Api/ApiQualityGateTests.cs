using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using FaceOrleans.Contracts;
using FaceOrleans.Vision;
using FaceOrleans.Vision.Evaluation;
using OpenCvSharp;

namespace FaceOrleans.Tests.Api;

/// <summary>The enrollment quality gate on real shared photos and on degraded copies of them (<see cref="PhotoDegrader"/>).</summary>
[Collection(ApiGroup.Name)]
public sealed class ApiQualityGateTests(ApiFixture fixture)
{
    [Fact]
    public async Task Detect_reports_each_faces_measures_and_enrollment_refuses_small_blurred_and_turned_faces_with_their_reasons()
    {
        var (tenant, client) = await fixture.NewTenantAsync("quality");
        using var _ = client;
        (await client.PostAsJsonAsync($"/v1/{tenant}/subjects", new { id = "ann" })).EnsureSuccessStatusCode();

        var clean = await ApiFixture.OkJsonAsync(await client.PostAsync($"/v1/{tenant}/detect", ApiFixture.Form(("image", "img10.jpg"))));
        var quality = Assert.Single(clean.GetProperty("faces").EnumerateArray()).GetProperty("quality");
        Assert.InRange(quality.GetProperty("inter_eye_px").GetSingle(), QualityLimits.Default.MinInterEyeDistance, 2000);
        Assert.InRange(quality.GetProperty("sharpness").GetSingle(), QualityLimits.Default.MinSharpness, 1e6f);
        Assert.InRange(quality.GetProperty("yaw").GetSingle(), -QualityLimits.Default.MaxYaw, QualityLimits.Default.MaxYaw);
        Assert.InRange(quality.GetProperty("pitch").GetSingle(), -QualityLimits.Default.MaxPitch, QualityLimits.Default.MaxPitch);
        Assert.Empty(quality.GetProperty("problems").EnumerateArray());

        // Eyes 28 px apart: detect still finds the face and says why it would not enroll; enroll refuses it.
        var tiny = Degraded("img10.jpg", clean, "tiny");
        var tinyDetected = await ApiFixture.OkJsonAsync(await client.PostAsync($"/v1/{tenant}/detect", ApiFixture.Form("image", tiny, "tiny.png")));
        var tinyQuality = Assert.Single(tinyDetected.GetProperty("faces").EnumerateArray()).GetProperty("quality");
        Assert.InRange(tinyQuality.GetProperty("inter_eye_px").GetSingle(), 20, QualityLimits.Default.MinInterEyeDistance);
        Assert.Equal([QualityLimits.TooSmall], tinyQuality.GetProperty("problems").EnumerateArray().Select(p => p.GetString()));
        var tooSmall = await ProblemAssert.IsProblemAsync(
            await client.PostAsync($"/v1/{tenant}/subjects/ann/faces", ApiFixture.Form("image", tiny, "tiny.png")), HttpStatusCode.UnprocessableEntity, "low-quality");
        Assert.Equal([QualityLimits.TooSmall], tooSmall.GetProperty("reasons").EnumerateArray().Select(p => p.GetString()));
        Assert.Contains("px between the eyes", tooSmall.GetProperty("detail").GetString(), StringComparison.Ordinal);

        // Strong defocus (sigma 1/16 of the eye distance): refused as blurred.
        var blurred = await ProblemAssert.IsProblemAsync(
            await client.PostAsync($"/v1/{tenant}/subjects/ann/faces", ApiFixture.Form("image", Degraded("img10.jpg", clean, "blur-strong"), "blurred.png")),
            HttpStatusCode.UnprocessableEntity, "low-quality");
        Assert.Equal([QualityLimits.TooBlurred], blurred.GetProperty("reasons").EnumerateArray().Select(p => p.GetString()));

        // The selfie's largest face is the photographer's, turned aside by 30 to 45 degrees (the estimate moves with
        // the detection size): a tenant that wants faces within 20 degrees of frontal refuses it.
        (await client.PutAsJsonAsync($"/v1/{tenant}/config", new { max_yaw = 20 })).EnsureSuccessStatusCode();
        var turned = await ProblemAssert.IsProblemAsync(
            await client.PostAsync($"/v1/{tenant}/subjects/ann/faces", ApiFixture.WithField(ApiFixture.Form(("image", "selfie-many-people.jpg")), "largest", "true")),
            HttpStatusCode.UnprocessableEntity, "low-quality");
        Assert.Equal([QualityLimits.TurnedAside], turned.GetProperty("reasons").EnumerateArray().Select(p => p.GetString()));
        Assert.Contains("turned aside (yaw", turned.GetProperty("detail").GetString(), StringComparison.Ordinal);

        // Nothing refused was stored; a good photo enrolls, and a tenant that accepts smaller faces enrolls the tiny copy.
        var before = await ApiFixture.OkJsonAsync(await client.GetAsync($"/v1/{tenant}/subjects"));
        Assert.Equal(0, before.GetProperty("items")[0].GetProperty("face_count").GetInt32());
        Assert.Equal(HttpStatusCode.Created, (await client.PostAsync($"/v1/{tenant}/subjects/ann/faces", ApiFixture.Form(("image", "img10.jpg")))).StatusCode);
        var relaxed = await ApiFixture.OkJsonAsync(await client.PutAsJsonAsync($"/v1/{tenant}/config", new { min_inter_eye_px = 20 }));
        Assert.Equal(20f, relaxed.GetProperty("config").GetProperty("min_inter_eye_px").GetSingle());
        var tinyAgain = await ApiFixture.OkJsonAsync(await client.PostAsync($"/v1/{tenant}/detect", ApiFixture.Form("image", tiny, "tiny.png")));
        Assert.Empty(tinyAgain.GetProperty("faces")[0].GetProperty("quality").GetProperty("problems").EnumerateArray());
        Assert.Equal(HttpStatusCode.Created, (await client.PostAsync($"/v1/{tenant}/subjects/ann/faces", ApiFixture.Form("image", tiny, "tiny.png"))).StatusCode);
        var after = await ApiFixture.OkJsonAsync(await client.GetAsync($"/v1/{tenant}/subjects"));
        Assert.Equal(2, after.GetProperty("items")[0].GetProperty("face_count").GetInt32());

        // A limit out of range is a problem naming it, and leaves the settings alone.
        var refused = await ProblemAssert.IsProblemAsync(
            await client.PutAsJsonAsync($"/v1/{tenant}/config", new { min_inter_eye_px = 20, max_yaw = 120 }), HttpStatusCode.BadRequest, "invalid-parameter");
        Assert.Equal("max_yaw", refused.GetProperty("field").GetString());
        var state = await ApiFixture.OkJsonAsync(await client.GetAsync($"/v1/{tenant}"));
        Assert.Equal(20f, state.GetProperty("config").GetProperty("min_inter_eye_px").GetSingle());
    }

    /// <summary>The photo degraded as <paramref name="condition"/> from the standard set, around the face detect found, as PNG bytes.</summary>
    private static byte[] Degraded(string photo, JsonElement detected, string condition)
    {
        var (left, right) = ApiFixture.Eyes(detected);
        var standard = CaptureCondition.Standard.Single(c => c.Name == condition);
        using var bgr = Cv2.ImDecode(TestPaths.Photo(photo), ImreadModes.Color);
        using var copy = PhotoDegrader.Apply(bgr, left, right, standard, PhotoDegrader.SeedFor(photo, standard));
        return copy.Bgr.ImEncode(".png");
    }
}
