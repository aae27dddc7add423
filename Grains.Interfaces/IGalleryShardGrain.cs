using Orleans.Concurrency;

namespace FaceOrleans.Contracts;

/// <summary>
/// One shard of a tenant's gallery (key = "{tenant}/{shard}"): its faces in memory, stored one record per face.
/// Searches and changes are taken one at a time, in arrival order; each search scans on all cores.
/// </summary>
[Alias("faceorleans.IGalleryShardGrain")]
public interface IGalleryShardGrain : IGrainWithStringKey
{
    /// <summary>
    /// Stores the face (and its photo, when the tenant keeps photos) and indexes it; false, storing nothing,
    /// when a re-shard has begun emptying this shard (the caller enrolls into the new layout instead). Refuses an
    /// embedding of another recognizer than the shard's faces' (<see cref="Vision.RejectionCode.GalleryModelMismatch"/>).
    /// </summary>
    [Alias("Add")]
    Task<bool> Add(string faceId, string subjectId, float[] embedding, EmbeddingModel model, byte[]? photo);

    /// <summary>Forgets faces the store no longer holds in this shard.</summary>
    [Alias("Remove")]
    Task<int> Remove(IReadOnlyList<string> faceIds);

    [Alias("RemoveSubject")]
    Task<int> RemoveSubject(string subjectId);

    /// <summary>Drops the whole index and overwrites and deletes the shard's files on this silo (its tenant is being deleted).</summary>
    [Alias("EraseAll")]
    Task EraseAll();

    /// <summary>Indexes those of the faces the store now holds in this shard (faces a re-shard moved here).</summary>
    [Alias("Reload")]
    Task<int> Reload(IReadOnlyList<string> faceIds);

    /// <summary>Makes the index hold exactly the faces the store holds in this shard (a re-shard's old shards, once emptied).</summary>
    [Alias("Reconcile")]
    Task Reconcile();

    /// <summary>Writes the shard's local snapshot now if its faces changed since the last one; searches go on meanwhile.</summary>
    [AlwaysInterleave]
    [Alias("Snapshot")]
    Task Snapshot();

    /// <summary>
    /// For each query, the top-k subjects of this shard by their best face; only <paramref name="subjectId"/>'s
    /// faces when given. A cancelled caller stops the scan at its next block. Refuses queries of another recognizer
    /// than the shard's faces' (<see cref="Vision.RejectionCode.GalleryModelMismatch"/>), rather than compare them.
    /// </summary>
    [Alias("Search")]
    Task<IReadOnlyList<IReadOnlyList<Candidate>>> Search(
        IReadOnlyList<float[]> queries, EmbeddingModel model, int topK, string? subjectId, CancellationToken cancellationToken = default);

    /// <summary>The recognizers of the shard's stored faces: none when it is empty, two only when older faces were mixed.</summary>
    [AlwaysInterleave]
    [Alias("GetModels")]
    Task<IReadOnlyList<EmbeddingModel>> GetModels();

    /// <summary>Drops the index and its snapshot and loads every face from the store again (after a re-embed replaced them).</summary>
    [Alias("Rebuild")]
    Task<int> Rebuild();

    [AlwaysInterleave]
    [Alias("Count")]
    Task<int> Count();
}
