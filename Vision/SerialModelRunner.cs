using System.Diagnostics;
using System.Threading.Channels;

namespace FaceOrleans.Vision;

/// <summary>
/// Runs every model call of one slice, one at a time, on a dedicated thread. One call at a time is what keeps a
/// small MIG slice inside its memory; the dedicated thread keeps blocking inference off the Orleans scheduler and
/// off the shared thread pool, and callers wait asynchronously in FIFO order, so a flood on one slice never
/// holds threads another slice needs. A call cancelled while it waits leaves the queue at once and is counted
/// in <see cref="ModelRunnerStats.Cancelled"/>; it never reaches the model.
/// </summary>
public sealed class SerialModelRunner : IModelRunner, IDisposable
{
    private readonly Channel<WorkItem> _queue = Channel.CreateUnbounded<WorkItem>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Thread _worker;
    private int _queued;
    private int _running;
    private long _completed;
    private long _failed;
    private long _cancelled;
    private long _totalTicks;

    public SerialModelRunner(string name)
    {
        _worker = new Thread(Work) { IsBackground = true, Name = $"inference:{name}" };
        _worker.Start();
    }

    public Task<T> RunAsync<T>(Func<T> modelCall, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var item = new WorkItem<T>(this, modelCall);
        Interlocked.Increment(ref _queued);
        item.CancelWith(cancellationToken);
        if (!_queue.Writer.TryWrite(item))
        {
            if (item.TryDrop())
            {
                Interlocked.Decrement(ref _queued);
            }

            throw new ObjectDisposedException(nameof(SerialModelRunner));
        }

        return item.Task;
    }

    public ModelRunnerStats Stats => new(
        Volatile.Read(ref _queued),
        Volatile.Read(ref _running),
        Interlocked.Read(ref _completed),
        Interlocked.Read(ref _failed),
        Interlocked.Read(ref _cancelled),
        TimeSpan.FromTicks(Interlocked.Read(ref _totalTicks)).TotalMilliseconds);

    private void Work()
    {
        var reader = _queue.Reader;
        while (reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
        {
            while (reader.TryRead(out var item))
            {
                if (!item.TryStart())
                {
                    continue; // cancelled while queued: already counted and answered
                }

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

    /// <summary>Called once per item that leaves the queue without running.</summary>
    private void CountCancelled()
    {
        Interlocked.Decrement(ref _queued);
        Interlocked.Increment(ref _cancelled);
    }

    private abstract class WorkItem
    {
        private const int Waiting = 0;
        private const int Started = 1;
        private const int Dropped = 2;

        private int _state;

        /// <summary>Claims the item for the worker; false when its caller cancelled it first.</summary>
        public bool TryStart() => Interlocked.CompareExchange(ref _state, Started, Waiting) == Waiting;

        /// <summary>Drops the item if it has not started; true when this call dropped it.</summary>
        public bool TryDrop() => Interlocked.CompareExchange(ref _state, Dropped, Waiting) == Waiting;

        /// <summary>Runs the call; false when it threw.</summary>
        public abstract bool Execute();
    }

    private sealed class WorkItem<T>(SerialModelRunner runner, Func<T> call) : WorkItem
    {
        // Continuations must not run inline on the inference thread, or a caller's decode would block the queue.
        private readonly TaskCompletionSource<T> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private CancellationTokenRegistration _registration;

        public Task<T> Task => _completion.Task;

        /// <summary>
        /// Cancelling the token while the item waits answers the caller at once and drops the item; the worker
        /// skips it when it reaches it. Registered before the item is queued, so the worker always sees the registration.
        /// </summary>
        public void CancelWith(CancellationToken cancellationToken)
        {
            if (cancellationToken.CanBeCanceled)
            {
                _registration = cancellationToken.UnsafeRegister(static (state, token) => ((WorkItem<T>)state!).Drop(token), this);
            }
        }

        public override bool Execute()
        {
            _registration.Dispose();
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

        private void Drop(CancellationToken token)
        {
            if (TryDrop())
            {
                runner.CountCancelled();
                _completion.TrySetCanceled(token);
            }
        }
    }
}
