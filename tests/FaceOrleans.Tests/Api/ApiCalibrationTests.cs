using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using FaceOrleans.Contracts;
using FaceOrleans.Tests.Gallery;

namespace FaceOrleans.Tests.Api;

/// <summary>Self-calibration on a tenant whose gallery is the shared photos: 61 real faces of 13 people, enrolled through the API.</summary>
[Collection(ApiGroup.Name)]
public sealed class ApiCalibrationTests(ApiFixture fixture)
{
    [Fact]
    public async Task A_gallery_of_the_shared_photos_calibrates_and_applies_its_own_thresholds()
    {
        var (tenant, client) = await fixture.NewTenantAsync("calib");
        using var _ = client;
        var people = GalleryTests.People();

        // Before any face: nothing to score, and a warning for each reason not to trust it.
        var empty = await ApiFixture.OkJsonAsync(await client.GetAsync($"/v1/{tenant}/calibration"));
        Assert.Equal(JsonValueKind.Null, empty.GetProperty("threshold_at_far").ValueKind);
        Assert.Equal(JsonValueKind.Null, empty.GetProperty("roc_auc").ValueKind);
        Assert.Equal(3, empty.GetProperty("warnings").GetArrayLength());

        foreach (var photos in people)
        {
            var subject = photos[0].Replace(".jpg", string.Empty, StringComparison.Ordinal);
            (await client.PostAsJsonAsync($"/v1/{tenant}/subjects", new { id = subject })).EnsureSuccessStatusCode();
            foreach (var photo in photos)
            {
                var enrolled = await client.PostAsync($"/v1/{tenant}/subjects/{subject}/faces", ApiFixture.WithField(ApiFixture.Form("image", ApiFixture.Uploadable(photo), photo), "largest", "true"));
                Assert.True(enrolled.StatusCode == HttpStatusCode.Created, $"{photo}: {await enrolled.Content.ReadAsStringAsync()}");
            }
        }

        var faces = people.Sum(p => p.Length);
        var genuinePairs = people.Sum(p => (long)p.Length * (p.Length - 1) / 2);
        var byDefault = await ApiFixture.OkJsonAsync(await client.GetAsync($"/v1/{tenant}/calibration"));
        var atOnePercent = await ApiFixture.OkJsonAsync(await client.GetAsync($"/v1/{tenant}/calibration?far=0.01"));

        Assert.Equal(1e-3, byDefault.GetProperty("far").GetDouble());
        Assert.Equal((people.Count, faces), (byDefault.GetProperty("subjects_used").GetInt32(), byDefault.GetProperty("faces_used").GetInt32()));
        Assert.Equal(genuinePairs, byDefault.GetProperty("genuine_pairs_total").GetInt64());
        Assert.Equal(((long)faces * (faces - 1) / 2) - genuinePairs, byDefault.GetProperty("impostor_pairs_total").GetInt64());
        Assert.Equal(genuinePairs, byDefault.GetProperty("genuine").GetProperty("pairs").GetInt64());
        Assert.Equal(JsonValueKind.Null, byDefault.GetProperty("sampling").ValueKind);
        // The recognizer separates these people almost perfectly (README: ROC AUC 0.99+ on the clean photos).
        Assert.InRange(byDefault.GetProperty("roc_auc").GetDouble(), 0.99, 1.0);
        Assert.True(byDefault.GetProperty("genuine").GetProperty("median").GetSingle() > byDefault.GetProperty("impostor").GetProperty("p95").GetSingle());
        // 1e-3 of ~1700 impostor pairs is one or two pairs: the answer comes with the warning that says so.
        var warning = Assert.Single(byDefault.GetProperty("warnings").EnumerateArray()).GetString()!;
        Assert.Contains("FAR 0.001", warning, StringComparison.Ordinal);
        Assert.Empty(atOnePercent.GetProperty("warnings").EnumerateArray());
        var atFar = atOnePercent.GetProperty("threshold_at_far");
        Assert.True(atFar.GetProperty("false_accept_rate").GetDouble() <= 0.01, atFar.ToString());
        Assert.True(atFar.GetProperty("threshold").GetSingle() < byDefault.GetProperty("threshold_at_far").GetProperty("threshold").GetSingle());
        var best = atOnePercent.GetProperty("best_accuracy");
        Assert.True(best.GetProperty("accuracy").GetDouble() >= 0.98, best.ToString());
        Assert.InRange(best.GetProperty("threshold").GetSingle(), 0.1f, 0.6f);
        // What the shipped defaults do on this gallery, for comparison with the suggestions.
        Assert.Equal(ShippedModels.DefaultRecognizer.Threshold, atOnePercent.GetProperty("current_similarity_threshold").GetProperty("threshold").GetSingle());
        Assert.Equal(ShippedModels.DefaultRecognizer.IdentificationThreshold,
            atOnePercent.GetProperty("current_identification_threshold").GetProperty("threshold").GetSingle());

        // Apply: the threshold at FAR 1 % as the 1:1 threshold, a chosen value as the 1:N one; compare and identify then use them.
        var applied = await ApiFixture.OkJsonAsync(await client.PostAsJsonAsync($"/v1/{tenant}/calibration/apply", new { target = "similarity", far = 0.01 }));
        var chosen = await ApiFixture.OkJsonAsync(await client.PostAsJsonAsync($"/v1/{tenant}/calibration/apply", new { target = "identification", threshold = 0.5 }));
        var compared = await ApiFixture.OkJsonAsync(await client.PostAsync($"/v1/{tenant}/compare", ApiFixture.Form(("image1", "img4.jpg"), ("image2", "img2.jpg"))));
        var identified = await ApiFixture.OkJsonAsync(await client.PostAsync($"/v1/{tenant}/identify", ApiFixture.Form(("image", "img4.jpg"))));

        var fromFar = atFar.GetProperty("threshold").GetSingle();
        Assert.Equal(("similarity", "far", fromFar), (applied.GetProperty("target").GetString(), applied.GetProperty("from").GetString(), applied.GetProperty("threshold").GetSingle()));
        Assert.Equal(fromFar, applied.GetProperty("config").GetProperty("similarity_threshold").GetSingle());
        Assert.Equal(0.5f, chosen.GetProperty("config").GetProperty("identification_threshold").GetSingle());
        Assert.Equal(fromFar, chosen.GetProperty("config").GetProperty("similarity_threshold").GetSingle());
        Assert.Equal(fromFar, compared.GetProperty("threshold").GetSingle());
        Assert.Equal(0.5f, identified.GetProperty("threshold").GetSingle());

        // Too few impostor pairs behind FAR 1e-3: refused with the reasons, and the thresholds stay as they were.
        var untrusted = await ProblemAssert.IsProblemAsync(
            await client.PostAsJsonAsync($"/v1/{tenant}/calibration/apply", new { target = "similarity", far = 1e-3 }), HttpStatusCode.UnprocessableEntity, "calibration-untrusted");
        Assert.Contains("FAR 0.001", untrusted.GetProperty("reasons")[0].GetString(), StringComparison.Ordinal);
        var state = await ApiFixture.OkJsonAsync(await client.GetAsync($"/v1/{tenant}"));
        Assert.Equal(fromFar, state.GetProperty("config").GetProperty("similarity_threshold").GetSingle());
    }

