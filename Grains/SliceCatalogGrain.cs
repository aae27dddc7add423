using FaceOrleans.Grains.Placement;
using Orleans.Concurrency;

namespace FaceOrleans.Grains;

/// <summary>Stateless: every silo already holds the cluster's slice adverts, so the nearest activation answers.</summary>
[StatelessWorker]
[GrainType("slicecatalog")]
public sealed class SliceCatalogGrain(SliceDirectory directory) : Grain, ISliceCatalogGrain
{
    public Task<IReadOnlyList<SliceInfo>> GetSlices() =>
        Task.FromResult<IReadOnlyList<SliceInfo>>(directory.LiveSlices()
            .Select(s => new SliceInfo(
                s.Advert.SliceId,
                s.Silo.ToParsableString(),
                s.Advert.Device,
                s.Advert.Tenants.Order(StringComparer.Ordinal).ToArray(),
                s.Advert.StandbyFor.Order(StringComparer.Ordinal).ToArray()))
            .OrderBy(s => s.SliceId, StringComparer.Ordinal)
            .ToArray());
}
