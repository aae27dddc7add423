using FaceOrleans.Contracts;

namespace FaceOrleans.Tests.Cluster;

[Collection(SliceClusterGroup.Name)]
public sealed class SerialisationAndIsolationTests(SliceClusterFixture fixture)
{
    private static readonly string[] Photos = ["img1.jpg", "img2.jpg", "img10.jpg", "img12.jpg", "img17.jpg", "img29.jpg"];

    [Fact]
    public async Task Many_tenants_calling_one_slice_never_overlap_inside_its_sessions_and_all_complete()
    {
        // Three pinned tenants and three unpinned ones, all on slice-a, calling at once.
        string[] tenants = ["attendance", "payroll", "lobby", "visitor-1", "visitor-2", "visitor-3"];
        var slice = fixture.Client.GetGrain<IInferenceGrain>("slice-a");
        var before = await slice.GetStats();

        var detects = Enumerable.Range(0, 18).Select(i =>
            fixture.Client.GetGrain<ITenantGrain>(tenants[i % tenants.Length]).Detect(new DetectRequest(TestPaths.Photo(Photos[i % Photos.Length]))));
        var compares = Enumerable.Range(0, 6).Select(i =>
            fixture.Client.GetGrain<ITenantGrain>(tenants[i]).Compare(new CompareRequest(TestPaths.Photo(Photos[i]), TestPaths.Photo(Photos[(i + 1) % Photos.Length]))));
        var detected = await Task.WhenAll(detects);
        var compared = await Task.WhenAll(compares);

        Assert.All(detected, r => Assert.Single(r.Faces));
        Assert.All(detected, r => Assert.Equal("slice-a", r.SliceId));
        Assert.All(compared, r => Assert.NotNull(r.Similarity));
        var after = await slice.GetStats();
        Assert.Equal(1, after.MaxConcurrencyObserved);
        // 18 detections, and a detection plus an embedding per comparison.
        Assert.True(after.Completed - before.Completed >= 18 + (6 * 2), $"completed {after.Completed - before.Completed}");
        Assert.Equal(0, after.Running);
        Assert.Equal(0, after.Queued);
    }

    [Fact]
    public async Task A_tenant_on_another_slice_keeps_completing_while_one_slice_is_flooded()
    {
        var flooded = fixture.Client.GetGrain<IInferenceGrain>("slice-a");
        var quiet = fixture.Client.GetGrain<IInferenceGrain>("slice-c");
        var quietBefore = await quiet.GetStats();
        using var stopFlood = new CancellationTokenSource(TimeSpan.FromMinutes(3));

        // Eight callers on slice-a, each sending its next request as soon as the last returns, until told to stop.
        var flood = Enumerable.Range(0, 8).Select(i => Task.Run(async () =>
        {
            var tenant = fixture.Client.GetGrain<ITenantGrain>(i % 2 == 0 ? "payroll" : "attendance");
            var sent = 0;
            while (!stopFlood.IsCancellationRequested)
            {
                await tenant.Detect(new DetectRequest(TestPaths.Photo("img40.jpg")));
                sent++;
            }

            return sent;
        })).ToArray();
        var floodQueue = await WaitForQueueAsync(flooded, minimumDepth: 3);

        var answers = new List<CompareResult>();
        var quietQueueDepths = new List<int>();
        var analytics = fixture.Client.GetGrain<ITenantGrain>("analytics");
        for (var i = 0; i < 4; i++)
        {
            answers.Add(await analytics.Compare(new CompareRequest(TestPaths.Photo("img1.jpg"), TestPaths.Photo("img10.jpg"))));
            quietQueueDepths.Add((await quiet.GetStats()).Queued);
        }

        var floodAtEnd = await flooded.GetStats();
        // Whether a call happens to sit in slice-a's queue at this instant depends on how long a detection takes
        // against a decode of img40; that the flood still completes calls after analytics finished does not.
        var floodLater = await WaitForCompletedAsync(flooded, floodAtEnd.Completed + 1);
        await stopFlood.CancelAsync();
        var floodRequests = await Task.WhenAll(flood);
        var quietAfter = await quiet.GetStats();

        // The flood was real and still queued when the other tenant had finished ...
        Assert.True(floodQueue >= 3);
        Assert.True(floodLater.Completed > floodAtEnd.Completed, "slice-a had drained before analytics finished");
        // ... and analytics' work ran on its own slice, whose queue never held anything but its own call.
        Assert.All(answers, a => Assert.True(a.IsSamePerson && a.SliceId == "slice-c", a.Message));
        Assert.All(quietQueueDepths, depth => Assert.Equal(0, depth));
        Assert.Equal(4 * 2, quietAfter.Completed - quietBefore.Completed);
        Assert.Equal(1, floodAtEnd.MaxConcurrencyObserved);
        Assert.True(floodRequests.Sum() >= 8);
    }

    private static async Task<InferenceStats> WaitForCompletedAsync(IInferenceGrain slice, long minimumCompleted)
    {
        for (var attempt = 0; attempt < 600; attempt++)
        {
            var stats = await slice.GetStats();
            if (stats.Completed >= minimumCompleted)
            {
                return stats;
            }

            await Task.Delay(50);
        }

        return await slice.GetStats();
    }

    private static async Task<int> WaitForQueueAsync(IInferenceGrain slice, int minimumDepth)
    {
        for (var attempt = 0; attempt < 600; attempt++)
        {
            var stats = await slice.GetStats();
            if (stats.Queued >= minimumDepth)
            {
                return stats.Queued;
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"slice {minimumDepth} never queued {minimumDepth} calls");
    }
}
