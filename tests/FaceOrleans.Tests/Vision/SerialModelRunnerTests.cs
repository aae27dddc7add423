using FaceOrleans.Vision;

namespace FaceOrleans.Tests.Vision;

public sealed class SerialModelRunnerTests
{
    [Fact]
    public async Task Concurrent_calls_run_one_at_a_time_in_arrival_order_on_the_runner_thread()
    {
        using var runner = new SerialModelRunner("test");
        var gauge = new ConcurrencyGauge();
        var order = new List<int>();
        var threads = new HashSet<string?>();

        var calls = Enumerable.Range(0, 50).Select(i => runner.RunAsync(() =>
        {
            using var scope = gauge.Enter();
            Thread.Sleep(1);
            lock (order)
            {
                order.Add(i);
                threads.Add(Thread.CurrentThread.Name);
            }

            return i * 2;
        })).ToArray();
        var results = await Task.WhenAll(calls);

        Assert.Equal(Enumerable.Range(0, 50).Select(i => i * 2), results);
        Assert.Equal(Enumerable.Range(0, 50), order);
        Assert.Equal(1, gauge.Max);
        Assert.Equal(["inference:test"], threads);
        Assert.Equal(50, runner.Stats.Completed);
        Assert.Equal(0, runner.Stats.Queued);
    }

    [Fact]
    public async Task A_failing_call_faults_only_its_caller()
    {
        using var runner = new SerialModelRunner("test");

        var failing = runner.RunAsync<int>(() => throw new InvalidOperationException("model broke"));
        var next = runner.RunAsync(() => 42);

        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => failing);
        Assert.Equal("model broke", ex.Message);
        Assert.Equal(42, await next);
        Assert.Equal(1, runner.Stats.Failed);
    }

    [Fact]
    public async Task A_call_cancelled_while_queued_never_runs()
    {
        using var runner = new SerialModelRunner("test");
        using var release = new ManualResetEventSlim();
        using var cancel = new CancellationTokenSource();
        var ran = false;

        var blocker = runner.RunAsync(() => release.Wait(TimeSpan.FromSeconds(30)));
        var queued = runner.RunAsync(() => ran = true, cancel.Token);
        await cancel.CancelAsync();
        release.Set();

        Assert.True(await blocker);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => queued);
        Assert.False(ran);
        Assert.Equal(1, runner.Stats.Cancelled);
        Assert.Equal(1, runner.Stats.Completed);
        Assert.Equal(0, runner.Stats.Queued);
    }

    [Fact]
    public async Task Callers_resume_off_the_runner_thread()
    {
        using var runner = new SerialModelRunner("test");

        await runner.RunAsync(() => 0);

        Assert.NotEqual("inference:test", Thread.CurrentThread.Name);
    }

    [Fact]
    public async Task A_cancelled_caller_is_answered_at_once_not_when_the_queue_reaches_it()
    {
        using var runner = new SerialModelRunner("test");
        using var release = new ManualResetEventSlim();
        using var cancel = new CancellationTokenSource();

        using var started = new ManualResetEventSlim();

        // The blocker must hold the slot before the second call queues, or a slow start leaves both queued.
        var blocker = runner.RunAsync(() =>
        {
            started.Set();
            return release.Wait(TimeSpan.FromSeconds(30));
        });
        Assert.True(started.Wait(TimeSpan.FromSeconds(30)));
        var queued = runner.RunAsync(() => 1, cancel.Token);
        await cancel.CancelAsync();

        // The slot is still held, yet the cancelled caller already has its answer and has left the queue.
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => queued);
        Assert.Equal((0, 1, 1L), (runner.Stats.Queued, runner.Stats.Running, runner.Stats.Cancelled));
        release.Set();
        Assert.True(await blocker);
    }
}
