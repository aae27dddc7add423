namespace FaceOrleans.Vision;

/// <summary>How a slice's <see cref="SliceScheduler"/> runs model calls; <see cref="ForDevice"/> gives each device its policy.</summary>
public sealed record SchedulerOptions
{
    /// <summary>Model calls at once. A GPU slice runs one stream (that keeps it inside its memory); a CPU slice one per free set of cores.</summary>
    public int ConcurrentCalls { get; init; } = 1;

    /// <summary>Most inputs (images or faces of one shape, from any requests and tenants) in one model call.</summary>
    public int MaxBatch { get; init; } = 1;

    /// <summary>
    /// How long the oldest waiting input may be held back for others of its shape to join its call, when fewer than
    /// <see cref="MaxBatch"/> are waiting. Zero runs what is waiting at once.
    /// </summary>
    public TimeSpan MaxWait { get; init; }

    /// <summary>
    /// Whether a call takes only its share of the waiting inputs of its shape while other sets of cores are idle
    /// (<see cref="CoreSets"/>), so that they run side by side rather than one after another inside one call. A CPU
    /// slice spreads: there a batch costs about its inputs' sum, and spreading lets a lone compare's two faces run on
    /// two cores. A GPU slice runs one call.
    /// </summary>
    public bool SpreadOverFreeCalls { get; init; }

    /// <summary>
    /// Sets of cores that the slice's calls fill: a CPU slice's cores divided by a call's intra-op threads. Calls spread
    /// over idle sets only: once every set runs a call, more calls add thread switches and no core, so a call (or a
    /// caller running its own) takes every input it can. 0 counts each free call slot as an idle set.
    /// </summary>
    public int CoreSets { get; init; }

    /// <summary>
    /// Whether a call that would wait for nothing (no input queued, a call slot free, no batching window) runs on its
    /// caller's thread instead of being handed to a scheduler thread and its answer handed back: two thread switches
    /// per model call that a CPU slice pays in CPU it would rather give to inference. While another set of cores is
    /// idle the caller runs its share and the rest queues for it; while none is, the caller runs all of its inputs, one
    /// call per shape after another, as a caller of the pipeline in process would. The slot still counts against
    /// <see cref="ConcurrentCalls"/>, and only a caller on the shared thread pool qualifies, never one on another
    /// task scheduler (an Orleans grain's), so blocking inference still never runs on an Orleans scheduler thread.
    /// </summary>
    public bool RunOnIdleCaller { get; init; }

    /// <summary>Inputs that may wait at once; past it a call is refused with <see cref="ModelQueueFullException"/>.</summary>
    public int QueueCapacity { get; init; } = 256;

    /// <summary>What a refused caller is told to wait before trying again.</summary>
    public int RetryAfterSeconds { get; init; } = 1;

    /// <summary>
    /// Calls a CPU slice runs at once per set of cores that one call's threads fill. Two, so that with callers running
    /// their own calls (<see cref="RunOnIdleCaller"/>) a caller ready for its model call seldom finds every slot taken
    /// and hands it to a scheduler thread: measured side by side at 4 callers, one call per core set gave 92-98 % of
    /// the compares per second of two (docs/load/fourth-pass.md), and the cores' scheduler shares them.
    /// </summary>
    public const int CpuCallsPerCoreSet = 2;

    /// <summary>
    /// The policy for a device. GPU: one model call at a time, micro-batched across requests and tenants up to
    /// <paramref name="maxBatch"/> inputs or <paramref name="gpuMaxWait"/>. CPU: <see cref="CpuCallsPerCoreSet"/> calls
    /// per set of cores that a call of <paramref name="intraOpThreads"/> threads fills (0: ONNX Runtime's one per
    /// core, whose one call fills them all), each taking what is already waiting of one shape (its share, while other
    /// sets of cores are idle) and never waiting for more, since a CPU gains nothing from a larger batch
    /// (docs/benchmarks.md, "Reading the numbers"), and a call that waits for nothing running on its caller's thread.
    /// </summary>
    public static SchedulerOptions ForDevice(bool gpu, int intraOpThreads, int maxBatch, TimeSpan gpuMaxWait, int cores)
    {
        if (gpu)
        {
            return new SchedulerOptions { ConcurrentCalls = 1, MaxBatch = maxBatch, MaxWait = gpuMaxWait };
        }

        // ONNX Runtime's own threads (0) fill every core with one call, which then runs alone.
        var sets = intraOpThreads <= 0 ? 1 : Math.Max(1, cores / intraOpThreads);
        return new SchedulerOptions
        {
            ConcurrentCalls = intraOpThreads <= 0 ? 1 : sets * CpuCallsPerCoreSet,
            CoreSets = sets,
            MaxBatch = maxBatch,
            MaxWait = TimeSpan.Zero,
            SpreadOverFreeCalls = true,
            RunOnIdleCaller = true,
        };
    }

    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (ConcurrentCalls < 1 || MaxBatch < 1 || QueueCapacity < 1)
        {
            problems.Add("ConcurrentCalls, MaxBatch and QueueCapacity must be at least 1");
        }

        if (CoreSets < 0)
        {
            problems.Add("CoreSets must not be negative");
        }

        if (MaxWait < TimeSpan.Zero || MaxWait > TimeSpan.FromSeconds(1))
        {
            problems.Add("MaxWait must be between 0 and 1 s");
        }

        return problems;
    }
}
