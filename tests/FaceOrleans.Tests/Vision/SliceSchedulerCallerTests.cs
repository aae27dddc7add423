using FaceOrleans.Vision;
using Input = FaceOrleans.Tests.GatedModel.Input;

namespace FaceOrleans.Tests.Vision;

/// <summary>
/// <see cref="SchedulerOptions.RunOnIdleCaller"/>, a CPU slice's policy: a call that would wait for nobody runs on its
/// caller's thread-pool thread, and everything else (a busy slice, a caller on another task scheduler) goes through
/// the queue to the slice's threads as before, with the slots bounding both together.
/// </summary>
public sealed class SliceSchedulerCallerTests
{
    private static readonly SchedulerOptions Cpu = new() { ConcurrentCalls = 2, MaxBatch = 8, SpreadOverFreeCalls = true, RunOnIdleCaller = true };

    [Fact]
    public async Task An_idle_slice_runs_the_call_on_the_callers_thread_and_answers_before_returning()
    {
        using var scheduler = new SliceScheduler("cpu", Cpu);
        var model = new GatedModel();

        var call = await OnThreadPool(() => scheduler.RunAsync("t", model, [new Input(21)]));

        Assert.True(call.IsCompletedSuccessfully);
        var answer = await call;
        Assert.Equal([42], answer);
        Assert.Equal([GatedModel.PoolThread], model.Threads);
        var stats = scheduler.Stats;
        Assert.Equal((1, 1, 0, 0), (stats.Completed, stats.Batches, stats.RunningCalls, stats.QueuedInputs));
        Assert.Equal(1, stats.Wait.Count);
        Assert.Equal(1, stats.ModelCall.Count);
    }

    [Fact]
    public async Task A_lone_requests_two_inputs_run_side_by_side_one_on_the_caller_one_on_a_slice_thread()
    {
        using var scheduler = new SliceScheduler("cpu", Cpu);
        var model = new GatedModel();
        model.Gate.Reset();

        // The caller holds its own input on the gate inside RunAsync, so it runs on a thread of its own here.
        var lone = OnThreadPool(() => scheduler.RunAsync("t", model, [new Input(1, Holds: true), new Input(2, Holds: true)]));
        await model.UntilInsideAsync(2);
        model.Gate.Set();

        var answer = await await lone;
        Assert.Equal([2, 4], answer);
        Assert.Equal([1, 1], model.Calls.Select(c => c.Length));
        Assert.Equal([GatedModel.PoolThread, "inference:cpu"], model.Threads.Order());
        Assert.Equal(2, model.Gauge.Max);
    }

    [Fact]
    public async Task With_every_set_of_cores_busy_a_caller_runs_all_its_inputs_itself_one_call_per_shape()
    {
        // Two slots on one set of cores (two calls per core set, as a CPU slice has): once a call holds the set, a
        // second caller's inputs would only queue for a thread that has no core to run on.
        using var scheduler = new SliceScheduler("cpu", Cpu with { CoreSets = 1 });
        var model = new GatedModel();
        var holder = HoldASlot(scheduler, model);

        var call = await OnThreadPool(() => scheduler.RunAsync("b", model, [new Input(1), new Input(2, Size: 2), new Input(3)]));

        Assert.True(call.IsCompletedSuccessfully);
        var answer = await call;
        Assert.Equal([2, 4, 6], answer);
        var second = model.Calls.Where(c => c.All(i => i.Value > 0)).Select(c => c.Select(i => i.Value).ToArray()).ToArray();
        Assert.Equal([[1, 3], [2]], second);
        Assert.Equal([GatedModel.PoolThread], model.Threads);
        var stats = await LetGoAsync(scheduler, model, holder);
        Assert.Equal((2, 3, 0, 0), (stats.Completed, stats.Batches, stats.RunningCalls, stats.QueuedInputs));
    }

    [Fact]
    public async Task A_caller_whose_first_call_fails_fails_its_request_and_runs_none_of_its_other_calls()
    {
        using var scheduler = new SliceScheduler("cpu", Cpu with { CoreSets = 1 });
        var model = new GatedModel();
        var holder = HoldASlot(scheduler, model);

        var call = await OnThreadPool(() => scheduler.RunAsync("b", model, [new Input(1, Throws: true), new Input(2, Size: 2)]));

        await Assert.ThrowsAsync<InvalidOperationException>(() => call);
        Assert.DoesNotContain(model.Calls, c => c.Any(i => i.Value == 2));
        var stats = await LetGoAsync(scheduler, model, holder);
        Assert.Equal((1, 1, 0, 0), (stats.Completed, stats.Failed, stats.RunningCalls, stats.QueuedInputs));
    }

