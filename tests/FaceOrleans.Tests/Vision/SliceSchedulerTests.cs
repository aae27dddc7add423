using FaceOrleans.Vision;
using Input = FaceOrleans.Tests.GatedModel.Input;

namespace FaceOrleans.Tests.Vision;

/// <summary>The slice scheduler's policy: serial order, failures, cancellation, micro-batching, fairness, the bound and CPU concurrency.</summary>
public sealed class SliceSchedulerTests
{
    private static readonly SchedulerOptions Serial = new() { ConcurrentCalls = 1, MaxBatch = 1 };

    [Fact]
    public async Task Concurrent_calls_run_one_at_a_time_in_arrival_order_on_the_slice_thread()
    {
        using var scheduler = new SliceScheduler("test", Serial);
        var model = new GatedModel();

        var calls = Enumerable.Range(0, 50).Select(i => scheduler.RunAsync("t", model, [new Input(i)])).ToArray();
        var results = await Task.WhenAll(calls);

        Assert.Equal(Enumerable.Range(0, 50).Select(i => i * 2), results.Select(r => Assert.Single(r)));
        Assert.Equal(Enumerable.Range(0, 50), model.Calls.Select(c => Assert.Single(c).Value));
        Assert.Equal(1, model.Gauge.Max);
        Assert.Equal(["inference:test"], model.Threads);
        Assert.Equal(50, scheduler.Stats.Completed);
        Assert.Equal(0, scheduler.Stats.QueuedInputs);
    }

