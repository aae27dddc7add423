using Orleans.Concurrency;

namespace FaceOrleans.Grains;

[GenerateSerializer, Immutable]
public sealed record SubjectInfo(
    [property: Id(0)] string Id,
    [property: Id(1)] string? DisplayName,
    [property: Id(2)] IReadOnlyDictionary<string, string>? Metadata,
    [property: Id(3)] DateTimeOffset CreatedUtc,
    [property: Id(4)] int FaceCount);

[GenerateSerializer, Immutable]
public sealed record SubjectPage(
    [property: Id(0)] IReadOnlyList<SubjectInfo> Items,
    [property: Id(1)] int Page,
    [property: Id(2)] int Size,
    [property: Id(3)] long Total);

/// <summary>A photo to enroll; with <see cref="UseLargestFace"/> a photo of several faces enrolls the largest.</summary>
[GenerateSerializer, Immutable]
public sealed record EnrollRequest(
    [property: Id(0)] byte[] Image,
    [property: Id(1)] bool UseLargestFace = false,
    [property: Id(2)] float? DetectionThreshold = null);

[GenerateSerializer, Immutable]
public sealed record EnrolledFace([property: Id(0)] string FaceId, [property: Id(1)] string SubjectId, [property: Id(2)] FaceInfo Face);

[GenerateSerializer, Immutable]
public sealed record IdentifyRequest(
    [property: Id(0)] byte[] Image,
    [property: Id(1)] int TopK = 5,
    [property: Id(2)] float? Threshold = null,
    [property: Id(3)] float? DetectionThreshold = null);

/// <summary>A subject's best-matching enrolled face.</summary>
[GenerateSerializer, Immutable]
public sealed record Candidate([property: Id(0)] string SubjectId, [property: Id(1)] string FaceId, [property: Id(2)] float Similarity);

/// <summary>One face of the photo: its candidates, best first, and the match (null: unknown).</summary>
[GenerateSerializer, Immutable]
public sealed record IdentifiedFace(
    [property: Id(0)] FaceInfo Face,
    [property: Id(1)] IReadOnlyList<Candidate> Candidates,
    [property: Id(2)] string? Match);

[GenerateSerializer, Immutable]
public sealed record IdentifyResult(
    [property: Id(0)] IReadOnlyList<IdentifiedFace> Faces,
    [property: Id(1)] float Threshold,
    [property: Id(2)] long GallerySize,
    [property: Id(3)] double ElapsedMilliseconds);

[GenerateSerializer, Immutable]
public sealed record VerifyResult(
    [property: Id(0)] string SubjectId,
    [property: Id(1)] float Similarity,
    [property: Id(2)] bool IsMatch,
    [property: Id(3)] float Threshold,
    [property: Id(4)] string? BestFaceId,
    [property: Id(5)] FaceInfo Face);

/// <summary>
/// A gallery's shards and size. While a re-shard runs, <see cref="ReshardingTo"/> is its target count and
/// <see cref="FacesToMove"/> counts the faces still in the old shards.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record GalleryStatus(
    [property: Id(0)] int Shards,
    [property: Id(1)] int? ReshardingTo,
    [property: Id(2)] long Faces,
    [property: Id(3)] long FacesToMove);

/// <summary>A tenant's 1:N gallery (key = tenant id): subjects, their enrolled faces, identification and verification.</summary>
public interface IGalleryGrain : IGrainWithStringKey
{
    Task<SubjectInfo> CreateSubject(string subjectId, string? displayName, IReadOnlyDictionary<string, string>? metadata);

    Task<SubjectPage> ListSubjects(int page, int size);

    /// <summary>Removes the subject and every face enrolled for it.</summary>
    Task DeleteSubject(string subjectId);

    Task<EnrolledFace> Enroll(string subjectId, EnrollRequest request);

    Task DeleteFace(string subjectId, string faceId);

    /// <summary>The photo a face was enrolled from, when the tenant keeps photos; null otherwise.</summary>
    Task<byte[]?> GetFacePhoto(string subjectId, string faceId);

    Task<IdentifyResult> Identify(IdentifyRequest request);

    Task<VerifyResult> Verify(string subjectId, IdentifyRequest request);

    Task<GalleryStatus> GetStatus();

    /// <summary>
    /// Starts moving the gallery's faces into <paramref name="shards"/> shards and returns at once; the move runs
    /// in the background, survives interruption (it resumes when the gallery next activates) and may be
    /// requested again with the same count. Searches and enrollments keep working throughout.
    /// </summary>
    Task<GalleryStatus> Reshard(int shards);
}

/// <summary>
/// One shard of a tenant's gallery (key = "{tenant}/{shard}"): its faces in memory, stored one record per face.
/// Searches and changes are taken one at a time, in arrival order; each search scans on all cores.
/// </summary>
public interface IGalleryShardGrain : IGrainWithStringKey
{
    /// <summary>
    /// Stores the face (and its photo, when the tenant keeps photos) and indexes it; false, storing nothing,
    /// when a re-shard has begun emptying this shard (the caller enrolls into the new layout instead).
    /// </summary>
    Task<bool> Add(string faceId, string subjectId, float[] embedding, byte[]? photo);

    /// <summary>Forgets a face the store no longer holds in this shard.</summary>
    Task<int> Remove(IReadOnlyList<string> faceIds);

    Task<int> RemoveSubject(string subjectId);

    /// <summary>Indexes those of the faces the store now holds in this shard (faces a re-shard moved here).</summary>
    Task<int> Reload(IReadOnlyList<string> faceIds);

    /// <summary>Makes the index hold exactly the faces the store holds in this shard (a re-shard's old shards, once emptied).</summary>
    Task Reconcile();

    /// <summary>Writes the shard's local snapshot now if its faces changed since the last one; searches go on meanwhile.</summary>
    [AlwaysInterleave]
    Task Snapshot();

    /// <summary>For each query, the top-k subjects of this shard by their best face; only <paramref name="subjectId"/>'s faces when given.</summary>
    Task<IReadOnlyList<IReadOnlyList<Candidate>>> Search(IReadOnlyList<float[]> queries, int topK, string? subjectId);

    [AlwaysInterleave]
    Task<int> Count();
}

[GenerateSerializer]
public sealed class SubjectNotFoundException : Exception
{
    public SubjectNotFoundException()
    {
    }

    public SubjectNotFoundException(string message)
        : base(message)
    {
    }

    public SubjectNotFoundException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

[GenerateSerializer]
public sealed class SubjectExistsException : Exception
{
    public SubjectExistsException()
    {
    }

    public SubjectExistsException(string message)
        : base(message)
    {
    }

    public SubjectExistsException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>A photo that cannot be enrolled: <see cref="Reason"/> is no_face or several_faces.</summary>
[GenerateSerializer]
public sealed class EnrollmentRejectedException : Exception
{
    public EnrollmentRejectedException()
    {
    }

    public EnrollmentRejectedException(string message)
        : base(message)
    {
    }

    public EnrollmentRejectedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public EnrollmentRejectedException(string reason, string message)
        : base(message)
    {
        Reason = reason;
    }

    [Id(0)]
    public string Reason { get; private set; } = string.Empty;
}

/// <summary>The gallery's store cannot be reached; nothing was changed. The API maps it to 503.</summary>
[GenerateSerializer]
public sealed class GalleryStoreUnavailableException : Exception
{
    public GalleryStoreUnavailableException()
    {
    }

    public GalleryStoreUnavailableException(string message)
        : base(message)
    {
    }

    public GalleryStoreUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
