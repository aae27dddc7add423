namespace FaceOrleans.Grains;

/// <summary>
/// A slice's model calls: the queue behind its single execution slot, what has run, and how many calls were
/// dropped before running because their caller had gone (<see cref="Cancelled"/>).
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
    [property: Id(9)] long Cancelled);
