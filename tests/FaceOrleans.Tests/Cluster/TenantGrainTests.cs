using FaceOrleans.Contracts;
using FaceOrleans.Grains.Slices;
using FaceOrleans.Vision;
using Microsoft.Extensions.DependencyInjection;

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
        var perCall = await tenant.Compare(new CompareRequest(TestPaths.Photo("img1.jpg"), TestPaths.Photo("img10.jpg")), new RequestOptions(SimilarityThreshold: 0.3f));

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

        // The pipeline's rejection reaches the client through two grain calls as itself, code and field intact.
        var notImage = await Assert.ThrowsAsync<RequestRejectedException>(() => tenant.Detect(new DetectRequest([1, 2, 3, 4, 5])));
        var tooLarge = await Assert.ThrowsAsync<RequestRejectedException>(
            () => tenant.Detect(new DetectRequest(Vision.ImageInputTests.PngHeader(100_000, 100_000))));
        var secondBad = await Assert.ThrowsAsync<RequestRejectedException>(
            () => tenant.Compare(new CompareRequest(TestPaths.Photo("img1.jpg"), [])));
        var badSettings = await Assert.ThrowsAsync<RequestRejectedException>(() => tenant.Configure(new TenantSettings(SimilarityThreshold: 1.5f)));

        Assert.Equal(RejectionCode.NotAnImage, notImage.Code);
        Assert.Equal("image", notImage.Field);
        Assert.Equal(RejectionCode.ImageTooLarge, tooLarge.Code);
        Assert.Equal(RejectionCode.EmptyImage, secondBad.Code);
        Assert.Equal("image2", secondBad.Field);
        Assert.StartsWith("image2:", secondBad.Message, StringComparison.Ordinal);
        Assert.Equal(RejectionCode.InvalidParameter, badSettings.Code);
        Assert.Equal("similarity_threshold", badSettings.Field);
        Assert.Contains("similarity_threshold", badSettings.Message, StringComparison.Ordinal);

        var after = await tenant.GetState();
        Assert.Equal(before.Settings, after.Settings);
        Assert.Equal(before.Errors + 3, after.Errors);
    }

    [Fact]
    public async Task A_comparison_with_no_face_is_refused_as_no_face_naming_the_image_and_the_slice()
    {
        var tenant = fixture.Client.GetGrain<ITenantGrain>("attendance");
        using var wall = new OpenCvSharp.Mat(300, 300, OpenCvSharp.MatType.CV_8UC3, OpenCvSharp.Scalar.All(90));
        var before = await tenant.GetState();

        var rejection = await Rejections.ThrowsAsync(RejectionCode.NoFace,
            () => tenant.Compare(new CompareRequest(TestPaths.Photo("img10.jpg"), wall.ImEncode(".png"))));

        Assert.Equal("image2", rejection.Field);
        Assert.Equal("slice-a", rejection.Slice);
        Assert.Equal("No face found in image2.", rejection.Message);
        // The slice did its work: the request counts as served, with the face it found, not as an error.
        var after = await tenant.GetState();
        Assert.Equal(before.RequestsByOperation.GetValueOrDefault("compare") + 1, after.RequestsByOperation["compare"]);
        Assert.Equal(before.FacesDetected + 1, after.FacesDetected);
        Assert.Equal(before.Errors, after.Errors);
    }

    [Fact]
    public async Task Per_call_values_out_of_range_are_refused_before_any_model_runs_naming_the_field()
    {
        var tenant = fixture.Client.GetGrain<ITenantGrain>("payroll");
        var stats = fixture.Client.GetGrain<IInferenceGrain>("slice-a");
        var before = await stats.GetStats();

        var threshold = await Rejections.ThrowsAsync(RejectionCode.InvalidParameter,
            () => tenant.Compare(new CompareRequest(TestPaths.Photo("img1.jpg"), TestPaths.Photo("img10.jpg")), new RequestOptions(SimilarityThreshold: 1.5f)));
        var detection = await Rejections.ThrowsAsync(RejectionCode.InvalidParameter,
            () => tenant.Detect(new DetectRequest(TestPaths.Photo("img1.jpg")), new RequestOptions(DetectionThreshold: 0f)));

        Assert.Equal("threshold", threshold.Field);
        Assert.Equal("det_threshold", detection.Field);
        Assert.Equal(before.Completed, (await stats.GetStats()).Completed);
    }

    [Fact]
    public async Task A_call_cancelled_while_queued_on_its_slice_never_reaches_the_models_and_is_counted()
    {
        var localSlice = fixture.SiloOf("slice-c").ServiceProvider.GetRequiredService<LocalSlice>();
        var inference = fixture.Client.GetGrain<IInferenceGrain>("slice-c");
        var analytics = fixture.Client.GetGrain<ITenantGrain>("analytics");
        var before = await inference.GetStats();
        var slowModel = new GatedModel();
        var release = slowModel.Gate;
        release.Reset();

        // A slow call holds the slice's only slot (it is not an ONNX Runtime model, so it leaves that count alone);
        // on an idle CPU slice it runs on its caller's thread, so that caller is a thread-pool thread, not the test's ...
        var slow = Task.Run(() => localSlice.Scheduler.RunAsync("blocker", slowModel, [new GatedModel.Input(1, Holds: true)]));
        try
        {
            await Polling.UntilAsync(inference.GetStats, s => s.Running == 1, TimeSpan.FromSeconds(20));
            var modelRunsBefore = localSlice.ModelCalls.Entered;

            // ... a tenant's detection queues behind it, and its caller gives up.
            using var cancel = new CancellationTokenSource();
            var detect = analytics.Detect(new DetectRequest(TestPaths.Photo("img2.jpg")), cancellationToken: cancel.Token);
            await Polling.UntilAsync(inference.GetStats, s => s.Queued == 1, TimeSpan.FromSeconds(20));
            await cancel.CancelAsync();

            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => detect);
            var dropped = await Polling.UntilAsync(inference.GetStats, s => s.Cancelled == before.Cancelled + 1, TimeSpan.FromSeconds(20));
            release.Set();
            Assert.Equal(2, Assert.Single(await slow));
            var after = await Polling.UntilAsync(inference.GetStats, s => s.Running == 0, TimeSpan.FromSeconds(20));

            Assert.Equal(0, dropped.Queued);
            Assert.Equal(modelRunsBefore, localSlice.ModelCalls.Entered); // no ONNX Runtime run for the cancelled request
            Assert.Equal(before.Cancelled + 1, after.Cancelled);
            Assert.Equal(before.Completed + 1, after.Completed); // only the slow call ran
        }
        finally
        {
            release.Set();
        }

        // The slice goes on serving, and its runs are counted where the cancelled request's would have been.
        var runsBeforeServing = localSlice.ModelCalls.Entered;
        Assert.Single((await analytics.Detect(new DetectRequest(TestPaths.Photo("img2.jpg")))).Faces);
        Assert.Equal(runsBeforeServing + 1, localSlice.ModelCalls.Entered);
    }
}
