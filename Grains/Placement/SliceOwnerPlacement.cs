using Orleans.Placement;
using Orleans.Runtime.Placement;

namespace FaceOrleans.Grains.Placement;

/// <summary>Places a grain keyed by slice id on the silo owning that slice (<see cref="SliceDirectory.PlaceSlice"/>).</summary>
[GenerateSerializer, Immutable, SuppressReferenceTracking, Alias("faceorleans.SliceOwnerPlacement")]
public sealed class SliceOwnerPlacement : PlacementStrategy;

/// <summary>Marks a grain class for <see cref="SliceOwnerPlacement"/>.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
public sealed class SliceOwnerPlacementAttribute() : PlacementAttribute(new SliceOwnerPlacement());

internal sealed class SliceOwnerPlacementDirector(SliceDirectory directory) : IPlacementDirector
{
    public Task<SiloAddress> OnAddActivation(PlacementStrategy strategy, PlacementTarget target, IPlacementContext context) =>
        Task.FromResult(directory.PlaceSlice(target.GrainIdentity.Key.ToString()!, context.GetCompatibleSilos(target)));
}
