namespace FaceOrleans.Grains;

/// <summary>What a tenant grain stores: its settings and its usage counters.</summary>
[GenerateSerializer, Alias("faceorleans.TenantRecord")]
public sealed class TenantRecord
{
    [Id(0)]
    public TenantSettings Settings { get; set; } = new();

    [Id(1)]
    public Dictionary<string, long> RequestsByOperation { get; set; } = new(StringComparer.Ordinal);

    [Id(2)]
    public long FacesDetected { get; set; }

    [Id(3)]
    public long Errors { get; set; }

    [Id(4)]
    public DateTimeOffset? LastRequestUtc { get; set; }

    [Id(5)]
    public LatencyHistogram Latency { get; set; } = new();

    /// <summary>Kept apart from <see cref="Settings"/>: an admin sets it, and a tenant's own configuration change leaves it alone.</summary>
    [Id(6)]
    public RateQuota? RateQuota { get; set; }
}