    [Fact]
    public async Task Bad_calibration_requests_are_problems_and_need_a_tenant_admin_key()
    {
        var (tenant, admin) = await fixture.NewTenantAsync("calib");
        using var _ = admin;
        using var plain = fixture.Client(await fixture.IssueKeyAsync(tenant, ApiKeyRole.Tenant));

        await ProblemAssert.IsProblemAsync(await plain.GetAsync($"/v1/{tenant}/calibration"), HttpStatusCode.Forbidden, "forbidden");
        await ProblemAssert.IsProblemAsync(
            await plain.PostAsJsonAsync($"/v1/{tenant}/calibration/apply", new { target = "similarity", threshold = 0.5 }), HttpStatusCode.Forbidden, "forbidden");
        foreach (var far in new[] { "0", "1", "-0.1", "abc", "NaN" })
        {
            var body = await ProblemAssert.IsProblemAsync(await admin.GetAsync($"/v1/{tenant}/calibration?far={far}"), HttpStatusCode.BadRequest, "invalid-parameter");
            Assert.Equal("far", body.GetProperty("field").GetString());
        }

        await ProblemAssert.IsProblemAsync(await admin.PostAsJsonAsync($"/v1/{tenant}/calibration/apply", new { threshold = 0.5 }), HttpStatusCode.BadRequest, "missing-field");
        await ProblemAssert.IsProblemAsync(
            await admin.PostAsJsonAsync($"/v1/{tenant}/calibration/apply", new { target = "everything", threshold = 0.5 }), HttpStatusCode.BadRequest, "invalid-parameter");
        await ProblemAssert.IsProblemAsync(
            await admin.PostAsJsonAsync($"/v1/{tenant}/calibration/apply", new { target = "similarity", threshold = 0.5, far = 0.01 }), HttpStatusCode.BadRequest, "invalid-parameter");
        await ProblemAssert.IsProblemAsync(
            await admin.PostAsJsonAsync($"/v1/{tenant}/calibration/apply", new { target = "similarity", threshold = 1.5 }), HttpStatusCode.BadRequest, "invalid-parameter");
        await ProblemAssert.IsProblemAsync(
            await admin.PostAsJsonAsync($"/v1/{tenant}/calibration/apply", new { target = "similarity", far = 2.0 }), HttpStatusCode.BadRequest, "invalid-parameter");
        // An empty gallery has nothing to calibrate from.
        var empty = await ProblemAssert.IsProblemAsync(
            await admin.PostAsJsonAsync($"/v1/{tenant}/calibration/apply", new { target = "identification", far = 0.01 }), HttpStatusCode.UnprocessableEntity, "calibration-untrusted");
        Assert.True(empty.GetProperty("reasons").GetArrayLength() >= 1);
        await ProblemAssert.IsProblemAsync(
            await admin.PostAsync($"/v1/{tenant}/calibration/apply", new StringContent("{not json", System.Text.Encoding.UTF8, "application/json")), HttpStatusCode.BadRequest, "bad-request");
    }
}
