using System.Net;
using FaceOrleans.Grains.Slices;
using Microsoft.Extensions.DependencyInjection;

namespace FaceOrleans.Tests.Api;

/// <summary>A slice whose queue is full turns requests away at once with a typed 503 and Retry-After, then serves again.</summary>
[Collection(ApiGroup.Name)]
public sealed class ApiSliceBusyTests(ApiFixture fixture)
{
    [Fact]
    public async Task A_full_slice_queue_answers_503_slice_busy_with_retry_after_and_drains_back_to_serving()
    {
        var slice = fixture.Factory.Services.GetRequiredService<LocalSlice>();
        var capacity = slice.Scheduler.Options.QueueCapacity;
        var blocker = new GatedModel();
        blocker.Gate.Reset();
        using var client = fixture.Client(fixture.DemoKeys["ATTENDANCE_KEY"]);
        Task<int[]>[] held = [];
        try
        {
            // The slice's one model slot is held and its whole queue taken, as a flood of other work would.
            var holding = slice.Scheduler.RunAsync("flood", blocker, [new GatedModel.Input(0, Holds: true)]);
            Assert.True(blocker.Holding.Wait(TimeSpan.FromSeconds(30)));
            held = [holding, slice.Scheduler.RunAsync("flood", blocker, Enumerable.Range(1, capacity).Select(i => new GatedModel.Input(i)).ToArray())];

            using var busy = await client.PostAsync("/v1/attendance/compare", ApiFixture.Form(("image1", "img2.jpg"), ("image2", "img12.jpg")));

            var problem = await ProblemAssert.IsProblemAsync(busy, HttpStatusCode.ServiceUnavailable, "slice-busy");
            Assert.Equal(TimeSpan.FromSeconds(1), busy.Headers.RetryAfter?.Delta);
            Assert.Equal(slice.Id, problem.GetProperty("slice").GetString());
            Assert.True(slice.Scheduler.Stats.Refused >= 1);
        }
        finally
        {
            blocker.Gate.Set();
            await Task.WhenAll(held);
        }

        using var served = await client.PostAsync("/v1/attendance/compare", ApiFixture.Form(("image1", "img2.jpg"), ("image2", "img12.jpg")));
        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
    }
}
