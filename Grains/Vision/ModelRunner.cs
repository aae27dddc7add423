using System.Diagnostics;
using System.Threading.Channels;

namespace FaceOrleans.Vision;

/// <summary>Decides where and when a model call runs.</summary>
public interface IModelRunner
{
    Task<T> RunAsync<T>(Func<T> modelCall, CancellationToken cancellationToken = default);
}

/// <summary>Runs the call on the caller's thread: for the command line, benchmarks and tests of the pipeline alone.</summary>
public sealed class InlineModelRunner : IModelRunner
{
    public static readonly InlineModelRunner Instance = new();

    public Task<T> RunAsync<T>(Func<T> modelCall, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(modelCall());
    }
}

/// <summary>A snapshot of a slice's model calls.</summary>
public sealed record ModelRunnerStats(
    int Queued,
    int Running,
    long Completed,
    long Failed,
    double TotalRunMilliseconds);

/// <summary>
/// Runs every model call of one slice, one at a time, on a dedicated thread. One call at a time is what keeps a
/// small MIG slice inside its memory; the dedicated thread keeps blocking inference off the Orleans scheduler and
/// off the shared thread pool, and callers wait asynchronously in FIFO order, so a flood on one slice never
/// holds threads another slice needs.
/// </summary>
public sealed class SerialModelRunner : IModelRunner, IDisposable
{
    private readonly Channel<WorkItem> _queue = Channel.CreateUnbounded<WorkItem>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Thread _worker;
    private int _queued;
    private int _running;
    private long _completed;
    private long _failed;
    private long _totalTicks;

    public SerialModelRunner(string name)
    {
        _worker = new Thread(Work) { IsBackground = true, Name = $"inference:{name}" };
        _worker.Start();
    }

    public Task<T> RunAsync<T>(Func<T> modelCall, CancellationToken cancellationToken = default)
    {
        var item = new WorkItem<T>(modelCall, cancellationToken);
        Interlocked.Increment(ref _queued);
        if (!_queue.Writer.TryWrite(item))
        {
            Interlocked.Decrement(ref _queued);
            throw new ObjectDisposedException(nameof(SerialModelRunner));
        }

        return item.Task;
    }

    public ModelRunnerStats Stats => new(
        Volatile.Read(ref _queued),
        Volatile.Read(ref _running),
        Interlocked.Read(ref _completed),
        Interlocked.Read(ref _failed),
        TimeSpan.FromTicks(Interlocked.Read(ref _totalTicks)).TotalMilliseconds);

    private void Work()
    {
        var reader = _queue.Reader;
        while (reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
        {
            while (reader.TryRead(out var item))
            {
                Interlocked.Decrement(ref _queued);
                Interlocked.Increment(ref _running);
                var started = Stopwatch.GetTimestamp();
                var succeeded = item.Execute();
                var elapsed = Stopwatch.GetElapsedTime(started).Ticks;
                Interlocked.Decrement(ref _running);
                Interlocked.Add(ref _totalTicks, elapsed);
                Interlocked.Increment(ref succeeded ? ref _completed : ref _failed);
            }
        }
    }

    /// <summary>Stops taking calls; queued calls still run, then the thread ends.</summary>
    public void Dispose() => _queue.Writer.TryComplete();

    private abstract class WorkItem
    {
        /// <summary>Runs the call unless it was cancelled while queued; false when it threw.</summary>
        public abstract bool Execute();
    }

    private sealed class WorkItem<T>(Func<T> call, CancellationToken cancellationToken) : WorkItem
    {
        // Continuations must not run inline on the inference thread, or a caller's decode would block the queue.
        private readonly TaskCompletionSource<T> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task<T> Task => _completion.Task;

        public override bool Execute()
        {
            if (cancellationToken.IsCancellationRequested)
            {
                _completion.TrySetCanceled(cancellationToken);
                return true;
            }

            try
            {
                _completion.TrySetResult(call());
                return true;
            }
            catch (Exception ex)
            {
                _completion.TrySetException(ex);
                return false;
            }
        }
    }
}
