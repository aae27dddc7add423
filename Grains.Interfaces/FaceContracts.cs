namespace FaceOrleans.Contracts;

[GenerateSerializer, Immutable, Alias("faceorleans.Point2")]
public sealed record Point2([property: Id(0)] float X, [property: Id(1)] float Y);

/// <summary>A face's bounding box in the uploaded image's pixels.</summary>
[GenerateSerializer, Immutable, Alias("faceorleans.FaceBounds")]
public sealed record FaceBounds(
    [property: Id(0)] float Left,
    [property: Id(1)] float Top,
    [property: Id(2)] float Right,
    [property: Id(3)] float Bottom);

/// <summary>
/// A face's enrollment measures (<see cref="Vision.FaceQuality"/>) and what the tenant's limits make of them:
/// <see cref="Problems"/> lists the reasons enrollment would refuse it (empty: it would enroll).
/// </summary>
[GenerateSerializer, Immutable, Alias("faceorleans.FaceQualityInfo")]
public sealed record FaceQualityInfo(
    [property: Id(0)] float InterEyeDistance,
    [property: Id(1)] float Sharpness,
    [property: Id(2)] float Yaw,
    [property: Id(3)] float Pitch,
    [property: Id(4)] IReadOnlyList<string> Problems);

/// <summary>
/// A detected face: box, detector score and five landmarks (left eye, right eye, nose tip,
/// left mouth corner, right mouth corner, as seen in the image), with its quality where the slice measured it
/// (detect, embed, identify, enroll; not compare).
/// </summary>
[GenerateSerializer, Immutable, Alias("faceorleans.FaceInfo")]
public sealed record FaceInfo(
    [property: Id(0)] FaceBounds Box,
    [property: Id(1)] float Score,
    [property: Id(2)] IReadOnlyList<Point2> Landmarks,
    [property: Id(3)] FaceQualityInfo? Quality = null);

[GenerateSerializer, Immutable, Alias("faceorleans.FaceEmbedding")]
public sealed record FaceEmbedding([property: Id(0)] FaceInfo Face, [property: Id(1)] float[] Vector);

/// <summary>
/// Two encoded images (JPEG, PNG, BMP or WebP) to compare; thresholds and limits travel beside the request, as the
/// caller's <see cref="RequestOptions"/> or the slice's resolved options. Marked immutable so the bytes are not
/// copied between grains.
/// </summary>
[GenerateSerializer, Immutable, Alias("faceorleans.CompareRequest")]
public sealed record CompareRequest([property: Id(0)] byte[] Image1, [property: Id(1)] byte[] Image2);

/// <summary>One encoded image whose faces to find.</summary>
[GenerateSerializer, Immutable, Alias("faceorleans.DetectRequest")]
public sealed record DetectRequest([property: Id(0)] byte[] Image);

/// <summary>
/// One encoded image whose faces to find and embed. <see cref="ProminentFaceFirst"/> is for callers that live by the
/// most prominent face (enroll with the largest face, identify, verify): the slice detects at its smaller
/// prominent-face size first and at full size only when that finds no face, so faces far smaller than the most
/// prominent one may be missed.
/// </summary>
[GenerateSerializer, Immutable, Alias("faceorleans.EmbedRequest")]
public sealed record EmbedRequest([property: Id(0)] byte[] Image, [property: Id(1)] bool ProminentFaceFirst = false);

/// <summary>
/// Result of a 1:1 comparison on a slice. <see cref="Similarity"/> is null when <see cref="MissingFaceIn"/> names an
/// image without a face; the tenant grain turns that into a <see cref="Vision.RejectionCode.NoFace"/> rejection.
/// </summary>
[GenerateSerializer, Immutable, Alias("faceorleans.CompareResult")]
public sealed record CompareResult(
    [property: Id(0)] float? Similarity,
    [property: Id(1)] bool IsSamePerson,
    [property: Id(2)] float Threshold,
    [property: Id(3)] string Message,
    [property: Id(4)] IReadOnlyList<FaceInfo> Faces1,
    [property: Id(5)] IReadOnlyList<FaceInfo> Faces2,
    [property: Id(6)] string? MissingFaceIn,
    [property: Id(7)] string SliceId,
    [property: Id(8)] double ElapsedMilliseconds);

[GenerateSerializer, Immutable, Alias("faceorleans.DetectResult")]
public sealed record DetectResult(
    [property: Id(0)] IReadOnlyList<FaceInfo> Faces,
    [property: Id(1)] string SliceId,
    [property: Id(2)] double ElapsedMilliseconds);

[GenerateSerializer, Immutable, Alias("faceorleans.EmbedResult")]
public sealed record EmbedResult(
    [property: Id(0)] IReadOnlyList<FaceEmbedding> Faces,
    [property: Id(1)] string Model,
    [property: Id(2)] int Dimensions,
    [property: Id(3)] string SliceId,
    [property: Id(4)] double ElapsedMilliseconds,
    [property: Id(5)] float SimilarityThreshold,
    [property: Id(6)] float IdentificationThreshold,
    [property: Id(7)] string ModelVersion)
{
    /// <summary>The recognizer these embeddings came from, as a gallery records it.</summary>
    public EmbeddingModel Recognizer => new(Model, ModelVersion, Dimensions);
}
