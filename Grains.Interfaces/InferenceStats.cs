using FaceOrleans.Vision;

namespace FaceOrleans.Contracts;

/// <summary>
/// A slice's scheduler: <see cref="Queued"/> images or faces waiting, model calls <see cref="Running"/>, and how the
/// requests that left the queue ended: <see cref="Completed"/>, <see cref="Failed"/>, <see cref="Cancelled"/> (dropped
/// before running because their caller had gone) and <see cref="Refused"/> (turned away by a full queue). Each
/// detection or embedding step of a service request is one request here; <see cref="Batches"/> counts the model calls
/// they shared, <see cref="BatchSizes"/>[n-1] those that held n inputs.
/// </summary>
[GenerateSerializer, Immutable, Alias("faceorleans.InferenceStats")]
public sealed record InferenceStats(
    [property: Id(0)] SliceLocation Location,
    [property: Id(1)] string ExecutionProvider,
    [property: Id(2)] int Queued,
    [property: Id(3)] int Running,
    [property: Id(4)] long Completed,
    [property: Id(5)] long Failed,
    [property: Id(6)] int MaxConcurrencyObserved,
    [property: Id(7)] double MeanRunMilliseconds,
    [property: Id(8)] double MeanBatchSize,
    [property: Id(9)] long Cancelled)
{
    [Id(10)]
    public long Refused { get; init; }

    [Id(11)]
    public long Batches { get; init; }

    [Id(12)]
    public IReadOnlyList<long> BatchSizes { get; init; } = [];

    /// <summary>Time of one model call, in milliseconds.</summary>
    [Id(13)]
    public LatencySummary ModelCall { get; init; } = LatencySummary.Empty;

    /// <summary>Time an image or face waited in the queue before its model call began, in milliseconds.</summary>
    [Id(14)]
    public LatencySummary Wait { get; init; } = LatencySummary.Empty;

    /// <summary>The slice's policy: model calls at once, most inputs per call, longest wait for a batch, queue bound.</summary>
    [Id(15)]
    public SchedulingPolicy Policy { get; init; } = new(1, 1, 0, 0);
}

/// <summary>How a slice schedules its model calls (see <see cref="SchedulerOptions"/>).</summary>
[GenerateSerializer, Immutable, Alias("faceorleans.SchedulingPolicy")]
public sealed record SchedulingPolicy(
    [property: Id(0)] int ConcurrentCalls,
    [property: Id(1)] int MaxBatch,
    [property: Id(2)] double MaxWaitMilliseconds,
    [property: Id(3)] int QueueCapacity);
