using Microsoft.Extensions.DependencyInjection;
using Orleans.Placement;
using Orleans.Runtime.Placement;

namespace FaceOrleans.Grains.Placement;

/// <summary>
/// Marks a grain keyed by tenant (see <see cref="TenantKeys"/>) as tenant-scoped: it is activated only on the silo
/// serving its tenant, the one owning the tenant's slice or, while that slice has no live silo, a slice standing by
/// for the tenant; never on another tenant's silo. When no silo serves the tenant, activation fails with the
/// director's typed exception (<see cref="SliceUnavailableException"/>, <see cref="TenantNotServedException"/>).
/// </summary>
/// <remarks>
/// A placement filter rather than a placement strategy: it states where the grain may live, applied by Orleans to
/// the compatible silos before any strategy chooses, so it combines with whatever strategy a grain has (the default
/// one, <c>[StatelessWorker]</c>, …) and with further filters, where a grain can have only one strategy.
/// </remarks>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
public sealed class TenantScopedAttribute() : PlacementFilterAttribute(new TenantScopedPlacementFilter());

/// <summary>The filter behind <see cref="TenantScopedAttribute"/>; it carries no settings, the rules live in <see cref="SliceDirectory"/>.</summary>
public sealed class TenantScopedPlacementFilter() : PlacementFilterStrategy(order: 0)
{
    internal static void Register(IServiceCollection services) =>
        services.AddPlacementFilter<TenantScopedPlacementFilter, Director>(ServiceLifetime.Singleton);

    private sealed class Director(SliceDirectory directory) : IPlacementFilterDirector
    {
        public IEnumerable<SiloAddress> Filter(PlacementFilterStrategy filterStrategy, PlacementTarget target, IEnumerable<SiloAddress> silos) =>
            [directory.ServingSilo(TenantKeys.TenantOf(target.GrainIdentity), silos.ToArray())];
    }
}
