namespace FaceOrleans.Contracts;

/// <summary>
/// Latencies in milliseconds: count, mean, p50, p95, p99 and maximum. Quantiles come from 5 %-wide buckets
/// (<see cref="LatencyBuckets"/>), interpolated, so they are within a few percent of the exact values.
/// </summary>
[GenerateSerializer, Immutable, Alias("faceorleans.LatencySummary")]
public sealed record LatencySummary(
    [property: Id(0)] long Count,
    [property: Id(1)] double MeanMilliseconds,
    [property: Id(2)] double P50Milliseconds,
    [property: Id(3)] double P95Milliseconds,
    [property: Id(4)] double MaxMilliseconds)
{
    public static readonly LatencySummary Empty = new(0, 0, 0, 0, 0);

    [Id(5)]
    public double P99Milliseconds { get; init; }
}
