namespace FaceOrleans.Grains;

/// <summary>A tenant's request latencies: count, mean, p50, p95 (to the nearest bucket bound) and maximum.</summary>
[GenerateSerializer, Immutable, Alias("faceorleans.LatencySummary")]
public sealed record LatencySummary(
    [property: Id(0)] long Count,
    [property: Id(1)] double MeanMilliseconds,
    [property: Id(2)] double P50Milliseconds,
    [property: Id(3)] double P95Milliseconds,
    [property: Id(4)] double MaxMilliseconds);
