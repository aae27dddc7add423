using Orleans.Placement;
using Orleans.Runtime.Placement;

namespace FaceOrleans.Grains.Placement;

/// <summary>Places a grain keyed by tenant id on the silo owning the tenant's slice.</summary>
[GenerateSerializer, Immutable, SuppressReferenceTracking]
public sealed class TenantSlicePlacement : PlacementStrategy;

/// <summary>Places a grain keyed by slice id on the silo owning that slice.</summary>
[GenerateSerializer, Immutable, SuppressReferenceTracking]
public sealed class SliceOwnerPlacement : PlacementStrategy;

[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
public sealed class TenantSlicePlacementAttribute() : PlacementAttribute(new TenantSlicePlacement());

[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
public sealed class SliceOwnerPlacementAttribute() : PlacementAttribute(new SliceOwnerPlacement());

internal sealed class TenantSlicePlacementDirector(SliceDirectory directory) : IPlacementDirector
{
    public Task<SiloAddress> OnAddActivation(PlacementStrategy strategy, PlacementTarget target, IPlacementContext context) =>
        Task.FromResult(directory.PlaceTenant(target.GrainIdentity.Key.ToString()!, context.GetCompatibleSilos(target)));
}

internal sealed class SliceOwnerPlacementDirector(SliceDirectory directory) : IPlacementDirector
{
    public Task<SiloAddress> OnAddActivation(PlacementStrategy strategy, PlacementTarget target, IPlacementContext context) =>
        Task.FromResult(directory.PlaceSlice(target.GrainIdentity.Key.ToString()!, context.GetCompatibleSilos(target)));
}
