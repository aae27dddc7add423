using System.Diagnostics;

namespace FaceOrleans.Vision;

/// <summary>
/// Runs every model call of one slice on its own threads, by the slice's <see cref="SchedulerOptions"/>. Callers hand
/// in inputs already prepared on their own threads (<see cref="IBatchModel{TInput,TOutput}"/>); only the model call
/// runs here, so the serial section of a GPU slice is the model and nothing else. Inputs of one model and shape that
/// wait together, from any requests and tenants, share one call of up to <see cref="SchedulerOptions.MaxBatch"/>,
/// and each caller gets its own outputs back.
/// <para>Fair between tenants: each call is filled round-robin across the tenants with inputs waiting, and the tenant
/// whose input opened a call goes to the back of the line, so one tenant's burst delays another's request by at most
/// a call. Bounded: past <see cref="SchedulerOptions.QueueCapacity"/> waiting inputs a request is refused with
/// <see cref="ModelQueueFullException"/>. A request cancelled while it waits leaves the queue at once, is counted
/// in <see cref="SchedulerStats.Cancelled"/> and never reaches the model.</para>
/// Dedicated threads keep blocking inference off the Orleans scheduler and the shared thread pool, so a flooded
/// slice never holds threads another slice needs; callers resume on the thread pool, never on these threads. The one
/// exception is <see cref="SchedulerOptions.RunOnIdleCaller"/> (CPU slices): a call that would wait for nobody runs
/// on its caller's thread-pool thread, holding one of the <see cref="SchedulerOptions.ConcurrentCalls"/> slots, so
/// the slots still bound the slice and a flooded slice's calls still queue for its own threads.
/// </summary>
public sealed partial class SliceScheduler : IDisposable
{
    private readonly object _gate = new();
    private readonly string _name;
    private readonly Thread[] _workers;

    // Tenants with inputs waiting, in the order they are served next; each tenant's inputs in arrival order.
    private readonly LinkedList<TenantQueue> _line = new();
    private readonly Dictionary<string, TenantQueue> _queues = new(StringComparer.Ordinal);
    private readonly long[] _batchSizes;
    private readonly LatencySketch _modelCalls = new();
    private readonly LatencySketch _waits = new();
    private int _queued;
    private int _running;
    private bool _stopping;
    private long _completed;
    private long _failed;
    private long _cancelled;
    private long _refused;
    private long _batches;
    private long _batchedInputs;

    public SliceScheduler(string name, SchedulerOptions options)
    {
        var problems = options.Validate();
        if (problems.Count > 0)
        {
            throw new ArgumentException($"Scheduler '{name}': {string.Join("; ", problems)}", nameof(options));
        }

        _name = name;
        Options = options;
        _batchSizes = new long[options.MaxBatch];
        _workers = Enumerable.Range(0, options.ConcurrentCalls)
            .Select(_ => new Thread(Work) { IsBackground = true, Name = $"inference:{name}" })
            .ToArray();
        foreach (var worker in _workers)
        {
            worker.Start();
        }
    }

    public SchedulerOptions Options { get; }

    /// <summary>A runner that queues its calls as <paramref name="tenant"/>'s, for fairness between the slice's tenants.</summary>
    public IModelRunner For(string tenant) => new TenantRunner(this, tenant);

    /// <summary>Queues each input for a model call; the task ends when all have run (or the caller cancels while they wait).</summary>
    public Task<TOutput[]> RunAsync<TInput, TOutput>(
        string tenant, IBatchModel<TInput, TOutput> model, IReadOnlyList<TInput> inputs, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (inputs.Count == 0)
        {
            return Task.FromResult(Array.Empty<TOutput>());
        }

        var request = new Request<TOutput>(this, inputs.Count);
        var now = Stopwatch.GetTimestamp();
        var items = new Pending[inputs.Count];
        for (var i = 0; i < inputs.Count; i++)
        {
            items[i] = new Pending<TInput, TOutput>(request, i, model, inputs[i], model.ShapeOf(inputs[i]), now);
        }

        List<Pending>? inline;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_stopping, this);

            // A request larger than the whole queue still runs when it would wait alone.
            if (_queued > 0 && _queued + items.Length > Options.QueueCapacity)
            {
                _refused++;
                throw new ModelQueueFullException(_name, Options.QueueCapacity, Options.RetryAfterSeconds);
            }

