using Orleans.Placement;
using Orleans.Runtime.Placement;

namespace FaceOrleans.Grains.Placement;

/// <summary>Places a grain keyed by tenant id on the silo owning the tenant's slice (<see cref="SliceDirectory.PlaceTenant"/>).</summary>
[GenerateSerializer, Immutable, SuppressReferenceTracking, Alias("faceorleans.TenantSlicePlacement")]
public sealed class TenantSlicePlacement : PlacementStrategy;

/// <summary>Marks a grain class for <see cref="TenantSlicePlacement"/>.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
public sealed class TenantSlicePlacementAttribute() : PlacementAttribute(new TenantSlicePlacement());

internal sealed class TenantSlicePlacementDirector(SliceDirectory directory) : IPlacementDirector
{
    public Task<SiloAddress> OnAddActivation(PlacementStrategy strategy, PlacementTarget target, IPlacementContext context) =>
        Task.FromResult(directory.PlaceTenant(target.GrainIdentity.Key.ToString()!, context.GetCompatibleSilos(target)));
}
