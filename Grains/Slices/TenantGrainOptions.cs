namespace FaceOrleans.Grains.Slices;

/// <summary>How often a tenant's counters are written (section <c>FaceOrleans:Tenants</c>); settings are written at once.</summary>
public sealed class TenantGrainOptions
{
    public const string Section = "FaceOrleans:Tenants";

    public TimeSpan CounterFlushInterval { get; set; } = TimeSpan.FromSeconds(5);
}
