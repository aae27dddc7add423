namespace FaceOrleans.Vision;

// SchedulerOptions.RunOnIdleCaller: which of a request's inputs its caller runs on its own thread, and how.
public sealed partial class SliceScheduler
{
    /// <summary>
    /// The inputs this caller runs itself under <see cref="SchedulerOptions.RunOnIdleCaller"/>, with the slot taken; null
    /// when the request goes to the queue whole. Only when nothing waits and a call is free. While another set of cores
    /// is idle (the slice spreads), the caller takes its share of the first input and those after it that share its
    /// call, counted as a worker counts it, and leaves the rest to the workers on the idle cores; while none is, handing
    /// inputs to other threads gains no core, so it takes them all, to run one call after another. Under the gate.
    /// </summary>
    private List<Pending>? TakeForCaller(Pending[] items)
    {
        var free = Options.ConcurrentCalls - _running;
        if (!Options.RunOnIdleCaller || _queued > 0 || free <= 0 || Options.MaxWait > TimeSpan.Zero
            || TaskScheduler.Current != TaskScheduler.Default)
        {
            return null;
        }

        var take = items.Length;
        if (Options.SpreadOverFreeCalls && IdleSets > 1)
        {
            var like = 1;
            while (like < items.Length && items[like].SharesCallWith(items[0]))
            {
                like++;
            }

            take = ShareOf(Math.Min(MostPerCall(items[0]), like));
        }

        for (var i = 0; i < take; i++)
        {
            _waits.Record(TimeSpan.Zero);
        }

        _running++;
        return [.. items.AsSpan(0, take)];
    }

    /// <summary>
    /// A caller's own inputs (<see cref="TakeForCaller"/>) on its thread: one call per shape, each of at most a call's
    /// inputs, one after another in the caller's one slot.
    /// </summary>
    private void RunOwnCalls(List<Pending> inputs)
    {
        var calls = new List<List<Pending>>();
        foreach (var input in inputs)
        {
            var call = calls.Find(c => c.Count < MostPerCall(c[0]) && input.SharesCallWith(c[0]));
            if (call is null)
            {
                calls.Add([input]);
            }
            else
            {
                call.Add(input);
            }
        }

        RunCalls(calls, caller: true);
    }
}
