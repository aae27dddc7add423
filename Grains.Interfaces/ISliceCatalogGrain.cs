namespace FaceOrleans.Grains;

/// <summary>The cluster's live slices as their silos advertise them; any silo can answer (key 0).</summary>
public interface ISliceCatalogGrain : IGrainWithIntegerKey
{
    Task<IReadOnlyList<SliceInfo>> GetSlices();
}
