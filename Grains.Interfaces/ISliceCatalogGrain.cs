namespace FaceOrleans.Contracts;

/// <summary>The cluster's live slices as their silos advertise them; any silo can answer (key 0).</summary>
[Alias("faceorleans.ISliceCatalogGrain")]
public interface ISliceCatalogGrain : IGrainWithIntegerKey
{
    [Alias("GetSlices")]
    Task<IReadOnlyList<SliceInfo>> GetSlices();
}
