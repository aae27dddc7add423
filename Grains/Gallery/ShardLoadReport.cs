namespace FaceOrleans.Grains.Gallery;

/// <summary>How a shard's index came back: from its snapshot (reconciled with the store) or from the store alone.</summary>
public sealed record ShardLoadReport(bool FromSnapshot, int Faces, int AddedFromStore, int DroppedAsStale, TimeSpan Elapsed)
{
    /// <summary>
    /// A recognizer other than the index's that some of the shard's stored faces came from (null: none); those
    /// faces are not indexed, and the shard refuses searches until the gallery is re-embedded.
    /// </summary>
    public EmbeddingModel? Foreign { get; init; }

    /// <summary>Whether the index differs from what its snapshot on disk holds (so a new snapshot is due).</summary>
    public bool Changed => !FromSnapshot || AddedFromStore > 0 || DroppedAsStale > 0;
}
