namespace FaceOrleans.Vision;

/// <summary>
/// A snapshot of a slice's scheduler. <see cref="QueuedInputs"/> is the queue depth in images or faces;
/// <see cref="Completed"/>, <see cref="Failed"/> and <see cref="Cancelled"/> count callers' requests (one per
/// detection or embedding step of a service request), <see cref="Batches"/> the model calls they shared.
/// <see cref="Cancelled"/> counts requests dropped before any of their inputs ran because their caller gave up;
/// <see cref="Refused"/> those turned away by a full queue.
/// </summary>
public sealed record SchedulerStats(
    int QueuedInputs,
    int RunningCalls,
    long Completed,
    long Failed,
    long Cancelled,
    long Refused,
    long Batches,
    long BatchedInputs,
    IReadOnlyList<long> BatchSizes,
    LatencyQuantiles ModelCall,
    LatencyQuantiles Wait,
    SchedulerOptions Policy)
{
    /// <summary>Mean inputs per model call.</summary>
    public double MeanBatchSize => Batches == 0 ? 0 : (double)BatchedInputs / Batches;
}