            inline = TakeForCaller(items);
            if (inline?.Count != items.Length)
            {
                Enqueue(tenant, items.AsSpan(inline?.Count ?? 0));
            }

            request.Items = items;
        }

        request.CancelWith(cancellationToken);
        if (inline is not null)
        {
            // Nothing waits and a slot is this caller's: the model runs here, and a request answered whole by it
            // returns a completed task, so the caller goes on without a thread switch either way.
            RunOwnCalls(inline);
        }

        return request.Task;
    }

    /// <summary>Most inputs one call of <paramref name="opener"/>'s model takes: the slice's batch, within the model's own.</summary>
    private int MostPerCall(Pending opener) => Math.Min(Options.MaxBatch, Math.Max(1, opener.MaxBatchSize));

    /// <summary>
    /// Sets of cores with no call on them, this call's own among them (<see cref="SchedulerOptions.CoreSets"/>; without
    /// it, free call slots). Under the gate, before the call takes its slot.
    /// </summary>
    private int IdleSets => Math.Max(1, (Options.CoreSets > 0 ? Options.CoreSets : Options.ConcurrentCalls) - _running);

    /// <summary>
    /// A call's share, under <see cref="SchedulerOptions.SpreadOverFreeCalls"/>, of <paramref name="like"/> inputs that
    /// could share it: one call per idle set of cores, and all of them when no other set is idle. Under the gate.
    /// </summary>
    private int ShareOf(int like)
    {
        var idle = IdleSets;
        return Math.Max(1, (like + idle - 1) / idle);
    }

    /// <summary>Puts inputs in their tenant's line, the tenant in the scheduler's line if it was not, and wakes the workers. Under the gate.</summary>
    private void Enqueue(string tenant, ReadOnlySpan<Pending> items)
    {
        if (!_queues.TryGetValue(tenant, out var queue))
        {
            queue = new TenantQueue(tenant);
            _queues.Add(tenant, queue);
        }

        if (queue.Items.Count == 0)
        {
            _line.AddLast(queue.Place);
        }

        foreach (var item in items)
        {
            item.Queue = queue;
            item.Node = queue.Items.AddLast(item);
        }

        _queued += items.Length;
        // Wake only the workers that could start a call now, one per input at most: with every slot taken a woken
        // worker would only wait again. A call that gives a slot back wakes one, or its worker goes on itself.
        for (var wake = Math.Min(items.Length, Options.ConcurrentCalls - _running); wake > 0; wake--)
        {
            Monitor.Pulse(_gate);
        }
    }

    public SchedulerStats Stats
    {
        get
        {
            lock (_gate)
            {
                return new SchedulerStats(
                    _queued, _running, _completed, _failed, _cancelled, _refused, _batches, _batchedInputs,
                    [.. _batchSizes], _modelCalls.Snapshot(), _waits.Snapshot(), Options);
            }
        }
    }

    /// <summary>Stops taking requests; those already waiting still run, then the threads end.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            _stopping = true;
            Monitor.PulseAll(_gate);
        }
    }

    private void Work()
    {
        while (NextBatch() is { } batch)
        {
            RunCall(batch);
        }
    }

    /// <summary>One model call on a worker's thread, then its slot given back.</summary>
    private void RunCall(List<Pending> batch) => RunCalls([batch], caller: false);

    /// <summary>
    /// Model calls one after another on this thread, then the slot they held given back. A caller's calls are all its
    /// own request's, so a failed one fails the request and ends them. A caller that ran its own calls wakes a worker
    /// for that slot when inputs queued meanwhile (they wait while every slot is taken); a worker goes on to take them
    /// itself.
    /// </summary>
    private void RunCalls(List<List<Pending>> calls, bool caller)
    {
        for (var i = 0; i < calls.Count; i++)
        {
            var batch = calls[i];
            var started = Stopwatch.GetTimestamp();
            var succeeded = batch[0].RunBatch(batch);
            _modelCalls.Record(Stopwatch.GetElapsedTime(started));
            var last = i == calls.Count - 1 || (caller && !succeeded);
            lock (_gate)
            {
                if (succeeded)
                {
                    _batches++;
                    _batchedInputs += batch.Count;
                    _batchSizes[batch.Count - 1]++;
                }

                if (last)
                {
                    _running--;
                    if (caller && _queued > 0)
                    {
                        Monitor.Pulse(_gate);
                    }
                }
            }

            if (last)
            {
                return;
            }
        }
    }

    /// <summary>Waits for the next call's inputs and takes them from the queue; null once stopped and drained.</summary>
    private List<Pending>? NextBatch()
    {
        lock (_gate)
        {
            while (true)
            {
                if (_line.First is not { } first)
                {
                    if (_stopping)
                    {
                        return null;
                    }

                    Monitor.Wait(_gate);
                    continue;
                }

                // Callers running their own calls hold slots too: past ConcurrentCalls, wait for one to end.
                if (_running >= Options.ConcurrentCalls)
                {
                    Monitor.Wait(_gate);
                    continue;
                }

                var opener = first.Value.Items.First!.Value;
                var limit = MostPerCall(opener);
                if (Options.MaxWait > TimeSpan.Zero && !_stopping && CountLike(opener, limit) < limit)
                {
                    var due = Options.MaxWait - Stopwatch.GetElapsedTime(opener.EnqueuedAt);
                    if (due > TimeSpan.Zero)
                    {
                        Monitor.Wait(_gate, due);
                        continue;
                    }
                }

                if (Options.SpreadOverFreeCalls)
                {
                    // This worker is one of the idle sets' calls; an enqueue wakes a worker for each input a free slot can take.
                    limit = ShareOf(CountLike(opener, limit));
                }

                var batch = TakeLike(opener, limit);
                // The tenant that opened this call waits behind every other tenant for the next one.
                if (first.List is not null && first.Value.Items.Count > 0 && _line.Count > 1)
                {
                    _line.Remove(first);
                    _line.AddLast(first);
                }

                _queued -= batch.Count;
                _running++;
                var now = Stopwatch.GetTimestamp();
                foreach (var item in batch)
                {
                    _waits.Record(Stopwatch.GetElapsedTime(item.EnqueuedAt, now));
                }

                return batch;
            }
        }
    }

    /// <summary>Inputs waiting that could share <paramref name="opener"/>'s call, counted up to <paramref name="limit"/>.</summary>
    private int CountLike(Pending opener, int limit)
    {
        var count = 0;
        foreach (var queue in _line)
        {
            foreach (var item in queue.Items)
            {
                if (item.SharesCallWith(opener) && ++count >= limit)
                {
                    return count;
                }
            }
        }

        return count;
    }

    /// <summary>Takes up to <paramref name="limit"/> inputs that share <paramref name="opener"/>'s call, one per tenant per round.</summary>
    private List<Pending> TakeLike(Pending opener, int limit)
    {
        var batch = new List<Pending>(limit);
        var progress = true;
        while (batch.Count < limit && progress)
        {
            progress = false;
            for (var place = _line.First; place is not null && batch.Count < limit;)
            {
                var next = place.Next;
                for (var node = place.Value.Items.First; node is not null; node = node.Next)
                {
                    if (node.Value.SharesCallWith(opener))
                    {
                        place.Value.Items.Remove(node);
                        batch.Add(node.Value);
                        progress = true;
                        break;
                    }
                }

                if (place.Value.Items.Count == 0)
                {
                    _line.Remove(place);
                }

                place = next;
            }
        }

        return batch;
    }

    /// <summary>Takes a cancelled request's inputs that still wait out of the queue; how many it took.</summary>
    private int Withdraw(Pending[] items)
    {
        lock (_gate)
        {
            var withdrawn = 0;
            foreach (var item in items)
            {
                if (item.Node?.List is { } list)
                {
                    list.Remove(item.Node);
                    withdrawn++;
                    if (item.Queue is { Items.Count: 0, Place.List: not null } queue)
                    {
                        _line.Remove(queue.Place);
                    }
                }
            }

            _queued -= withdrawn;
            return withdrawn;
        }
    }

    private void Count(RequestEnd end)
    {
        lock (_gate)
        {
            _ = end switch
            {
                RequestEnd.Completed => ++_completed,
                RequestEnd.Failed => ++_failed,
                _ => ++_cancelled,
            };
        }
    }

    private enum RequestEnd
    {
        Completed,
        Failed,
        Cancelled,
    }
}
