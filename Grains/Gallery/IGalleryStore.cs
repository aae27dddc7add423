using FaceOrleans.Grains;

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

    /// <summary>
    /// Stores one face, with the photo it came from when given, in one write; throws
    /// a <see cref="Vision.RejectionCode.UnknownSubject"/> rejection when its subject does not exist (any more).
    /// </summary>
    Task AddFaceAsync(string tenant, int shard, StoredFace face, byte[]? photo = null);

    /// <summary>The stored photo of a face of the subject, or null.</summary>
    Task<byte[]?> GetPhotoAsync(string tenant, string subjectId, string faceId);

    /// <summary>False when the subject has no such face.</summary>
    Task<bool> DeleteFaceAsync(string tenant, int shard, string subjectId, string faceId);

    IAsyncEnumerable<StoredFace> LoadShardAsync(string tenant, int shard, CancellationToken cancellationToken = default);
}
