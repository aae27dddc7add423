using FaceOrleans.Grains;

namespace FaceOrleans.Tests.Cluster;

[Collection(SliceClusterGroup.Name)]
public sealed class TenantGrainTests(SliceClusterFixture fixture)
{
    [Fact]
    public async Task Compare_runs_the_real_models_inside_the_grains()
    {
        var tenant = fixture.Client.GetGrain<ITenantGrain>("attendance");
        var before = await tenant.GetState();

        var result = await tenant.Compare(new CompareRequest(TestPaths.Photo("img1.jpg"), TestPaths.Photo("img10.jpg")));
        var different = await tenant.Compare(new CompareRequest(TestPaths.Photo("img1.jpg"), TestPaths.Photo("img12.jpg")));

        Assert.True(result.IsSamePerson, result.Message);
        Assert.InRange(result.Similarity!.Value, result.Threshold, 1f);
        Assert.False(different.IsSamePerson, different.Message);
        Assert.Equal("slice-a", result.SliceId);
        Assert.Single(result.Faces1);
        Assert.Equal(5, result.Faces1[0].Landmarks.Count);

        var after = await tenant.GetState();
        Assert.Equal(before.RequestsByOperation.GetValueOrDefault("compare") + 2, after.RequestsByOperation["compare"]);
        Assert.Equal(before.FacesDetected + 4, after.FacesDetected);
        Assert.True(after.Latency.Count >= 2);
        Assert.NotNull(after.LastRequestUtc);
    }

    [Fact]
    public async Task Detect_and_embed_return_every_face()
    {
        var tenant = fixture.Client.GetGrain<ITenantGrain>("access");

        var detected = await tenant.Detect(new DetectRequest(TestPaths.Photo("couple.jpg")));
        var embedded = await tenant.Embed(new EmbedRequest(TestPaths.Photo("couple.jpg")));

        Assert.Equal(2, detected.Faces.Count);
        Assert.Equal("slice-b", detected.SliceId);
        Assert.Equal(2, embedded.Faces.Count);
        Assert.Equal(512, embedded.Dimensions);
        Assert.All(embedded.Faces, f => Assert.Equal(512, f.Vector.Length));
    }

    [Fact]
    public async Task Tenant_settings_apply_to_its_requests()
    {
        var tenant = fixture.Client.GetGrain<ITenantGrain>("lobby");
        await tenant.Configure(new TenantSettings("Lobby kiosk", SimilarityThreshold: 0.99f, DetectionThreshold: 0.9f));

        var compare = await tenant.Compare(new CompareRequest(TestPaths.Photo("img1.jpg"), TestPaths.Photo("img10.jpg")));
        var detect = await tenant.Detect(new DetectRequest(TestPaths.Photo("img54.jpg")));
        var perCall = await tenant.Compare(new CompareRequest(TestPaths.Photo("img1.jpg"), TestPaths.Photo("img10.jpg"), SimilarityThreshold: 0.3f));

        Assert.Equal(0.99f, compare.Threshold);
        Assert.False(compare.IsSamePerson);
        Assert.Single(detect.Faces); // the three bystanders score below 0.9
        Assert.Equal(0.3f, perCall.Threshold);
        Assert.True(perCall.IsSamePerson);
        await tenant.Configure(TenantSettings.Default);
    }

    [Fact]
    public async Task Bad_uploads_and_settings_are_refused_with_typed_errors_and_nothing_stored_is_lost()
    {
        var tenant = fixture.Client.GetGrain<ITenantGrain>("payroll");
        await tenant.Configure(new TenantSettings("Payroll", SimilarityThreshold: 0.42f));
        var before = await tenant.GetState();

        var notImage = await Assert.ThrowsAsync<ImageRejectedException>(() => tenant.Detect(new DetectRequest([1, 2, 3, 4, 5])));
        var tooLarge = await Assert.ThrowsAsync<ImageRejectedException>(
            () => tenant.Detect(new DetectRequest(Vision.ImageInputTests.PngHeader(100_000, 100_000))));
        var secondBad = await Assert.ThrowsAsync<ImageRejectedException>(
            () => tenant.Compare(new CompareRequest(TestPaths.Photo("img1.jpg"), [])));
        var badSettings = await Assert.ThrowsAsync<InvalidRequestException>(() => tenant.Configure(new TenantSettings(SimilarityThreshold: 1.5f)));

        Assert.Equal("not_an_image", notImage.Reason);
        Assert.Equal("too_large", tooLarge.Reason);
        Assert.Equal("empty", secondBad.Reason);
        Assert.StartsWith("image2:", secondBad.Message, StringComparison.Ordinal);
        Assert.Contains("similarity_threshold", badSettings.Message, StringComparison.Ordinal);

        var after = await tenant.GetState();
        Assert.Equal(before.Settings, after.Settings);
        Assert.Equal(before.Errors + 3, after.Errors);
    }
}
