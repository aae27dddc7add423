namespace FaceOrleans.Grains;

/// <summary>One shard of a tenant's gallery (key = "{tenant}/{shard}"): its faces in memory, stored one record per face.</summary>
[Alias("faceorleans.IGalleryShardGrain")]
public interface IGalleryShardGrain : IGrainWithStringKey
{
    /// <summary>Stores the face (and its photo, when the tenant keeps photos) and indexes it.</summary>
    [Alias("Add")]
    Task Add(string faceId, string subjectId, float[] embedding, byte[]? photo);

    [Alias("Remove")]
    Task<bool> Remove(string faceId);

    [Alias("RemoveSubject")]
    Task<int> RemoveSubject(string subjectId);

    /// <summary>For each query, the top-k subjects of this shard by their best face; only <paramref name="subjectId"/>'s faces when given.</summary>
    [Alias("Search")]
    Task<IReadOnlyList<IReadOnlyList<Candidate>>> Search(IReadOnlyList<float[]> queries, int topK, string? subjectId);

    [Alias("Count")]
    Task<int> Count();
}
