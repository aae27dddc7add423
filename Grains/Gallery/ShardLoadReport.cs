namespace FaceOrleans.Grains.Gallery;

/// <summary>How a shard's index came back: from its snapshot (reconciled with the store) or from the store alone.</summary>
public sealed record ShardLoadReport(bool FromSnapshot, int Faces, int AddedFromStore, int DroppedAsStale, TimeSpan Elapsed)
{
    /// <summary>Whether the index differs from what its snapshot on disk holds (so a new snapshot is due).</summary>
    public bool Changed => !FromSnapshot || AddedFromStore > 0 || DroppedAsStale > 0;
}
