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
    /// Whether a call takes only its share of the waiting inputs of its shape while other calls are free, so that they
    /// run side by side rather than one after another inside one call. A CPU slice spreads: there a batch costs about
    /// its inputs' sum, and spreading lets a lone compare's two faces run on two cores. A GPU slice runs one call.
    /// </summary>
    public bool SpreadOverFreeCalls { get; init; }

    /// <summary>Inputs that may wait at once; past it a call is refused with <see cref="ModelQueueFullException"/>.</summary>
    public int QueueCapacity { get; init; } = 256;

    /// <summary>What a refused caller is told to wait before trying again.</summary>
    public int RetryAfterSeconds { get; init; } = 1;

    /// <summary>
    /// The policy for a device. GPU: one model call at a time, micro-batched across requests and tenants up to
    /// <paramref name="maxBatch"/> inputs or <paramref name="gpuMaxWait"/>. CPU: as many calls at once as the cores hold
    /// calls of <paramref name="intraOpThreads"/> threads (0: ONNX Runtime's one per core), each taking what is already
    /// waiting of one shape (its share, while other calls are free) and never waiting for more, since a CPU gains nothing
    /// from a larger batch (docs/benchmarks.md).
    /// </summary>
    public static SchedulerOptions ForDevice(bool gpu, int intraOpThreads, int maxBatch, TimeSpan gpuMaxWait, int cores) =>
        gpu
            ? new SchedulerOptions { ConcurrentCalls = 1, MaxBatch = maxBatch, MaxWait = gpuMaxWait }
            : new SchedulerOptions
            {
                ConcurrentCalls = Math.Max(1, cores / (intraOpThreads <= 0 ? cores : intraOpThreads)),
                MaxBatch = maxBatch,
                MaxWait = TimeSpan.Zero,
                SpreadOverFreeCalls = true,
            };

    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (ConcurrentCalls < 1 || MaxBatch < 1 || QueueCapacity < 1)
        {
            problems.Add("ConcurrentCalls, MaxBatch and QueueCapacity must be at least 1");
        }

        if (MaxWait < TimeSpan.Zero || MaxWait > TimeSpan.FromSeconds(1))
        {
            problems.Add("MaxWait must be between 0 and 1 s");
        }

        return problems;
    }
}
