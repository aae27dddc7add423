namespace FaceOrleans.Contracts;

/// <summary>A tenant as <c>GET /v1/{tenant}</c> shows it: settings, counters, latency and where it runs.</summary>
[GenerateSerializer, Immutable, Alias("faceorleans.TenantState")]
public sealed record TenantState(
    [property: Id(0)] string TenantId,
    [property: Id(1)] TenantSettings Settings,
    [property: Id(2)] IReadOnlyDictionary<string, long> RequestsByOperation,
    [property: Id(3)] long FacesDetected,
    [property: Id(4)] long Errors,
    [property: Id(5)] DateTimeOffset? LastRequestUtc,
    [property: Id(6)] LatencySummary Latency,
    [property: Id(7)] SliceLocation Location);
