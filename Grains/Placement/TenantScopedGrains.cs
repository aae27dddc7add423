using System.Collections.Concurrent;
using Orleans.Metadata;

namespace FaceOrleans.Grains.Placement;

/// <summary>
/// Tells which grains are tenant-scoped (<see cref="TenantScopedAttribute"/>) and whose they are, from the grain
/// types' properties in the cluster manifest, which silos and clients both hold.
/// </summary>
public sealed class TenantScopedGrains(GrainPropertiesResolver properties)
{
    private readonly ConcurrentDictionary<GrainType, bool> _marked = new();

    /// <summary>The tenant a tenant-scoped grain belongs to; null for any other grain.</summary>
    public string? TenantOf(GrainId grain) => _marked.GetOrAdd(grain.Type, IsMarked) ? TenantKeys.TenantOf(grain) : null;

    private bool IsMarked(GrainType grainType) =>
        properties.TryGetGrainProperties(grainType, out var grain)
        && grain.Properties.TryGetValue(WellKnownGrainTypeProperties.PlacementFilter, out var filters)
        && filters.Split(',').Contains(nameof(TenantScopedPlacementFilter), StringComparer.Ordinal);
}