    [Fact]
    public async Task A_failing_call_faults_only_its_caller()
    {
        using var scheduler = new SliceScheduler("test", Serial);
        var model = new GatedModel();

        var failing = scheduler.RunAsync("t", model, [new Input(1, Throws: true)]);
        var next = scheduler.RunAsync("t", model, [new Input(21)]);

        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => failing);
        Assert.Equal("model broke", ex.Message);
        Assert.Equal(42, Assert.Single(await next));
        Assert.Equal(1, scheduler.Stats.Failed);
    }

    [Fact]
    public async Task A_call_cancelled_while_queued_never_runs()
    {
        using var scheduler = new SliceScheduler("test", Serial);
        var model = new GatedModel();
        using var cancel = new CancellationTokenSource();
        model.Gate.Reset();

        var blocker = scheduler.RunAsync("t", model, [new Input(0, Holds: true)]);
        var queued = scheduler.RunAsync("t", model, [new Input(7)], cancel.Token);
        await cancel.CancelAsync();
        model.Gate.Set();

        Assert.Equal(0, Assert.Single(await blocker));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => queued);
        Assert.DoesNotContain(model.Calls, c => c.Any(i => i.Value == 7));
        Assert.Equal((1L, 1L, 0), (scheduler.Stats.Cancelled, scheduler.Stats.Completed, scheduler.Stats.QueuedInputs));
    }

    [Fact]
    public async Task Callers_resume_off_the_slice_thread()
    {
        using var scheduler = new SliceScheduler("test", Serial);

        await scheduler.RunAsync("t", new GatedModel(), [new Input(0)]);

        Assert.NotEqual("inference:test", Thread.CurrentThread.Name);
    }

    [Fact]
    public async Task A_cancelled_caller_is_answered_at_once_not_when_the_queue_reaches_it()
    {
        using var scheduler = new SliceScheduler("test", Serial);
        var model = new GatedModel();
        using var cancel = new CancellationTokenSource();
        model.Gate.Reset();

        // The blocker must hold the slot before the second call queues, or a slow start leaves both queued.
        var blocker = scheduler.RunAsync("t", model, [new Input(0, Holds: true)]);
        Assert.True(model.Holding.Wait(TimeSpan.FromSeconds(30)));
        var queued = scheduler.RunAsync("t", model, [new Input(1), new Input(2)], cancel.Token);
        await cancel.CancelAsync();

        // The slot is still held, yet the cancelled caller already has its answer and has left the queue.
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => queued);
        var stats = scheduler.Stats;
        Assert.Equal((0, 1, 1L), (stats.QueuedInputs, stats.RunningCalls, stats.Cancelled));
        model.Gate.Set();
        Assert.Equal(0, Assert.Single(await blocker));
    }

    [Fact]
    public async Task Inputs_of_one_shape_from_different_requests_and_tenants_share_calls_and_each_caller_gets_its_own_outputs()
    {
        using var scheduler = new SliceScheduler("test", new SchedulerOptions { ConcurrentCalls = 1, MaxBatch = 4 });
        var model = new GatedModel();
        model.Gate.Reset();
        var blocker = scheduler.RunAsync("t", model, [new Input(0, Size: 9, Holds: true)]);
        Assert.True(model.Holding.Wait(TimeSpan.FromSeconds(30)));

        // Five requests of two inputs each, from three tenants, all of size 1, plus one of another size.
        var requests = Enumerable.Range(0, 5)
            .Select(r => scheduler.RunAsync($"tenant-{r % 3}", model, [new Input(100 + (2 * r)), new Input(101 + (2 * r))]))
            .ToArray();
        var odd = scheduler.RunAsync("tenant-0", model, [new Input(500, Size: 2)]);
        model.Gate.Set();
        var answers = await Task.WhenAll(requests);
        await blocker;

        for (var r = 0; r < answers.Length; r++)
        {
            Assert.Equal([2 * (100 + (2 * r)), 2 * (101 + (2 * r))], answers[r]);
        }

        Assert.Equal(1000, Assert.Single(await odd));
        var sizeOne = model.Calls.Where(c => c[0].Size == 1).ToArray();
        Assert.Equal([4, 4, 2], sizeOne.Select(c => c.Length));
        Assert.All(model.Calls, call => Assert.Single(call.Select(i => i.Size).Distinct()));
        Assert.Equal(1, model.Gauge.Max);
        var stats = scheduler.Stats;
        Assert.Equal(1 + 3 + 1, stats.Batches);
        Assert.Equal([2, 1, 0, 2], stats.BatchSizes);
        Assert.Equal(7, stats.Completed);
    }

    [Fact]
    public async Task A_gpu_slice_holds_the_first_input_back_until_others_join_it_within_the_wait()
    {
        // The longest wait allowed, far longer than the test needs: the three requests below are queued well inside it.
        using var scheduler = new SliceScheduler("gpu", new SchedulerOptions { ConcurrentCalls = 1, MaxBatch = 8, MaxWait = TimeSpan.FromSeconds(1) });
        var model = new GatedModel();

        var first = scheduler.RunAsync("access", model, [new Input(1)]);
        var second = scheduler.RunAsync("attendance", model, [new Input(2)]);
        var third = scheduler.RunAsync("access", model, [new Input(3)]);
        await Task.WhenAll(first, second, third);

        Assert.Equal([3], model.Calls.Select(c => c.Length));
        Assert.Equal(2, Assert.Single(await first));
        Assert.Equal(4, Assert.Single(await second));
        Assert.Equal(6, Assert.Single(await third));
    }

    [Fact]
    public async Task A_full_batch_runs_without_waiting_out_the_window()
    {
        using var scheduler = new SliceScheduler("gpu", new SchedulerOptions { ConcurrentCalls = 1, MaxBatch = 2, MaxWait = TimeSpan.FromSeconds(1) });
        var model = new GatedModel();
        using var never = new CancellationTokenSource();

        var both = scheduler.RunAsync("t", model, [new Input(1), new Input(2)]);

        // The window is 1 s; waiting here for something that never comes shows the call did not sit out the window.
        var finished = await Task.WhenAny(both, Task.Delay(TimeSpan.FromMilliseconds(900), never.Token));
        Assert.Same(both, finished);
        Assert.Equal([2], model.Calls.Select(c => c.Length));
    }

    [Fact]
    public async Task A_tenants_burst_delays_another_tenants_request_by_at_most_one_call()
    {
        using var scheduler = new SliceScheduler("test", Serial);
        var model = new GatedModel();
        model.Gate.Reset();
        var blocker = scheduler.RunAsync("burst", model, [new Input(-1, Holds: true)]);
        Assert.True(model.Holding.Wait(TimeSpan.FromSeconds(30)));

        var burst = Enumerable.Range(0, 20).Select(i => scheduler.RunAsync("burst", model, [new Input(i)])).ToArray();
        var other = scheduler.RunAsync("quiet", model, [new Input(1000)]);
        model.Gate.Set();
        await Task.WhenAll([.. burst, other, blocker]);

        var order = model.Calls.Select(c => c[0].Value).ToList();
        // After the blocker, one burst call at most runs before the quiet tenant's.
        Assert.InRange(order.IndexOf(1000), 1, 2);
        Assert.Equal(Enumerable.Range(0, 20), order.Where(v => v is >= 0 and < 1000));
    }

    [Fact]
    public async Task Micro_batches_are_filled_round_robin_across_tenants()
    {
        using var scheduler = new SliceScheduler("gpu", new SchedulerOptions { ConcurrentCalls = 1, MaxBatch = 4 });
        var model = new GatedModel();
        model.Gate.Reset();
        var blocker = scheduler.RunAsync("burst", model, [new Input(-1, Size: 9, Holds: true)]);
        Assert.True(model.Holding.Wait(TimeSpan.FromSeconds(30)));

        var burst = scheduler.RunAsync("burst", model, Enumerable.Range(0, 12).Select(i => new Input(i)).ToArray());
        var quiet = scheduler.RunAsync("quiet", model, [new Input(1000), new Input(1001)]);
        model.Gate.Set();
        await Task.WhenAll(burst, quiet, blocker);

        // The first call after the blocker takes the quiet tenant's inputs beside the burst's, not four of the burst's.
        var firstBatch = model.Calls[1].Select(i => i.Value).ToArray();
        Assert.Equal([0, 1000, 1, 1001], firstBatch);
    }

    [Fact]
    public async Task A_full_queue_refuses_at_once_and_keeps_what_it_holds()
    {
        using var scheduler = new SliceScheduler("small", Serial with { QueueCapacity = 4, RetryAfterSeconds = 2 });
        var model = new GatedModel();
        model.Gate.Reset();
        var blocker = scheduler.RunAsync("t", model, [new Input(0, Holds: true)]);
        Assert.True(model.Holding.Wait(TimeSpan.FromSeconds(30)));

        var held = scheduler.RunAsync("t", model, [new Input(1), new Input(2), new Input(3)]);
        var fourth = scheduler.RunAsync("u", model, [new Input(4)]);
        var refused = Assert.Throws<ModelQueueFullException>(() => { _ = scheduler.RunAsync("u", model, [new Input(5)]); });
        model.Gate.Set();

        Assert.Equal(("small", 4, 2), (refused.Slice, refused.Capacity, refused.RetryAfterSeconds));
        var heldAnswer = await held;
        Assert.Equal([2, 4, 6], heldAnswer);
        Assert.Equal(8, Assert.Single(await fourth));
        await blocker;
        Assert.Equal((1L, 3L), (scheduler.Stats.Refused, scheduler.Stats.Completed));
        Assert.DoesNotContain(model.Calls, c => c.Any(i => i.Value == 5));
    }

    [Fact]
    public async Task A_cpu_slice_runs_several_model_calls_at_once()
    {
        using var scheduler = new SliceScheduler("cpu", new SchedulerOptions { ConcurrentCalls = 2, MaxBatch = 1 });
        var model = new GatedModel();
        model.Gate.Reset();

        var first = scheduler.RunAsync("t", model, [new Input(1, Holds: true)]);
        var second = scheduler.RunAsync("t", model, [new Input(2, Holds: true)]);
        await model.UntilInsideAsync(2);
        model.Gate.Set();

        Assert.Equal(2, Assert.Single(await first));
        Assert.Equal(4, Assert.Single(await second));
        Assert.Equal(2, model.Gauge.Max);
    }

    [Fact]
    public async Task A_cpu_slice_spreads_a_lone_requests_inputs_over_its_free_calls_and_batches_them_when_busy()
    {
        using var scheduler = new SliceScheduler("cpu", new SchedulerOptions { ConcurrentCalls = 2, MaxBatch = 8, SpreadOverFreeCalls = true });
        var model = new GatedModel();
        model.Gate.Reset();

        // Both calls free: a compare's two faces run side by side, one each.
        var lone = scheduler.RunAsync("t", model, [new Input(1, Holds: true), new Input(2, Holds: true)]);
        await Polling.UntilAsync(() => Task.FromResult(scheduler.Stats), s => s.RunningCalls == 2, TimeSpan.FromSeconds(30));
        model.Gate.Set();
        var loneAnswer = await lone;
        Assert.Equal([2, 4], loneAnswer);
        Assert.Equal([1, 1], model.Calls.Select(c => c.Length));
        // A call's answers are given before its worker counts it finished: wait for that, or the busy call counted
        // below could be the lone request's stale one and the gate open before the blocker runs.
        await Polling.UntilAsync(() => Task.FromResult(scheduler.Stats), s => s.RunningCalls == 0, TimeSpan.FromSeconds(30));

        // One call busy: what waits goes to the one free call, whole.
        model.Gate.Reset();
        model.Holding.Reset();
        var blocker = scheduler.RunAsync("t", model, [new Input(0, Size: 9, Holds: true)]);
        Assert.True(model.Holding.Wait(TimeSpan.FromSeconds(30)));
        var queued = scheduler.RunAsync("t", model, [new Input(10, Size: 2, Holds: true), new Input(11, Size: 2), new Input(12, Size: 2), new Input(13, Size: 2)]);
        var queuedAnswer = await WithGateOpenedOnceRunning(scheduler, model, queued, running: 2);
        Assert.Equal([20, 22, 24, 26], queuedAnswer);
        await blocker;
        Assert.Equal(4, Assert.Single(model.Calls, c => c[0].Size == 2).Length);
    }

    private static async Task<int[]> WithGateOpenedOnceRunning(SliceScheduler scheduler, GatedModel model, Task<int[]> call, int running)
    {
        await Polling.UntilAsync(() => Task.FromResult(scheduler.Stats), s => s.RunningCalls == running, TimeSpan.FromSeconds(30));
        model.Gate.Set();
        return await call;
    }

    [Theory]
    [InlineData(false, 0, 2, 1, 1)] // ONNX Runtime's one thread per core: one call fills the cores
    [InlineData(false, 1, 2, 4, 2)] // two single-threaded calls per core
    [InlineData(false, 2, 16, 16, 8)]
    [InlineData(true, 1, 16, 1, 0)] // a GPU runs one stream whatever its host has, and does not spread
    public void Each_device_gets_its_policy(bool gpu, int intraOpThreads, int cores, int concurrentCalls, int coreSets)
    {
        var policy = SchedulerOptions.ForDevice(gpu, intraOpThreads, maxBatch: 8, gpuMaxWait: TimeSpan.FromMilliseconds(2), cores);

        Assert.Equal(concurrentCalls, policy.ConcurrentCalls);
        Assert.Equal(coreSets, policy.CoreSets);
        Assert.Equal(8, policy.MaxBatch);
        Assert.Equal(gpu ? TimeSpan.FromMilliseconds(2) : TimeSpan.Zero, policy.MaxWait);
        Assert.Equal(!gpu, policy.SpreadOverFreeCalls);
        Assert.Equal(!gpu, policy.RunOnIdleCaller);
    }

    [Fact]
    public void Model_call_and_wait_times_are_reported_with_real_resolution()
    {
        var sketch = new LatencySketch();
        for (var ms = 1; ms <= 1000; ms++)
        {
            sketch.Record(TimeSpan.FromMilliseconds(ms));
        }

        var quantiles = sketch.Snapshot();
        Assert.Equal(1000, quantiles.Count);
        Assert.InRange(quantiles.P50, 500 * 0.95, 500 * 1.05);
        Assert.InRange(quantiles.P95, 950 * 0.95, 950 * 1.05);
        Assert.InRange(quantiles.P99, 990 * 0.95, 1000);
        Assert.Equal(500.5, quantiles.Mean, 0.01);
    }
}
