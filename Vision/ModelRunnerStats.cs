namespace FaceOrleans.Vision;

/// <summary>
/// A snapshot of a slice's model calls: waiting, running, and how those that left the queue ended.
/// <see cref="Cancelled"/> counts calls dropped before they ran because their caller gave up.
/// </summary>
public sealed record ModelRunnerStats(
    int Queued,
    int Running,
    long Completed,
    long Failed,
    long Cancelled,
    double TotalRunMilliseconds);
