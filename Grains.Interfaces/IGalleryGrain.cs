namespace FaceOrleans.Contracts;

/// <summary>
/// A tenant's 1:N gallery (key = tenant id): subjects, their enrolled faces, identification and verification.
/// Photos are embedded by the tenant's own grain, so thresholds resolve as they do for 1:1 comparison.
/// </summary>
[Alias("faceorleans.IGalleryGrain")]
public interface IGalleryGrain : IGrainWithStringKey
{
    [Alias("CreateSubject")]
    Task<SubjectInfo> CreateSubject(string subjectId, string? displayName, IReadOnlyDictionary<string, string>? metadata);

    [Alias("ListSubjects")]
    Task<SubjectPage> ListSubjects(int page, int size);

    /// <summary>Removes the subject and every face enrolled for it.</summary>
    [Alias("DeleteSubject")]
    Task DeleteSubject(string subjectId);

    [Alias("Enroll"), Idempotent]
    Task<EnrolledFace> Enroll(string subjectId, EnrollRequest request, CancellationToken cancellationToken = default);

    /// <summary>
    /// Enrolls each photo on its own, in order: one outcome per photo, each face stored before the call returns.
    /// The photos are embedded as one batch on the tenant's slice.
    /// </summary>
    [Alias("EnrollBatch")]
    Task<IReadOnlyList<EnrollOutcome>> EnrollBatch(string subjectId, EnrollBatchRequest request, CancellationToken cancellationToken = default);

    [Alias("DeleteFace")]
    Task DeleteFace(string subjectId, string faceId);

    /// <summary>Erases the whole gallery: every subject, face and photo in the store, and every shard's index and files.</summary>
    [Alias("DeleteGallery")]
    Task DeleteGallery();

    /// <summary>The photo a face was enrolled from, when the tenant keeps photos; null otherwise.</summary>
    [Alias("GetFacePhoto")]
    Task<byte[]?> GetFacePhoto(string subjectId, string faceId);

    [Alias("Identify"), Idempotent]
    Task<IdentifyResult> Identify(IdentifyRequest request, CancellationToken cancellationToken = default);

    [Alias("Verify"), Idempotent]
    Task<VerifyResult> Verify(string subjectId, IdentifyRequest request, CancellationToken cancellationToken = default);

    /// <summary>
    /// Scores genuine and impostor pairs of the enrolled faces, read from the gallery store, and finds the threshold at
    /// false accept rate <paramref name="far"/> and the accuracy-maximising one; bounded and deterministic on large galleries.
    /// </summary>
    [Alias("Calibrate")]
    Task<GalleryCalibrationResult> Calibrate(double far, CancellationToken cancellationToken = default);
    [Alias("GetStatus")]
    Task<GalleryStatus> GetStatus();

    /// <summary>
    /// Starts moving the gallery's faces into <paramref name="shards"/> shards and returns at once; the move runs
    /// in the background, survives interruption (it resumes when the gallery next activates) and may be
    /// requested again with the same count. Searches and enrollments keep working throughout.
    /// </summary>
    [Alias("Reshard")]
    Task<GalleryStatus> Reshard(int shards);

    /// <summary>
    /// Rebuilds the gallery in the tenant's current recognizer's embedding space: every face of another recognizer is
    /// embedded again from its stored enrollment photo, under the same face id. All or nothing: refused, changing
    /// nothing, while such a face has no stored photo (<see cref="Vision.RejectionCode.EnrollmentPhotosMissing"/>) or
    /// its photo no longer shows a face, or while a re-shard runs.
    /// </summary>
    [Alias("Reembed")]
    Task<ReembedResult> Reembed(CancellationToken cancellationToken = default);
}
