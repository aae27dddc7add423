
namespace FaceOrleans.Grains.Gallery;

/// <summary>Durable gallery records: SQLite on one machine, Redis in a cluster.</summary>
public interface IGalleryStore
{
    /// <summary>False when the subject already exists.</summary>
    Task<bool> CreateSubjectAsync(string tenant, SubjectInfo subject);

    Task<SubjectInfo?> GetSubjectAsync(string tenant, string subjectId);

    Task<(IReadOnlyList<SubjectInfo> Items, long Total)> ListSubjectsAsync(string tenant, int offset, int limit);

    /// <summary>Deletes the subject and all its faces; false when there was none.</summary>
    Task<bool> DeleteSubjectAsync(string tenant, string subjectId);

    /// <summary>Deletes every record of the tenant's gallery: subjects, faces, photos and layout.</summary>
    Task DeleteTenantAsync(string tenant);

    /// <summary>
    /// Stores one face, with the photo it came from when given, in one write; throws
    /// a <see cref="Vision.RejectionCode.UnknownSubject"/> rejection when its subject does not exist (any more). False,
    /// storing nothing, when the gallery's layout no longer accepts faces in <paramref name="shard"/> (a re-shard began).
    /// </summary>
    Task<bool> AddFaceAsync(string tenant, int shard, StoredFace face, byte[]? photo = null);

    /// <summary>The stored photo of a face of the subject, or null.</summary>
    Task<byte[]?> GetPhotoAsync(string tenant, string subjectId, string faceId);

    /// <summary>Deletes the subject's face; the shard it was in, or null when the subject has no such face.</summary>
    Task<int?> DeleteFaceAsync(string tenant, string subjectId, string faceId);

    /// <summary>
    /// Leaves no readable copy on disk of what deletes removed, as far as the store can (SQLite: its write-ahead log
    /// emptied; Redis: nothing it can do, see docs/data-protection.md). Throws <see cref="GalleryStoreUnavailableException"/>
    /// when it cannot finish now; it finishes at the next call.
    /// </summary>
    Task EraseRemnantsAsync();

    /// <summary>Every face of a shard, embeddings included (a shard's first load).</summary>
    IAsyncEnumerable<StoredFace> LoadShardAsync(string tenant, int shard, CancellationToken cancellationToken = default);

    /// <summary>How many faces a shard holds.</summary>
    Task<long> CountFacesAsync(string tenant, int shard);

    /// <summary>The ids of a shard's faces, without reading embeddings (to reconcile a snapshot).</summary>
    Task<IReadOnlyList<string>> ListFaceIdsAsync(string tenant, int shard, CancellationToken cancellationToken = default);

    /// <summary>Those of <paramref name="faceIds"/> that are stored in <paramref name="shard"/>, embeddings included.</summary>
    Task<IReadOnlyList<StoredFace>> GetFacesAsync(string tenant, int shard, IReadOnlyCollection<string> faceIds, CancellationToken cancellationToken = default);

    /// <summary>
    /// Gives faces of <paramref name="shard"/> new embeddings, with their recognizer, under the same ids (a re-embed
    /// after the tenant's recognizer changed); faces deleted meanwhile are skipped. Returns how many were replaced.
    /// </summary>
    Task<int> ReplaceEmbeddingsAsync(string tenant, int shard, IReadOnlyList<StoredFace> faces);

    /// <summary>The gallery's recorded layout, or null for a gallery that has none yet.</summary>
    Task<GalleryLayout?> GetLayoutAsync(string tenant);

    /// <summary>Records <paramref name="layout"/> if the stored one is still <paramref name="expected"/> (null: none); false otherwise.</summary>
    Task<bool> ReplaceLayoutAsync(string tenant, GalleryLayout? expected, GalleryLayout layout);

    /// <summary>
    /// Moves up to <paramref name="maxFaces"/> faces out of <paramref name="fromShard"/> to the shards
    /// <paramref name="shardOf"/> names, atomically per call: a crash leaves each face in exactly one shard.
    /// Returns the faces moved, with their new shard; none once the shard is empty.
    /// </summary>
    Task<IReadOnlyList<(string FaceId, int Shard)>> MoveFacesAsync(string tenant, int fromShard, int maxFaces, Func<string, int> shardOf);

    /// <summary>
    /// Retention: the subjects not refreshed since <paramref name="before"/>, that is whose newest face was enrolled
    /// before it (or, without a face, that were created before it). A face stored before enrollment times were kept
    /// counts as enrolled at the first call that sees it.
    /// </summary>
    Task<IReadOnlyList<string>> SubjectsNotRefreshedSinceAsync(string tenant, DateTimeOffset before);

    /// <summary>Retention: deletes the stored photos of faces enrolled before <paramref name="before"/> (the faces stay); how many.</summary>
    Task<int> DeletePhotosEnrolledBeforeAsync(string tenant, DateTimeOffset before);
}