    [Fact]
    public async Task With_another_set_of_cores_idle_a_caller_leaves_its_second_shape_to_a_slice_thread()
    {
        using var scheduler = new SliceScheduler("cpu", Cpu with { CoreSets = 2 });
        var model = new GatedModel();
        model.Gate.Reset();

        var lone = OnThreadPool(() => scheduler.RunAsync("t", model, [new Input(1, Holds: true), new Input(2, Size: 2, Holds: true)]));
        await model.UntilInsideAsync(2);
        model.Gate.Set();

        var answer = await await lone;
        Assert.Equal([2, 4], answer);
        Assert.Equal([GatedModel.PoolThread, "inference:cpu"], model.Threads.Order());
        Assert.Equal(2, model.Gauge.Max);
    }

    [Fact]
    public async Task A_call_that_would_wait_queues_for_the_slice_threads_and_the_callers_slots_count_against_the_bound()
    {
        using var scheduler = new SliceScheduler("cpu", Cpu with { ConcurrentCalls = 1 });
        var model = new GatedModel();

        var holder = HoldASlot(scheduler, model);
        var waiting = await OnThreadPool(() => scheduler.RunAsync("b", model, [new Input(5)]));

        // The one slot is the first caller's: the second call waits in the queue, and no slice thread takes it.
        Assert.False(waiting.IsCompleted);
        Assert.Equal((1, 1), (scheduler.Stats.RunningCalls, scheduler.Stats.QueuedInputs));
        model.Gate.Set();

        var (first, second) = (await await holder, await waiting);
        Assert.Equal([0], first);
        Assert.Equal([10], second);
        Assert.Equal([GatedModel.PoolThread, "inference:cpu"], model.Threads.Order());
        Assert.Equal(1, model.Gauge.Max);
    }

    [Fact]
    public async Task Many_callers_at_once_never_run_more_calls_than_the_slots_and_each_gets_its_own_answer()
    {
        using var scheduler = new SliceScheduler("cpu", Cpu);
        var model = new GatedModel();

        var calls = Enumerable.Range(0, 200)
            .Select(i => OnThreadPool(() => scheduler.RunAsync($"t{i % 3}", model, [new Input(i, Size: 1 + (i % 2)), new Input(i + 1000, Size: 1 + (i % 2))])));
        var results = await Task.WhenAll(calls.Select(async call => await await call));

        Assert.Equal(Enumerable.Range(0, 200).Select(i => (int[])[2 * i, 2 * (i + 1000)]), results);
        Assert.InRange(model.Gauge.Max, 1, 2);
        var stats = scheduler.Stats;
        Assert.Equal((200, 0, 0), (stats.Completed, stats.RunningCalls, stats.QueuedInputs));
        Assert.Equal(400, stats.Wait.Count);
    }

    [Fact]
    public async Task A_caller_on_another_task_scheduler_such_as_a_grains_never_runs_the_model_itself()
    {
        using var scheduler = new SliceScheduler("cpu", Cpu);
        var model = new GatedModel();
        var exclusive = new ConcurrentExclusiveSchedulerPair().ExclusiveScheduler;

        var call = await Task.Factory.StartNew(
            () => scheduler.RunAsync("t", model, [new Input(3)]), CancellationToken.None, TaskCreationOptions.None, exclusive);

        var answer = await call;
        Assert.Equal([6], answer);
        Assert.Equal(["inference:cpu"], model.Threads);
    }

    /// <summary>Tenant "a"'s call of input 0 on a thread-pool thread, started and held on the model's gate (closed here) until the test opens it.</summary>
    private static Task<Task<int[]>> HoldASlot(SliceScheduler scheduler, GatedModel model)
    {
        model.Gate.Reset();
        var holder = OnThreadPool(() => scheduler.RunAsync("a", model, [new Input(0, Holds: true)]));
        Assert.True(model.Holding.Wait(TimeSpan.FromSeconds(30)));
        return holder;
    }

    /// <summary>Opens the gate for <see cref="HoldASlot"/>'s call, checks its answer, and gives the slice's statistics once it has ended.</summary>
    private static async Task<SchedulerStats> LetGoAsync(SliceScheduler scheduler, GatedModel model, Task<Task<int[]>> holder)
    {
        model.Gate.Set();
        var held = await await holder;
        Assert.Equal([0], held);
        return scheduler.Stats;
    }

    /// <summary>Calls <paramref name="start"/> on a thread-pool thread and gives back the task it returned, not its end (as Task.Run would).</summary>
    private static Task<Task<int[]>> OnThreadPool(Func<Task<int[]>> start) =>
        Task.Factory.StartNew(start, CancellationToken.None, TaskCreationOptions.DenyChildAttach, TaskScheduler.Default);
}
