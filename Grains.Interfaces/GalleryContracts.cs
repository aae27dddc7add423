namespace FaceOrleans.Contracts;

[GenerateSerializer, Immutable, Alias("faceorleans.SubjectInfo")]
public sealed record SubjectInfo(
    [property: Id(0)] string Id,
    [property: Id(1)] string? DisplayName,
    [property: Id(2)] IReadOnlyDictionary<string, string>? Metadata,
    [property: Id(3)] DateTimeOffset CreatedUtc,
    [property: Id(4)] int FaceCount);

[GenerateSerializer, Immutable, Alias("faceorleans.SubjectPage")]
public sealed record SubjectPage(
    [property: Id(0)] IReadOnlyList<SubjectInfo> Items,
    [property: Id(1)] int Page,
    [property: Id(2)] int Size,
    [property: Id(3)] long Total);

/// <summary>
/// A photo to enroll; with <see cref="UseLargestFace"/> a photo of several faces enrolls the largest. A caller that
/// names the <see cref="FaceId"/> (<see cref="FaceIds.New"/>) may send the same request again and the face is stored
/// once; without one the gallery picks an id.
/// </summary>
[GenerateSerializer, Immutable, Alias("faceorleans.EnrollRequest")]
public sealed record EnrollRequest(
    [property: Id(0)] byte[] Image,
    [property: Id(1)] bool UseLargestFace = false,
    [property: Id(2)] float? DetectionThreshold = null,
    [property: Id(3)] string? FaceId = null);

[GenerateSerializer, Immutable, Alias("faceorleans.EnrolledFace")]
public sealed record EnrolledFace([property: Id(0)] string FaceId, [property: Id(1)] string SubjectId, [property: Id(2)] FaceInfo Face);

[GenerateSerializer, Immutable, Alias("faceorleans.IdentifyRequest")]
public sealed record IdentifyRequest(
    [property: Id(0)] byte[] Image,
    [property: Id(1)] int TopK = 5,
    [property: Id(2)] float? Threshold = null,
    [property: Id(3)] float? DetectionThreshold = null);

/// <summary>A subject's best-matching enrolled face.</summary>
[GenerateSerializer, Immutable, Alias("faceorleans.Candidate")]
public sealed record Candidate([property: Id(0)] string SubjectId, [property: Id(1)] string FaceId, [property: Id(2)] float Similarity);

/// <summary>One face of the photo: its candidates, best first, and the match (null: unknown).</summary>
[GenerateSerializer, Immutable, Alias("faceorleans.IdentifiedFace")]
public sealed record IdentifiedFace(
    [property: Id(0)] FaceInfo Face,
    [property: Id(1)] IReadOnlyList<Candidate> Candidates,
    [property: Id(2)] string? Match);

[GenerateSerializer, Immutable, Alias("faceorleans.IdentifyResult")]
public sealed record IdentifyResult(
    [property: Id(0)] IReadOnlyList<IdentifiedFace> Faces,
    [property: Id(1)] float Threshold,
    [property: Id(2)] long GallerySize,
    [property: Id(3)] double ElapsedMilliseconds);

[GenerateSerializer, Immutable, Alias("faceorleans.VerifyResult")]
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
[GenerateSerializer, Immutable, Alias("faceorleans.GalleryStatus")]
public sealed record GalleryStatus(
    [property: Id(0)] int Shards,
    [property: Id(1)] int? ReshardingTo,
    [property: Id(2)] long Faces,
    [property: Id(3)] long FacesToMove);

/// <summary>
/// A re-embedded gallery: the recognizer its faces are now of, how many faces were embedded again from their stored
/// enrollment photos, and how many already were of that recognizer.
/// </summary>
[GenerateSerializer, Immutable, Alias("faceorleans.ReembedResult")]
public sealed record ReembedResult(
    [property: Id(0)] EmbeddingModel Model,
    [property: Id(1)] int Reembedded,
    [property: Id(2)] int Unchanged);
